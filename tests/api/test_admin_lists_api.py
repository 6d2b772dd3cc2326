"""GET /admin/lists/{key}: a figure's rows as JSON for staff, paged by cursor (the 404 for
everyone else is tests/api/test_admin_access.py's)."""

from __future__ import annotations

from billing_app.services import staff
from tests.api.conftest import assert_error, auth, signup


def test_staff_page_through_the_orgs_in_credit(client):
    ops = signup(client, "ops@example.com")
    staff.set_staff(email="ops@example.com", staff=True)
    others = [signup(client, f"c{n}@example.com")["org_id"] for n in range(2)]
    headers = auth(ops["token"])

    first = client.get("/admin/lists/orgs_in_credit", params={"limit": 2}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["key"], body["window"]) == ("orgs_in_credit", None)
    assert [row["org_id"] for row in body["rows"]] == others[::-1]  # newest first
    assert body["rows"][0]["owner_email"] == "c1@example.com" and body["rows"][0]["currency"] == "INR"
    rest = client.get(
        "/admin/lists/orgs_in_credit", params={"limit": 2, "cursor": body["next_cursor"]}, headers=headers
    ).json()
    assert [row["org_id"] for row in rest["rows"]] == [ops["org_id"]] and rest["next_cursor"] is None

    topups = client.get("/admin/lists/topups", params={"window": "today"}, headers=headers).json()
    assert (topups["window"], topups["rows"]) == ("today", [])
    assert_error(client.get("/admin/lists/topups", params={"window": "7d"}, headers=headers), 422, "invalid_request")
    assert_error(client.get("/admin/lists/unpaid_orders", headers=headers), 404, "not_found")
