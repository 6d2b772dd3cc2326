"""The accounts routes of the second set of capabilities: verify, forgot/reset, password,
sessions and the audit log, over the REST contract."""

from __future__ import annotations

from datetime import timedelta

from billing_app.ist import ist_day
from billing_app.models import EmailKind
from billing_app.models.types import utcnow
from tests.api.conftest import assert_error, auth, signup
from tests.factories import ADDRESS, emailed_token


def test_signup_answers_unverified_and_verify_grants_the_credit(client):
    account = signup(client, verified=False)
    assert account["email_verified"] is False and account["role"] == "owner"
    headers = auth(account["token"])
    assert client.get("/me/billing", headers=headers).json()["balance_micros"] == 0

    done = client.post("/auth/verify", json={"token": emailed_token("asha@example.com")})
    assert done.status_code == 200, done.text
    assert done.json() == {"email_verified": True, "credited_micros": 100_000_000}
    assert client.get("/me/billing", headers=headers).json()["balance_micros"] == 100_000_000
    assert_error(
        client.post("/auth/verify", json={"token": emailed_token("asha@example.com")}),
        400,
        "token_invalid",
        "invalid_request_error",
    )


def test_resend_is_202_and_says_whether_it_sent(client):
    account = signup(client, verified=False)
    response = client.post("/auth/verify/resend", headers=auth(account["token"]))
    assert response.status_code == 202 and response.json() == {"sent": True}
    assert_error(client.post("/auth/verify/resend", headers=auth(account["token"])), 429, "rate_limited")


def test_forgot_is_202_whatever_the_address_and_reset_signs_everyone_out(client):
    account = signup(client)
    for email in ("asha@example.com", "nobody@example.com"):
        response = client.post("/auth/password/forgot", json={"email": email})
        assert response.status_code == 202 and response.content == b""
    token = emailed_token("asha@example.com", EmailKind.PASSWORD_RESET)
    assert_error(
        client.post("/auth/password/reset", json={"token": token, "password": "short"}), 422, "invalid_request"
    )
    assert client.post("/auth/password/reset", json={"token": token, "password": "new passphrase"}).status_code == 204
    assert_error(client.get("/me/billing", headers=auth(account["token"])), 401, "unauthenticated")
    assert (
        client.post("/auth/login", json={"email": "asha@example.com", "password": "new passphrase"}).status_code == 200
    )
    assert_error(
        client.post("/auth/password/reset", json={"token": token, "password": "new passphrase"}), 400, "token_invalid"
    )


def test_change_password_and_sessions(client):
    account = signup(client)
    headers = auth(account["token"])
    other = client.post("/auth/login", json={"email": "asha@example.com", "password": "correct horse"}).json()

    listed = client.get("/me/sessions", headers=headers).json()["sessions"]
    assert [s["current"] for s in listed] == [False, True]
    assert {"id", "created_at", "last_used_at", "user_agent", "ip"} <= set(listed[0])

    wrong = client.put(
        "/me/password", json={"current_password": "nope", "new_password": "new passphrase"}, headers=headers
    )
    assert assert_error(wrong, 422, "invalid_request")["field"] == "current_password"
    changed = client.put(
        "/me/password", json={"current_password": "correct horse", "new_password": "new passphrase"}, headers=headers
    )
    assert changed.json() == {"sessions_ended": 1}
    assert_error(client.get("/me/billing", headers=auth(other["token"])), 401, "unauthenticated")
    assert client.get("/me/billing", headers=headers).status_code == 200

    third = client.post("/auth/login", json={"email": "asha@example.com", "password": "new passphrase"}).json()
    [newest, *_] = client.get("/me/sessions", headers=headers).json()["sessions"]
    assert client.delete(f"/me/sessions/{newest['id']}", headers=headers).status_code == 204
    assert_error(client.get("/me/billing", headers=auth(third["token"])), 401, "unauthenticated")
    assert_error(client.delete(f"/me/sessions/{newest['id']}", headers=headers), 404, "not_found")
    assert client.delete("/me/sessions", headers=headers).json() == {"sessions_ended": 0}


def test_the_audit_log_records_who_did_what_and_pages(client):
    account = signup(client, verified=False)
    headers = auth(account["token"]) | {"User-Agent": "pytest-agent"}
    client.post("/auth/verify", json={"token": emailed_token("asha@example.com")})
    for _ in range(3):
        client.post("/auth/login", json={"email": "asha@example.com", "password": "correct horse"})
    client.delete("/me/sessions", headers=headers)

    page = client.get("/me/audit", params={"limit": 2}, headers=headers).json()
    assert [e["action"] for e in page["events"]] == ["session.ended_others", "session.signed_in"]
    assert page["events"][0]["actor"] == "asha@example.com"
    assert page["events"][0]["user_agent"] == "pytest-agent"
    assert page["events"][0]["after"] == {"sessions_ended": 3}
    rest = client.get("/me/audit", params={"cursor": page["next_cursor"]}, headers=headers).json()
    assert [e["action"] for e in rest["events"]] == [
        "session.signed_in",
        "session.signed_in",
        "user.email_verified",
        "user.signed_up",
    ]
    assert rest["next_cursor"] is None
    only = client.get("/me/audit", params={"action": "session."}, headers=headers).json()["events"]
    assert {e["action"] for e in only} == {"session.signed_in", "session.ended_others"}

    export = client.get("/me/audit/export.csv", headers=headers)
    assert export.headers["content-type"].startswith("text/csv")
    lines = export.text.strip().splitlines()
    assert lines[0] == "id,time_ist,action,subject,actor,before,after,ip,user_agent"
    assert len(lines) == 1 + 6


def test_keys_address_and_alert_changes_are_audited_with_who_and_from_where(client):
    account = signup(client)
    headers = auth(account["token"]) | {"User-Agent": "audit-test/1.0", "X-Forwarded-For": "203.0.113.9"}
    key = client.post("/me/keys", json={"name": "prod"}, headers=headers).json()
    client.patch(f"/me/keys/{key['id']}", json={"monthly_budget_micros": 5_000_000}, headers=headers)
    client.delete(f"/me/keys/{key['id']}", headers=headers)
    client.delete(f"/me/keys/{key['id']}", headers=headers)  # a repeat revokes nothing: no second row
    assert client.put("/me/billing/address", json=ADDRESS, headers=headers).status_code == 200
    client.put("/me/billing/address", json=ADDRESS | {"line1": "14 MG Road"}, headers=headers)
    client.put("/me/billing/alerts", json={"threshold_micros": 50_000_000}, headers=headers)

    events = client.get("/me/audit", params={"limit": 100}, headers=headers).json()["events"]
    by_action = {}
    for event in events:
        by_action.setdefault(event["action"], []).append(event)
    [created] = by_action["key.created"]
    assert created["subject"] == f"key:{key['id']}"
    assert (created["after"]["name"], created["after"]["monthly_budget_micros"]) == ("prod", None)
    assert created["after"]["prefix"].startswith("sk-live-")
    [budget] = by_action["key.budget_changed"]
    assert (budget["before"], budget["after"]) == (
        {"monthly_budget_micros": None},
        {"monthly_budget_micros": 5_000_000},
    )
    assert len(by_action["key.revoked"]) == 1
    newest_address, first_address = by_action["address.changed"]
    assert first_address["before"] is None and first_address["after"]["pin"] == "560001"
    assert (newest_address["before"]["line1"], newest_address["after"]["line1"]) == ("12 MG Road", "14 MG Road")
    [alert] = by_action["alert.threshold_changed"]
    assert (alert["before"], alert["after"]) == ({"threshold_micros": None}, {"threshold_micros": 50_000_000})
    for event in by_action["key.created"] + by_action["address.changed"]:
        assert event["actor"] == "asha@example.com"
        assert event["user_agent"] == "audit-test/1.0"


def test_a_refused_change_writes_no_audit_row(client):
    account = signup(client)
    headers = auth(account["token"])
    assert client.post("/me/keys", json={"name": ""}, headers=headers).status_code == 422
    assert client.put("/me/billing/address", json=ADDRESS | {"pin": "012345"}, headers=headers).status_code == 422
    actions = {e["action"] for e in client.get("/me/audit", headers=headers).json()["events"]}
    assert not actions & {"key.created", "address.changed"}


def test_the_audit_log_filters_by_ist_days(client):
    account = signup(client)
    headers = auth(account["token"])
    today = ist_day(utcnow())
    days = {"from": today.isoformat(), "to": today.isoformat()}
    assert client.get("/me/audit", params=days, headers=headers).json()["events"]  # today's sign-up
    before = {"to": (today - timedelta(days=1)).isoformat()}
    assert client.get("/me/audit", params=before, headers=headers).json()["events"] == []
