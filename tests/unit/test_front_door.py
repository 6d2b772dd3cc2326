"""Which requests skip Reflex's layers: every REST route, and no page."""

from __future__ import annotations

from starlette.routing import Mount

from billing_app import routes
from billing_app.api.app import create_api
from billing_app.front_door import is_api_path


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
