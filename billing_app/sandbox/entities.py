"""In-memory records and their wire form (RAZORPAY.md §2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


def wire_notes(notes: dict[str, str]) -> dict[str, str] | list[str]:
    """Razorpay serialises empty notes as ``[]`` (a PHP empty array)."""
    return dict(notes) if notes else []


def fee_and_tax(amount: int) -> tuple[int, int]:
    """2 % fee plus 18 % GST on it, half-up in paise: 50000 -> (1180, 180)."""
    base = (amount * 2 + 50) // 100
    tax = (base * 18 + 50) // 100
    return base + tax, tax


def collection(items: list[JSON]) -> JSON:
    return {"entity": "collection", "count": len(items), "items": items}


@dataclass
class Order:
    id: str
    amount: int
    currency: str
    receipt: str | None
    notes: dict[str, str]
    capture: str  # "automatic" | "manual"
    created_at: int
    seq: int
    status: str = "created"  # created | attempted | paid
    amount_paid: int = 0
    attempts: int = 0
    payment_ids: list[str] = field(default_factory=list)
    # An authorisation order (Recurring Payments): the customer, the method and the token's
    # terms {max_amount, expire_at, frequency, auth_type, notes}; shown on the wire.
    customer_id: str | None = None
    method: str | None = None
    mandate: JSON | None = None
    # A debit's pre-debit notification {token_id, payment_after, notified_at, debit_after,
    # flow: decoupled | coupled}; the sandbox's own bookkeeping, not on the wire.
    notification: JSON | None = None

    def wire(self) -> JSON:
        body: JSON = {
            "id": self.id,
            "entity": "order",
            "amount": self.amount,
            "amount_paid": self.amount_paid,
            "amount_due": self.amount - self.amount_paid,
            "currency": self.currency,
            "receipt": self.receipt,
            "offer_id": None,
            "status": self.status,
            "attempts": self.attempts,
            "notes": wire_notes(self.notes),
            "created_at": self.created_at,
        }
        if self.mandate is not None:
            terms = {k: self.mandate[k] for k in ("max_amount", "expire_at", "frequency") if k in self.mandate}
            body |= {"method": self.method, "customer_id": self.customer_id, "token": terms}
        return body


@dataclass
class Payment:
    id: str
    order_id: str
    amount: int
    currency: str
    method: str  # upi | card | netbanking | wallet
    email: str
    contact: str
    created_at: int
    seq: int
    description: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    status: str = "created"  # created | authorized | captured | refunded | failed
    captured: bool = False
    amount_refunded: int = 0
    vpa: str | None = None
    bank: str | None = None
    wallet: str | None = None
    card: JSON | None = None
    acquirer_data: JSON = field(default_factory=dict)
    fee: int | None = None
    tax: int | None = None
    error: JSON | None = None  # code, description, source, step, reason
    refund_ids: list[str] = field(default_factory=list)
    # Recurring Payments: the customer and token of an authorisation payment or a debit
    customer_id: str | None = None
    token_id: str | None = None
    debit_at: int | None = None  # a coupled debit waits for the clock to pass this
    reverse_at: int | None = None  # a debit the late-failure switch reverses then

    @property
    def refund_status(self) -> str | None:
        if self.amount_refunded == 0:
            return None
        return "full" if self.amount_refunded >= self.amount else "partial"

    def wire(self, *, expand_card: bool = False) -> JSON:
        """The API shows ``card`` only with ``expand[]=card``; webhooks always do."""
        err = self.error or {}
        body: JSON = {
            "id": self.id,
            "entity": "payment",
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "order_id": self.order_id,
            "invoice_id": None,
            "international": False,
            "method": self.method,
            "amount_refunded": self.amount_refunded,
            "refund_status": self.refund_status,
            "captured": self.captured,
            "description": self.description,
            "card_id": self.card["id"] if self.card else None,
            "bank": self.bank,
            "wallet": self.wallet,
            "vpa": self.vpa,
            "email": self.email,
            "contact": self.contact,
            "notes": wire_notes(self.notes),
            "fee": self.fee,
            "tax": self.tax,
            "error_code": err.get("code"),
            "error_description": err.get("description"),
            "error_source": err.get("source"),
            "error_step": err.get("step"),
            "error_reason": err.get("reason"),
            "acquirer_data": dict(self.acquirer_data),
            "created_at": self.created_at,
        }
        if self.customer_id is not None:
            body["customer_id"] = self.customer_id
            body["token_id"] = self.token_id
        if self.card is not None and expand_card:
            body["card"] = dict(self.card)
        if self.method == "upi":
            body["upi"] = {
                "payer_account_type": "bank_account",
                "vpa": self.vpa,
                "flow": "collect",
            }
        return body


@dataclass
class Refund:
    id: str
    payment_id: str
    amount: int
    currency: str
    notes: dict[str, str]
    receipt: str | None
    speed_requested: str
    created_at: int
    seq: int
    status: str = "pending"  # pending | processed | failed
    arn: str | None = None

    def wire(self) -> JSON:
        return {
            "id": self.id,
            "entity": "refund",
            "amount": self.amount,
            "currency": self.currency,
            "payment_id": self.payment_id,
            "notes": wire_notes(self.notes),
            "receipt": self.receipt,
            "acquirer_data": {"arn": self.arn},
            "created_at": self.created_at,
            "batch_id": None,
            "status": self.status,
            "speed_processed": "normal" if self.status == "processed" else None,
            "speed_requested": self.speed_requested,
        }


@dataclass(frozen=True)
class Event:
    """A webhook event: its name and snapshots of the entities it carries, in order."""

    name: str
    payload: dict[str, JSON]  # e.g. {"payment": {...}, "order": {...}}

    @property
    def contains(self) -> list[str]:
        return list(self.payload)
