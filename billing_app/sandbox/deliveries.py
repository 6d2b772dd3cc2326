"""A webhook delivery as the sandbox records it: the event's bytes, signed once, and every
attempt to deliver them (the dispatcher in webhooks.py makes the attempts)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from .entities import JSON


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    event_id: str
    event: str
    body: bytes
    created_at: int
    refs: dict[str, str]  # entity kind -> id, e.g. {"payment": "pay_…"}
    status: str = "pending"  # pending | retrying | delivered | failed | dropped | unsent
    delivered: bool = False
    attempts: list[JSON] = field(default_factory=list)

    def summary(self) -> JSON:
        last = self.attempts[-1] if self.attempts else {}
        return {
            "event_id": self.event_id,
            "event": self.event,
            "created_at": self.created_at,
            "status": self.status,
            "delivered": self.delivered,
            "attempts": len(self.attempts),
            "last_status_code": last.get("status_code"),
            "last_error": last.get("error"),
            **{f"{kind}_id": ref for kind, ref in self.refs.items()},
        }

    def detail(self) -> JSON:
        return {
            **self.summary(),
            "attempt_log": list(self.attempts),
            "body": self.body.decode(),
        }
