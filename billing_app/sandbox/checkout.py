"""``GET /v1/checkout.js``: the Standard Checkout stub (see checkout.js)."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_TEMPLATE = (Path(__file__).parent / "checkout.js").read_text(encoding="utf-8")


def checkout_route(*, key_id: str, base: str = "") -> Route:
    """``base`` overrides the sandbox URL the script derives from its own ``src``."""
    config = json.dumps({"keyId": key_id, "base": base}).replace("</", "<\\/")
    script = _TEMPLATE.replace("__SANDBOX_CONFIG__", config)

    async def checkout_js(request: Request) -> Response:
        return Response(
            script,
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"},
        )

    return Route("/v1/checkout.js", checkout_js, methods=["GET"])
