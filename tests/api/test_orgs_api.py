"""GET /me/orgs and POST /me/orgs/{id}/switch over the REST contract."""

from __future__ import annotations

from billing_app.models import EmailKind
from tests.api.conftest import assert_error, auth, signup
from tests.factories import RUPEE, emailed_token, set_balance


def test_a_person_in_one_org_lists_it_as_current(client):
    account = signup(client)
    response = client.get("/me/orgs", headers=auth(account["token"]))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "orgs": [
            {
                "id": account["org_id"],
                "name": "Acme",
                "role": "owner",
                "balance_micros": 100 * RUPEE,
                "currency": "INR",
                "current": True,
            }
        ]
    }


def test_switch_answers_the_org_now_current_and_every_route_follows_it(client):
    asha = signup(client, "asha@example.com", org_name="Zen Studio")
    ravi = signup(client, "ravi@example.com", org_name="Acme")
    invited = client.post(
        "/me/members", json={"email": "asha@example.com", "role": "developer"}, headers=auth(ravi["token"])
    )
    assert invited.status_code == 201, invited.text
    elsewhere = client.post("/auth/login", json={"email": "asha@example.com", "password": "correct horse"}).json()
    token = emailed_token("asha@example.com", EmailKind.INVITATION)
    joined = client.post("/auth/invitations/accept", json={"token": token}, headers=auth(elsewhere["token"]))
    assert joined.json()["org_name"] == "Acme"  # that session now acts for Acme; this one stays
    set_balance(ravi["org_id"], 7 * RUPEE)
    headers = auth(asha["token"])

    listed = client.get("/me/orgs", headers=headers).json()["orgs"]
    assert [(org["name"], org["role"], org["current"]) for org in listed] == [
        ("Acme", "developer", False),
        ("Zen Studio", "owner", True),
    ]

    switched = client.post(f"/me/orgs/{ravi['org_id']}/switch", headers=headers)
    assert switched.status_code == 200, switched.text
    assert switched.json() == {
        "id": ravi["org_id"],
        "name": "Acme",
        "role": "developer",
        "balance_micros": 7 * RUPEE,
        "currency": "INR",
        "current": True,
    }
    assert client.get("/me/keys", headers=headers).json()["keys"] == []  # Acme's keys: none yet
    assert_error(client.get("/me/billing", headers=headers), 403, "forbidden")  # a developer there
    assert_error(client.get("/me/audit", headers=headers), 403, "forbidden")
    assert [org["current"] for org in client.get("/me/orgs", headers=headers).json()["orgs"]] == [True, False]

    events = client.get("/me/audit", headers=auth(ravi["token"]), params={"action": "session."}).json()["events"]
    assert [(e["action"], e["actor"]) for e in events][:1] == [("session.switched_org", "asha@example.com")]

    assert client.post(f"/me/orgs/{asha['org_id']}/switch", headers=headers).json()["role"] == "owner"
    assert client.get("/me/billing", headers=headers).json()["balance_micros"] == 100 * RUPEE


def test_an_org_you_are_not_in_is_404_whether_or_not_it_exists(client):
    asha = signup(client, "asha@example.com")
    ravi = signup(client, "ravi@example.com")
    headers = auth(asha["token"])
    for org_id in (ravi["org_id"], 987_654, 2**63 - 1, 2**63):
        assert_error(client.post(f"/me/orgs/{org_id}/switch", headers=headers), 404, "not_found", "not_found_error")
    assert client.get("/me/billing", headers=headers).status_code == 200
    assert [org["id"] for org in client.get("/me/orgs", headers=headers).json()["orgs"]] == [asha["org_id"]]


def test_both_need_a_session(client):
    assert_error(client.get("/me/orgs"), 401, "unauthenticated")
    assert_error(client.post("/me/orgs/1/switch"), 401, "unauthenticated")
