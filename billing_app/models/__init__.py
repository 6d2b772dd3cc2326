"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from billing_app.models.account import AuthSession, Membership, Org, User
from billing_app.models.ledger import EntryKind, LedgerEntry
from billing_app.models.payments import BillingAddress, OrderStatus, Payment, PaymentOrder, WebhookEvent
from billing_app.models.promo import PromoCode, PromoRedemption

__all__ = [
    "AuthSession",
    "BillingAddress",
    "EntryKind",
    "LedgerEntry",
    "Membership",
    "OrderStatus",
    "Org",
    "Payment",
    "PaymentOrder",
    "PromoCode",
    "PromoRedemption",
    "User",
    "WebhookEvent",
]
