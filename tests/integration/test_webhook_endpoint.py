"""POST /webhooks/razorpay over HTTP: signatures on the raw body, dedupe on event id."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest

from billing_app.config import SANDBOX_WEBHOOK_SECRET
from billing_app.db import read_session
from billing_app.integrations.razorpay_gateway import webhook_signature_ok
from billing_app.models import WebhookEvent
from billing_app.services import webhooks
from tests.payments_support import LiveApp, live_app, wait_until


@pytest.fixture
def app(db, monkeypatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        yield running


def sign(body: bytes, secret: str = SANDBOX_WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event(kind: str, order_id: str = "order_Unknown0000000") -> bytes:
    payload = {"payment": {"entity": {"id": "pay_X", "order_id": order_id, "amount": 100, "currency": "INR"}}}
    return json.dumps({"entity": "event", "event": kind, "contains": ["payment"], "payload": payload}).encode()


def post(app: LiveApp, body: bytes, signature: str | None, event_id: str | None = "evt_Test0000000001"):
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["x-razorpay-signature"] = signature
    if event_id is not None:
        headers["x-razorpay-event-id"] = event_id
    return app.http.post(f"{app.url}/webhooks/razorpay", content=body, headers=headers)


def rows() -> list[WebhookEvent]:
    from sqlmodel import select

    with read_session() as session:
        return list(session.exec(select(WebhookEvent)))


@pytest.mark.parametrize("signature", ["0" * 64, None, sign(b"something else"), sign(b"x", "wrong-secret")])
def test_bad_or_missing_signature_is_400(app, signature):
    response = post(app, event("payment.captured"), signature)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "signature_invalid"
    [row] = rows()
    assert not row.signature_ok and row.event_id.startswith("invalid:")


def test_reserialised_json_fails_the_signature(app):
    body = event("payment.captured")
    reserialised = json.dumps(json.loads(body), indent=2).encode()
    assert post(app, reserialised, sign(body)).status_code == 400


def test_a_forged_event_cannot_shadow_the_real_one(app):
    body = event("payment.failed")
    assert post(app, body, "bad", event_id="evt_Same0000000001").status_code == 400
    response = post(app, body, sign(body), event_id="evt_Same0000000001")
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def test_duplicates_and_unhandled_events_get_2xx(app):
    body = event("payment.failed")
    assert post(app, body, sign(body)).json() == {"status": "accepted"}
    assert post(app, body, sign(body)).json() == {"status": "duplicate"}
    other = event("customer.created")
    assert post(app, other, sign(other), event_id="evt_Other000000001").status_code == 200
    assert len(rows()) == 2


def test_unknown_order_is_recorded_not_credited(app):
    body = event("payment.captured")
    assert post(app, body, sign(body)).status_code == 200
    row = wait_until(lambda: next((r for r in rows() if r.processed_at), None), what="processing")
    assert row.error and "not_found" in row.error


def test_a_body_that_is_not_utf8_is_stored_as_received_and_verifies_again(app):
    body = event("payment.failed")[:-1] + b', "note": "\xff\xfe caf\xe9"}'
    assert post(app, body, sign(body), event_id="evt_Latin100000001").status_code == 200
    [row] = rows()
    assert row.raw_body == body and row.signature == sign(body)
    assert webhook_signature_ok(webhook_secret=SANDBOX_WEBHOOK_SECRET, raw_body=row.raw_body, signature=row.signature)


def test_the_stored_bytes_verify_again_on_either_database(any_db):
    body = b'{"event": "payment.failed", "payload": {}, "note": "\x80\xc3("}'
    received = webhooks.receive(raw_body=body, signature=sign(body), event_id="evt_Bytes000000001")
    with read_session() as session:
        row = session.get(WebhookEvent, received.event_row_id)
    assert row is not None and row.raw_body == body and row.event_type == ""
    assert webhook_signature_ok(webhook_secret=SANDBOX_WEBHOOK_SECRET, raw_body=row.raw_body, signature=row.signature)
