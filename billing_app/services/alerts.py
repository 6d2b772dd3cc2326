"""Low-balance alerts: the org's threshold, the decision that an alert is due, and the
email outbox rows that carry it to the sender job (jobs/outbox.py).

The rule: an alert is due when a balance *decrease* (usage debit, refund, manual debit)
leaves the balance below the threshold and no alert went out for the org in the last
24 hours. It is decided by one conditional UPDATE of the org row (the metering debit folds
it into its own UPDATE: `alert_due`), in the same transaction as the decrease, and written
to `email_outbox` there: two concurrent debits crossing the
threshold queue exactly one email (the second UPDATE sees the first one's timestamp;
PostgreSQL re-checks the WHERE after the row lock, SQLite serialises writers). Setting
or raising the threshold, and top-ups, never call it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel, col, select

from billing_app.db import read_session, write_session
from billing_app.errors import InvalidRequest, NotFound
from billing_app.models import EmailKind, Membership, Org, OutboxStatus, User
from billing_app.models.types import utcnow
from billing_app.money import AmountError, parse_typed_amount
from billing_app.services import audit, roles
from billing_app.services.roles import Permission

ALERT_INTERVAL = timedelta(hours=24)  # at most one low-balance email per org in this window
MAX_THRESHOLD_MICROS = 10**15  # ₹1,000,000,000: far above any balance, far inside BIGINT
OWNER = "owner"

# ------------------------------------------------------------------ the threshold


@dataclass(frozen=True)
class AlertSettings:
    threshold_micros: int | None  # None: alerts are off
    balance_micros: int
    currency: str
    recipient: str | None  # the org owner's email
    last_alert_at: datetime | None

    @property
    def below(self) -> bool:
        return self.threshold_micros is not None and self.balance_micros < self.threshold_micros


def owner_of(session: Session, org_id: int) -> tuple[str, str] | None:
    """(email, name) of the org's first owner."""
    row = session.execute(
        select(col(User.email), col(User.name))
        .join(Membership, col(Membership.user_id) == User.id)
        .where(col(Membership.org_id) == org_id, col(Membership.role) == OWNER)
        .order_by(col(Membership.id))
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def get_alert_settings(*, org_id: int) -> AlertSettings:
    """The threshold beside the balance, and where alerts go. Raises NotFound."""
    roles.check(org_id, Permission.MANAGE_ALERTS)
    with read_session() as session:
        org = session.get(Org, org_id)
        if org is None:
            raise NotFound("No such organisation.")
        owner = owner_of(session, org_id)
    return AlertSettings(
        threshold_micros=org.low_balance_threshold_micros,
        balance_micros=org.balance_micros,
        currency=org.currency,
        recipient=owner[0] if owner else None,
        last_alert_at=org.last_low_balance_alert_at,
    )


def _store_threshold(org_id: int, threshold_micros: int | None) -> None:
    with write_session() as session:
        before = session.execute(sa.select(col(Org.low_balance_threshold_micros)).where(col(Org.id) == org_id)).first()
        if before is None:
            raise NotFound("No such organisation.")
        session.execute(
            sa.update(Org).where(col(Org.id) == org_id).values(low_balance_threshold_micros=threshold_micros)
        )
        audit.record(
            session,
            org_id=org_id,
            action="alert.threshold_changed",
            subject=f"org:{org_id}",
            before={"threshold_micros": before[0]},
            after={"threshold_micros": threshold_micros},
        )


def set_threshold(*, org_id: int, threshold_micros: int) -> AlertSettings:
    """Alert when a decrease leaves the balance below `threshold_micros` (0 to 10¹⁵).

    Sends nothing by itself, even when the balance is already below: the next decrease
    decides. The 24-hour window is kept, so changing the threshold never re-arms it.
    Raises InvalidRequest, NotFound."""
    roles.check(org_id, Permission.MANAGE_ALERTS)
    if isinstance(threshold_micros, bool) or not isinstance(threshold_micros, int):
        raise InvalidRequest("threshold_micros must be an integer.", field="threshold_micros")
    if not 0 <= threshold_micros <= MAX_THRESHOLD_MICROS:
        raise InvalidRequest(f"threshold_micros must be from 0 to {MAX_THRESHOLD_MICROS}.", field="threshold_micros")
    _store_threshold(org_id, threshold_micros)
    return get_alert_settings(org_id=org_id)


def clear_threshold(*, org_id: int) -> None:
    """Turn alerts off (idempotent). An alert queued but not yet sent is cancelled by the
    sender. Raises NotFound."""
    roles.check(org_id, Permission.MANAGE_ALERTS)
    _store_threshold(org_id, None)


# ------------------------------------------------------------------ the decision

_tables = SQLModel.metadata.tables
_org, _outbox = _tables["org"], _tables["email_outbox"]
_p = sa.bindparam


def alert_due(balance: Any, *, cutoff: Any) -> Any:
    """The rule as SQL, for a row of `org`: `balance` (the balance after a decrease) is below
    the org's threshold and no alert went out since `cutoff` (24 hours before now). Metering's
    SQLite backend runs it as DECIDE_ALERT; PostgreSQL's usage batch
    (metering/sql/usage_batch.sql) writes it into its debit."""
    return sa.and_(
        _org.c.low_balance_threshold_micros.is_not(None),
        balance < _org.c.low_balance_threshold_micros,
        sa.or_(_org.c.last_low_balance_alert_at.is_(None), _org.c.last_low_balance_alert_at <= cutoff),
    )


DECIDE_ALERT = (
    sa.update(_org)
    .where(_org.c.id == _p("org_id"), alert_due(_org.c.balance_micros, cutoff=_p("cutoff")))
    .values(last_low_balance_alert_at=_p("now"))
    .returning(_org.c.balance_micros, _org.c.low_balance_threshold_micros, _org.c.currency)
)
QUEUE_ALERT = (
    sa.insert(_outbox)
    .values(
        org_id=_p("org_id"),
        kind=_p("kind"),
        payload=_p("payload"),
        status=_p("status"),
        attempts=_p("attempts"),
        next_attempt_at=_p("now"),
        created_at=_p("now"),
    )
    .returning(_outbox.c.id)
)


def alert_email(org_id: int, decided: Any, now: Any) -> dict[str, Any]:
    """QUEUE_ALERT's values for the row DECIDE_ALERT returned (metering's SQLite backend runs
    both on its own cursor; PostgreSQL's usage batch writes the same row in its statement)."""
    balance, threshold, currency = decided
    payload = {"balance_micros": int(balance), "threshold_micros": int(threshold), "currency": currency}
    return {
        "org_id": org_id,
        "kind": EmailKind.LOW_BALANCE.value,
        "payload": json.dumps(payload, separators=(",", ":")),
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "now": now,
    }


def queue_low_balance_alert(conn: Session | Connection, *, org_id: int, now: datetime | None = None) -> int | None:
    """Inside the caller's transaction, right after a balance decrease: if an alert is due,
    stamp the org's `last_low_balance_alert_at` and queue the email. Returns the outbox
    row's id, or None when nothing is due. Works on an ORM Session or a Core Connection."""
    now = now or utcnow()
    decided = conn.execute(DECIDE_ALERT, {"org_id": org_id, "now": now, "cutoff": now - ALERT_INTERVAL}).first()
    if decided is None:
        return None
    return int(conn.execute(QUEUE_ALERT, alert_email(org_id, decided, now)).scalar_one())


def parse_threshold(text: str) -> int:
    """A threshold as a person types it ("₹1,000", "250.50") → micros, within the bounds
    `set_threshold` accepts (0 to MAX_THRESHOLD_MICROS). Raises AmountError."""
    micros = parse_typed_amount(text)
    if micros < 0:
        raise AmountError("The threshold cannot be negative.")
    if micros > MAX_THRESHOLD_MICROS:
        raise AmountError("That threshold is larger than any balance.")
    return micros
