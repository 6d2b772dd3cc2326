"""A route class for the console's routers: the staff check runs before the request body is
read. FastAPI parses a JSON body before it runs a route's dependencies, so with the check as a
dependency alone, malformed JSON sent by anyone got 422 from an /admin route where a route that
does not exist answers 404: that told a stranger the console is there. With this class they
get the same 404 as everywhere else (the dependency still runs and sets who acts)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute

from billing_app.api.deps import current_staff


class StaffRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def staff_first(request: Request) -> Response:
            await current_staff(request)  # NotFound (404) for anyone not staff, before the body
            return await handler(request)

        return staff_first


def staff_router(prefix: str) -> APIRouter:
    """A router of the console's API: staff only (404 to anyone else, before the body is
    read), and left out of /openapi.json, which is public. Include it in api/app.py before
    api/admin/hidden.hide_the_rest."""
    return APIRouter(
        prefix=prefix, include_in_schema=False, dependencies=[Depends(current_staff)], route_class=StaffRoute
    )
