"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from billing_app.models.account import (
    AuthSession,
    EmailToken,
    Invitation,
    Membership,
    Org,
    SignupCreditClaim,
    User,
)
from billing_app.models.audit import AuditEvent
from billing_app.models.autotopup import (
    AutoTopupDebit,
    AutoTopupMandate,
    AutoTopupRule,
    DebitStatus,
    MandateStatus,
)
from billing_app.models.console import (
    ManualEntryRequest,
    ManualStatus,
    RefundRequest,
    RefundStatus,
)
from billing_app.models.gst import CreditNoteRecord, GstSeries, TaxInvoiceRecord
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
    "AuditEvent",
    "AuthSession",
    "AutoTopupDebit",
    "AutoTopupMandate",
    "AutoTopupRule",
    "BillingAddress",
    "CreditNoteRecord",
    "DebitStatus",
    "EmailKind",
    "EmailOutbox",
    "EmailToken",
    "EntryKind",
    "GstSeries",
    "Hold",
    "HoldTotal",
    "Invitation",
    "JobLease",
    "LedgerEntry",
    "MandateStatus",
    "ManualEntryRequest",
    "ManualStatus",
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
    "RefundRequest",
    "RefundStatus",
    "RoutingMode",
    "RoutingProfile",
    "SignupCreditClaim",
    "TaxInvoiceRecord",
    "UsageDaily",
    "UsageEvent",
    "User",
    "WebhookEvent",
]
