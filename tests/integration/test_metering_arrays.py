"""The typed arrays PostgreSQL's batch statements take (services/metering_arrays.py) arrive
exactly as sent: every bigint, moment (to the microsecond, any offset) and day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_app.services.metering_arrays import DayArray, Int8Array, MomentArray
from billing_app.services.metering_sql import connections

BIGINT = st.integers(min_value=-(2**63), max_value=2**63 - 1)
MOMENT = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda moment: moment.replace(tzinfo=timezone(timedelta(hours=5, minutes=30)))
)
DAY = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


def test_typed_arrays_round_trip_on_a_metering_connection(postgres_db):
    with connections().autocommit() as tx:
        cursor = tx.cursor

        @settings(max_examples=150, deadline=None)
        @given(
            st.lists(st.one_of(BIGINT, st.none()), max_size=20),
            st.lists(MOMENT, max_size=20),
            st.lists(DAY, max_size=20),
        )
        def round_trip(numbers, moments, days):
            cursor.execute(
                "SELECT $1::bigint[], $2::timestamptz[], $3::date[]",
                [Int8Array(numbers), MomentArray(moments), DayArray(days)],
            )
            assert cursor.fetchone() == (numbers, moments, days)

        round_trip()
