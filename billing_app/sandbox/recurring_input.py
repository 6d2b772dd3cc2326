"""Validating Recurring Payments requests: customers, authorisation orders (``token``),
debit orders (``notification``) and ``POST /v1/payments/create/recurring``.

Where Razorpay's exact wording is not known the messages are the sandbox's own; the
codes, fields and HTTP statuses follow RAZORPAY.md's error table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ApiError
from .payments import MANDATE_METHODS
from .validation import amount_field, currency_field, int_param, notes_field

TEN_YEARS = 10 * 365 * 24 * 3600
# token.max_amount bounds in paise per method (cards stop at ₹15,000; e-mandates default ₹99,999)
MAX_AMOUNT_RANGE = {"card": (100, 1_500_000), "upi": (100, 10_000_000), "emandate": (500, 100_000_000)}
EMANDATE_DEFAULT_MAX = 9_999_900
FREQUENCIES = {
    "card": ("as_presented", "monthly"),
    "upi": ("as_presented", "monthly"),
    "emandate": ("as_presented",),
}
AUTH_TYPES = ("netbanking", "debitcard", "aadhaar", "physical")


def truthy(value: Any) -> bool:
    """Razorpay's flags arrive as 1, "1", true or "true" (and their opposites)."""
    return value in (1, "1", True, "true")


def _text(body: dict[str, Any], key: str, limit: int) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list, bool)):
        raise ApiError(f"The {key} must be a string.", field=key)
    text = str(value).strip()
    if len(text) > limit:
        raise ApiError(f"The {key} may not be greater than {limit} characters.", field=key)
    return text


@dataclass(frozen=True)
class CustomerInput:
    name: str | None
    email: str | None
    contact: str | None
    gstin: str | None
    notes: dict[str, str]
    fail_existing: bool


def customer_input(body: dict[str, Any]) -> CustomerInput:
    email = _text(body, "email", 64)
    if email is not None and "@" not in email:
        raise ApiError("The email must be a valid email address.", field="email")
    return CustomerInput(
        name=_text(body, "name", 50),
        email=email,
        contact=_text(body, "contact", 15),
        gstin=_text(body, "gstin", 15),
        notes=notes_field(body),
        fail_existing=body.get("fail_existing") not in (0, "0", False, "false"),
    )


@dataclass(frozen=True)
class MandateInput:
    customer_id: str
    method: str
    terms: dict[str, Any]  # max_amount, expire_at, frequency, auth_type, notes


def mandate_input(body: dict[str, Any], *, now: int) -> MandateInput | None:
    """The ``token`` of an authorisation order, or None for an ordinary order."""
    token = body.get("token")
    if token is None:
        return None
    if not isinstance(token, dict):
        raise ApiError("The token must be an array.", field="token")
    customer_id = body.get("customer_id")
    if not customer_id:
        raise ApiError("The customer_id field is required when token is present.", field="customer_id")
    method = body.get("method")
    if method not in MANDATE_METHODS:
        choices = ", ".join(MANDATE_METHODS)
        raise ApiError(f"The method must be one of {choices} when token is present.", field="method")
    low, high = MAX_AMOUNT_RANGE[method]
    max_amount = amount_field(token, "max_amount", required=method != "emandate")
    max_amount = EMANDATE_DEFAULT_MAX if max_amount is None else max_amount
    if not low <= max_amount <= high:
        raise ApiError(f"The token.max_amount must be between {low} and {high}.", field="token.max_amount")
    expire_at = int_param(token, "expire_at")
    expire_at = now + TEN_YEARS if expire_at is None else expire_at
    if expire_at <= now:
        raise ApiError("The token.expire_at must be a time in the future.", field="token.expire_at")
    frequency = token.get("frequency") or "as_presented"
    if frequency not in FREQUENCIES[method]:
        choices = ", ".join(FREQUENCIES[method])
        raise ApiError(f"The token.frequency must be one of {choices} for {method}.", field="token.frequency")
    auth_type = token.get("auth_type")
    if auth_type is not None and (method != "emandate" or auth_type not in AUTH_TYPES):
        raise ApiError("The selected token.auth_type is invalid.", field="token.auth_type")
    terms = {
        "max_amount": max_amount,
        "expire_at": expire_at,
        "frequency": frequency,
        "auth_type": auth_type,
        "notes": notes_field(token),
    }
    return MandateInput(customer_id=str(customer_id), method=method, terms=terms)


def notification_input(body: dict[str, Any]) -> tuple[str, int | None] | None:
    """A debit order's ``notification {token_id, payment_after}`` (the decoupled flow)."""
    notification = body.get("notification")
    if notification is None:
        return None
    if not isinstance(notification, dict) or not notification.get("token_id"):
        raise ApiError("The notification.token_id field is required.", field="notification.token_id")
    return str(notification["token_id"]), int_param(notification, "payment_after")


@dataclass(frozen=True)
class RecurringInput:
    email: str
    contact: str
    amount: int
    currency: str
    order_id: str
    customer_id: str
    token_id: str
    description: str | None
    notes: dict[str, str]


def recurring_input(body: dict[str, Any]) -> RecurringInput:
    for key in ("email", "contact", "order_id", "customer_id", "token"):
        if body.get(key) in (None, ""):
            raise ApiError(f"The {key} field is required.", field=key)
    if not truthy(body.get("recurring")):
        raise ApiError("The recurring field must be 1 for a recurring payment.", field="recurring")
    amount = amount_field(body)
    assert amount is not None
    return RecurringInput(
        email=str(body["email"]),
        contact=str(body["contact"]),
        amount=amount,
        currency=currency_field(body),
        order_id=str(body["order_id"]),
        customer_id=str(body["customer_id"]),
        token_id=str(body["token"]),
        description=_text(body, "description", 255),
        notes=notes_field(body),
    )
