"""The email outbox sender: delivers due outbox rows over SMTP (integrations/mailer.py).

Each row is claimed with a conditional UPDATE before it is sent and marked sent after,
so any number of senders (threads, app processes) never send one email twice; a failed
attempt is retried after an exponential backoff, and a claim left by a sender that died
is taken over once its lease is stale (services/outbox.py). Runs as a lifespan task of
the app (BACKGROUND_JOBS), in one worker at a time (the `email_outbox` lease,
jobs/every.py), and as `python -m billing_app.cli send-emails`.

SMTP has no exactly-once: a sender killed after the server accepted a message but before
the row was marked sent leaves it to be sent again when its lease is taken over (with the
same Message-ID, so mail systems can fold the two). Every other kill point sends it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from billing_app import routes
from billing_app.config import Settings, get_settings
from billing_app.integrations.mailer import Email, MailError, send_email
from billing_app.jobs import account_emails
from billing_app.jobs.every import every
from billing_app.models import EmailKind, OutboxStatus
from billing_app.models.types import utcnow
from billing_app.money import format_money
from billing_app.services import outbox

log = logging.getLogger(__name__)

SEND_INTERVAL_SECONDS = 5.0  # the docs promise an alert "within a minute of the drop"
BATCH = 50
LEASE_NAME = "email_outbox"


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0

    def add(self, other: SendReport) -> None:
        for name in ("claimed", "sent", "retrying", "failed", "cancelled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def low_balance_email(claimed: outbox.Claimed, *, settings: Settings) -> Email:
    """Subject "Low balance: …", the balance and the threshold (as they were when the alert
    became due), a link to the Billing page and how to change the threshold."""
    facts = claimed.payload
    balance = format_money(int(facts["balance_micros"]), facts["currency"])
    threshold = format_money(int(facts["threshold_micros"]), facts["currency"])
    billing_url = settings.base_url + routes.BILLING
    settings_url = settings.base_url + routes.SETTINGS
    org = claimed.org_name or "your organisation"
    greeting = f"Hello {claimed.to_name}," if claimed.to_name else "Hello,"
    text = (
        f"{greeting}\n\n"
        f"The credit balance of {org} is {balance}, below your low-balance alert threshold of {threshold}.\n"
        "Once it reaches zero, API requests are refused (402 insufficient_credits) until you top up.\n\n"
        f"Top up on the Billing page: {billing_url}\n\n"
        f"To change the threshold or turn these alerts off, open Settings: {settings_url}\n\n"
        f"You get this email at most once every 24 hours, as the owner of {org}.\n"
    )
    html = f"""<!doctype html>
<html><body style="font-family: system-ui, sans-serif; color: #1c2024; line-height: 1.5">
<p>{escape(greeting)}</p>
<p>The credit balance of <strong>{escape(org)}</strong> is <strong>{escape(balance)}</strong>,
below your low-balance alert threshold of <strong>{escape(threshold)}</strong>.
Once it reaches zero, API requests are refused (402 insufficient_credits) until you top up.</p>
<p><a href="{escape(billing_url)}" style="display: inline-block; padding: 10px 16px; background: #3e63dd;
color: #ffffff; border-radius: 6px; text-decoration: none">Top up on the Billing page</a></p>
<p>To change the threshold or turn these alerts off, open
<a href="{escape(settings_url)}">Settings</a>.</p>
<p style="color: #60646c; font-size: 13px">You get this email at most once every 24 hours,
as the owner of {escape(org)}.</p>
</body></html>
"""
    domain = settings.smtp_from.rpartition("@")[2] or "localhost"
    return Email(
        to=claimed.to_email or "",
        to_name=claimed.to_name,
        subject=f"Low balance: {balance} left in {org}",
        text=text,
        html=html,
        message_id=f"<outbox-{claimed.id}.{claimed.kind}@{domain}>",
    )


RENDERERS: dict[str, Callable[..., Email]] = {
    EmailKind.LOW_BALANCE: low_balance_email,
    EmailKind.VERIFY_EMAIL: account_emails.verification_email,
    EmailKind.PASSWORD_RESET: account_emails.password_reset_email,
    EmailKind.INVITATION: account_emails.invitation_email,
    EmailKind.REFUND_STARTED: account_emails.refund_started_email,
    EmailKind.AUTOTOPUP_OFF: account_emails.autotopup_off_email,
    EmailKind.AUTOTOPUP_NOTICE: account_emails.autotopup_notice_email,
}


def _deliver(claimed: outbox.Claimed, clock: Callable[[], datetime], settings: Settings, report: SendReport) -> None:
    if claimed.kind == EmailKind.LOW_BALANCE and not claimed.alert_on:
        outbox.cancel_email(
            outbox_id=claimed.id,
            token=claimed.token,
            reason="the low-balance alert was turned off before this was sent",
        )
        report.cancelled += 1
        return
    render = RENDERERS.get(claimed.kind)
    if render is None or claimed.to_email is None:
        problem = "the org has no owner to email" if claimed.to_email is None else f"unknown kind {claimed.kind!r}"
        outbox.mark_email_failed(
            outbox_id=claimed.id,
            token=claimed.token,
            attempts=claimed.attempts,
            now=clock(),
            error=problem,
            permanent=True,
        )
        log.error("outbox %d not sendable: %s", claimed.id, problem)
        report.failed += 1
        return
    email = render(claimed, settings=settings)
    try:
        send_email(email, settings=settings)
    except MailError as exc:
        status = outbox.mark_email_failed(
            outbox_id=claimed.id,
            token=claimed.token,
            attempts=claimed.attempts,
            now=clock(),
            error=str(exc),
            permanent=exc.permanent,
        )
        if status == OutboxStatus.FAILED:
            log.error("outbox %d: giving up after %d attempt(s): %s", claimed.id, claimed.attempts, exc)
            report.failed += 1
        else:
            log.warning("outbox %d: attempt %d failed, will retry: %s", claimed.id, claimed.attempts, exc)
            report.retrying += 1
        return
    outbox.mark_email_sent(
        outbox_id=claimed.id,
        token=claimed.token,
        now=clock(),
        to_email=email.to,
        subject=email.subject,
        payload=claimed.payload,
    )
    report.sent += 1


def send_due(*, now: datetime | None = None, limit: int = BATCH, lease: timedelta = outbox.LEASE) -> SendReport:
    """One pass over up to `limit` due rows. Safe to run anywhere, any number of times, in
    any number of processes at once. `now` freezes the clock (tests); a row claimed longer
    than `lease` ago by a sender that never finished is taken over."""
    settings = get_settings()
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    report = SendReport()
    for outbox_id in outbox.due_email_ids(now=clock(), limit=limit, lease=lease):
        claimed = outbox.claim_email(outbox_id=outbox_id, now=clock(), lease=lease)
        if claimed is None:
            continue  # another sender took it
        report.claimed += 1
        try:
            _deliver(claimed, clock, settings, report)
        except Exception as exc:  # a bug or the database: retry later rather than hold the lease
            log.exception("outbox %d: delivery failed", claimed.id)
            outbox.mark_email_failed(
                outbox_id=claimed.id, token=claimed.token, attempts=claimed.attempts, now=clock(), error=repr(exc)
            )
            report.retrying += 1
    return report


def send_all_due(*, now: datetime | None = None, lease: timedelta = outbox.LEASE) -> SendReport:
    """Passes until nothing due is left (the CLI's `send-emails`)."""
    total = SendReport()
    while True:
        report = send_due(now=now, limit=BATCH, lease=lease)
        total.add(report)
        if report.claimed < BATCH:
            return total


def send_pass() -> SendReport:
    report = send_due()
    if report.claimed:
        log.info("email outbox: %s", report)
    return report


async def outbox_loop(*, interval: float = SEND_INTERVAL_SECONDS, lease_seconds: float | None = None) -> None:
    """Lifespan task: a pass every SEND_INTERVAL_SECONDS, off the event loop, in one worker
    at a time."""
    await every(interval, send_pass, lease=LEASE_NAME, lease_seconds=lease_seconds)
