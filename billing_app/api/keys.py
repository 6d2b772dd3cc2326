"""API keys (GET, POST /me/keys · PATCH, DELETE /me/keys/{id}) and the org's routing profile
(GET, PUT, POST /me/routing-profile)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import Micros, PathId, RequestBody
from billing_app.api.schema import errors
from billing_app.ist import iso_ist
from billing_app.models import ApiKey, RoutingMode, RoutingProfile
from billing_app.services import api_keys, pricing

router = APIRouter(prefix="/me", tags=["keys"], responses=errors(401, 404, 409, 422))


class KeyIn(RequestBody):
    name: str = Field(min_length=1, max_length=80, pattern=r"\S")
    # Per IST calendar month; null or absent: no budget; 0: nothing may be spent.
    monthly_budget_micros: Micros | None = None


class BudgetIn(RequestBody):
    # Required: null removes the budget. Holds from the key's next request; the spend is kept.
    monthly_budget_micros: Micros | None


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    monthly_budget_micros: int | None
    month_spend_micros: int
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    status: Literal["active", "revoked"]


class CreatedKeyOut(KeyOut):
    key: str  # the secret: shown this once, never again


class KeysOut(BaseModel):
    currency: str
    keys: list[KeyOut]


def key_out(key: ApiKey) -> KeyOut:
    assert key.id is not None
    return KeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        monthly_budget_micros=key.monthly_budget_micros,
        month_spend_micros=api_keys.month_spend(key),
        created_at=iso_ist(key.created_at),
        last_used_at=iso_ist(key.last_used_at) if key.last_used_at else None,
        revoked_at=iso_ist(key.revoked_at) if key.revoked_at else None,
        status="revoked" if key.revoked_at else "active",
    )


@router.get("/keys")
async def list_keys(principal: CurrentPrincipal) -> KeysOut:
    keys = api_keys.list_keys(org_id=principal.org_id)
    return KeysOut(currency=principal.currency, keys=[key_out(k) for k in keys])


@router.post("/keys", status_code=201)
def create_key(body: KeyIn, principal: CurrentPrincipal) -> CreatedKeyOut:
    created = api_keys.create_key(
        org_id=principal.org_id,
        name=body.name,
        monthly_budget_micros=body.monthly_budget_micros,
        user_id=principal.user_id,
    )
    return CreatedKeyOut(**key_out(created.key).model_dump(), key=created.secret)


@router.patch("/keys/{key_id}")
def change_budget(key_id: PathId, body: BudgetIn, principal: CurrentPrincipal) -> KeyOut:
    key = api_keys.set_budget(org_id=principal.org_id, key_id=key_id, monthly_budget_micros=body.monthly_budget_micros)
    return key_out(key)


@router.delete("/keys/{key_id}", status_code=204)
def revoke_key(key_id: PathId, principal: CurrentPrincipal) -> Response:
    api_keys.revoke_key(org_id=principal.org_id, key_id=key_id)
    return Response(status_code=204)


class RoutingIn(RequestBody):
    mode: Literal["auto", "tier"] = RoutingMode.AUTO.value


class RoutingOut(BaseModel):
    mode: str
    markup_percent: int
    markups: dict[str, int]


def routing_out(profile: RoutingProfile) -> RoutingOut:
    return RoutingOut(
        mode=profile.mode,
        markup_percent=pricing.markup_percent(profile.mode),
        markups={mode.value: pricing.markup_percent(mode) for mode in RoutingMode},
    )


@router.get("/routing-profile")
def get_routing_profile(principal: CurrentPrincipal) -> RoutingOut:
    return routing_out(pricing.get_routing_profile(org_id=principal.org_id))


@router.put("/routing-profile")
def set_routing_mode(body: RoutingIn, principal: CurrentPrincipal) -> RoutingOut:
    return routing_out(pricing.set_routing_mode(org_id=principal.org_id, mode=body.mode))


@router.post("/routing-profile", status_code=201)
def create_routing_profile(body: RoutingIn, principal: CurrentPrincipal) -> RoutingOut:
    """Every org gets its profile at sign-up, so this answers 409 routing_profile_exists
    unless the org somehow has none."""
    return routing_out(pricing.create_routing_profile(org_id=principal.org_id, mode=body.mode))
