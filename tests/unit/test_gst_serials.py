"""Document serials: at most 16 characters, letters, digits, "-" and "/", per type and FY (IST)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_app.gst_serials import (
    MAX_NUMBER_PER_YEAR,
    MAX_SERIAL_LENGTH,
    DocumentType,
    Serial,
    financial_year,
    financial_year_label,
    format_serial,
    parse_serial,
)
from billing_app.ist import IST

ALLOWED = re.compile(r"[A-Za-z0-9/-]{1,16}")  # Rule 46(b)


def test_the_format():
    assert format_serial(DocumentType.INVOICE, 2026, 123) == "INV-2627-000123"
    assert format_serial(DocumentType.CREDIT_NOTE, 2099, 1) == "CRN-9900-000001"
    assert financial_year_label(2026) == "2026-27"
    assert financial_year_label(2099) == "2099-00"


@pytest.mark.parametrize("kind", list(DocumentType))
def test_the_largest_number_in_a_year_still_fits(kind):
    longest = format_serial(kind, 2026, MAX_NUMBER_PER_YEAR)
    assert longest == f"{kind.value}-2627-9999999"
    assert len(longest) == MAX_SERIAL_LENGTH == 16
    assert ALLOWED.fullmatch(longest)
    with pytest.raises(ValueError):
        format_serial(kind, 2026, MAX_NUMBER_PER_YEAR + 1)
    with pytest.raises(ValueError):
        format_serial(kind, 2026, 0)


@given(
    kind=st.sampled_from(list(DocumentType)),
    year=st.integers(min_value=2000, max_value=9998),
    number=st.integers(min_value=1, max_value=MAX_NUMBER_PER_YEAR),
)
def test_every_serial_is_valid_and_reads_back(kind, year, number):
    serial = format_serial(kind, year, number)
    assert ALLOWED.fullmatch(serial) and len(serial) <= MAX_SERIAL_LENGTH
    assert parse_serial(serial, century=year // 100 * 100) == Serial(kind, year, number)


@given(
    a=st.integers(min_value=1, max_value=MAX_NUMBER_PER_YEAR), b=st.integers(min_value=1, max_value=MAX_NUMBER_PER_YEAR)
)
def test_distinct_numbers_have_distinct_serials(a, b):
    assert (format_serial(DocumentType.INVOICE, 2026, a) == format_serial(DocumentType.INVOICE, 2026, b)) == (a == b)


@pytest.mark.parametrize(
    "text",
    [
        "INV-2627-123",
        "INV-2627-0000123",
        "INV-2628-000123",
        "XYZ-2627-000123",
        "inv-2627-000123",
        "INV/2627/000123",
        "INV-2627-000000",
        " INV-2627-000123",
        "INV-2627-10000000",
    ],
)
def test_other_spellings_are_not_serials(text):
    assert parse_serial(text) is None


def test_the_financial_year_turns_at_midnight_ist_on_1_april():
    last_minute = datetime(2027, 3, 31, 23, 59, 59, tzinfo=IST)
    first_minute = datetime(2027, 4, 1, 0, 0, tzinfo=IST)
    assert financial_year(last_minute) == 2026
    assert financial_year(first_minute) == 2027
    # The same instants in UTC: 18:29:59 and 18:30 on 31 March.
    assert financial_year(last_minute.astimezone(UTC)) == 2026
    assert financial_year(datetime(2027, 3, 31, 18, 30, tzinfo=UTC)) == 2027
    assert financial_year(first_minute - timedelta(microseconds=1)) == 2026


def test_calendar_dates_are_read_as_ist_dates():
    assert financial_year(date(2027, 3, 31)) == 2026
    assert financial_year(date(2027, 4, 1)) == 2027
    assert financial_year(date(2027, 1, 1)) == 2026


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        financial_year(datetime(2027, 4, 1))
