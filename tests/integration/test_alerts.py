"""Low-balance alerts end to end with a real SMTP server (aiosmtpd on a loopback port):
the rule (a decrease leaves the balance below the threshold, at most one email per 24
hours), the email itself, and concurrent debits crossing the threshold at once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlmodel import col, select

from billing_app.config import get_settings
from billing_app.context import reset_context
from billing_app.db import read_session, write_session
from billing_app.errors import InvalidRequest, NotFound
from billing_app.jobs.outbox import send_due
from billing_app.models import EmailKind, EmailOutbox, EntryKind, Org, OutboxStatus
from billing_app.services import alerts, api_keys, ledger, metering, pricing
from tests.factories import RUPEE, org_with_balance
from tests.mailbox import Mailbox

T0 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture
def mailbox(mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """The shared SMTP server, with the public URL the alert's links use."""
    monkeypatch.setenv("PUBLIC_URL", "https://billing.example.in")
    reset_context()
    return mailbox


def post(org_id: int, micros: int, *, now: datetime, kind: EntryKind = EntryKind.MANUAL) -> None:
    """A ledger entry (negative: a decrease) at a frozen time."""
    with write_session() as session:
        ledger.post_entry(session, org_id=org_id, kind=kind, amount_micros=micros, description="test", now=now)


def outbox_rows(org_id: int) -> list[EmailOutbox]:
    """The org's low-balance emails (its verification email is not this test's subject)."""
    with read_session() as session:
        return list(
            session.exec(
                select(EmailOutbox)
                .where(col(EmailOutbox.org_id) == org_id, col(EmailOutbox.kind) == EmailKind.LOW_BALANCE)
                .order_by(col(EmailOutbox.id))
            )
        )


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_a_drop_below_the_threshold_sends_exactly_one_email(db, mailbox):
    org_id, owner = org_with_balance(150_100, threshold_rupees=100_000)  # ₹1,50,100, alert below ₹1,00,000
    post(org_id, -75_000_500_000, now=T0)  # −₹75,000.50 → ₹75,099.50

    report = send_due(now=T0 + timedelta(seconds=5))
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert send_due(now=T0 + timedelta(minutes=5)).claimed == 0  # sent once, never again
    [message] = mailbox.messages
    assert message["Subject"].startswith("Low balance")
    assert message["To"].addresses[0].addr_spec == owner
    assert mailbox.envelopes[0].rcpt_tos == [owner]
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    for body in (text, html):
        assert "₹75,099.50" in body  # the balance, Indian grouping
        assert "₹1,00,000.00" in body  # the threshold
        assert "https://billing.example.in/billing" in body  # the Billing page
        assert "https://billing.example.in/settings" in body  # how to change the threshold
    assert "₹75,099.50" in message["Subject"]
    assert '<a href="https://billing.example.in/billing"' in html
    assert message["Message-ID"]

    [row] = outbox_rows(org_id)
    assert (row.status, row.attempts, row.to_email) == (OutboxStatus.SENT, 1, owner)
    assert row.subject == message["Subject"]
    with read_session() as session:
        org = session.get(Org, org_id)
        assert org is not None and org.last_low_balance_alert_at == T0


def test_further_drops_within_24_hours_send_none_and_the_first_after_24_hours_sends(db, mailbox):
    org_id, _ = org_with_balance(1000, threshold_rupees=500)
    post(org_id, -600 * RUPEE, now=T0)  # ₹400: alert
    for later in (timedelta(minutes=1), timedelta(hours=12), timedelta(hours=23, minutes=59)):
        post(org_id, -10 * RUPEE, now=T0 + later)
    assert send_due(now=T0 + timedelta(days=1)).sent == 1
    assert len(mailbox.messages) == 1

    post(org_id, -10 * RUPEE, now=T0 + timedelta(hours=24, seconds=1))  # the window has passed
    assert send_due(now=T0 + timedelta(days=1, minutes=1)).sent == 1
    assert len(mailbox.messages) == 2
    _, html = parts(mailbox.messages[1])
    assert "₹360.00" in html  # 1000 − 600 − 3×10 − 10
    post(org_id, -10 * RUPEE, now=T0 + timedelta(hours=30))  # within the new window
    assert send_due(now=T0 + timedelta(days=2)).claimed == 0
    assert len(mailbox.messages) == 2 == len(outbox_rows(org_id))


def test_setting_or_raising_the_threshold_sends_nothing(db, mailbox):
    org_id, _ = org_with_balance(100)
    alerts.set_threshold(org_id=org_id, threshold_micros=500 * RUPEE)  # already below: still nothing
    alerts.set_threshold(org_id=org_id, threshold_micros=1000 * RUPEE)  # raised: nothing
    assert send_due(now=T0).claimed == 0
    assert outbox_rows(org_id) == [] and mailbox.messages == []
    post(org_id, -1 * RUPEE, now=T0)  # the next decrease decides
    assert send_due(now=T0).sent == 1


def test_top_ups_send_nothing(db, mailbox):
    org_id, _ = org_with_balance(100, threshold_rupees=500)  # below the threshold, no alert yet
    for kind in (EntryKind.CHECKOUT, EntryKind.PROMO, EntryKind.MANUAL):
        post(org_id, 50 * RUPEE, now=T0, kind=kind)  # still below ₹500 after each
    assert outbox_rows(org_id) == []
    post(org_id, -1 * RUPEE, now=T0)
    post(org_id, 10 * RUPEE, now=T0 + timedelta(days=2))  # a top-up after the window: nothing
    assert send_due(now=T0 + timedelta(days=3)).sent == 1
    assert len(mailbox.messages) == 1


def test_the_balance_must_be_strictly_below(db, mailbox):
    org_id, _ = org_with_balance(600, threshold_rupees=500)
    post(org_id, -100 * RUPEE, now=T0)  # exactly ₹500: not below
    assert outbox_rows(org_id) == []
    post(org_id, -1, now=T0)  # ₹499.999999
    assert len(outbox_rows(org_id)) == 1


def test_refunds_and_manual_debits_both_alert(db, mailbox):
    refunded, _ = org_with_balance(100, threshold_rupees=50)
    post(refunded, -60 * RUPEE, now=T0, kind=EntryKind.REFUND)
    manual, _ = org_with_balance(100, threshold_rupees=50)
    ledger.add_manual_entry(org_id=manual, amount_micros=-60 * RUPEE, reason="correction")
    assert send_due().sent == 2
    assert len(mailbox.messages) == 2


def funded_key(rupees: int, *, threshold_rupees: int) -> tuple[int, str]:
    pricing.load_catalog()
    org_id, _ = org_with_balance(rupees, threshold_rupees=threshold_rupees)
    return org_id, api_keys.create_key(org_id=org_id, name="load").secret


def use(key: str, request_id: str, *, tokens: int, now: datetime | None = None) -> metering.Debit:
    """A finished request through the metering hot path (sandbox-echo: ₹51 per 1M output
    tokens + 10 % auto markup, so 1,000,000 tokens cost ₹56.10)."""
    return metering.record_usage(
        api_key=key, request_id=request_id, model="sandbox-echo", prompt_tokens=0, completion_tokens=tokens, now=now
    )


def test_usage_debits_through_metering_alert(any_db, mailbox):
    org_id, key = funded_key(200, threshold_rupees=100)
    steps = [
        ("r0", T0, 0),  # ₹143.90: above
        ("r1", T0 + timedelta(hours=1), 1),  # ₹87.80: the first alert
        ("r1", T0 + timedelta(hours=2), 1),  # a replay debits nothing
        ("r2", T0 + timedelta(hours=3), 1),  # ₹31.70: within 24 hours of the alert
        ("r3", T0 + timedelta(hours=25), 2),  # −₹24.40: 24 hours after it
    ]
    for request_id, now, alerts_so_far in steps:
        use(key, request_id, tokens=1_000_000, now=now)
        assert len(outbox_rows(org_id)) == alerts_so_far, (request_id, now)
    assert send_due(now=T0 + timedelta(hours=26)).sent == 2
    texts = [parts(message)[0] for message in mailbox.messages]
    assert "₹87.80" in texts[0] and "₹100.00" in texts[0]
    assert "-₹24.40" in texts[1]
    assert ledger.audit() == []


def test_the_usage_debit_stamps_and_queues_the_alert_itself(any_db, mailbox):
    """The metering debit decides the alert in its own UPDATE (on PostgreSQL it also queues
    the email in the same statement): the stamp, the outbox row and its payload are the
    ones of the debit that crossed the threshold."""
    org_id, key = funded_key(100, threshold_rupees=50)
    steps = [
        (T0, False),  # ₹71.95: above
        (T0 + timedelta(hours=1), True),  # ₹43.90: below, the first alert
        (T0 + timedelta(hours=24), False),  # ₹15.85: within 24 hours of it
        (T0 + timedelta(hours=25), True),  # −₹12.20: 24 hours after it
    ]
    for n, (now, alerted) in enumerate(steps):
        before = len(outbox_rows(org_id))
        use(key, f"s{n}", tokens=500_000, now=now)  # ₹28.05 each
        assert len(outbox_rows(org_id)) - before == alerted, now
    rows = outbox_rows(org_id)
    assert [row.created_at for row in rows] == [T0 + timedelta(hours=1), T0 + timedelta(hours=25)]
    assert [json.loads(row.payload) for row in rows] == [
        {"balance_micros": 43_900_000, "threshold_micros": 50 * RUPEE, "currency": "INR"},
        {"balance_micros": -12_200_000, "threshold_micros": 50 * RUPEE, "currency": "INR"},
    ]
    with read_session() as session:
        org = session.get(Org, org_id)
        assert org is not None and org.last_low_balance_alert_at == T0 + timedelta(hours=25)
    assert send_due(now=T0 + timedelta(hours=30)).sent == 2
    assert "₹43.90" in parts(mailbox.messages[0])[0]
    assert "-₹12.20" in parts(mailbox.messages[1])[0]


def test_two_debits_at_the_same_instant_queue_one_email(any_db, mailbox):
    """The second debit finds the alert stamped at its own `now`: that is the first one's
    alert, not a new one."""
    org_id, key = funded_key(100, threshold_rupees=50)
    use(key, "first", tokens=1_000_000, now=T0)  # ₹43.90: below, the alert
    use(key, "second", tokens=100_000, now=T0)  # ₹38.29: the same instant
    assert len(outbox_rows(org_id)) == 1


def test_clearing_the_threshold_disables_alerts(db, mailbox):
    org_id, _ = org_with_balance(100, threshold_rupees=50)
    alerts.clear_threshold(org_id=org_id)
    post(org_id, -90 * RUPEE, now=T0)
    assert outbox_rows(org_id) == []
    assert alerts.get_alert_settings(org_id=org_id).threshold_micros is None

    # An alert already queued when the threshold is cleared is cancelled, not sent.
    other, _ = org_with_balance(100, threshold_rupees=50)
    post(other, -90 * RUPEE, now=T0)
    alerts.clear_threshold(org_id=other)
    report = send_due(now=T0 + timedelta(seconds=5))
    assert (report.sent, report.cancelled) == (0, 1)
    assert mailbox.messages == []
    assert [row.status for row in outbox_rows(other)] == [OutboxStatus.CANCELLED]


def test_concurrent_debits_crossing_the_threshold_queue_one_email(any_db, mailbox):
    org_id, key = funded_key(100, threshold_rupees=80)
    debits = 8  # of each kind: ₹5 manual debits and ₹5.61 requests, ₹84.88 in all
    barrier = threading.Barrier(debits * 2)
    errors: list[BaseException] = []

    def manual(_: int) -> None:
        barrier.wait()
        try:
            ledger.add_manual_entry(org_id=org_id, amount_micros=-5 * RUPEE, reason="concurrent")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def usage(i: int) -> None:  # API requests debited on the metering hot path, at the same moment
        barrier.wait()
        try:
            use(key, f"r{i}", tokens=100_000)  # ₹5.61
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fn, args=(i,)) for fn in (manual, usage) for i in range(debits)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert ledger.get_balance(org_id=org_id) == 15_120_000
    assert ledger.audit() == []
    assert len(outbox_rows(org_id)) == 1
    assert send_due().sent == 1
    assert len(mailbox.messages) == 1


def test_threshold_validation(db):
    org_id, _ = org_with_balance(100)
    for bad in (-1, alerts.MAX_THRESHOLD_MICROS + 1, True, 1.5, "100"):
        with pytest.raises(InvalidRequest):
            alerts.set_threshold(org_id=org_id, threshold_micros=bad)  # type: ignore[arg-type]
    found = alerts.set_threshold(org_id=org_id, threshold_micros=0)  # alert when it goes negative
    assert (found.threshold_micros, found.below) == (0, False)
    with pytest.raises(NotFound):
        alerts.set_threshold(org_id=10**9, threshold_micros=1)
    with pytest.raises(NotFound):
        alerts.get_alert_settings(org_id=10**9)


def test_settings_show_threshold_beside_balance_and_the_recipient(db):
    org_id, owner = org_with_balance(100, threshold_rupees=250)
    found = alerts.get_alert_settings(org_id=org_id)
    assert (found.threshold_micros, found.balance_micros, found.currency) == (250 * RUPEE, 100 * RUPEE, "INR")
    assert (found.recipient, found.below, found.last_alert_at) == (owner, True, None)
    assert get_settings().smtp_host == ""  # no mailbox here: SMTP_HOST unset
