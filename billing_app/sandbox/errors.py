"""Razorpay's error envelope and the responses the emulator fails with."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

BAD_REQUEST = "BAD_REQUEST_ERROR"
SERVER_ERROR = "SERVER_ERROR"
GATEWAY_ERROR = "GATEWAY_ERROR"

ID_NOT_FOUND = "The id provided does not exist"
URL_NOT_FOUND = "The requested URL was not found on the server."
AUTH_FAILED = "Authentication failed"


class ApiError(Exception):
    """An error answered with Razorpay's body: ``{"error": {code, description, ...}}``."""

    def __init__(
        self,
        description: str,
        *,
        status: int = 400,
        code: str = BAD_REQUEST,
        field: str | None = None,
        source: str = "business",
        step: str = "payment_initiation",
        reason: str = "input_validation_failed",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.status = status
        self.code = code
        self.field = field
        self.source = source
        self.step = step
        self.reason = reason
        self.metadata = metadata or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "description": self.description,
                "field": self.field,
                "source": self.source,
                "step": self.step,
                "reason": self.reason,
                "metadata": self.metadata,
            }
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def not_found(field: str = "id") -> ApiError:
    return ApiError(ID_NOT_FOUND, field=field)


def auth_failed() -> ApiError:
    return ApiError(AUTH_FAILED, status=401, source="NA", step="NA", reason="NA")


def fault_response(status: int) -> Response:
    """What an injected API fault answers: JSON 5xx, or a non-JSON 502 page."""
    if status == 502:
        return HTMLResponse(
            "<html><head><title>502 Bad Gateway</title></head>"
            "<body><center><h1>502 Bad Gateway</h1></center></body></html>",
            status_code=502,
        )
    if status == 504:
        err = ApiError(
            "Gateway timed out",
            status=504,
            code=GATEWAY_ERROR,
            source="NA",
            step="NA",
            reason="NA",
        )
    else:
        err = ApiError(
            "The server encountered an error. The incident has been reported to admins.",
            status=status,
            code=SERVER_ERROR,
            source="NA",
            step="NA",
            reason="NA",
        )
    return err.response()


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def handle_url_not_found(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods: Razorpay answers 400, not 404/405."""
    return ApiError(URL_NOT_FOUND, source="NA", step="NA", reason="NA").response()
