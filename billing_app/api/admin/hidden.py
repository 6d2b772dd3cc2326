"""Every other request under /admin answers 404, as a path that does not exist does.

Without this, Starlette would give the console away: a method a route does not serve is 405
(POST /admin/overview), and a path with a trailing slash is redirected to the real one (307
from /admin/overview/), while /admin/nothing is 404. One catch-all route, registered after
every other, matches whatever the console's routes did not (a full match wins over the
partial, method-only match that makes the 405), and its answer is the plain 404."""

from __future__ import annotations

from fastapi import FastAPI

from billing_app.errors import NotFound

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _not_found() -> None:
    raise NotFound()


def hide_the_rest(api: FastAPI) -> None:
    """Call last in create_api: a route registered after this one under /admin is never reached."""
    for path in ("/admin", "/admin/{rest:path}"):  # /admin itself would redirect to /admin/
        api.add_api_route(path, _not_found, methods=METHODS, include_in_schema=False)
