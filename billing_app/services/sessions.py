"""Sign-in sessions: started at sign-up and login, listed in Settings → Security, ended one
at a time, all but the current one, or all (a password reset)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import NotFound
from billing_app.models import AuthSession
from billing_app.models.types import utcnow
from billing_app.services import audit
from billing_app.services.actors import Actor
from billing_app.services.tokens import hash_token

# `last_used_at` is written at most this often per session: a read of the dashboard must not
# become a write each time.
TOUCH_EVERY = timedelta(minutes=5)


def start(session: Session, *, user_id: int, org_id: int, ip: str = "", user_agent: str = "") -> tuple[str, int]:
    """A new session inside the caller's transaction: (bearer token, session id)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = AuthSession(
        token_hash=hash_token(token),
        user_id=user_id,
        org_id=org_id,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=get_settings().session_days),
        ip=ip[:64],
        user_agent=user_agent[:300],
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return token, row.id


def revoke_where(session: Session, *conditions: Any) -> int:
    """End the live sessions matching `conditions`; how many ended."""
    ended = session.execute(
        update(AuthSession)
        .where(col(AuthSession.revoked_at).is_(None), *conditions)
        .values(revoked_at=utcnow())
        .returning(col(AuthSession.id))
    ).all()
    return len(ended)


def is_stale(last_used_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether the session's last-used time is older than TOUCH_EVERY (time to record it again)."""
    return last_used_at is None or (now or utcnow()) - last_used_at >= TOUCH_EVERY


def touch(*, session_id: int, now: datetime | None = None) -> None:
    """Record that the session was used now."""
    now = now or utcnow()
    with write_session() as session:
        session.execute(update(AuthSession).where(col(AuthSession.id) == session_id).values(last_used_at=now))


@dataclass(frozen=True)
class SessionRow:
    id: int
    created_at: datetime
    last_used_at: datetime | None
    user_agent: str
    ip: str
    current: bool


def list_sessions(*, user_id: int, current_session_id: int) -> list[SessionRow]:
    """The person's live sessions (every org), the newest first."""
    with read_session() as session:
        rows = session.execute(
            select(AuthSession)
            .where(
                col(AuthSession.user_id) == user_id,
                col(AuthSession.revoked_at).is_(None),
                col(AuthSession.expires_at) > utcnow(),
            )
            .order_by(col(AuthSession.id).desc())
        ).scalars()
        return [
            SessionRow(
                id=row.id or 0,
                created_at=row.created_at,
                last_used_at=row.last_used_at,
                user_agent=row.user_agent,
                ip=row.ip,
                current=row.id == current_session_id,
            )
            for row in rows
        ]


def end_session(*, user_id: int, org_id: int, session_id: int, actor: Actor) -> None:
    """Sign out one of the person's sessions. Someone else's session, or one already ended,
    is NotFound."""
    with write_session() as session:
        if not revoke_where(session, col(AuthSession.id) == session_id, col(AuthSession.user_id) == user_id):
            raise NotFound("No such session.")
        audit.record(session, org_id=org_id, actor=actor, action="session.ended", subject=f"session:{session_id}")


def end_other_sessions(*, user_id: int, org_id: int, keep_session_id: int, actor: Actor) -> int:
    """Sign out everywhere else; how many sessions ended."""
    with write_session() as session:
        ended = revoke_where(session, col(AuthSession.user_id) == user_id, col(AuthSession.id) != keep_session_id)
        audit.record(
            session, org_id=org_id, actor=actor, action="session.ended_others", after={"sessions_ended": ended}
        )
    return ended
