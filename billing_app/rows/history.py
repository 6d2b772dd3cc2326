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
    receipt_label: str = "Receipt"  # "Invoice" / "Credit note" when the link is a GST document


def signed_money(micros: int, currency: str) -> str:
    text = format_money(abs(micros), currency)
    return f"+{text}" if micros >= 0 else f"−{text}"


def entry_row(
    entry: LedgerEntry,
    currency: str,
    invoices: Mapping[str, str] | None = None,
    credit_notes: Mapping[str, str] | None = None,
) -> HistoryRow:
    """`invoices`: tax invoice serials by payment id; `credit_notes`: credit note serials by
    Razorpay refund id. A credited payment links to its invoice when it has one, to its receipt
    otherwise (paid before GST was on, or without it); a refund links to the credit note its
    invoiced payment got, and to nothing when there is none."""
    link, label = _document_link(entry, invoices or {}, credit_notes or {})
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


def _document_link(entry: LedgerEntry, invoices: Mapping[str, str], credit_notes: Mapping[str, str]) -> tuple[str, str]:
    if entry.kind == "refund":
        note = credit_notes.get(entry.external_ref or "")
        return (routes.credit_note_url(note), "Credit note") if note else ("", "Receipt")
    if entry.kind != "checkout" or not entry.payment_id:
        return "", "Receipt"
    invoice = invoices.get(entry.payment_id)
    if invoice:
        return routes.invoice_url(invoice), "Invoice"
    return routes.receipt_url(entry.payment_id), "Receipt"


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


def refund_ids(items: list[HistoryItem]) -> list[str]:
    """The Razorpay refunds debited on a page: the ones that may have a GST credit note."""
    return [i.external_ref for i in items if isinstance(i, LedgerEntry) and i.kind == "refund" and i.external_ref]


def history_rows(
    items: list[HistoryItem],
    currency: str,
    invoices: Mapping[str, str] | None = None,
    credit_notes: Mapping[str, str] | None = None,
) -> list[HistoryRow]:
    return [
        entry_row(i, currency, invoices, credit_notes) if isinstance(i, LedgerEntry) else deduction_row(i, currency)
        for i in items
    ]
