"""What every request body and path segment of the API is checked for.

PostgreSQL text cannot hold a NUL character: a value with one failed in the database and left
as a 500 (SQLite stored it). Every string of a body derived from RequestBody, and every path
segment typed PathText, is checked here instead, so the caller gets 422 invalid_request naming
the field, whichever database runs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, field_validator


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


class RequestBody(BaseModel):
    _checked = field_validator("*", mode="after")(_no_nul)


PathText = Annotated[str, AfterValidator(_no_nul)]
