"""Which requests skip Reflex's layers: every REST route, and no page."""

from __future__ import annotations

from starlette.routing import Mount

from billing_app import routes
from billing_app.api.app import create_api
from billing_app.front_door import NOWHERE, ApiFirst, is_api_path


def test_every_rest_route_goes_to_the_api_directly():
    api = create_api(mount_sandbox=True)
    paths = list(api.openapi()["paths"])  # every documented route
    paths += [route.path for route in api.routes if hasattr(route, "path") and not isinstance(route, Mount)]
    paths += [f"{route.path}/v1/orders" for route in api.routes if isinstance(route, Mount)]  # the sandbox
    assert "/v1/billing/authorize" in paths and "/sandbox/razorpay/v1/orders" in paths
    missing = [p for p in paths if not is_api_path(p) and p != "/docs/oauth2-redirect"]
    assert missing == [], f"routes a front_door prefix does not cover (they still work, through Reflex): {missing}"


def test_no_page_and_none_of_reflexs_own_paths_is_taken_for_the_api():
    pages = [value for name, value in vars(routes).items() if name.isupper() and isinstance(value, str)]
    assert pages, "billing_app/routes.py names the pages"
    for path in [*pages, "/ping", "/_event", "/_event/", "/_health", "/", "/models", "/billing/receipts/pay_1"]:
        assert not is_api_path(path), path


def _reflex_sees(path: str) -> str:
    """The path Reflex's app is handed for a page request to `path`. The call is driven by
    hand (it awaits nothing real): asyncio.run would fail in a run where Playwright's sync API
    already holds this thread's event loop."""
    seen: list[str] = []

    async def reflex(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append(scope["path"])

    async def api(scope, receive, send):  # type: ignore[no-untyped-def]
        raise AssertionError("a page went to the API")

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "headers": []}
    call = ApiFirst(api=api, reflex=reflex)(scope, None, None)  # type: ignore[arg-type]
    try:
        call.send(None)
    except StopIteration:
        return seen[0]
    raise AssertionError("ApiFirst awaited something the test apps never give")


def test_console_pages_load_reflexs_404_document_and_other_pages_their_own():
    """The server cannot tell staff from anyone else (the session is in the browser's
    storage), so every console page answers 404, as a path that does not exist does; the
    browser keeps its URL and the app renders the page for staff (tests/e2e/test_console_flow.py)."""
    console = [path for _, path in routes.CONSOLE_NAV] + [routes.console_org_url(7), "/console/", "/console/x/y"]
    for path in console:
        assert _reflex_sees(path) == NOWHERE, path
    for path in ["/", "/billing", "/consoles", "/console-help", "/settings/members", "/_next/static/x.js"]:
        assert _reflex_sees(path) == path, path
