"""A real SMTP server (aiosmtpd) on a loopback port that keeps what it is given: the app
under test sends its emails here, and tests read them as the recipient would."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """An SMTP server on 127.0.0.1 that keeps what it is given. Start and stop it at will
    (the port stays the same, so a stopped mailbox is "SMTP down": connection refused)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.envelopes: list[Any] = []
        self.delay = 0.0  # seconds before accepting each message (slow server)
        self.refuse_recipients = False
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def start(self, **smtp_options: Any) -> Mailbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **smtp_options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            contents = [envelope.content for envelope in self.envelopes]
        return [message_from_bytes(content, policy=policy.default) for content in contents]  # type: ignore[misc]

    def link_in_email(self, to: str, subject_starts: str, timeout: float = 30.0, *, at_least: int = 1) -> str:
        """The first link in the newest email to `to` whose subject starts with `subject_starts`,
        waiting up to `timeout` seconds until `at_least` such emails have arrived (a second
        invitation's email, say, and not only the first's)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            matching = [
                message
                for message in self.messages
                if to in [address.addr_spec for address in message["To"].addresses]
                and str(message["Subject"]).startswith(subject_starts)
            ]
            if len(matching) >= at_least:
                text = matching[-1].get_body(preferencelist=("plain",))
                assert text is not None
                found = re.search(r"https?://\S+", text.get_content())
                assert found, text.get_content()
                return found.group(0)
            time.sleep(0.2)
        raise AssertionError(f"no email {subject_starts!r}… reached {to} in {timeout:g} s")
