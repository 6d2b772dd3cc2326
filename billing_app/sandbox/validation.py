"""Request validation with Razorpay's messages (RAZORPAY.md §2 error table)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError

MIN_AMOUNT = 100
MAX_NOTES = 15
MAX_NOTE_LENGTH = 256
MAX_RECEIPT_LENGTH = 40
ORDER_FIELDS = {
    "amount",
    "currency",
    "receipt",
    "notes",
    "partial_payment",
    "first_payment_min_amount",
    "payment",
    "payment_capture",
    "method",
    "customer_id",
    "offer_id",
    "offers",
    "bank_account",
    "token",
    "notification",
    "transfers",
    "discount",
}


def amount_field(body: dict[str, Any], key: str = "amount", *, required: bool = True) -> int | None:
    """Integer paise; digit strings are accepted (form-encoded requests send strings)."""
    if key not in body or body[key] is None or body[key] == "":
        if required:
            raise ApiError(f"{key}: is required.", field=key)
        return None
    value = body[key]
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(f"The {key} must be an integer.", field=key)
    if value < MIN_AMOUNT:
        raise ApiError(f"The {key} must be at least INR 1.00", field=key)
    return value


def currency_field(body: dict[str, Any], *, default: str | None = None) -> str:
    value = body.get("currency", default)
    if value is None or value == "":
        raise ApiError("The currency field is required.", field="currency")
    if not isinstance(value, str) or len(value) != 3:
        raise ApiError("The currency must be 3 characters.", field="currency")
    if value.upper() != "INR":
        raise ApiError("Currency is not supported", field="currency")
    return value.upper()


def notes_field(body: dict[str, Any]) -> dict[str, str]:
    notes = body.get("notes")
    if notes is None or notes == [] or notes == "":
        return {}
    if not isinstance(notes, dict):
        raise ApiError("The notes must be an array.", field="notes")
    if len(notes) > MAX_NOTES:
        raise ApiError(
            f"Number of fields in notes should be less than or equal to {MAX_NOTES}",
            field="notes",
        )
    out: dict[str, str] = {}
    for key, value in notes.items():
        text = "" if value is None else str(value)
        if isinstance(value, (dict, list)):
            raise ApiError("Notes values must be strings or numbers.", field="notes")
        if len(str(key)) > MAX_NOTE_LENGTH or len(text) > MAX_NOTE_LENGTH:
            raise ApiError(
                f"Notes value should be less than or equal to {MAX_NOTE_LENGTH} characters",
                field="notes",
            )
        out[str(key)] = text
    return out


def receipt_field(body: dict[str, Any]) -> str | None:
    receipt = body.get("receipt")
    if receipt is None or receipt == "":
        return None
    if not isinstance(receipt, str):
        receipt = str(receipt)
    if len(receipt) > MAX_RECEIPT_LENGTH:
        raise ApiError(
            f"The receipt may not be greater than {MAX_RECEIPT_LENGTH} characters.",
            field="receipt",
        )
    return receipt


@dataclass(frozen=True)
class OrderInput:
    amount: int
    currency: str
    receipt: str | None
    notes: dict[str, str]
    capture: str


def order_input(body: dict[str, Any], *, max_amount: int, allow_zero: bool = False) -> OrderInput:
    """``allow_zero``: an e-mandate's authorisation order may be for ₹0."""
    for key in body:
        if key not in ORDER_FIELDS:
            raise ApiError(f"{key} is/are not required and should not be sent", field=key)
    amount = 0 if allow_zero and body.get("amount") in (0, "0") else amount_field(body)
    assert amount is not None
    if amount > max_amount:
        raise ApiError("Amount exceeds maximum amount allowed.", field="amount")
    return OrderInput(
        amount=amount,
        currency=currency_field(body),
        receipt=receipt_field(body),
        notes=notes_field(body),
        capture=capture_mode(body),
    )


def capture_mode(body: dict[str, Any]) -> str:
    """``payment.capture`` wins; the legacy ``payment_capture`` 0/1 still works."""
    payment = body.get("payment")
    if isinstance(payment, dict) and "capture" in payment:
        mode = payment["capture"]
        if mode not in ("automatic", "manual"):
            raise ApiError("The selected payment.capture is invalid.", field="payment.capture")
        return str(mode)
    legacy = body.get("payment_capture")
    if legacy is None:
        return "automatic"
    if legacy in (1, "1", True, "true"):
        return "automatic"
    if legacy in (0, "0", False, "false"):
        return "manual"
    raise ApiError("The payment capture field is invalid.", field="payment_capture")


@dataclass(frozen=True)
class Page:
    count: int
    skip: int
    since: int | None
    until: int | None


def int_param(params: dict[str, Any], key: str) -> int | None:
    raw = params.get(key)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ApiError(f"The {key} must be an integer.", field=key) from None


def page_params(params: dict[str, Any]) -> Page:
    count = int_param(params, "count")
    skip = int_param(params, "skip")
    if count is None:
        count = 10
    if count < 1:
        raise ApiError("The count must be at least 1.", field="count")
    if count > 100:
        raise ApiError("The count may not be greater than 100.", field="count")
    if skip is not None and skip < 0:
        raise ApiError("The skip must be at least 0.", field="skip")
    return Page(count, skip or 0, int_param(params, "from"), int_param(params, "to"))
