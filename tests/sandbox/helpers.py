"""Shared test helpers: constants, entity field sets, servers in threads."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from tests.servers import LoopbackServer

KEY_ID = "rzp_test_sandboxtests"
KEY_SECRET = "sandbox_tests_key_secret"
WEBHOOK_SECRET = "sandbox_tests_webhook_secret"
ACCOUNT_ID = "acc_SandboxTests01"
MOUNT = "/sandbox/razorpay"
BACKOFF = 0.05

T = TypeVar("T")


class ServerThread(LoopbackServer):
    """uvicorn on 127.0.0.1, a free port, in a daemon thread, as a context manager."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__()
        self._app = app

    def __enter__(self) -> Self:
        self.start(self._app)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    answered: int


class Receiver:
    """Records every webhook POST; answers 200 unless told otherwise."""

    path = "/webhooks/razorpay"

    def __init__(self) -> None:
        self.calls: list[Received] = []
        self.answers: deque[int] = deque()
        self._cond = threading.Condition()
        self.url = ""

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self._cond:
            status = self.answers.popleft() if self.answers else 200
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.calls.append(Received(body, headers, status))
            self._cond.notify_all()
        return Response(status_code=status)

    def fail_next(self, *statuses: int) -> None:
        with self._cond:
            self.answers.extend(statuses)

    def clear(self) -> None:
        with self._cond:
            self.calls.clear()
            self.answers.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.calls) >= count, timeout=timeout)
            assert len(self.calls) >= count, f"{len(self.calls)} of {count} webhooks"
            return list(self.calls)

    def events(self) -> list[str]:
        return [json.loads(c.body)["event"] for c in self.calls]


class Sandbox:
    """The running sandbox: SDK base URL and control API helpers."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.base_url = root + MOUNT
        self.http = httpx.Client(base_url=self.base_url + "/_control", timeout=15)

    def control(self, verb: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the control API and insist on a 200."""
        response = self.http.request(verb, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def pay(self, order_id: str, **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.control("POST", f"/orders/{order_id}/pay", body)
        return result

    def faults(self, **switches: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.control("POST", "/faults", switches)
        return result

    def flush(self, timeout: float = 10.0) -> None:
        result = self.control("POST", "/webhooks/flush", {"timeout": timeout})
        assert result["flushed"], result

    def webhooks(self, **filters: str) -> list[dict[str, Any]]:
        response = self.http.get("/webhooks", params=filters)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def redeliver(self, event_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.control("POST", f"/webhooks/{event_id}/redeliver")
        return result

    def reset(self) -> None:
        self.control("POST", "/reset")


# RAZORPAY.md §2
ORDER_FIELDS = {
    "id",
    "entity",
    "amount",
    "amount_paid",
    "amount_due",
    "currency",
    "receipt",
    "offer_id",
    "status",
    "attempts",
    "notes",
    "created_at",
}
PAYMENT_FIELDS = {
    "id",
    "entity",
    "amount",
    "currency",
    "status",
    "order_id",
    "invoice_id",
    "international",
    "method",
    "amount_refunded",
    "refund_status",
    "captured",
    "description",
    "card_id",
    "bank",
    "wallet",
    "vpa",
    "email",
    "contact",
    "notes",
    "fee",
    "tax",
    "error_code",
    "error_description",
    "error_source",
    "error_step",
    "error_reason",
    "acquirer_data",
    "created_at",
}
CARD_FIELDS = {
    "id",
    "entity",
    "name",
    "last4",
    "network",
    "type",
    "issuer",
    "international",
    "emi",
    "sub_type",
}
UPI_FIELDS = {"payer_account_type", "vpa", "flow"}
REFUND_FIELDS = {
    "id",
    "entity",
    "amount",
    "currency",
    "payment_id",
    "notes",
    "receipt",
    "acquirer_data",
    "created_at",
    "batch_id",
    "status",
    "speed_processed",
    "speed_requested",
}
ERROR_FIELDS = {"code", "description", "field", "source", "step", "reason", "metadata"}
EVENT_FIELDS = {"entity", "account_id", "event", "contains", "payload", "created_at"}
ID_PATTERN = r"^{prefix}[0-9A-Za-z]{{14}}$"
