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

# FastAPI's own HTTP errors, in the envelope: 400 is its "error parsing the body" (not UTF-8,
# say), which DESIGN.md's table calls a malformed request.
_HTTP_ERRORS: dict[int, BillingAppError] = {
    400: InvalidRequest("The request body is not valid JSON."),
    404: NotFound(),
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


def _is_id_out_of_range(error: dict[str, Any]) -> bool:
    """An integer in the path (a row id: api/inputs.PathId) that no BIGINT can hold names
    no row, so it is answered like an id that does not exist."""
    return error.get("loc", ("",))[0] == "path" and error.get("type") in ("greater_than_equal", "less_than_equal")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BillingAppError)
    async def _domain(_: Request, exc: BillingAppError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if errors and _is_id_out_of_range(errors[0]):
            return error_response(NotFound())
        return error_response(invalid_request(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = _HTTP_ERRORS.get(exc.status_code)
        if error is not None:
            return error_response(error)
        body = {"error": {"code": "http_error", "message": str(exc.detail), "type": "invalid_request_error"}}
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(BillingAppError())
