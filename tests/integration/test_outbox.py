"""The email outbox sender against a real SMTP server (aiosmtpd on a loopback port): SMTP
down → retried later with backoff, not lost, not duplicated; two senders (threads, and
two `send-emails` processes) at once → each email once; stale leases; permanent
refusals; no SMTP_HOST → the log; login and STARTTLS."""

from __future__ import annotations

import logging
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult

from billing_app.context import reset_context
from billing_app.jobs.outbox import send_all_due, send_due
from billing_app.models import OutboxStatus
from billing_app.services import outbox
from tests.factories import RUPEE, org_with_balance
from tests.integration.test_alerts import T0, outbox_rows, post
from tests.mailbox import Mailbox

ROOT = Path(__file__).resolve().parents[2]


def configure_smtp(monkeypatch: pytest.MonkeyPatch, port: int, **extra: str) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    reset_context()


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """Configured but not started: each test decides when SMTP is up."""
    box = Mailbox()
    configure_smtp(monkeypatch, box.port)
    yield box
    box.stop()
    reset_context()


def alerted_org(now=T0) -> tuple[int, str]:
    """An org whose alert has just been queued (balance ₹40, threshold ₹50)."""
    org_id, owner = org_with_balance(100, threshold_rupees=50)
    post(org_id, -60 * RUPEE, now=now)
    return org_id, owner


def test_smtp_down_is_retried_with_backoff_then_delivered_once(db, mailbox):
    org_id, owner = alerted_org()  # the mailbox is not running: connection refused

    first = send_due(now=T0)
    assert (first.claimed, first.sent, first.retrying) == (1, 0, 1)
    [row] = outbox_rows(org_id)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.next_attempt_at == T0 + timedelta(seconds=30)
    assert row.last_error and "Connection" in row.last_error

    assert send_due(now=T0 + timedelta(seconds=29)).claimed == 0  # not due yet
    assert send_due(now=T0 + timedelta(seconds=30)).retrying == 1  # still down: the wait doubles
    [row] = outbox_rows(org_id)
    assert (row.attempts, row.next_attempt_at) == (2, T0 + timedelta(seconds=90))

    mailbox.start()
    assert send_due(now=T0 + timedelta(seconds=60)).claimed == 0  # up, but the retry is not due
    assert mailbox.messages == []
    assert send_due(now=T0 + timedelta(seconds=90)).sent == 1
    for later in (timedelta(minutes=5), timedelta(hours=2), timedelta(days=2)):
        assert send_due(now=T0 + later).claimed == 0
    [message] = mailbox.messages
    assert message["To"].addresses[0].addr_spec == owner
    [row] = outbox_rows(org_id)
    assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.SENT, 3, T0 + timedelta(seconds=90))


def test_backoff_doubles_up_to_an_hour_and_gives_up_after_max_attempts(db, mailbox):
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4, 7, 8, 12)] == [
        30,
        60,
        120,
        240,
        1920,
        3600,
        3600,
    ]
    org_id, _ = alerted_org()
    now = T0
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        report = send_due(now=now)
        assert report.claimed == 1, attempt
        now += outbox.backoff(attempt)
    assert report.failed == 1
    [row] = outbox_rows(org_id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, outbox.MAX_ATTEMPTS)
    mailbox.start()
    assert send_due(now=now + timedelta(days=1)).claimed == 0  # given up: never sent


def test_a_permanent_refusal_is_not_retried(db, mailbox):
    mailbox.refuse_recipients = True
    mailbox.start()
    org_id, _ = alerted_org()
    assert send_due(now=T0).failed == 1
    [row] = outbox_rows(org_id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert row.last_error and "550" in row.last_error


def test_a_stale_lease_is_taken_over_and_the_old_claim_cannot_finish(db, mailbox):
    mailbox.start()
    org_id, _ = alerted_org()
    [row] = outbox_rows(org_id)
    assert row.id is not None
    crashed = outbox.claim_email(outbox_id=row.id, now=T0)  # a sender that then died
    assert crashed is not None
    assert outbox.claim_email(outbox_id=row.id, now=T0) is None  # held: nobody else gets it
    assert send_due(now=T0 + outbox.LEASE - timedelta(seconds=1)).claimed == 0
    assert send_due(now=T0 + outbox.LEASE).sent == 1
    assert len(mailbox.messages) == 1
    # The dead sender waking up cannot overwrite what the live one recorded.
    assert not outbox.mark_email_sent(
        outbox_id=row.id, token=crashed.token, now=T0, to_email="x@y.z", subject="x", payload={}
    )
    [row] = outbox_rows(org_id)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert row.to_email != "x@y.z"


def test_two_senders_at_once_send_each_email_once(any_db, mailbox):
    mailbox.delay = 0.02  # a slow server keeps both senders busy at the same time
    mailbox.start()
    owners = {alerted_org()[1] for _ in range(12)}
    barrier = threading.Barrier(2)
    reports = []

    def sender() -> None:
        barrier.wait()
        reports.append(send_all_due(now=T0 + timedelta(seconds=1)))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    recipients = [rcpt for envelope in mailbox.envelopes for rcpt in envelope.rcpt_tos]
    assert sorted(recipients) == sorted(owners)  # each owner exactly once
    assert sum(report.sent for report in reports) == 12
    assert send_all_due(now=T0 + timedelta(days=1)).claimed == 0


def test_two_app_processes_send_each_email_once(any_db, mailbox):
    """`python -m billing_app.cli send-emails` twice at the same moment."""
    mailbox.delay = 0.05
    mailbox.start()
    owners = {alerted_org(now=T0 - timedelta(minutes=1))[1] for _ in range(12)}
    env = dict(os.environ, DATABASE_URL=any_db, BACKGROUND_JOBS="false")
    command = [sys.executable, "-m", "billing_app.cli", "send-emails"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    sent = [int(out.split("email outbox: ")[1].split(" sent")[0]) for out, _ in outputs]
    assert sum(sent) == 12, outputs
    recipients = [rcpt for envelope in mailbox.envelopes for rcpt in envelope.rcpt_tos]
    assert sorted(recipients) == sorted(owners)


def test_without_smtp_host_the_email_goes_to_the_log(db, monkeypatch, caplog):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    reset_context()
    org_id, owner = alerted_org()
    with caplog.at_level(logging.INFO, logger="billing_app.integrations.mailer"):
        assert send_due(now=T0).sent == 1
    [record] = [r for r in caplog.records if r.name == "billing_app.integrations.mailer"]
    logged = record.getMessage()
    assert owner in logged
    assert "Subject: Low balance: ₹40.00" in logged
    assert "below your low-balance alert threshold of ₹50.00" in logged
    [row] = outbox_rows(org_id)
    assert row.status == OutboxStatus.SENT


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_user_logs_in(db, mailbox, monkeypatch):
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

    mailbox.start(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    configure_smtp(monkeypatch, mailbox.port, SMTP_USER="alerts@example.in", SMTP_PASSWORD="s3cret")
    alerted_org()
    assert send_due(now=T0).sent == 1
    assert logins == [(b"alerts@example.in", b"s3cret")]
    assert len(mailbox.messages) == 1


@pytest.fixture
def tls_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 that the app's default context trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", *subject, *files],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_smtp_tls_uses_starttls(db, mailbox, monkeypatch, tls_context):
    mailbox.start(tls_context=tls_context, require_starttls=True)
    configure_smtp(monkeypatch, mailbox.port, SMTP_TLS="true")
    alerted_org()
    assert send_due(now=T0).sent == 1
    assert len(mailbox.messages) == 1
    monkeypatch.setenv("SMTP_TLS", "false")  # the same server refuses plain text
    reset_context()
    alerted_org()
    assert send_due(now=T0).retrying == 1
    assert len(mailbox.messages) == 1
