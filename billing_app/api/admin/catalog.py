"""The console's promo codes and model prices (staff only, 404 to everyone else):
GET, POST /admin/promos · POST /admin/promos/{code}/disable · GET /admin/prices ·
PUT /admin/prices/{model} · POST /admin/prices/load. Every change takes the staff member's
`reason`, kept in the audit log. The rules are services/console/catalog.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StrictInt

from billing_app.api.admin.attention import ReasonIn
from billing_app.api.admin.routing import staff_router
from billing_app.api.inputs import Micros, PathText
from billing_app.ist import IST, iso_ist
from billing_app.services.console import catalog

router = staff_router("/admin")

Count = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]


class PromoIn(ReasonIn):
    code: str = Field(max_length=60)
    flat_bonus_micros: Micros | None = None
    percent: Count | None = None
    cap_micros: Micros | None = None
    min_topup_units: Count = 0
    starts_at: datetime | None = Field(default=None, description="ISO 8601; without an offset, IST")
    ends_at: datetime | None = Field(default=None, description="ISO 8601; without an offset, IST")
    max_redemptions: Count | None = None
    active: StrictBool = True


class PromoOut(BaseModel):
    code: str
    summary: str
    flat_bonus_micros: int | None
    percent: int | None
    cap_micros: int | None
    min_topup_units: int
    starts_at: str | None
    ends_at: str | None
    max_redemptions: int | None
    redemptions: int
    bonus_granted_micros: int
    active: bool
    state: str = Field(description="active, disabled, scheduled, expired or exhausted")
    created_at: str


class DisabledOut(BaseModel):
    code: str
    changed: bool = Field(description="false when it was disabled already")


class PriceIn(ReasonIn):
    input_micros_per_million: Micros
    output_micros_per_million: Micros
    display_name: str | None = Field(default=None, max_length=120)
    provider: str | None = Field(default=None, max_length=60)
    active: StrictBool | None = None


class PriceOut(BaseModel):
    model: str
    display_name: str
    provider: str
    input_micros_per_million: int
    output_micros_per_million: int
    context_window: int
    active: bool
    source: str = Field(description="catalog or admin")
    effective_since: str = Field(description="when these rates took effect (the row's last change)")


class LoadIn(ReasonIn):
    overwrite: StrictBool = False


class LoadedOut(BaseModel):
    changed: int


def _ist(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=IST) if moment is not None and moment.tzinfo is None else moment


def _iso(moment: datetime | None) -> str | None:
    return iso_ist(moment) if moment is not None else None


def promo_out(row: catalog.PromoRow) -> PromoOut:
    return PromoOut(
        code=row.code,
        summary=row.summary,
        flat_bonus_micros=row.flat_bonus_micros,
        percent=row.percent,
        cap_micros=row.cap_micros,
        min_topup_units=row.min_topup_units,
        starts_at=_iso(row.starts_at),
        ends_at=_iso(row.ends_at),
        max_redemptions=row.max_redemptions,
        redemptions=row.redemptions,
        bonus_granted_micros=row.bonus_granted_micros,
        active=row.active,
        state=row.state,
        created_at=iso_ist(row.created_at),
    )


def price_out(row: catalog.PriceRow) -> PriceOut:
    return PriceOut(
        model=row.model,
        display_name=row.display_name,
        provider=row.provider,
        input_micros_per_million=row.input_micros_per_million,
        output_micros_per_million=row.output_micros_per_million,
        context_window=row.context_window,
        active=row.active,
        source=row.source,
        effective_since=iso_ist(row.effective_since),
    )


@router.get("/promos")
async def list_promos() -> list[PromoOut]:
    return [promo_out(row) for row in catalog.list_promos()]


@router.post("/promos", status_code=201)
def create_promo(body: PromoIn) -> PromoOut:
    return promo_out(
        catalog.create_promo(
            code=body.code,
            reason=body.reason,
            flat_bonus_micros=body.flat_bonus_micros,
            percent=body.percent,
            cap_micros=body.cap_micros,
            min_topup_units=body.min_topup_units,
            starts_at=_ist(body.starts_at),
            ends_at=_ist(body.ends_at),
            max_redemptions=body.max_redemptions,
            active=body.active,
        )
    )


@router.post("/promos/{code}/disable")
def disable_promo(code: PathText, body: ReasonIn) -> DisabledOut:
    changed = catalog.disable_promo(code=code, reason=body.reason)
    return DisabledOut(code=code.strip().upper(), changed=changed)


@router.get("/prices")
async def list_prices() -> list[PriceOut]:
    return [price_out(row) for row in catalog.list_prices()]


@router.post("/prices/load")
def load_catalog(body: LoadIn) -> LoadedOut:
    return LoadedOut(changed=catalog.load_catalog(reason=body.reason, overwrite=body.overwrite))


@router.put("/prices/{model:path}")  # model names have a slash: openai/gpt-4o
def set_price(model: PathText, body: PriceIn) -> PriceOut:
    return price_out(
        catalog.set_price(
            model=model,
            reason=body.reason,
            input_micros_per_million=body.input_micros_per_million,
            output_micros_per_million=body.output_micros_per_million,
            display_name=body.display_name,
            provider=body.provider,
            active=body.active,
        )
    )
