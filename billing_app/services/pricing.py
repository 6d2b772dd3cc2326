"""Model prices, routing-mode markups and each org's routing profile.

Prices are provider rates per million tokens in micro-units of the credit currency.
The committed catalog (billing_app/data/models.json) is loaded at startup; an operator
changes a price with `python -m billing_app.cli prices set`, and such rows are never
overwritten by the catalog again (unless `prices load --overwrite`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import Conflict, InvalidRequest, NotFound
from billing_app.models import ModelPrice, PriceSource, RoutingMode, RoutingProfile
from billing_app.models.types import utcnow
from billing_app.money import AmountError, parse_micros, request_cost_micros
from billing_app.services import roles
from billing_app.services.roles import Permission

CATALOG_PATH = Path(__file__).resolve().parent.parent / "data" / "models.json"
SANDBOX_MODEL = "sandbox-echo"
# ₹10,00,000 per million tokens: far above any real model; keeps costs inside BIGINT.
MAX_RATE_MICROS = 10**12


class RoutingProfileExists(Conflict):
    code = "routing_profile_exists"
    default_message = "This organisation already has a routing profile. Change its mode instead."


def markup_percent(mode: str) -> int:
    settings = get_settings()
    return settings.markup_tier_percent if mode == RoutingMode.TIER else settings.markup_auto_percent


def request_cost(
    *,
    prompt_tokens: int,
    completion_tokens: int,
    input_micros_per_million: int,
    output_micros_per_million: int,
    mode: str,
) -> int:
    """Provider cost × (1 + the mode's markup), rounded up once to the micro-unit."""
    return request_cost_micros(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        input_micros_per_million=input_micros_per_million,
        output_micros_per_million=output_micros_per_million,
        markup_percent=markup_percent(mode),
    )


# ---------------------------------------------------------------- the catalog


@dataclass(frozen=True)
class CatalogModel:
    model: str
    display_name: str
    provider: str
    context_window: int
    input_micros_per_million: int
    output_micros_per_million: int


def check_rate(micros: int, field: str) -> int:
    if isinstance(micros, bool) or not 0 <= micros <= MAX_RATE_MICROS:
        raise InvalidRequest(f"{field} must be between 0 and {MAX_RATE_MICROS} micros per million tokens.")
    return micros


def read_catalog(path: Path = CATALOG_PATH, *, currency: str | None = None) -> list[CatalogModel]:
    """The catalog file's models with their rates in `currency` (default: the deployment's)."""
    currency = currency or get_settings().billing_currency
    try:
        data = json.loads(path.read_text())
        models = [
            CatalogModel(
                model=item["model"],
                display_name=item["display_name"],
                provider=item["provider"],
                context_window=int(item.get("context_window", 0)),
                input_micros_per_million=check_rate(parse_micros(item["per_million"][currency]["input"]), "input"),
                output_micros_per_million=check_rate(parse_micros(item["per_million"][currency]["output"]), "output"),
            )
            for item in data["models"]
        ]
    except (OSError, ValueError, KeyError, TypeError, AmountError) as exc:
        raise InvalidRequest(f"{path} is not a valid model catalog for {currency}: {exc}") from exc
    if SANDBOX_MODEL not in {m.model for m in models}:
        raise InvalidRequest(f"{path} must list {SANDBOX_MODEL}: the built-in model is always in the catalog.")
    return models


def load_catalog(*, path: Path = CATALOG_PATH, overwrite: bool = False) -> int:
    """Bring model_price in line with the catalog file; returns how many rows changed.

    Idempotent. Rows an operator set (source=admin) are kept unless `overwrite`; catalog
    rows whose model left the file are deactivated, never deleted (usage refers to them).
    """
    catalog = {m.model: m for m in read_catalog(path)}
    for attempt in range(2):  # two processes starting at once may race on the insert
        try:
            return _sync_catalog(catalog, overwrite=overwrite)
        except IntegrityError:
            if attempt:
                raise
    return 0


def _sync_catalog(catalog: dict[str, CatalogModel], *, overwrite: bool) -> int:
    with write_session() as session:
        return sync_catalog_in(session, catalog, overwrite=overwrite)


def sync_catalog_in(session: Session, catalog: dict[str, CatalogModel], *, overwrite: bool) -> int:
    """`load_catalog`'s one transaction, inside the caller's (the console writes its audit row
    beside it); how many rows changed. Two loads at once may raise IntegrityError: retry."""
    changed = 0
    rows = {row.model: row for row in session.execute(select(ModelPrice)).scalars()}
    for name, item in catalog.items():
        row = rows.get(name)
        if row is None:
            session.add(ModelPrice(**vars(item)))
            changed += 1
            continue
        if row.source == PriceSource.ADMIN and not overwrite:
            continue
        wanted = {**vars(item), "active": True, "source": PriceSource.CATALOG}
        if any(getattr(row, field) != value for field, value in wanted.items()):
            for field, value in wanted.items():
                setattr(row, field, value)
            row.updated_at = utcnow()
            changed += 1
    for name, row in rows.items():
        if name not in catalog and row.source == PriceSource.CATALOG and row.active:
            row.active = False
            row.updated_at = utcnow()
            changed += 1
    return changed


def list_prices(*, include_inactive: bool = False) -> list[ModelPrice]:
    query = select(ModelPrice).order_by(col(ModelPrice.provider), col(ModelPrice.model))
    if not include_inactive:
        query = query.where(col(ModelPrice.active).is_(True))
    with read_session() as session:
        return list(session.execute(query).scalars())


def set_price(
    *,
    model: str,
    input_micros_per_million: int,
    output_micros_per_million: int,
    display_name: str | None = None,
    provider: str | None = None,
    active: bool | None = None,
) -> ModelPrice:
    """An operator's price for `model` (created if new); kept across catalog reloads."""
    with write_session() as session:
        return set_price_in(
            session,
            model=model,
            input_micros_per_million=input_micros_per_million,
            output_micros_per_million=output_micros_per_million,
            display_name=display_name,
            provider=provider,
            active=active,
        )


def set_price_in(
    session: Session,
    *,
    model: str,
    input_micros_per_million: int,
    output_micros_per_million: int,
    display_name: str | None = None,
    provider: str | None = None,
    active: bool | None = None,
) -> ModelPrice:
    """`set_price` inside the caller's transaction (the console writes its audit row beside it)."""
    model = (model or "").strip()
    if not model or len(model) > 100:
        raise InvalidRequest("model must be 1 to 100 characters.", field="model")
    check_rate(input_micros_per_million, "input")
    check_rate(output_micros_per_million, "output")
    row = session.execute(select(ModelPrice).where(col(ModelPrice.model) == model)).scalar_one_or_none()
    if row is None:
        row = ModelPrice(
            model=model,
            display_name=display_name or model,
            provider=provider or "custom",
            input_micros_per_million=input_micros_per_million,
            output_micros_per_million=output_micros_per_million,
        )
        session.add(row)
    row.input_micros_per_million = input_micros_per_million
    row.output_micros_per_million = output_micros_per_million
    row.display_name = display_name or row.display_name
    row.provider = provider or row.provider
    row.active = row.active if active is None else active
    row.source = PriceSource.ADMIN
    row.updated_at = utcnow()
    session.flush()
    return row


# ---------------------------------------------------------------- routing profiles


def _check_mode(mode: str) -> str:
    if mode not in RoutingMode.__members__.values():
        raise InvalidRequest("mode must be 'auto' or 'tier'.", field="mode")
    return mode


def create_routing_profile(*, org_id: int, mode: str = RoutingMode.AUTO) -> RoutingProfile:
    """The org's one routing profile. A second is refused by the database's UNIQUE(org_id)
    and reported as RoutingProfileExists (409)."""
    roles.check(org_id, Permission.MANAGE_KEYS)
    _check_mode(mode)
    try:
        with write_session() as session:
            profile = RoutingProfile(org_id=org_id, mode=mode)
            session.add(profile)
            session.flush()
    except IntegrityError as exc:
        raise RoutingProfileExists() from exc
    return profile


def get_routing_profile(*, org_id: int) -> RoutingProfile:
    roles.check(org_id, Permission.VIEW_BALANCE)
    with read_session() as session:
        profile = session.execute(
            select(RoutingProfile).where(col(RoutingProfile.org_id) == org_id)
        ).scalar_one_or_none()
    if profile is None:
        raise NotFound("This organisation has no routing profile.")
    return profile


def set_routing_mode(*, org_id: int, mode: str) -> RoutingProfile:
    """Change the org's default mode (the markup its usage is billed with)."""
    roles.check(org_id, Permission.MANAGE_KEYS)
    _check_mode(mode)
    with write_session() as session:
        profile = session.execute(
            select(RoutingProfile).where(col(RoutingProfile.org_id) == org_id)
        ).scalar_one_or_none()
        if profile is None:
            raise NotFound("This organisation has no routing profile.")
        profile.mode = mode
        profile.updated_at = utcnow()
        return profile
