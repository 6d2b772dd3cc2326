"""The rows of the Billing page's transaction history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from billing_app import routes
from billing_app.ist import display_ist
from billing_app.models import LedgerEntry
from billing_app.money import format_money
from billing_app.services.history import Deduction, HistoryItem

ENTRY_LABELS = {
    "signup_credit": "Signup credit",
    "checkout": "Top-up",
    "promo": "Promo bonus",
    "manual": "Adjustment",
    "refund": "Refund",
    "deduction": "Usage",
}


@dataclass(frozen=True)
class HistoryRow:
    key: str  # unique on the page: the entry id, or the usage day
    date: str
    type: str
    kind: str
    amount: str  # signed: "+₹100.00", "−₹3.50"
    credit: bool  # money in (drawn green) or out
    description: str
    balance_after: str
    receipt_url: str  # "" when the row has no receipt (or tax invoice)
    receipt_label: str = "Receipt"  # "Invoice" when the payment has a GST tax invoice


def signed_money(micros: int, currency: str) -> str:
    text = format_money(abs(micros), currency)
    return f"+{text}" if micros >= 0 else f"−{text}"


def entry_row(entry: LedgerEntry, currency: str, invoices: Mapping[str, str] | None = None) -> HistoryRow:
    """`invoices`: tax invoice serials by payment id. A credited payment links to its invoice
    when it has one, to its receipt otherwise (paid before GST was on, or without it)."""
    has_receipt = bool(entry.payment_id) and entry.kind == "checkout"
    invoice = (invoices or {}).get(entry.payment_id or "") if has_receipt else None
    if invoice:
        link, label = routes.invoice_url(invoice), "Invoice"
    else:
        link, label = (routes.receipt_url(entry.payment_id) if has_receipt and entry.payment_id else ""), "Receipt"
    return HistoryRow(
        key=f"entry-{entry.id}",
        date=display_ist(entry.created_at),
        type=ENTRY_LABELS.get(entry.kind, entry.kind),
        kind=entry.kind,
        amount=signed_money(entry.amount_micros, currency),
        credit=entry.amount_micros >= 0,
        description=entry.description,
        balance_after=format_money(entry.balance_after_micros, currency),
        receipt_url=link,
        receipt_label=label,
    )


def deduction_row(day: Deduction, currency: str) -> HistoryRow:
    """A day of API usage, shown beside the money events when "Show daily usage" is on."""
    return HistoryRow(
        key=f"usage-{day.day.isoformat()}",
        date=f"{day.day:%d %b %Y}, whole day IST",
        type=ENTRY_LABELS["deduction"],
        kind="deduction",
        amount=signed_money(-day.cost_micros, currency),
        credit=False,
        description=day.description,
        balance_after="—",
        receipt_url="",
    )


def topup_payment_ids(items: list[HistoryItem]) -> list[str]:
    """The payments credited by top-ups on a page: the ones that may have a tax invoice."""
    return [i.payment_id for i in items if isinstance(i, LedgerEntry) and i.kind == "checkout" and i.payment_id]


def history_rows(
    items: list[HistoryItem], currency: str, invoices: Mapping[str, str] | None = None
) -> list[HistoryRow]:
    return [
        entry_row(i, currency, invoices) if isinstance(i, LedgerEntry) else deduction_row(i, currency) for i in items
    ]
