"""API keys: created (the secret is shown once), listed with their spend, their monthly
budget changed, revoked.

Only the SHA-256 of a key is stored: keys are 192 random bits, so a fast hash is as
good as a slow one here and keeps the metering hot path cheap.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.errors import InvalidRequest, NotFound
from billing_app.models import ApiKey
from billing_app.models.types import MAX_BIGINT, utcnow
from billing_app.services import audit, roles
from billing_app.services.metering import hash_key
from billing_app.services.metering import month_spend as month_spend_of
from billing_app.services.roles import Permission

KEY_PREFIX = "sk-live-"
VISIBLE_CHARS = 12  # "sk-live-AbCd" is what lists and logs show
MAX_ACTIVE_KEYS = 50


def month_spend(key: ApiKey, *, now: datetime | None = None) -> int:
    """What the key has spent in the current IST month (metering's rule, as the budget check
    applies it)."""
    return month_spend_of(key.spend_month, key.month_spend_micros, now or utcnow())


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown once; never stored


def create_key(
    *, org_id: int, name: str, monthly_budget_micros: int | None = None, user_id: int | None = None
) -> CreatedKey:
    """A new key for the org. Raises InvalidRequest for a missing/long name, a negative
    budget or too many active keys. A budget of 0 means nothing may be spent."""
    roles.check(org_id, Permission.MANAGE_KEYS)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidRequest("Give the key a name of 1 to 80 characters.", field="name")
    _check_budget(monthly_budget_micros)
    secret = KEY_PREFIX + secrets.token_urlsafe(24)
    with write_session() as session:
        active = session.execute(
            select(col(ApiKey.id)).where(col(ApiKey.org_id) == org_id, col(ApiKey.revoked_at).is_(None))
        ).all()
        if len(active) >= MAX_ACTIVE_KEYS:
            raise InvalidRequest(f"An organisation can have at most {MAX_ACTIVE_KEYS} active keys.")
        key = ApiKey(
            org_id=org_id,
            name=name,
            prefix=secret[:VISIBLE_CHARS],
            key_hash=hash_key(secret),
            monthly_budget_micros=monthly_budget_micros,
            created_by_user_id=user_id,
        )
        session.add(key)
        session.flush()
        after = {"name": name, "prefix": key.prefix, "monthly_budget_micros": monthly_budget_micros}
        audit.record(session, org_id=org_id, action="key.created", subject=f"key:{key.id}", after=after)
    return CreatedKey(key=key, secret=secret)


def _check_budget(monthly_budget_micros: int | None) -> None:
    if monthly_budget_micros is None:
        return
    if isinstance(monthly_budget_micros, bool) or monthly_budget_micros < 0:
        raise InvalidRequest("The monthly budget cannot be negative.", field="monthly_budget_micros")
    if monthly_budget_micros > MAX_BIGINT:
        raise InvalidRequest(
            "The monthly budget is larger than any amount this app can hold.", field="monthly_budget_micros"
        )


def set_budget(*, org_id: int, key_id: int, monthly_budget_micros: int | None) -> ApiKey:
    """Change an active key's monthly budget (None: no budget; 0: nothing may be spent). It
    holds from the key's next authorize on; this month's spend is kept, so a budget at or
    below it refuses the next request with 429 budget_exceeded. Raises NotFound (an unknown
    id, another org's key) or InvalidRequest (a negative budget, a revoked key)."""
    roles.check(org_id, Permission.MANAGE_KEYS)
    _check_budget(monthly_budget_micros)
    with write_session() as session:
        key = session.execute(select(ApiKey).where(col(ApiKey.id) == key_id)).scalar_one_or_none()
        if key is None or key.org_id != org_id:
            raise NotFound("No such API key.")
        before = key.monthly_budget_micros
        # Only this column (the metering hot path updates the key's spend and last use meanwhile),
        # and only while the key is active (a revoke may land between the read and this).
        changed = session.execute(
            update(ApiKey)
            .where(col(ApiKey.id) == key_id, col(ApiKey.revoked_at).is_(None))
            .values(monthly_budget_micros=monthly_budget_micros)
        ).rowcount  # type: ignore[attr-defined]
        if not changed:
            raise InvalidRequest(
                "This key is revoked: its budget can no longer be changed.", field="monthly_budget_micros"
            )
        session.refresh(key)
        audit.record(
            session,
            org_id=org_id,
            action="key.budget_changed",
            subject=f"key:{key_id}",
            before={"monthly_budget_micros": before},
            after={"monthly_budget_micros": monthly_budget_micros},
        )
    return key


def list_keys(*, org_id: int) -> list[ApiKey]:
    """The org's keys, newest first, revoked ones included (their usage still shows)."""
    roles.check(org_id, Permission.MANAGE_KEYS)
    with read_session() as session:
        return list(
            session.execute(
                select(ApiKey).where(col(ApiKey.org_id) == org_id).order_by(col(ApiKey.id).desc())
            ).scalars()
        )


def revoke_key(*, org_id: int, key_id: int) -> None:
    """Revoke the key at once (the next request with it gets 401 invalid_api_key).
    Idempotent; another org's key or an unknown id is NotFound."""
    roles.check(org_id, Permission.MANAGE_KEYS)
    with write_session() as session:
        owner = session.execute(select(col(ApiKey.org_id)).where(col(ApiKey.id) == key_id)).scalar_one_or_none()
        if owner != org_id:
            raise NotFound("No such API key.")
        revoked = session.execute(
            update(ApiKey)
            .where(col(ApiKey.id) == key_id, col(ApiKey.revoked_at).is_(None))
            .values(revoked_at=utcnow())
            .returning(col(ApiKey.id))
        ).first()
        if revoked is not None:  # not again for a repeat
            audit.record(session, org_id=org_id, action="key.revoked", subject=f"key:{key_id}")
