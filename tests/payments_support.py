"""The API with the Razorpay sandbox mounted, served over real HTTP on a loopback port,
plus helpers to sign up, add an address, create orders and pay them in the sandbox (the
builders made of them are in tests/factories.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from billing_app.api.app import create_api
from billing_app.context import reset_context
from billing_app.db import read_session
from billing_app.models import EmailKind, LedgerEntry, WebhookEvent
from billing_app.services import ledger
from tests.factories import ADDRESS, emailed_token, mark_delivered
from tests.servers import LoopbackServer

SANDBOX = "/sandbox/razorpay"


@dataclass
class LiveApp:
    url: str
    http: httpx.Client

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(f"{self.url}{SANDBOX}/_control{path}", json=body or {})
        response.raise_for_status()
        return response.json()

    def faults(self, **switches: Any) -> None:
        self.control("/faults", switches)

    def flush_webhooks(self) -> None:
        self.control("/webhooks/flush", {"timeout": 15})

    def sandbox_webhooks(self) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.url}{SANDBOX}/_control/webhooks")
        response.raise_for_status()
        body = response.json()
        return body["items"] if isinstance(body, dict) else body

    def signup(self, email: str) -> dict[str, Any]:
        body = {"email": email, "password": "correct horse", "name": "Asha Rao", "org_name": "Acme"}
        response = self.http.post(f"{self.url}/auth/signup", json=body)
        assert response.status_code == 201, response.text
        account = response.json()
        verified = self.http.post(f"{self.url}/auth/verify", json={"token": emailed_token(email)})
        assert verified.status_code == 200, verified.text
        mark_delivered(email, EmailKind.VERIFY_EMAIL)
        account["headers"] = {"Authorization": f"Bearer {account['token']}"}
        return account

    def add_address(self, account: dict[str, Any]) -> None:
        response = self.http.put(f"{self.url}/me/billing/address", json=ADDRESS, headers=account["headers"])
        assert response.status_code == 200, response.text

    def order(self, account: dict[str, Any], amount: int | str = 500, **extra: Any) -> httpx.Response:
        return self.http.post(
            f"{self.url}/me/billing/orders", json={"amount": amount, **extra}, headers=account["headers"]
        )

    def new_order(self, account: dict[str, Any], amount: int | str = 500, **extra: Any) -> dict[str, Any]:
        response = self.order(account, amount, **extra)
        assert response.status_code == 201, response.text
        return response.json()

    def pay(self, order_id: str, **body: Any) -> dict[str, Any]:
        return self.control(f"/orders/{order_id}/pay", body)

    def verify(self, account: dict[str, Any], order_id: str, paid: dict[str, Any]) -> httpx.Response:
        return self.http.post(
            f"{self.url}/me/billing/orders/{order_id}/verify",
            json={k: paid[k] for k in ("razorpay_payment_id", "razorpay_order_id", "razorpay_signature")},
            headers=account["headers"],
        )

    def billing(self, account: dict[str, Any]) -> dict[str, Any]:
        response = self.http.get(f"{self.url}/me/billing?limit=100", headers=account["headers"])
        assert response.status_code == 200, response.text
        return response.json()


@contextmanager
def live_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveApp]:
    """Serve create_api() (sandbox mounted) on a free port; the caller has chosen the DB."""
    server = LoopbackServer()
    monkeypatch.setenv("PORT", str(server.port))
    monkeypatch.setenv("HOST", "127.0.0.1")
    reset_context()
    server.start(create_api(mount_sandbox=True))
    try:
        with httpx.Client(timeout=30) as http:
            yield LiveApp(url=server.url, http=http)
    finally:
        server.stop()
        reset_context()


def credits_for(org_id: int, kind: str = "checkout") -> list[LedgerEntry]:
    with read_session() as session:
        return list(
            session.exec(select(LedgerEntry).where(col(LedgerEntry.org_id) == org_id, col(LedgerEntry.kind) == kind))
        )


def wait_until(condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def processed_events() -> list[WebhookEvent]:
    with read_session() as session:
        return list(session.exec(select(WebhookEvent).where(col(WebhookEvent.processed_at).is_not(None))))


def assert_books_balance() -> None:
    assert ledger.audit() == []
