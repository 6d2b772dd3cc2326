"""Request parsing shared by the API and control routes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from .errors import ApiError


async def read_body(request: Request) -> dict[str, Any]:
    """JSON (what the SDK sends) or form-encoded (``notes[key]=v`` one level deep)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        return _form(raw.decode())
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError("The request body is not valid JSON", source="NA", step="NA") from None
    if not isinstance(body, dict):
        raise ApiError("The request body must be a JSON object", source="NA", step="NA")
    return body


def _form(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if "[" in key and key.endswith("]"):
            outer, inner = key[:-1].split("[", 1)
            nested = out.setdefault(outer, {})
            if isinstance(nested, dict):
                nested[inner] = value
        else:
            out[key] = value
    return out


def query(request: Request) -> dict[str, Any]:
    return dict(request.query_params)


EXPANDABLE = ("card", "emi", "transaction", "transaction.settlement", "refunds", "offers", "token")


def expansions(request: Request) -> frozenset[str]:
    """``?expand[]=card`` (what the SDK sends for ``{"expand[]": "card"}``)."""
    values = request.query_params.getlist("expand[]") + request.query_params.getlist("expand")
    for index, value in enumerate(values):
        if value not in EXPANDABLE:
            raise ApiError(
                f"Value of each expand must be one of following types: {', '.join(EXPANDABLE)}",
                field=f"expand.{index}",
            )
    return frozenset(values)
