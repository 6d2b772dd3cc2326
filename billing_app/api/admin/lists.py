"""GET /admin/lists/{key}: the rows behind an overview figure (services/console/lists.py),
`key` being the figure's `list_key`; `window` (`today`, `30d`) for top-ups and refunds,
`cursor` the previous page's `next_cursor`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from billing_app.api.admin.plain import plain
from billing_app.api.admin.routing import staff_router
from billing_app.api.inputs import Cursor, PathText
from billing_app.services.console import lists

# staff only (api/deps.current_staff: 404 to anyone else, before any parameter is read)
router = staff_router("/admin/lists")
Limit = Annotated[int, Query(ge=1, le=lists.MAX_PAGE_SIZE)]
Window = Annotated[str | None, Query(max_length=10)]


@router.get("/{key}")
def get_list(key: PathText, window: Window = None, cursor: Cursor = None, limit: Limit = lists.PAGE_SIZE) -> Any:
    """One page of the list, newest first; an unknown key is 404 like any unknown path."""
    return plain(lists.list_page(key=key, window=window, cursor=cursor, limit=limit))
