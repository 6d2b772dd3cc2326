"""Turning auto top-up off: the one write the system may make to the rule. Switching it on is
a person's act (settings.py), every time; nothing here ever switches it back on."""

from __future__ import annotations

import json

from sqlalchemy import update
from sqlmodel import Session, col

from billing_app.models import AutoTopupRule, EmailKind, EmailOutbox
from billing_app.models.types import utcnow
from billing_app.services import audit


def switch_off_in(session: Session, *, org_id: int, reason: str) -> bool:
    """Turn the org's rule off with `reason`, inside the caller's transaction, and audit it.
    The conditional UPDATE makes a repeated call (a webhook delivered twice) a no-op: False
    when the rule was not on."""
    done = session.execute(
        update(AutoTopupRule)
        .where(col(AutoTopupRule.org_id) == org_id, col(AutoTopupRule.enabled).is_(True))
        .values(enabled=False, disabled_reason=reason[:300], disabled_at=utcnow(), updated_at=utcnow())
        .returning(col(AutoTopupRule.org_id))
    ).first()
    if done is None:
        return False
    audit.record(session, org_id=org_id, action="autotopup.disabled", subject=f"org:{org_id}", after={"reason": reason})
    return True


def queue_notice_in(session: Session, *, org_id: int, reason: str, was_on: bool) -> None:
    """The owner's email that the mandate stopped (and with it auto top-up), in the caller's
    transaction: it exists exactly when the change that made it due committed."""
    payload = {"reason": reason, "was_on": was_on}
    session.add(EmailOutbox(org_id=org_id, kind=EmailKind.AUTOTOPUP_OFF, payload=json.dumps(payload)))
