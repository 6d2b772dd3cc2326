"""Sending email over SMTP: the only module that imports smtplib and email.

Every message is multipart/alternative (plain text and HTML). SMTP_TLS upgrades the
connection with STARTTLS (or, on port 465, speaks TLS from the start); SMTP_USER logs
in. With no SMTP_HOST the message is written to the log instead, and counts as sent.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from billing_app.config import Settings, get_settings

log = logging.getLogger(__name__)

# Per socket operation. Far below the outbox lease (10 minutes), so a slow server never
# lets a second sender take over a message that is still being sent.
SMTP_TIMEOUT_SECONDS = 30.0
IMPLICIT_TLS_PORT = 465


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    to_name: str = ""
    # Stable per outbox row, so a receiving system can drop a rare duplicate.
    message_id: str | None = None


class MailError(Exception):
    """The message was not accepted. `permanent`: the server refused it for good (5xx);
    otherwise it may be tried again later."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def build_message(email: Email, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((email.to_name, email.to)) if email.to_name else email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    if email.message_id:
        message["Message-ID"] = email.message_id
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    if settings.smtp_tls and settings.smtp_port == IMPLICIT_TLS_PORT:
        return smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=SMTP_TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
    if settings.smtp_tls:
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def send_email(email: Email, *, settings: Settings | None = None) -> str:
    """Hand the message to SMTP_HOST (returns "smtp") or, with none configured, write it to
    the log (returns "log"). Blocking: call it from a thread. Raises MailError."""
    settings = settings or get_settings()
    message = build_message(email, sender=settings.smtp_from)
    if not settings.smtp_host:
        log.warning(
            "SMTP_HOST is not set: email written here instead of sent\nFrom: %s\nTo: %s\nSubject: %s\n\n%s",
            message["From"],
            message["To"],
            email.subject,
            email.text,
        )
        return "log"
    try:
        with _connect(settings) as smtp:
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    # Only a 5xx about this message (its recipient, its content) is permanent; the rest
    # (unreachable, timed out, TLS, login, a refused sender: configuration) is retried.
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise MailError(f"recipient refused: {exc.recipients!r}", permanent=all(c >= 500 for c in codes)) from exc
    except smtplib.SMTPDataError as exc:
        raise MailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
    return "smtp"
