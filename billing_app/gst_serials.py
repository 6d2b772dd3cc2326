"""GST document serials: one series per document type and financial year (April–March, IST).

Rules 46(b) and 53 allow at most 16 characters, letters, digits, "-" and "/" only, unique in a
financial year. The format is `INV-2627-000123`: the type, the year's two halves, and the number
zero-padded to six digits (seven past 999,999). The longest, `INV-2627-9999999`, is 16 characters;
a number past 9,999,999 in one year is refused rather than printed too long. No "/": the serial
is also a path segment (`/me/billing/invoices/{serial}`) and a file name (`{serial}.pdf`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from billing_app.ist import to_ist

__all__ = [
    "MAX_NUMBER_PER_YEAR",
    "MAX_SERIAL_LENGTH",
    "DocumentType",
    "Serial",
    "financial_year",
    "financial_year_label",
    "format_serial",
    "parse_serial",
]

MAX_SERIAL_LENGTH = 16
MAX_NUMBER_PER_YEAR = 9_999_999


class DocumentType(StrEnum):
    """The serial's prefix: three letters each, so every serial has the same shape."""

    INVOICE = "INV"
    CREDIT_NOTE = "CRN"


@dataclass(frozen=True, slots=True)
class Serial:
    document_type: DocumentType
    financial_year: int  # the calendar year it starts in: 2026 for 2026-27
    number: int  # 1, 2, 3 … within the type and year

    def __str__(self) -> str:
        return format_serial(self.document_type, self.financial_year, self.number)


def financial_year(moment: datetime | date) -> int:
    """The financial year (by its starting calendar year) of an aware instant, read in IST, or of
    an IST calendar date: 31 March 2027 23:59 IST → 2026, 1 April 2027 00:00 IST → 2027."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a naive datetime has no IST date")
        moment = to_ist(moment).date()
    return moment.year if moment.month >= 4 else moment.year - 1


def financial_year_label(year: int) -> str:
    """2026 → "2026-27", as GSTR-1 and the invoice print it."""
    return f"{year}-{(year + 1) % 100:02d}"


def format_serial(document_type: DocumentType, year: int, number: int) -> str:
    """(INVOICE, 2026, 123) → "INV-2627-000123"."""
    if not 1 <= number <= MAX_NUMBER_PER_YEAR:
        raise ValueError(f"document number {number} outside 1..{MAX_NUMBER_PER_YEAR}")
    if not 2000 <= year <= 9998:
        raise ValueError(f"financial year {year} out of range")
    return f"{DocumentType(document_type).value}-{year % 100:02d}{(year + 1) % 100:02d}-{number:06d}"


_SERIAL_RE = re.compile(r"([A-Z]{3})-([0-9]{2})([0-9]{2})-([0-9]{6,7})")


def parse_serial(text: str, *, century: int = 2000) -> Serial | None:
    """The serial `format_serial` wrote, or None for anything else (another spelling of the same
    number, a year whose halves are not consecutive, an unknown type)."""
    match = _SERIAL_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    prefix, start, end, digits = match.groups()
    if prefix not in DocumentType._value2member_map_ or (int(start) + 1) % 100 != int(end):
        return None
    number = int(digits)
    if not 1 <= number <= MAX_NUMBER_PER_YEAR:
        return None
    serial = Serial(DocumentType(prefix), century + int(start), number)
    return serial if str(serial) == text else None
