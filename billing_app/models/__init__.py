"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from billing_app.models.account import AuthSession, Membership, Org, User
from billing_app.models.job_lease import JobLease
from billing_app.models.ledger import EntryKind, LedgerEntry
from billing_app.models.metering import (
    ApiKey,
    Hold,
    HoldTotal,
    ModelPrice,
    PriceSource,
    RoutingMode,
    RoutingProfile,
    UsageDaily,
    UsageEvent,
)
from billing_app.models.outbox import EmailKind, EmailOutbox, OutboxStatus
from billing_app.models.payments import BillingAddress, OrderStatus, Payment, PaymentOrder, WebhookEvent
from billing_app.models.promo import PromoCode, PromoRedemption

__all__ = [
    "ApiKey",
    "AuthSession",
    "BillingAddress",
    "EmailKind",
    "EmailOutbox",
    "EntryKind",
    "Hold",
    "HoldTotal",
    "JobLease",
    "LedgerEntry",
    "Membership",
    "ModelPrice",
    "OrderStatus",
    "Org",
    "OutboxStatus",
    "Payment",
    "PaymentOrder",
    "PriceSource",
    "PromoCode",
    "PromoRedemption",
    "RoutingMode",
    "RoutingProfile",
    "UsageDaily",
    "UsageEvent",
    "User",
    "WebhookEvent",
]
