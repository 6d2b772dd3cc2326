"""Money across processes: two API processes over one database and one Redis, as two
workers or two machines of one deployment. One payment reported everywhere at once is
credited once; metering from both keeps the books and refuses at zero; a process killed in
the middle of metering load loses no acknowledged debit and leaves clean books."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.db import read_session
from billing_app.models import EmailKind, UsageEvent
from billing_app.sandbox import sign
from billing_app.services import ledger, pricing
from tests.api_processes import ApiProcess, api_processes
from tests.factories import ADDRESS, emailed_token, mark_delivered
from tests.payments_support import credits_for, processed_events, wait_until

SANDBOX = "/sandbox/razorpay/_control"


def _signup(http: httpx.Client, api: ApiProcess, email: str) -> dict[str, Any]:
    body = {"email": email, "password": "correct horse", "name": "Asha Rao", "org_name": "Acme"}
    response = http.post(f"{api.url}/auth/signup", json=body)
    assert response.status_code == 201, response.text
    account = response.json()
    verified = http.post(f"{api.url}/auth/verify", json={"token": emailed_token(email)})
    assert verified.status_code == 200, verified.text
    mark_delivered(email, EmailKind.VERIFY_EMAIL)
    account["headers"] = {"Authorization": f"Bearer {account['token']}"}
    return account


def _control(http: httpx.Client, api: ApiProcess, path: str, body: dict[str, Any] | None = None) -> Any:
    response = http.post(f"{api.url}{SANDBOX}{path}", json=body or {})
    assert response.status_code == 200, response.text
    return response.json()


def test_one_payment_reported_to_both_processes_at_once_is_credited_once(any_db: str, tmp_path: Path) -> None:
    with api_processes(2, database_url=any_db, logdir=tmp_path) as (a, b), httpx.Client(timeout=30) as http:
        # The emulator is the deployment's (its records in Redis, named after the database):
        # start from none, as a test that ran on this database before may have left some.
        _control(http, a, "/reset")
        account = _signup(http, a, "asha@example.com")
        assert http.put(f"{b.url}/me/billing/address", json=ADDRESS, headers=account["headers"]).status_code == 200
        order = http.post(f"{a.url}/me/billing/orders", json={"amount": 500}, headers=account["headers"]).json()
        # The emulator (shared by both) records the payment's webhooks without sending them:
        # this test sends them itself, each twice to each process, beside both callbacks.
        _control(http, b, "/faults", {"webhook_drop": True})
        paid = _control(http, b, f"/orders/{order['order_id']}/pay", {"method": "upi"})
        deliveries = http.get(f"{a.url}{SANDBOX}/webhooks").json()["items"]
        _control(http, a, "/faults", {"webhook_drop": False})
        assert {d["event"] for d in deliveries} == {"payment.authorized", "payment.captured", "order.paid"}
        assert {d["payment_id"] for d in deliveries} == {paid["razorpay_payment_id"]}
        secret = get_settings().webhook_secret.get_secret_value()

        def webhook(api: ApiProcess, event_id: str) -> httpx.Response:
            body = http.get(f"{a.url}{SANDBOX}/webhooks/{event_id}").json()["body"].encode()
            headers = {"X-Razorpay-Signature": sign(secret, body), "X-Razorpay-Event-Id": event_id}
            return http.post(f"{api.url}/webhooks/razorpay", content=body, headers=headers | {"content-type": "json"})

        def verify(api: ApiProcess) -> httpx.Response:
            return http.post(
                f"{api.url}/me/billing/orders/{order['order_id']}/verify", json=paid, headers=account["headers"]
            )

        calls = [lambda api=api: verify(api) for api in (a, b)] + [
            lambda api=api, d=d: webhook(api, d["event_id"]) for api in (a, b) for d in deliveries for _ in range(2)
        ]
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            answers = list(pool.map(lambda call: call(), calls))
        assert [r.status_code for r in answers] == [200] * len(calls), [r.text for r in answers if r.status_code != 200]
        assert {r.json()["status"] for r in answers[:2]} == {"paid"}
        wait_until(lambda: len(processed_events()) == len(deliveries), what="every webhook event processed")

    credits = credits_for(account["org_id"])
    assert [(c.amount_micros, c.payment_id) for c in credits] == [(500_000_000, paid["razorpay_payment_id"])]
    assert ledger.get_balance(org_id=account["org_id"]) == 600_000_000
    assert ledger.audit() == []


def _key(http: httpx.Client, api: ApiProcess, account: dict[str, Any]) -> dict[str, str]:
    key = http.post(f"{api.url}/me/keys", json={"name": "router"}, headers=account["headers"]).json()
    return {"Authorization": f"Bearer {key['key']}"}


@pytest.fixture
def catalog(any_db: str) -> str:
    pricing.load_catalog()  # what the app does at startup
    return any_db


def test_metering_from_both_processes_keeps_the_books_and_refuses_at_zero(catalog: str, tmp_path: Path) -> None:
    with api_processes(2, database_url=catalog, logdir=tmp_path) as apis, httpx.Client(timeout=30) as http:
        account = _signup(http, apis[0], "ravi@example.com")
        key = _key(http, apis[0], account)

        def request(i: int) -> tuple[int, int]:
            api = apis[i % 2]
            body = {"request_id": f"r-{i}", "model": "sandbox-echo", "max_tokens": 200_000}
            held = http.post(f"{api.url}/v1/billing/authorize", json=body, headers=key)
            if held.status_code != 200:
                return held.status_code, 0
            usage = {
                "request_id": f"r-{i}",
                "model": "sandbox-echo",
                "prompt_tokens": 400_000,
                "completion_tokens": 200_000,
            }
            used = http.post(f"{apis[(i + 1) % 2].url}/v1/billing/usage", json=usage, headers=key)
            assert used.status_code == 200, used.text
            return 200, used.json()["cost_micros"]

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(request, range(400)))

        statuses = {status for status, _ in results}
        assert statuses == {200, 402}, statuses  # the ₹100 ran out part of the way
        balance = ledger.get_balance(org_id=account["org_id"])
        assert balance == 100_000_000 - sum(cost for _, cost in results)
        assert ledger.audit() == []
        # once it is spent, neither process authorizes anything
        for api in apis:
            response = http.post(
                f"{api.url}/v1/billing/authorize", json={"request_id": "after", "model": "sandbox-echo"}, headers=key
            )
            assert response.status_code == 402, response.text
            assert response.json()["error"]["code"] == "insufficient_credits"


def test_killing_a_process_under_metering_load_loses_no_acknowledged_debit(catalog: str, tmp_path: Path) -> None:
    with api_processes(2, database_url=catalog, logdir=tmp_path) as (a, b), httpx.Client(timeout=10) as http:
        account = _signup(http, a, "meera@example.com")
        key = _key(http, a, account)
        acknowledged: dict[str, int] = {}

        def usage(i: int) -> None:
            api = a if i % 2 else b
            body = {"request_id": f"u-{i}", "model": "sandbox-echo", "prompt_tokens": 1000, "completion_tokens": 500}
            try:
                response = http.post(f"{api.url}/v1/billing/usage", json=body, headers=key)
            except httpx.HTTPError:
                return  # not acknowledged: the process died under it
            if response.status_code == 200:
                acknowledged[body["request_id"]] = response.json()["cost_micros"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(usage, i) for i in range(600)]
            time.sleep(0.5)
            a.kill()
            for future in futures:
                future.result()

        assert acknowledged, "no usage was acknowledged before the kill"
        with read_session() as session:
            events = session.exec(select(UsageEvent).where(col(UsageEvent.org_id) == account["org_id"]))
            stored = {event.request_id: event.cost_micros for event in events}
        # every acknowledged debit is stored once, at the cost it was answered with
        assert {rid: stored.get(rid) for rid in acknowledged} == acknowledged
        assert ledger.audit() == []
        # the survivor still answers, and a replay of an acknowledged request is not charged again
        replay = {"request_id": next(iter(acknowledged)), "model": "sandbox-echo"}
        response = http.post(
            f"{b.url}/v1/billing/usage", json=replay | {"prompt_tokens": 1000, "completion_tokens": 500}, headers=key
        )
        assert response.status_code == 200 and response.json()["replayed"] is True, response.text
        assert ledger.audit() == []
