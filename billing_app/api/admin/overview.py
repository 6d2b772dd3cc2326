"""GET /admin/overview: the console's overview figures (services/console/overview.py)."""

from __future__ import annotations

from typing import Any

from billing_app.api.admin.plain import plain
from billing_app.api.admin.routing import staff_router
from billing_app.services.console import overview

# staff only (api/deps.current_staff: 404 to anyone else, before any parameter is read)
router = staff_router("/admin/overview")


@router.get("")
def get_overview() -> dict[str, Any]:
    """Every figure, each with the `list_key` of the list behind it (a few aggregates: on the pool)."""
    return plain(overview.overview())  # type: ignore[no-any-return]
