"""Every API error leaves in one envelope: {"error": {"code", "message", "type"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from billing_app.errors import BillingAppError, InvalidRequest, NotFound

log = logging.getLogger(__name__)

_HTTP_CODES = {
    404: NotFound,
}


def error_response(error: BillingAppError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(error.envelope(), status_code=error.status, headers=headers)


def invalid_request(errors: list[dict[str, Any]]) -> InvalidRequest:
    """A schema error in the envelope, naming the offending `field` (so a form can show it
    beside the right input) when there is one."""
    first = errors[0] if errors else {}
    # loc is like ("body", "name") or ("path", "pin"); ("body", 12) for a JSON syntax error.
    loc = [str(part) for part in first.get("loc", ())[1:]]
    message = str(first.get("msg", "invalid"))
    if not loc or not loc[0].isidentifier():
        return InvalidRequest(message)
    return InvalidRequest(f"{'.'.join(loc)}: {message}", field=loc[0])


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BillingAppError)
    async def _domain(_: Request, exc: BillingAppError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(invalid_request(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        error_class = _HTTP_CODES.get(exc.status_code)
        if error_class is not None:
            return error_response(error_class())
        body = {"error": {"code": "http_error", "message": str(exc.detail), "type": "invalid_request_error"}}
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(BillingAppError())
