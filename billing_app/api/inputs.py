"""What every request body, query and path value of the API is checked for, in one place.

- Text: PostgreSQL cannot store a NUL character (the statement failed as a 500; SQLite stored
  it). Every string of a body derived from RequestBody, and every path segment typed PathText,
  refuses one with 422 invalid_request naming the field, whichever database runs.
- Integers: a database column is a signed 64-bit BIGINT. A body integer (`Micros`) is bounded
  0..2⁶³−1 where it is parsed, so a larger one is 422 invalid_request with `field`, never a
  database error. A row id in a path (`PathId`) that no BIGINT can hold names no row: 404
  not_found, like any other id that does not exist (api/errors.py maps it). A ledger cursor
  (`Cursor`) is a row id as text, bounded the same way.
The bounds are declared in /openapi.json, so clients see what is enforced."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StrictInt, field_validator

from billing_app.api.schema import topup_amount_schema
from billing_app.models.types import MAX_BIGINT


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


class RequestBody(BaseModel):
    _checked = field_validator("*", mode="after")(_no_nul)


PathText = Annotated[str, AfterValidator(_no_nul)]

Micros = Annotated[StrictInt, Field(ge=0, le=MAX_BIGINT)]
"""A non-negative amount in micro-units that a BIGINT column can hold."""

PathId = Annotated[int, Path(ge=0, le=MAX_BIGINT, description="the record's id")]
"""A row id in a path; out of range is 404 not_found (api/errors.py), as for a missing row."""


def _cursor_in_range(value: str | None) -> str | None:
    if value is not None and int(value) > MAX_BIGINT:
        raise ValueError("is not a cursor this API returned")
    return value


Cursor = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{1,19}$", description="`next_cursor` of the previous page"),
    AfterValidator(_cursor_in_range),
]


TopupAmount = Annotated[
    # a number that is not whole (250.5) reaches the service too: 400 amount_invalid, as for "250.5"
    int | float | Annotated[str, Field(max_length=40)],
    Field(
        description='whole units of the credit currency within the top-up limits, e.g. 500 or "500"; '
        "anything else is 400 amount_invalid",
        json_schema_extra=topup_amount_schema,
    ),
]
"""A top-up amount as it comes in; the service checks it (services/topup_rules.quote_topup)."""


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day_only(value: Any) -> Any:
    """pydantic alone would read "0" as a Unix time (1 Jan 1970): only YYYY-MM-DD is a day."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("must be a day as YYYY-MM-DD")
    return value


IsoDay = Annotated[date, BeforeValidator(_iso_day_only)]
"""A calendar day in a query (YYYY-MM-DD, nothing else)."""
