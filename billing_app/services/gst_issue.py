"""Issuing GST documents inside the transaction that moves the money (docs/gst.md).

`issue_invoice_in` runs in settlement's crediting transaction, `issue_credit_note_in` in the
refund's. Each takes its serial number from the series counter in that same transaction: a
credit or refund that rolls back takes its number back with it, so a series has no gaps, and
the counter row's lock (an `UPDATE … RETURNING` on it) hands out numbers one at a time.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from billing_app.config import get_settings
from billing_app.gst_documents import DESCRIPTION, Party, recipient_party, supplier_party
from billing_app.gst_serials import DocumentType, financial_year, format_serial
from billing_app.gst_tax import TaxBreakdown, compute_tax, is_intra_state, reverse_pro_rata
from billing_app.models import BillingAddress, CreditNoteRecord, GstSeries, Org, PaymentOrder, TaxInvoiceRecord

# What an invoice prints for a buyer with no billing address (Rule 46(e) asks for the address
# of an unregistered buyer only from ₹50,000 of taxable value; an auto top-up stays below).
NO_ADDRESS = "Address not on record"

__all__ = [
    "NO_ADDRESS",
    "invoice_breakdown",
    "issue_credit_note_in",
    "issue_invoice_in",
    "reversed_so_far",
    "take_number",
]


def take_number(session: Session, document_type: DocumentType, year: int) -> int:
    """The next number of the series (type, financial year), taken in the caller's transaction:
    the counter row is created at 0 when the year has none, then moved on by one
    `UPDATE … SET last_number = last_number + 1 RETURNING`. On PostgreSQL the row lock holds
    every other taker until this transaction ends; on SQLite the writer lock already does."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(GstSeries)
        .values(document_type=document_type.value, financial_year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    number = session.execute(
        update(GstSeries)
        .where(col(GstSeries.document_type) == document_type.value, col(GstSeries.financial_year) == year)
        .values(last_number=col(GstSeries.last_number) + 1)
        .returning(col(GstSeries.last_number))
    ).scalar_one()
    return int(number)


def issue_invoice_in(
    session: Session, *, order: PaymentOrder, razorpay_payment_id: str, issued_at: datetime
) -> TaxInvoiceRecord | None:
    """The tax invoice for a payment being credited, in the crediting transaction; None for an
    order priced without GST (it keeps its receipt). The figures are the ones the order was
    priced and charged with; the recipient is the billing address as it is now; the supplier
    the settings as they are now. Everything printed is copied onto the row."""
    if order.gst_taxable_paise is None or order.gst_rate_percent is None or order.gst_place_of_supply is None:
        return None
    assert order.id is not None
    settings = get_settings()
    supplier = supplier_party(settings)
    where = order.gst_place_of_supply
    address = session.get(BillingAddress, order.org_id)
    if address is not None:
        recipient = recipient_party(
            name=address.name,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            pin=address.pin,
            state_code=address.state_code,
            gstin=address.gstin,
        )
    else:  # an auto top-up of an org that never gave an address: unregistered, supplied where we are
        org = session.get(Org, order.org_id)
        recipient = Party(name=org.name if org else "", address=NO_ADDRESS, state_code=where)
    tax = compute_tax(
        taxable_paise=order.gst_taxable_paise,
        rate_percent=order.gst_rate_percent,
        intra_state=is_intra_state(place_of_supply=where, seller_state_code=supplier.state_code),
    )
    year = financial_year(issued_at)
    number = take_number(session, DocumentType.INVOICE, year)
    record = TaxInvoiceRecord(
        serial=format_serial(DocumentType.INVOICE, year, number),
        financial_year=year,
        number=number,
        org_id=order.org_id,
        order_id=order.id,
        razorpay_payment_id=razorpay_payment_id,
        issued_at=issued_at,
        supplier_name=supplier.name,
        supplier_address=supplier.address,
        supplier_state_code=supplier.state_code,
        supplier_gstin=supplier.gstin or "",
        recipient_name=recipient.name,
        recipient_address=recipient.address,
        recipient_state_code=recipient.state_code,
        recipient_gstin=recipient.gstin,
        place_of_supply=where,
        sac=settings.gst_sac,
        description=DESCRIPTION,
        rate_percent=tax.rate_percent,
        intra_state=tax.intra_state,
        taxable_paise=tax.taxable_paise,
        cgst_paise=tax.cgst_paise,
        sgst_paise=tax.sgst_paise,
        igst_paise=tax.igst_paise,
        total_paise=tax.total_paise,
    )
    session.add(record)
    session.flush()
    return record


def invoice_breakdown(invoice: TaxInvoiceRecord) -> TaxBreakdown:
    return TaxBreakdown(
        taxable_paise=invoice.taxable_paise,
        rate_percent=invoice.rate_percent,
        intra_state=invoice.intra_state,
        cgst_paise=invoice.cgst_paise,
        sgst_paise=invoice.sgst_paise,
        igst_paise=invoice.igst_paise,
    )


def reversed_so_far(session: Session, invoice: TaxInvoiceRecord) -> TaxBreakdown:
    """The sum of the invoice's credit notes (zeros when none)."""
    taxable, cgst, sgst, igst = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(col(CreditNoteRecord.taxable_paise)), 0),
            sa.func.coalesce(sa.func.sum(col(CreditNoteRecord.cgst_paise)), 0),
            sa.func.coalesce(sa.func.sum(col(CreditNoteRecord.sgst_paise)), 0),
            sa.func.coalesce(sa.func.sum(col(CreditNoteRecord.igst_paise)), 0),
        ).where(col(CreditNoteRecord.invoice_id) == invoice.id)
    ).one()
    return TaxBreakdown(
        taxable_paise=int(taxable),
        rate_percent=invoice.rate_percent,
        intra_state=invoice.intra_state,
        cgst_paise=int(cgst),
        sgst_paise=int(sgst),
        igst_paise=int(igst),
    )


def issue_credit_note_in(
    session: Session,
    *,
    razorpay_payment_id: str,
    razorpay_refund_id: str,
    refund_paise: int,
    issued_at: datetime,
    reason: str = "Refund",
) -> CreditNoteRecord | None:
    """The credit note for a refund of `refund_paise` of an invoiced payment, in the refund's
    transaction; None when the payment has no tax invoice (it was priced without GST). The tax
    is reversed pro rata and cumulatively (`gst_tax.reverse_pro_rata` over the invoice's earlier
    notes), so the notes of an invoice never reverse more than it charged. Raises ValueError
    when the refunds would exceed what the invoice charged."""
    invoice = session.exec(
        select(TaxInvoiceRecord).where(col(TaxInvoiceRecord.razorpay_payment_id) == razorpay_payment_id)
    ).first()
    if invoice is None:
        return None
    year = financial_year(issued_at)
    # The number first: its row lock also serialises two refunds of this invoice on PostgreSQL,
    # so the second sees the first's note in `reversed_so_far`.
    number = take_number(session, DocumentType.CREDIT_NOTE, year)
    part = reverse_pro_rata(
        original=invoice_breakdown(invoice),
        refund_paise=refund_paise,
        already_reversed=reversed_so_far(session, invoice),
    )
    assert invoice.id is not None
    record = CreditNoteRecord(
        serial=format_serial(DocumentType.CREDIT_NOTE, year, number),
        financial_year=year,
        number=number,
        org_id=invoice.org_id,
        invoice_id=invoice.id,
        razorpay_refund_id=razorpay_refund_id,
        issued_at=issued_at,
        reason=reason[:120],
        taxable_paise=part.taxable_paise,
        cgst_paise=part.cgst_paise,
        sgst_paise=part.sgst_paise,
        igst_paise=part.igst_paise,
        total_paise=part.total_paise,
    )
    session.add(record)
    session.flush()
    return record
