"""Promo codes and model prices, from the console: what `cli promo …` and `cli prices …` do,
with the staff member's reason in the audit log.

The rules are the existing services' (services/promos.py, services/pricing.py); this module
runs them inside its own transaction so the audit row commits with the change. Promos and
prices belong to no org: their audit rows have no org (no org's /me/audit shows them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import Conflict
from billing_app.models import ModelPrice, PromoCode, PromoRedemption
from billing_app.models.types import utcnow
from billing_app.services import audit, pricing, promos, staff
from billing_app.services.console.reasons import required

# ---------------------------------------------------------------- promo codes


@dataclass(frozen=True)
class PromoRow:
    """A code as the console lists it. `state` is what a customer would meet today:
    `active`, `disabled`, `scheduled` (not started), `expired` or `exhausted` (every
    redemption used); `bonus_granted_micros` is what its redemptions have credited."""

    code: str
    summary: str
    flat_bonus_micros: int | None
    percent: int | None
    cap_micros: int | None
    min_topup_units: int
    starts_at: datetime | None
    ends_at: datetime | None
    max_redemptions: int | None
    redemptions: int
    bonus_granted_micros: int
    active: bool
    state: str
    created_at: datetime


def _state(promo: PromoCode, now: datetime) -> str:
    if not promo.active:
        return "disabled"
    if promo.starts_at and now < promo.starts_at:
        return "scheduled"
    if promo.ends_at and now >= promo.ends_at:
        return "expired"
    if promo.max_redemptions is not None and promo.redeemed_count >= promo.max_redemptions:
        return "exhausted"
    return "active"


def _promo_row(promo: PromoCode, granted: int, now: datetime) -> PromoRow:
    return PromoRow(
        code=promo.code,
        summary=promos.describe(promo, get_settings().billing_currency),
        flat_bonus_micros=promo.flat_bonus_micros,
        percent=promo.percent,
        cap_micros=promo.cap_micros,
        min_topup_units=promo.min_topup_units,
        starts_at=promo.starts_at,
        ends_at=promo.ends_at,
        max_redemptions=promo.max_redemptions,
        redemptions=promo.redeemed_count,
        bonus_granted_micros=granted,
        active=promo.active,
        state=_state(promo, now),
        created_at=promo.created_at,
    )


def list_promos() -> list[PromoRow]:
    """Every code, newest first, with how often it was redeemed and what it credited."""
    staff.require()
    granted = (
        select(PromoRedemption.promo_code_id, sa.func.sum(PromoRedemption.bonus_micros).label("granted"))
        .group_by(col(PromoRedemption.promo_code_id))
        .subquery()
    )
    query = (
        select(PromoCode, sa.func.coalesce(granted.c.granted, 0))
        .join(granted, granted.c.promo_code_id == PromoCode.id, isouter=True)
        .order_by(col(PromoCode.created_at).desc(), col(PromoCode.id).desc())
    )
    now = utcnow()
    with read_session() as session:
        return [_promo_row(promo, int(total), now) for promo, total in session.exec(query).all()]


def create_promo(
    *,
    code: str,
    reason: str,
    flat_bonus_micros: int | None = None,
    percent: int | None = None,
    cap_micros: int | None = None,
    min_topup_units: int = 0,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    max_redemptions: int | None = None,
    active: bool = True,
) -> PromoRow:
    """A new code with every rule `cli promo create` has: a flat bonus or a percentage (with
    an optional cap), a minimum top-up in whole units, a validity window, a total redemption
    limit, and created disabled if `active` is false. InvalidRequest for contradictory
    rules, Conflict when the code exists."""
    staff.require()
    reason = required(reason)
    try:
        with write_session() as session:
            promo = promos.create_promo_in(
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
            row = _promo_row(promo, 0, utcnow())
            audit.record(
                session,
                org_id=None,
                action="promo.created",
                subject=f"promo:{promo.code}",
                after={
                    "reason": reason,
                    "summary": row.summary,
                    "min_topup_units": row.min_topup_units,
                    "starts_at": row.starts_at,
                    "ends_at": row.ends_at,
                    "max_redemptions": row.max_redemptions,
                    "active": row.active,
                },
            )
    except IntegrityError as exc:
        raise Conflict(f"The code {promos.normalise_code(code)} exists already.") from exc
    return row


def disable_promo(*, code: str, reason: str) -> bool:
    """Stop the code being used from now on (redemptions already made stand); whether it
    was active until now. NotFound for an unknown code; disabling twice writes one row."""
    staff.require()
    reason = required(reason)
    with write_session() as session:
        changed = promos.disable_promo_in(session, code=code)
        if changed:
            audit.record(
                session,
                org_id=None,
                action="promo.disabled",
                subject=f"promo:{promos.normalise_code(code)}",
                before={"active": True},
                after={"reason": reason, "active": False},
            )
    return changed


# ---------------------------------------------------------------- model prices


@dataclass(frozen=True)
class PriceRow:
    """A model's rates per million tokens (micro-units of the credit currency). No separate
    effective date is stored: a price applies from the moment it is written, so
    `effective_since` is the row's `updated_at` (when its rates, name or state last
    changed). `source` is `catalog` (from the catalog file) or `admin` (set by an operator,
    kept across catalog loads)."""

    model: str
    display_name: str
    provider: str
    input_micros_per_million: int
    output_micros_per_million: int
    context_window: int
    active: bool
    source: str
    effective_since: datetime


def _price_row(price: ModelPrice) -> PriceRow:
    return PriceRow(
        model=price.model,
        display_name=price.display_name,
        provider=price.provider,
        input_micros_per_million=price.input_micros_per_million,
        output_micros_per_million=price.output_micros_per_million,
        context_window=price.context_window,
        active=price.active,
        source=price.source,
        effective_since=price.updated_at,
    )


def list_prices(*, include_inactive: bool = True) -> list[PriceRow]:
    """Every model (retired ones too, unless asked not to), by provider and name."""
    staff.require()
    return [_price_row(price) for price in pricing.list_prices(include_inactive=include_inactive)]


def set_price(
    *,
    model: str,
    input_micros_per_million: int,
    output_micros_per_million: int,
    reason: str,
    display_name: str | None = None,
    provider: str | None = None,
    active: bool | None = None,
) -> PriceRow:
    """An operator's rates for `model` (created if new), billed from the next request on and
    kept across catalog loads (unless one overwrites). InvalidRequest for a rate out of range."""
    staff.require()
    reason = required(reason)
    with write_session() as session:
        existing = session.exec(select(ModelPrice).where(col(ModelPrice.model) == model.strip())).first()
        before = None if existing is None else _rates(existing)
        price = pricing.set_price_in(
            session,
            model=model,
            input_micros_per_million=input_micros_per_million,
            output_micros_per_million=output_micros_per_million,
            display_name=display_name,
            provider=provider,
            active=active,
        )
        audit.record(
            session,
            org_id=None,
            action="price.set",
            subject=f"model:{price.model}",
            before=before,
            after={"reason": reason, **_rates(price)},
        )
        return _price_row(price)


def _rates(price: ModelPrice) -> dict[str, object]:
    return {
        "input_micros_per_million": price.input_micros_per_million,
        "output_micros_per_million": price.output_micros_per_million,
        "display_name": price.display_name,
        "provider": price.provider,
        "active": price.active,
        "source": price.source,
    }


def load_catalog(*, reason: str, overwrite: bool = False, path: Path = pricing.CATALOG_PATH) -> int:
    """Bring prices in line with the catalog file (`cli prices load`); how many rows
    changed. Prices an operator set are kept unless `overwrite`. InvalidRequest for a
    file that is not a valid catalog. One audit row, with the count, even when nothing changed."""
    staff.require()
    reason = required(reason)
    catalog = {item.model: item for item in pricing.read_catalog(path)}
    for attempt in range(2):  # a load at startup may race on the insert: once more
        try:
            with write_session() as session:
                changed = pricing.sync_catalog_in(session, catalog, overwrite=overwrite)
                audit.record(
                    session,
                    org_id=None,
                    action="prices.loaded",
                    subject=f"catalog:{path.name}",
                    after={"reason": reason, "overwrite": overwrite, "changed": changed},
                )
            return changed
        except IntegrityError:
            if attempt:
                raise
    return 0
