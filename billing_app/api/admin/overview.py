"""GET /admin/overview: the console's overview figures (services/console/overview.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from billing_app.api.admin.plain import plain
from billing_app.api.deps import StaffPrincipal
from billing_app.services.console import overview

router = APIRouter(prefix="/admin/overview", include_in_schema=False)


@router.get("")
def get_overview(_: StaffPrincipal) -> dict[str, Any]:
    """Every figure, each with the `list_key` of the list behind it (a few aggregates: on the pool)."""
    return plain(overview.overview())  # type: ignore[no-any-return]
