"""The rows of the Activity page: the audit log as sentences a person reads, and the page's
filters (groups of actions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing_app.ist import display_ist
from billing_app.money import format_money
from billing_app.services.audit import AuditRow

# The "What" filter: a label, and the actions (whole, or prefixes ending in ".") it shows.
ACTION_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "all": ("All activity", ()),
    "sign_ins": ("Sign-ins", ("session.", "user.", "password.")),
    "keys": ("API keys", ("key.",)),
    "members": ("Members", ("member.",)),
    "payments": ("Payments", ("order.", "payment.", "refund.", "ledger.", "gst.")),
    "settings": ("Settings", ("address.", "alert.", "routing.")),
    "auto_topup": ("Auto top-up", ("autotopup.",)),
}

SENTENCES = {
    "user.signed_up": "Signed up",
    "user.email_verified": "Verified their email",
    "session.signed_in": "Signed in",
    "session.ended": "Signed out a session",
    "session.ended_others": "Signed out every other session",
    "session.switched_org": "Switched to this organisation",
    "password.changed": "Changed their password",
    "password.reset": "Reset their password by email",
    "key.created": "Created an API key",
    "key.revoked": "Revoked an API key",
    "key.budget_changed": "Changed an API key's monthly budget",
    "member.invited": "Invited a member",
    "member.joined": "Joined the organisation",
    "member.removed": "Removed a member",
    "member.role_changed": "Changed a member's role",
    "member.invitation_revoked": "Withdrew an invitation",
    "address.changed": "Changed the billing address",
    "alert.threshold_changed": "Changed the low-balance alert",
    "order.created": "Started a top-up",
    "payment.credited": "Payment credited",
    "refund.debited": "Refund debited",
    "gst.invoice.issued": "Tax invoice issued",
    "gst.credit_note.issued": "Credit note issued",
    "ledger.manual_entry": "Manual balance adjustment",
    "ledger.manual_requested": "Asked for a manual balance adjustment",
    "ledger.manual_approved": "Approved a manual balance adjustment",
    "ledger.manual_rejected": "Rejected a manual balance adjustment",
    "refund.requested": "Started a refund",
    "refund.sent": "Refund accepted by Razorpay",
    "refund.refused": "Refund refused by Razorpay",
    "autotopup.rule.saved": "Saved the auto top-up settings",
    "autotopup.rule.deleted": "Removed the auto top-up settings",
    "autotopup.enabled": "Turned auto top-up on",
    "autotopup.disabled": "Auto top-up turned off",
    "autotopup.mandate.started": "Started authorising an auto top-up mandate",
    "autotopup.mandate.confirmed": "Auto top-up mandate confirmed by the bank",
    "autotopup.mandate.rejected": "Auto top-up mandate declined",
    "autotopup.mandate.paused": "Auto top-up mandate paused",
    "autotopup.mandate.cancelled": "Auto top-up mandate cancelled",
    "autotopup.debit.notified": "Auto top-up notified (pre-debit notice sent)",
    "autotopup.debit.captured": "Auto top-up charged and credited",
    "autotopup.debit.retry": "Auto top-up debit failed; will retry",
    "autotopup.debit.failed": "Auto top-up debit failed; gave up",
    "autotopup.debit.skipped": "Skipped an auto top-up",
    "autotopup.debit.withdrawn": "Auto top-up withdrawn: turned off before the charge",
}


@dataclass(frozen=True)
class AuditLine:
    id: int
    time: str  # IST
    who: str  # the person's email, "System", or "Someone signed out" (an emailed link)
    what: str  # a sentence, or the action as recorded when this version has none for it
    action: str
    subject: str
    change: str  # "threshold: none → ₹1,500.00; …", or "" when nothing was recorded
    ip: str


def audit_line(row: AuditRow, currency: str) -> AuditLine:
    return AuditLine(
        id=row.id,
        time=display_ist(row.created_at),
        who=row.actor_email or ("System" if row.actor_kind == "system" else "Someone signed out"),
        what=SENTENCES.get(row.action, row.action),
        action=row.action,
        subject=row.subject or "—",
        change=change_text(row.before, row.after, currency),
        ip=row.ip or "—",
    )


def change_text(before: dict[str, Any] | None, after: dict[str, Any] | None, currency: str) -> str:
    """The values that changed, "name: before → after", or "name: value" when only one side
    was recorded (a key created, a payment credited); fields that stayed the same are left
    out (an address edit names only what was edited)."""
    before, after = before or {}, after or {}
    parts = []
    for name in [*before, *(name for name in after if name not in before)]:
        label = _label(name)
        if name in before and name in after:
            if before[name] != after[name]:
                parts.append(f"{label}: {_value(name, before[name], currency)} → {_value(name, after[name], currency)}")
        else:
            parts.append(f"{label}: {_value(name, before.get(name, after.get(name)), currency)}")
    return "; ".join(parts)


def _label(name: str) -> str:
    return name.removesuffix("_micros").replace("_", " ")


def _value(name: str, value: Any, currency: str) -> str:
    if value is None or value == "":
        return "none"
    if name.endswith("_micros") and isinstance(value, int):
        return format_money(value, currency)
    return str(value)
