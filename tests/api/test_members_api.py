"""The members API: GET, POST /me/members · PATCH, DELETE /me/members/{id} · DELETE
/me/members/invitations/{id} · POST /auth/invitations/accept, and /auth/signup with an
invitation token, on both databases, over HTTP as a client sees them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from billing_app.api.app import create_api
from billing_app.models import EmailKind
from tests.api.conftest import assert_error, auth, signup
from tests.factories import emailed_token


@pytest.fixture
def client(any_db) -> Iterator[TestClient]:
    with TestClient(create_api(mount_sandbox=False), raise_server_exceptions=False) as test_client:
        yield test_client


def invite(client: TestClient, token: str, email: str, role: str) -> dict:
    response = client.post("/me/members", json={"email": email, "role": role}, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()


def join_by_signup(client: TestClient, owner: dict, email: str, role: str) -> dict:
    invite(client, owner["token"], email, role)
    body = {
        "email": email,
        "password": "correct horse",
        "name": "Ravi",
        "invitation_token": emailed_token(email, EmailKind.INVITATION),
    }
    response = client.post("/auth/signup", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def listed(client: TestClient, token: str) -> dict:
    response = client.get("/me/members", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def member_id(client: TestClient, owner_token: str, email: str) -> int:
    return next(m["id"] for m in listed(client, owner_token)["members"] if m["email"] == email)


def test_invite_list_and_accept_signed_in_switches_the_session(client):
    owner = signup(client, "owner@example.com")
    guest = signup(client, "dev@example.com", org_name="Dev's own")
    invitation = invite(client, owner["token"], "dev@example.com", "admin")
    assert {k: invitation[k] for k in ("email", "role", "invited_by")} == {
        "email": "dev@example.com",
        "role": "admin",
        "invited_by": "Asha Rao",
    }
    assert invitation["expires_at"].endswith("+05:30")
    assert [i["email"] for i in listed(client, owner["token"])["invitations"]] == ["dev@example.com"]

    token = emailed_token("dev@example.com", EmailKind.INVITATION)
    response = client.post("/auth/invitations/accept", json={"token": token}, headers=auth(guest["token"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"org_id": owner["org_id"], "org_name": "Acme", "role": "admin", "joined": True}
    # the caller's session now acts for the org joined, with the role there
    members = listed(client, guest["token"])["members"]
    assert [(m["email"], m["role"]) for m in members] == [("owner@example.com", "owner"), ("dev@example.com", "admin")]
    again = client.post("/auth/invitations/accept", json={"token": token}, headers=auth(guest["token"]))
    assert again.status_code == 200 and again.json()["joined"] is False


def test_sign_up_with_an_invitation_joins_the_org_verified_and_without_credit(client):
    owner = signup(client, "owner@example.com")
    joined = join_by_signup(client, owner, "billing@example.com", "billing")
    assert (joined["org_id"], joined["role"], joined["email_verified"]) == (owner["org_id"], "billing", True)
    billing = client.get("/me/billing", headers=auth(joined["token"])).json()
    assert [e["type"] for e in billing["entries"]] == ["signup_credit"]  # the owner's, from their own sign-up
    assert_error(client.get("/me/members", headers=auth(joined["token"])), 403, "forbidden", "permission_error")


def test_sign_up_without_an_invitation_still_needs_an_org_name(client):
    body = {"email": "x@example.com", "password": "correct horse", "name": "X"}
    assert assert_error(client.post("/auth/signup", json=body), 422, "invalid_request")["field"] == "org_name"


def test_wrong_address_bad_and_revoked_tokens(client):
    owner = signup(client, "owner@example.com")
    stranger = signup(client, "stranger@example.com")
    invitation = invite(client, owner["token"], "dev@example.com", "developer")
    token = emailed_token("dev@example.com", EmailKind.INVITATION)
    error = assert_error(
        client.post("/auth/invitations/accept", json={"token": token}, headers=auth(stranger["token"])),
        403,
        "email_unverified",
    )
    assert "dev@example.com" in error["message"]
    body = {"email": "stranger2@example.com", "password": "correct horse", "name": "S", "invitation_token": token}
    assert_error(client.post("/auth/signup", json=body), 403, "email_unverified")
    assert_error(
        client.post("/auth/invitations/accept", json={"token": "nope"}, headers=auth(stranger["token"])),
        400,
        "token_invalid",
    )
    assert_error(client.post("/auth/invitations/accept", json={"token": token}), 401, "unauthenticated")

    revoked = client.delete(f"/me/members/invitations/{invitation['id']}", headers=auth(owner["token"]))
    assert revoked.status_code == 204
    assert listed(client, owner["token"])["invitations"] == []
    body = {"email": "dev@example.com", "password": "correct horse", "name": "D", "invitation_token": token}
    assert_error(client.post("/auth/signup", json=body), 400, "token_invalid")
    again = client.delete(f"/me/members/invitations/{invitation['id']}", headers=auth(owner["token"]))
    assert_error(again, 404, "not_found")


def test_role_changes_removal_and_the_last_owner(client):
    owner = signup(client, "owner@example.com")
    dev = join_by_signup(client, owner, "dev@example.com", "developer")
    dev_id = member_id(client, owner["token"], "dev@example.com")
    owner_id = member_id(client, owner["token"], "owner@example.com")

    changed = client.patch(f"/me/members/{dev_id}", json={"role": "admin"}, headers=auth(owner["token"]))
    assert changed.status_code == 200 and changed.json()["role"] == "admin"
    assert listed(client, dev["token"])["members"]  # an admin now: may list members
    # an admin cannot touch an owner nor make one
    for response in (
        client.patch(f"/me/members/{owner_id}", json={"role": "admin"}, headers=auth(dev["token"])),
        client.patch(f"/me/members/{dev_id}", json={"role": "owner"}, headers=auth(dev["token"])),
        client.delete(f"/me/members/{owner_id}", headers=auth(dev["token"])),
        client.post("/me/members", json={"email": "boss@example.com", "role": "owner"}, headers=auth(dev["token"])),
    ):
        assert_error(response, 403, "forbidden")

    error = assert_error(
        client.patch(f"/me/members/{owner_id}", json={"role": "admin"}, headers=auth(owner["token"])),
        409,
        "last_owner",
    )
    assert error["type"] == "invalid_request_error"
    assert_error(client.delete(f"/me/members/{owner_id}", headers=auth(owner["token"])), 409, "last_owner")
    assert_error(
        client.post("/me/members", json={"email": "dev@example.com", "role": "billing"}, headers=auth(owner["token"])),
        409,
        "already_member",
    )

    assert client.delete(f"/me/members/{dev_id}", headers=auth(owner["token"])).status_code == 204
    assert_error(client.get("/me/keys", headers=auth(dev["token"])), 401, "unauthenticated")  # their session ended
    assert [m["email"] for m in listed(client, owner["token"])["members"]] == ["owner@example.com"]
    actions = [
        e["action"] for e in client.get("/me/audit?action=member.", headers=auth(owner["token"])).json()["events"]
    ]
    assert actions == ["member.removed", "member.role_changed", "member.joined", "member.invited"]


def test_bad_input_and_other_orgs_members(client):
    owner = signup(client, "owner@example.com")
    other = signup(client, "other@example.com")
    other_id = member_id(client, other["token"], "other@example.com")
    assert_error(client.delete(f"/me/members/{other_id}", headers=auth(owner["token"])), 404, "not_found")
    assert_error(
        client.patch(f"/me/members/{other_id}", json={"role": "admin"}, headers=auth(owner["token"])), 404, "not_found"
    )
    bad_role = client.post("/me/members", json={"email": "a@example.com", "role": "root"}, headers=auth(owner["token"]))
    assert assert_error(bad_role, 422, "invalid_request")["field"] == "role"
    bad_email = client.post("/me/members", json={"email": "nope", "role": "admin"}, headers=auth(owner["token"]))
    assert assert_error(bad_email, 422, "invalid_request")["field"] == "email"
    assert_error(client.get("/me/members"), 401, "unauthenticated")


def test_the_routes_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/me/members"])
    assert {"patch", "delete"} <= set(paths["/me/members/{membership_id}"])
    assert "delete" in paths["/me/members/invitations/{invitation_id}"]
    accept = paths["/auth/invitations/accept"]["post"]
    assert {"400", "401", "403"} <= set(accept["responses"])
    signup_body = client.get("/openapi.json").json()["components"]["schemas"]["SignupIn"]
    assert "invitation_token" in signup_body["properties"] and "org_name" not in signup_body.get("required", [])
