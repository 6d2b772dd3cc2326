"""The ASGI app granian serves: API requests straight to the REST API, the rest to Reflex.

Reflex wraps everything it serves in an app of its own: its pages, its websocket, `/ping`, and
the REST API it mounts through `api_transformer`. That outer app adds the lifespan, Reflex's
context middleware, CORS and a mount. Then the API walks its own routes, and a path that none
of them takes falls through to Reflex's. An API request gains nothing from Reflex's layers, and
they cost more than a whole hot-path route: `/ping` answered at 17 % of a bare no-op route
(docs/benchmarks.md). So a request whose path is the API's goes to the API directly. The API's
own stack still includes the CORS middleware Reflex gave it, and a path it does not know still
falls through to Reflex. Everything else (pages, the websocket, `/ping`, the lifespan) reaches
Reflex as before.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

# Every REST route lives under one of these (api/app.py and its routers).
API_PREFIXES = ("/v1/", "/me/", "/auth/", "/webhooks/", "/sandbox/", "/admin/")
# /admin itself too: the API answers it 404 like every unknown /admin path (api/admin/hidden.py),
# where Reflex would answer with its own page and tell the console's paths from the rest.
API_PATHS = frozenset({"/ready", "/openapi.json", "/docs", "/redoc", "/admin"})


# The console's pages are answered 404 to everyone, as an unknown path is: the server cannot
# tell staff (their session is in the browser's storage, not a cookie), and a 200 would tell
# anyone that the path exists. The page loads Reflex's 404 document under a path that exists
# nowhere; the browser keeps its own URL, so the app renders the console page for staff and
# the not-found content for anyone else (components/console_frame.py).
CONSOLE_PAGES = "/console"
NOWHERE = "/_no_such_page"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path in API_PATHS


def is_console_page(path: str) -> bool:
    return path == CONSOLE_PAGES or path.startswith(CONSOLE_PAGES + "/")


class ApiFirst:
    def __init__(self, *, api: ASGIApp, reflex: ASGIApp) -> None:
        self.api = api
        self.reflex = reflex

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_api_path(scope["path"]):
            await self.api(scope, receive, send)
        elif scope["type"] == "http" and is_console_page(scope["path"]):
            await self.reflex({**scope, "path": NOWHERE, "raw_path": NOWHERE.encode()}, receive, send)
        else:
            await self.reflex(scope, receive, send)
