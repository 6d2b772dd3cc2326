"""Promo codes: checked before paying, consumed only when the payment captures.

A code grants a flat bonus, or a percentage of the top-up (optionally capped). It is
valid inside its window, while active, at or above its minimum top-up, and while its
total redemption limit is not reached; each org may redeem it once. The redemption is
written inside the settlement transaction (`redeem_in`), where the database enforces
both limits even when several paid orders settle at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import Conflict, InvalidRequest, NotFound, PromoInvalid, PromoRedeemed
from billing_app.models import PromoCode, PromoRedemption
from billing_app.models.types import utcnow
from billing_app.money import format_units
from billing_app.services import roles
from billing_app.services.rate_limit import check_rate
from billing_app.services.roles import Permission
from billing_app.services.topup_rules import quote_topup

MAX_CODE_LENGTH = 40


def normalise_code(code: str) -> str:
    """Codes match case-insensitively, ignoring surrounding spaces."""
    return (code or "").strip().upper()


def bonus_micros(promo: PromoCode, credits_micros: int) -> int:
    if promo.flat_bonus_micros is not None:
        return promo.flat_bonus_micros
    bonus = credits_micros * (promo.percent or 0) // 100
    return min(bonus, promo.cap_micros) if promo.cap_micros is not None else bonus


def describe(promo: PromoCode, currency: str) -> str:
    if promo.flat_bonus_micros is not None:
        return f"{format_units(promo.flat_bonus_micros, currency)} bonus"
    cap = f" (up to {format_units(promo.cap_micros, currency)})" if promo.cap_micros is not None else ""
    return f"{promo.percent}% bonus{cap}"


def create_promo(
    *,
    code: str,
    flat_bonus_micros: int | None = None,
    percent: int | None = None,
    cap_micros: int | None = None,
    min_topup_units: int = 0,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    max_redemptions: int | None = None,
    active: bool = True,
) -> PromoCode:
    """An operator's new code. Raises InvalidRequest for contradictory rules, Conflict
    when the code exists."""
    try:
        with write_session() as session:
            return create_promo_in(
                session,
                code=code,
                flat_bonus_micros=flat_bonus_micros,
                percent=percent,
                cap_micros=cap_micros,
                min_topup_units=min_topup_units,
                starts_at=starts_at,
                ends_at=ends_at,
                max_redemptions=max_redemptions,
                active=active,
            )
    except IntegrityError as exc:
        raise Conflict(f"The code {normalise_code(code)} exists already.") from exc


def create_promo_in(
    session: Session,
    *,
    code: str,
    flat_bonus_micros: int | None = None,
    percent: int | None = None,
    cap_micros: int | None = None,
    min_topup_units: int = 0,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    max_redemptions: int | None = None,
    active: bool = True,
) -> PromoCode:
    """`create_promo` inside the caller's transaction (the console writes its audit row
    beside it). A code that exists raises IntegrityError when the transaction flushes."""
    code = normalise_code(code)
    if not code or len(code) > MAX_CODE_LENGTH or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidRequest("A code is 1–40 letters, digits, '-' or '_'.", field="code")
    if (flat_bonus_micros is None) == (percent is None):
        raise InvalidRequest("Give either a flat bonus or a percentage.", field="bonus")
    if flat_bonus_micros is not None and flat_bonus_micros <= 0:
        raise InvalidRequest("The flat bonus must be positive.", field="flat_bonus_micros")
    if percent is not None and not 1 <= percent <= 100:
        raise InvalidRequest("The percentage must be 1–100.", field="percent")
    if cap_micros is not None and (percent is None or cap_micros <= 0):
        raise InvalidRequest("A positive cap goes with a percentage.", field="cap_micros")
    if starts_at and ends_at and ends_at <= starts_at:
        raise InvalidRequest("The code must end after it starts.", field="ends_at")
    if max_redemptions is not None and max_redemptions <= 0:
        raise InvalidRequest("The redemption limit must be positive.", field="max_redemptions")
    promo = PromoCode(
        code=code,
        flat_bonus_micros=flat_bonus_micros,
        percent=percent,
        cap_micros=cap_micros,
        min_topup_units=max(0, min_topup_units),
        starts_at=starts_at,
        ends_at=ends_at,
        max_redemptions=max_redemptions,
        active=active,
    )
    session.add(promo)
    session.flush()
    return promo


def list_promos() -> list[PromoCode]:
    with read_session() as session:
        return list(session.exec(select(PromoCode).order_by(col(PromoCode.created_at).desc())))


def disable_promo(*, code: str) -> None:
    with write_session() as session:
        disable_promo_in(session, code=code)


def disable_promo_in(session: Session, *, code: str) -> bool:
    """Disable the code inside the caller's transaction; whether it was active until now.
    NotFound for an unknown code."""
    code = normalise_code(code)
    promo_id = session.execute(select(PromoCode.id).where(col(PromoCode.code) == code)).scalar_one_or_none()
    if promo_id is None:
        raise NotFound(f"No promo code {code}.")
    changed = session.execute(
        update(PromoCode)
        .where(col(PromoCode.id) == promo_id, col(PromoCode.active).is_(True))
        .values(active=False)
        .returning(col(PromoCode.id))
    ).first()
    return changed is not None


@dataclass(frozen=True)
class PromoQuote:
    code: str
    promo_code_id: int
    bonus_micros: int
    summary: str


def validate_promo(
    *, org_id: int, code: str, credits_micros: int, units: int, now: datetime | None = None
) -> PromoQuote:
    """The bonus `code` gives this org for this top-up, or PromoInvalid / PromoRedeemed."""
    now = now or utcnow()
    code = normalise_code(code)
    with read_session() as session:
        promo = session.exec(select(PromoCode).where(col(PromoCode.code) == code)).first() if code else None
        redeemed = (
            promo is not None
            and session.exec(
                select(PromoRedemption.id).where(
                    col(PromoRedemption.promo_code_id) == promo.id, col(PromoRedemption.org_id) == org_id
                )
            ).first()
            is not None
        )
    if promo is None or not promo.active:
        raise PromoInvalid("This promo code is not valid.")
    if promo.starts_at and now < promo.starts_at:
        raise PromoInvalid("This promo code is not active yet.")
    if promo.ends_at and now >= promo.ends_at:
        raise PromoInvalid("This promo code has expired.")
    if promo.max_redemptions is not None and promo.redeemed_count >= promo.max_redemptions:
        raise PromoInvalid("This promo code has been fully redeemed.")
    if units < promo.min_topup_units:
        currency = get_settings().billing_currency
        minimum = format_units(promo.min_topup_units * 1_000_000, currency)
        raise PromoInvalid(f"This promo code needs a top-up of at least {minimum}.")
    if redeemed:
        raise PromoRedeemed()
    assert promo.id is not None
    currency = get_settings().billing_currency
    return PromoQuote(code, promo.id, bonus_micros(promo, credits_micros), describe(promo, currency))


def check_promo(*, org_id: int, user_id: int, code: str, amount: str | int | float) -> PromoQuote:
    """The pre-payment check. Rate-limited per user so codes cannot be guessed."""
    roles.check(org_id, Permission.PAY)
    check_rate(action="promo-check", key=str(user_id), per_minute=get_settings().promo_check_rate_per_minute)
    quote = quote_topup(amount=amount)
    return validate_promo(org_id=org_id, code=code, credits_micros=quote.credits_micros, units=quote.units)


def redeem_in(session: Session, *, promo_code_id: int, org_id: int, payment_order_id: int, credits_micros: int) -> int:
    """Inside the settlement transaction: record this org's redemption and count it
    against the total limit. Returns the bonus, or 0 when the org has used the code
    already or the limit is reached (the payment is then credited without it)."""
    promo = session.get(PromoCode, promo_code_id)
    if promo is None:
        return 0
    bonus = bonus_micros(promo, credits_micros)
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    redemption_id = session.execute(
        insert(PromoRedemption)
        .values(
            promo_code_id=promo_code_id,
            org_id=org_id,
            payment_order_id=payment_order_id,
            bonus_micros=bonus,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["promo_code_id", "org_id"])
        .returning(col(PromoRedemption.id))
    ).scalar_one_or_none()
    if redemption_id is None:
        return 0  # this org redeemed it with another payment
    counted = session.execute(
        update(PromoCode)
        .where(
            col(PromoCode.id) == promo_code_id,
            (col(PromoCode.max_redemptions).is_(None))
            | (col(PromoCode.redeemed_count) < col(PromoCode.max_redemptions)),
        )
        .values(redeemed_count=col(PromoCode.redeemed_count) + 1)
        .returning(col(PromoCode.id))
    ).first()
    if counted is None:
        session.execute(delete(PromoRedemption).where(col(PromoRedemption.id) == redemption_id))
        return 0
    return bonus
