"""GET, PUT /me/billing/address and GET /me/pincodes/{pin}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from billing_app import gst
from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import RequestBody
from billing_app.api.schema import GSTIN_PATTERN, PIN_PATTERN, enforced_by_service, errors
from billing_app.errors import NotFound
from billing_app.models import BillingAddress
from billing_app.services import addresses

router = APIRouter(prefix="/me", tags=["billing address"], responses=errors(401, 404, 422))


_REQUIRED_TEXT = enforced_by_service(pattern=r"\S")  # anything but blank; whitespace runs are folded


class AddressIn(RequestBody):
    name: str = Field(max_length=addresses.NAME_MAX, json_schema_extra=_REQUIRED_TEXT)
    line1: str = Field(max_length=addresses.LINE_MAX, json_schema_extra=_REQUIRED_TEXT)
    line2: str | None = Field(default="", max_length=addresses.LINE_MAX)
    city: str = Field(max_length=addresses.CITY_MAX, json_schema_extra=_REQUIRED_TEXT)
    state_code: str = Field(
        max_length=4,
        description="GST state code, e.g. 29 (Karnataka)",
        json_schema_extra=enforced_by_service(pattern=rf"^\s*({'|'.join(sorted(gst.GST_STATE_NAMES))})\s*$"),
    )
    pin: str = Field(
        max_length=12,
        description='"560 001" is stored as "560001"',
        json_schema_extra=enforced_by_service(pattern=PIN_PATTERN),
    )
    gstin: str | None = Field(
        default=None, max_length=20, json_schema_extra=enforced_by_service(pattern=rf"{GSTIN_PATTERN}|^\s*$")
    )


class AddressOut(BaseModel):
    name: str
    line1: str
    line2: str
    city: str
    state_code: str
    state: str
    pin: str
    gstin: str | None


class PincodeOut(BaseModel):
    pin: str
    state: str | None
    state_code: str | None
    districts: list[str]


def address_out(address: BillingAddress) -> AddressOut:
    return AddressOut(
        name=address.name,
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        state_code=address.state_code,
        state=gst.state_name(address.state_code) or "",
        pin=address.pin,
        gstin=address.gstin,
    )


@router.get("/billing/address")
def get_address(principal: CurrentPrincipal) -> AddressOut:
    address = addresses.get_address(org_id=principal.org_id)
    if address is None:
        raise NotFound("No billing address yet.")
    return address_out(address)


@router.put("/billing/address")
def put_address(body: AddressIn, principal: CurrentPrincipal) -> AddressOut:
    return address_out(addresses.save_address(org_id=principal.org_id, **body.model_dump()))


@router.get("/pincodes/{pin}")
def get_pincode(
    pin: Annotated[str, Path(max_length=12, json_schema_extra=enforced_by_service(pattern=PIN_PATTERN))],
    principal: CurrentPrincipal,
) -> PincodeOut:
    found = addresses.lookup_pin(pin=pin)
    return PincodeOut(pin=found.pin, state=found.state, state_code=found.state_code, districts=list(found.districts))
