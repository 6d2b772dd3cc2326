"""What each role in an org may do. Every service a signed-in person reaches starts with
`check(org_id, permission)`, which asks of whoever acts (services/actors.py); the UI hides
what a role can't do with `allows`, but the check that counts is the service's.

- owner: everything, including members and ownership;
- admin: everything but ownership (cannot make, change or remove an owner);
- developer: API keys and usage; no payments, no members;
- billing: top-ups, receipts, alerts and the billing address; no keys.
Everyone in an org can see its balance and its price list.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from billing_app.errors import Forbidden
from billing_app.services.actors import current_actor


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    DEVELOPER = "developer"
    BILLING = "billing"


class Permission(StrEnum):
    VIEW_BALANCE = "view_balance"
    MANAGE_KEYS = "manage_keys"
    VIEW_USAGE = "view_usage"
    PAY = "pay"  # orders, promo codes, receipts, the billing address
    MANAGE_ALERTS = "manage_alerts"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_OWNERS = "manage_owners"
    VIEW_AUDIT = "view_audit"


_ALL = frozenset(Permission)
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL - {Permission.MANAGE_OWNERS},
    Role.DEVELOPER: frozenset({Permission.VIEW_BALANCE, Permission.MANAGE_KEYS, Permission.VIEW_USAGE}),
    Role.BILLING: frozenset({Permission.VIEW_BALANCE, Permission.PAY, Permission.MANAGE_ALERTS}),
}

_NAMES = {
    Permission.MANAGE_KEYS: "manage API keys",
    Permission.VIEW_USAGE: "see usage",
    Permission.PAY: "make payments or change billing details",
    Permission.MANAGE_ALERTS: "change alerts",
    Permission.MANAGE_MEMBERS: "manage members",
    Permission.MANAGE_OWNERS: "change owners",
    Permission.VIEW_AUDIT: "see the activity log",
}


def allows(role: str, permission: Permission) -> bool:
    try:
        return permission in GRANTS[Role(role)]
    except ValueError:  # a role this version doesn't know grants nothing
        return False


def refusal_message(role: Any, permission: Permission) -> Any:
    """Why `role` may not do `permission`: a str for a str, a reflex Var for a Var (the page
    says what the API says)."""
    what = _NAMES.get(permission, permission.value.replace("_", " "))
    return "Your role (" + role + f") does not allow you to {what}. Ask an owner of the organisation."


def require(role: str, permission: Permission) -> None:
    """Forbidden (403) unless `role` grants `permission`."""
    if not allows(role, permission):
        raise Forbidden(refusal_message(role, permission))


def check(org_id: int, permission: Permission) -> None:
    """The service layer's check: Forbidden unless whoever acts may do `permission` in org
    `org_id`. The system (a webhook, a job, the CLI) may do anything; a person only in the org
    their request acts for, and only what their role there grants. Staff in the console act for
    any org (the console's own services require staff)."""
    actor = current_actor()
    if actor.kind in ("system", "staff"):  # staff: the console's services checked services/staff.require
        return
    if actor.org_id != org_id:
        raise Forbidden("You are not acting for this organisation.")
    require(actor.role or "", permission)
