"""The console's answers as plain JSON: the console's services return dataclasses (which its
pages show as they are), and the admin API hands the same values out, times in IST ISO 8601,
days as YYYY-MM-DD. The admin API is staff only and not in /openapi.json, so it needs no
response models of its own: the dataclasses are the contract."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from billing_app.ist import iso_ist
from billing_app.models import LedgerEntry


def plain(value: Any) -> Any:
    """`value` with every dataclass, ledger entry, time and day made JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, LedgerEntry):
        return {
            "id": value.id,
            "type": value.kind,
            "amount_micros": value.amount_micros,
            "balance_after_micros": value.balance_after_micros,
            "description": value.description,
            "created_at": iso_ist(value.created_at),
            "payment_id": value.payment_id,
            "created_by_user_id": value.created_by_user_id,
        }
    if isinstance(value, datetime):
        return iso_ist(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value
