"""The email outbox, for the sender job (jobs/outbox.py): which rows are due, claiming
one (a lease, so two sender processes never send the same row), and recording the
outcome with backoff between attempts.

A claim is the row itself (status `sending`, claimed_at, a random claim_token), taken
with one conditional UPDATE; a sender that dies holding one (kill -9, a lost machine)
leaves it for another sender to take over once `claimed_at + lease` has passed, and the
dead sender's token can no longer finish the row. The sender loop additionally runs in
one worker at a time (the `email_outbox` job lease, jobs/every.py)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.models import EmailOutbox, Org, OutboxStatus
from billing_app.services.alerts import owner_of

_p = sa.bindparam

LEASE = timedelta(minutes=10)  # a claim older than this is reclaimable (the sender died)
MAX_ATTEMPTS = 12  # waits of 30 s, 1, 2, 4 … minutes, then hourly: about 5 hours of retries
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1, 2, …): doubling, capped."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


@dataclass(frozen=True)
class Claimed:
    """An outbox row this sender holds (until `claimed_at + LEASE`)."""

    id: int
    token: str
    kind: str
    attempts: int  # this attempt included
    payload: dict[str, Any]
    to_email: str | None
    to_name: str
    org_name: str
    alert_on: bool  # the org still has a threshold


def _due() -> Any:
    now: Any = _p("now")
    stale: Any = _p("stale_before")
    return sa.or_(
        sa.and_(col(EmailOutbox.status) == OutboxStatus.PENDING, col(EmailOutbox.next_attempt_at) <= now),
        sa.and_(col(EmailOutbox.status) == OutboxStatus.SENDING, col(EmailOutbox.claimed_at) <= stale),
    )


def due_email_ids(*, now: datetime, limit: int = 50, lease: timedelta = LEASE) -> list[int]:
    """Outbox rows a sender may claim now: pending and due, or with a lease older than `lease`."""
    with read_session() as session:
        rows = session.execute(
            select(col(EmailOutbox.id)).where(_due()).order_by(col(EmailOutbox.id)).limit(limit),
            {"now": now, "stale_before": now - lease},
        )
        return [int(outbox_id) for (outbox_id,) in rows]


def claim_email(*, outbox_id: int, now: datetime, lease: timedelta = LEASE) -> Claimed | None:
    """Take the row for this sender with one conditional UPDATE (pending → sending, or a
    lease older than `lease` taken over); None when another sender got it first or it is
    not due."""
    token = uuid.uuid4().hex
    with write_session() as session:
        row = session.execute(
            sa.update(EmailOutbox)
            .where(col(EmailOutbox.id) == outbox_id, _due())
            .values(
                status=OutboxStatus.SENDING,
                claim_token=token,
                claimed_at=now,
                attempts=col(EmailOutbox.attempts) + 1,
            )
            .returning(
                col(EmailOutbox.org_id), col(EmailOutbox.kind), col(EmailOutbox.attempts), col(EmailOutbox.payload)
            ),
            {"now": now, "stale_before": now - lease},
        ).first()
        if row is None:
            return None
        org_id, kind, attempts, payload = row
        facts = json.loads(payload)
        org = session.get(Org, org_id)
        # An email to a person (a verification or reset link) names them; others go to the owner.
        to = (facts["to_email"], facts.get("to_name", "")) if "to_email" in facts else owner_of(session, org_id)
    return Claimed(
        id=outbox_id,
        token=token,
        kind=kind,
        attempts=attempts,
        payload=facts,
        to_email=to[0] if to else None,
        to_name=to[1] if to else "",
        org_name=org.name if org else "",
        alert_on=org is not None and org.low_balance_threshold_micros is not None,
    )


def _finish(outbox_id: int, token: str, **values: Any) -> bool:
    """Update a row only while this sender's claim on it stands."""
    with write_session() as session:
        done = session.execute(
            sa.update(EmailOutbox)
            .where(
                col(EmailOutbox.id) == outbox_id,
                col(EmailOutbox.claim_token) == token,
                col(EmailOutbox.status) == OutboxStatus.SENDING,
            )
            .values(claim_token=None, **values)
            .returning(col(EmailOutbox.id))
        ).first()
    return done is not None


def mark_email_sent(
    *, outbox_id: int, token: str, now: datetime, to_email: str, subject: str, payload: dict[str, Any]
) -> bool:
    """Record the row sent. A link's secret is dropped from the stored payload once the email
    is out: only its hash (email_token) stays in the database."""
    kept = {name: value for name, value in payload.items() if name != "link_token"}
    return _finish(
        outbox_id,
        token,
        status=OutboxStatus.SENT,
        sent_at=now,
        to_email=to_email[:254],
        subject=subject[:200],
        payload=json.dumps(kept),
    )


def mark_email_failed(
    *, outbox_id: int, token: str, attempts: int, now: datetime, error: str, permanent: bool = False
) -> OutboxStatus:
    """Schedule the next attempt after `backoff(attempts)`, or give up (FAILED) on a
    permanent refusal or after MAX_ATTEMPTS. Returns the row's new status."""
    status = OutboxStatus.FAILED if permanent or attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING
    _finish(outbox_id, token, status=status, next_attempt_at=now + backoff(attempts), last_error=error[:500])
    return status


def cancel_email(*, outbox_id: int, token: str, reason: str) -> bool:
    return _finish(outbox_id, token, status=OutboxStatus.CANCELLED, last_error=reason[:500])
