"""Each role against each /me route: what services/roles.py grants is what the API allows.

The table below names the permission every /me route needs (`ANYONE`: any signed-in person,
for their own password and sessions, reference data and the orgs they belong to). A route the
API serves that the table does not name fails `test_every_me_route_has_a_role_rule`: a new
route is not done until someone has decided who may call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from billing_app.services.roles import GRANTS, Permission, Role
from tests.api.conftest import assert_error, auth
from tests.factories import ADDRESS, make_account, make_member

ANYONE = None


@dataclass(frozen=True)
class Rule:
    needs: Permission | None
    body: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)


VERIFY_BODY = {"razorpay_payment_id": "pay_X", "razorpay_order_id": "order_X", "razorpay_signature": "0" * 64}
# Saved switched off (no mandate needed); a granted role gets 200, the rest 403.
AUTO_TOPUP_BODY = {"amount": 500, "floor_micros": 100_000_000, "monthly_cap": 2000, "method": "upi", "enabled": False}
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/me/billing"): Rule(Permission.PAY),
    ("GET", "/me/billing/address"): Rule(Permission.PAY),
    ("PUT", "/me/billing/address"): Rule(Permission.PAY, ADDRESS),
    ("GET", "/me/pincodes/{pin}"): Rule(ANYONE, params={"pin": "560001"}),
    ("POST", "/me/billing/orders"): Rule(Permission.PAY, {"amount": 500}),
    ("POST", "/me/billing/orders/{order_id}/verify"): Rule(Permission.PAY, VERIFY_BODY, {"order_id": "order_X"}),
    ("POST", "/me/billing/promo/check"): Rule(Permission.PAY, {"code": "NOPE", "amount": 500}),
    ("GET", "/me/billing/receipts/{payment_id}"): Rule(Permission.PAY, params={"payment_id": "pay_X"}),
    ("GET", "/me/billing/invoices"): Rule(Permission.PAY),
    ("GET", "/me/billing/invoices/{number}"): Rule(Permission.PAY, params={"number": "INV-2627-000001"}),
    ("GET", "/me/billing/invoices/{number}.pdf"): Rule(Permission.PAY, params={"number": "INV-2627-000001"}),
    ("GET", "/me/billing/credit-notes/{number}"): Rule(Permission.PAY, params={"number": "CRN-2627-000001"}),
    ("GET", "/me/billing/credit-notes/{number}.pdf"): Rule(Permission.PAY, params={"number": "CRN-2627-000001"}),
    ("GET", "/me/billing/auto-topup"): Rule(Permission.PAY),
    ("PUT", "/me/billing/auto-topup"): Rule(Permission.PAY, AUTO_TOPUP_BODY),
    ("DELETE", "/me/billing/auto-topup"): Rule(Permission.PAY),
    ("POST", "/me/billing/auto-topup/mandate"): Rule(Permission.PAY, {"method": "bogus"}),
    ("DELETE", "/me/billing/auto-topup/mandate"): Rule(Permission.PAY),
    ("GET", "/me/billing/auto-topup/dry-run"): Rule(Permission.PAY),
    ("POST", "/me/billing/auto-topup/debits/{debit_id}/skip"): Rule(Permission.PAY, params={"debit_id": "999"}),
    ("GET", "/me/keys"): Rule(Permission.MANAGE_KEYS),
    ("POST", "/me/keys"): Rule(Permission.MANAGE_KEYS, {"name": "ci"}),
    ("PATCH", "/me/keys/{key_id}"): Rule(Permission.MANAGE_KEYS, {"monthly_budget_micros": None}, {"key_id": "999"}),
    ("DELETE", "/me/keys/{key_id}"): Rule(Permission.MANAGE_KEYS, params={"key_id": "999"}),
    ("GET", "/me/routing-profile"): Rule(Permission.VIEW_BALANCE),
    ("PUT", "/me/routing-profile"): Rule(Permission.MANAGE_KEYS, {"mode": "tier"}),
    ("POST", "/me/routing-profile"): Rule(Permission.MANAGE_KEYS, {"mode": "auto"}),
    ("GET", "/me/usage"): Rule(Permission.VIEW_USAGE),
    ("GET", "/me/usage/daily"): Rule(Permission.VIEW_USAGE),
    ("GET", "/me/usage/export.csv"): Rule(Permission.VIEW_USAGE),
    ("GET", "/me/billing/alerts"): Rule(Permission.MANAGE_ALERTS),
    ("PUT", "/me/billing/alerts"): Rule(Permission.MANAGE_ALERTS, {"threshold_micros": 50_000_000}),
    ("DELETE", "/me/billing/alerts"): Rule(Permission.MANAGE_ALERTS),
    ("PUT", "/me/password"): Rule(ANYONE, {"current_password": "wrong password", "new_password": "a new password"}),
    ("GET", "/me/sessions"): Rule(ANYONE),
    ("DELETE", "/me/sessions"): Rule(ANYONE),
    ("DELETE", "/me/sessions/{session_id}"): Rule(ANYONE, params={"session_id": "999999"}),
    ("GET", "/me/audit"): Rule(Permission.VIEW_AUDIT),
    ("GET", "/me/audit/export.csv"): Rule(Permission.VIEW_AUDIT),
    ("GET", "/me/members"): Rule(Permission.MANAGE_MEMBERS),
    ("POST", "/me/members"): Rule(Permission.MANAGE_MEMBERS, {"email": "new@example.com", "role": "developer"}),
    ("PATCH", "/me/members/{membership_id}"): Rule(
        Permission.MANAGE_MEMBERS, {"role": "developer"}, {"membership_id": "999999"}
    ),
    ("DELETE", "/me/members/{membership_id}"): Rule(Permission.MANAGE_MEMBERS, params={"membership_id": "999999"}),
    ("DELETE", "/me/members/invitations/{invitation_id}"): Rule(
        Permission.MANAGE_MEMBERS, params={"invitation_id": "999999"}
    ),
    ("GET", "/me/orgs"): Rule(ANYONE),
    ("POST", "/me/orgs/{org_id}/switch"): Rule(ANYONE, params={"org_id": "999999"}),
}


def me_routes(client: TestClient) -> set[tuple[str, str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() if path.startswith("/me") for method in ops}


def test_every_me_route_has_a_role_rule(client):
    served = me_routes(client)
    assert served - RULES.keys() == set(), "these /me routes have no role rule in RULES: decide who may call them"
    assert RULES.keys() - served == set(), "RULES names routes the API no longer serves"


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_what_its_grants_allow_and_a_403_elsewhere(client, role):
    owner = make_account()
    member = make_member(owner.principal.org_id, role)
    for (method, path), rule in sorted(RULES.items()):
        response = client.request(method, path.format(**rule.params), json=rule.body, headers=auth(member.token))
        if rule.needs is None or rule.needs in GRANTS[role]:
            assert response.status_code not in (401, 403), f"{role} {method} {path}: {response.text}"
            assert response.status_code < 500, f"{role} {method} {path}: {response.text}"
        else:
            error = assert_error(response, 403, "forbidden")
            assert role.value in error["message"], error


def test_a_refused_change_changes_nothing(client):
    """A developer's attempt at the alert threshold is refused before anything is written."""
    owner = make_account()
    developer = make_member(owner.principal.org_id, Role.DEVELOPER)
    assert_error(
        client.put("/me/billing/alerts", json={"threshold_micros": 1}, headers=auth(developer.token)), 403, "forbidden"
    )
    alerts = client.get("/me/billing/alerts", headers=auth(owner.token)).json()
    assert alerts["threshold_micros"] is None
