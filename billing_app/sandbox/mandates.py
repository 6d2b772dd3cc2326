"""Recurring Payments records and their wire form: customers and the tokens (mandates) a
customer authorises once and the merchant charges later (INDIA.md, Recurring Payments)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .entities import JSON, wire_notes

# recurring_details.status of a token, and the webhook each change fires
TOKEN_STATUSES = ("initiated", "confirmed", "rejected", "paused", "cancelled")


@dataclass
class Customer:
    id: str
    name: str | None
    email: str | None
    contact: str | None
    gstin: str | None
    notes: dict[str, str]
    created_at: int
    seq: int

    def wire(self) -> JSON:
        return {
            "id": self.id,
            "entity": "customer",
            "name": self.name,
            "email": self.email,
            "contact": self.contact,
            "gstin": self.gstin,
            "notes": wire_notes(self.notes),
            "created_at": self.created_at,
        }


@dataclass
class Token:
    id: str
    token: str  # the opaque value Razorpay shows beside the id
    customer_id: str
    order_id: str  # the authorisation order
    method: str  # card | upi | emandate
    max_amount: int
    expired_at: int
    frequency: str
    created_at: int
    seq: int
    status: str = "initiated"  # one of TOKEN_STATUSES
    failure_reason: str | None = None
    card: JSON | None = None
    vpa: str | None = None
    bank: str | None = None
    auth_type: str | None = None
    used_at: int | None = None
    deleted: bool = False
    notes: dict[str, str] = field(default_factory=dict)
    debits: list[str] = field(default_factory=list)  # recurring payment ids, oldest first

    def wire(self) -> JSON:
        body: JSON = {
            "id": self.id,
            "entity": "token",
            "token": self.token,
            "bank": self.bank,
            "wallet": None,
            "method": self.method,
        }
        if self.card is not None:
            body["card"] = dict(self.card)
        if self.vpa is not None:
            username, _, handle = self.vpa.partition("@")
            body["vpa"] = {"username": username, "handle": handle or None, "name": None}
        return body | {
            "recurring": True,
            "recurring_details": {"status": self.status, "failure_reason": self.failure_reason},
            "auth_type": self.auth_type,
            "mrn": None,
            "used_at": self.used_at,
            "created_at": self.created_at,
            "start_time": self.created_at,
            "expired_at": self.expired_at,
            "dcc_enabled": False,
            "max_amount": self.max_amount,
            "customer_id": self.customer_id,
            "notes": wire_notes(self.notes),
            "billing_address": None,
        }
