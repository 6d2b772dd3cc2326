"""Single-use links sent by email: issued inside the transaction that needs one, consumed by
one conditional UPDATE, so a link opened twice (or by twenty requests at once) works once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from billing_app.errors import TokenInvalid
from billing_app.models import EmailToken
from billing_app.models.types import utcnow
from billing_app.services.tokens import hash_token

VERIFY = "verify"
RESET = "reset"
LIFETIMES = {VERIFY: timedelta(days=3), RESET: timedelta(minutes=30)}


@dataclass(frozen=True)
class Consumed:
    user_id: int
    email: str


def issue(session: Session, *, purpose: str, user_id: int, email: str, now: datetime | None = None) -> str:
    """A new token for `purpose`, valid for LIFETIMES[purpose]; returns the secret (only
    its hash is stored). Earlier unused tokens of the same purpose for the user stay valid
    until they expire: the newest email is not the only one a person may open."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(
        EmailToken(
            purpose=purpose,
            token_hash=hash_token(token),
            user_id=user_id,
            email=email,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    return token


def consume(session: Session, *, purpose: str, token: str, now: datetime | None = None) -> Consumed:
    """Mark the token used and return whose it was; TokenInvalid when it is unknown, of
    another purpose, expired or already used. Exactly one of any number of concurrent
    calls with one token succeeds (the UPDATE's WHERE decides)."""
    now = now or utcnow()
    row = session.execute(
        sa.update(EmailToken)
        .where(
            col(EmailToken.token_hash) == hash_token(token or ""),
            col(EmailToken.purpose) == purpose,
            col(EmailToken.used_at).is_(None),
            col(EmailToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(EmailToken.user_id), col(EmailToken.email))
    ).first()
    if row is None:
        raise TokenInvalid()
    return Consumed(user_id=row[0], email=row[1])
