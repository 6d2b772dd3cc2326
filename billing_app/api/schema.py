r"""What /openapi.json says beyond the models: the error envelope on each route's documented
error statuses, and constraints that a service enforces with its own (friendlier) message.

A constraint declared with `enforced_by_service` is not checked by pydantic: the service
refuses what it forbids, in the envelope, with the code the REST contract promises
(`amount_invalid` for a top-up of 250.5, not a schema error). Such a declaration must allow
everything the service accepts, so that whatever the schema forbids is refused; the fuzz test
(tests/api/test_fuzz.py) holds the API to it. Their `\s` means what Python's does, which is what
the services' `strip()` and `split()` drop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from billing_app.services.topup_rules import topup_rules


class ErrorDetail(BaseModel):
    code: str = Field(description="the stable machine value, e.g. insufficient_credits")
    message: str = Field(description="for a person")
    type: str = Field(description="the family: billing_error, authentication_error, invalid_request_error, …")
    field: str | None = Field(default=None, description="the input at fault, when there is one")


class ErrorOut(BaseModel):
    error: ErrorDetail


_MEANING = {
    400: "A billing rule refused the request (address_required, amount_invalid, promo_*, signature_invalid).",
    401: "No valid credentials (unauthenticated, invalid_api_key).",
    402: "insufficient_credits: the balance less open holds is at or below zero.",
    403: "forbidden: the caller's role does not allow this.",
    404: "not_found: no such record in the caller's org (other orgs' records included).",
    409: "conflict: the request contradicts existing state.",
    422: "invalid_request: malformed JSON or a field that fails its schema; `field` names it.",
    429: "rate_limited, or budget_exceeded for a key's spent monthly budget.",
    502: "payment_gateway_error: Razorpay could not be reached or answered with an error.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a router or route: each status answered in the error envelope."""
    return {status: {"model": ErrorOut, "description": _MEANING[status]} for status in statuses}


def enforced_by_service(**constraints: Any) -> Callable[[dict[str, Any]], None]:
    """A field's JSON schema `json_schema_extra` that declares constraints the service checks."""

    def extend(schema: dict[str, Any]) -> None:
        schema.update(constraints)

    return extend


def topup_amount_schema(schema: dict[str, Any]) -> None:
    """Whole units within the deployment's limits, as a number or as plain decimal text
    ("500", "1,000"; the service answers 400 amount_invalid for anything else)."""
    rules = topup_rules()
    schema.pop("anyOf", None)
    schema["anyOf"] = [
        {"type": "integer", "minimum": rules.min_units, "maximum": rules.max_units},
        {"type": "string", "maxLength": 40, "pattern": r"^\s*[+-]?[0-9,]+(\.[0-9,]*)?\s*$"},
    ]


PIN_PATTERN = r"^\s*[1-9](\s*[0-9]){5}\s*$"
"""Six digits, not starting with 0; whitespace anywhere is dropped ("560 001")."""

GSTIN_PATTERN = r"^\s*[0-9]{2}[A-Za-z]{5}[0-9]{4}[A-Za-z][1-9A-Za-z][Zz][0-9A-Za-z]\s*$"
"""15 characters, either case (stored upper-case); the service also checks the check character
and that the first two digits are the address's state code."""
