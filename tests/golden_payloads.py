"""Golden Razorpay webhook payloads (tests/fixtures/razorpay/, see its README): loading
them, pointing them at our own order or payment, and comparing another payload's shape
with theirs."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from billing_app.config import SANDBOX_WEBHOOK_SECRET

FIXTURES = Path(__file__).parent / "fixtures" / "razorpay"
EVENTS = ("payment.captured", "order.paid", "payment.failed", "refund.processed")
# Sent by Razorpay, left out by the sandbox, read by nothing in the app.
NOT_EMULATED = frozenset({"base_amount", "amount_transferred", "token_id", "iin"})
# Objects whose keys vary from payment to payment (the acquirer's references; the notes
# given): only their type is compared.
OPEN_OBJECTS = frozenset({"acquirer_data", "notes"})


def golden(event: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads((FIXTURES / f"{event}.json").read_text())
    return parsed


def entity(payload: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = payload["payload"][kind]["entity"]
    return found


def golden_ids(event: str) -> dict[str, str]:
    """The ids a golden event is about, by kind: payment, order (the payment's), refund."""
    body = golden(event)
    payment = entity(body, "payment")
    ids = {"payment": payment["id"], "order": payment["order_id"]}
    if "refund" in body["payload"]:
        ids["refund"] = entity(body, "refund")["id"]
    return ids


def about(event: str, **ours: str) -> bytes:
    """The golden body with its ids replaced by ours wherever they appear, e.g.
    `about("order.paid", order=..., payment=...)`: Razorpay's shape, our records."""
    text = (FIXTURES / f"{event}.json").read_text()
    for kind, their_id in golden_ids(event).items():
        if kind in ours:
            text = text.replace(their_id, ours[kind])
    return text.encode()


def signed(body: bytes, secret: str = SANDBOX_WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _kind(value: Any, key: str) -> str:
    if key == "notes" and isinstance(value, (dict, list)):
        return "notes"  # Razorpay sends empty notes as [] and others as an object
    return type(value).__name__


def shape_differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `actual` differs in shape from the golden `expected`: keys missing or added (at
    any depth, but NOT_EMULATED and inside OPEN_OBJECTS), and JSON types of values present
    in both (null matches anything: fee before capture, the error fields)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{path}{key}: missing" for key in sorted(expected.keys() - actual.keys() - NOT_EMULATED)]
        found += [f"{path}{key}: not in Razorpay's" for key in sorted(actual.keys() - expected.keys())]
        for key in sorted(expected.keys() & actual.keys()):
            want, got = _kind(expected[key], key), _kind(actual[key], key)
            if want != got and "NoneType" not in (want, got):
                found.append(f"{path}{key}: {want} in Razorpay's, {got} here")
            elif key not in OPEN_OBJECTS:
                found += shape_differences(expected[key], actual[key], f"{path}{key}.")
        return found
    return []
