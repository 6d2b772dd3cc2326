"""Reading issued GST documents: an org's list and one document (pages, API), and a month's
documents for the GSTR-1 export (operator). Documents are rebuilt from their stored snapshot
only, never from today's address or settings (docs/gst.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlmodel import col, select

from billing_app.db import read_session
from billing_app.errors import NotFound
from billing_app.gst_documents import CreditNote, Party, TaxInvoice
from billing_app.gst_pdf import document_pdf
from billing_app.gst_serials import DocumentType, parse_serial
from billing_app.gst_tax import TaxBreakdown
from billing_app.ist import ist_day, ist_day_start, ist_next_month_start
from billing_app.models import CreditNoteRecord, TaxInvoiceRecord
from billing_app.services import roles
from billing_app.services.actors import current_actor
from billing_app.services.gst_issue import invoice_breakdown
from billing_app.services.roles import Permission

__all__ = [
    "DocumentKind",
    "DocumentSummary",
    "MonthDocuments",
    "credit_note_document",
    "credit_note_serials_for_refunds",
    "get_document",
    "get_document_pdf",
    "invoice_document",
    "invoice_serial_for_payment",
    "invoice_serials_for_payments",
    "list_documents",
    "month_documents",
]


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


_SERIAL_TYPE = {DocumentKind.INVOICE: DocumentType.INVOICE, DocumentKind.CREDIT_NOTE: DocumentType.CREDIT_NOTE}


@dataclass(frozen=True)
class DocumentSummary:
    """One line of the org's list of GST documents."""

    kind: DocumentKind
    serial: str
    issued_at: datetime
    taxable_paise: int
    tax_paise: int
    total_paise: int
    payment_id: str  # the Razorpay payment the invoice (or the corrected invoice) was for
    against_serial: str | None = None  # a credit note: the invoice it corrects


def invoice_document(row: TaxInvoiceRecord) -> TaxInvoice:
    """The Rule 46 document a stored invoice stands for."""
    return TaxInvoice(
        serial=row.serial,
        issued_on=ist_day(row.issued_at),
        supplier=Party(
            name=row.supplier_name,
            address=row.supplier_address,
            state_code=row.supplier_state_code,
            gstin=row.supplier_gstin or None,
        ),
        recipient=Party(
            name=row.recipient_name,
            address=row.recipient_address,
            state_code=row.recipient_state_code,
            gstin=row.recipient_gstin,
        ),
        place_of_supply=row.place_of_supply,
        sac=row.sac,
        description=row.description,
        tax=invoice_breakdown(row),
        payment_reference=row.razorpay_payment_id,
    )


def credit_note_document(row: CreditNoteRecord, invoice: TaxInvoiceRecord) -> CreditNote:
    """The Rule 53 document a stored credit note stands for (its parties are its invoice's)."""
    original = invoice_document(invoice)
    return CreditNote(
        serial=row.serial,
        issued_on=ist_day(row.issued_at),
        supplier=original.supplier,
        recipient=original.recipient,
        place_of_supply=original.place_of_supply,
        sac=original.sac,
        description=original.description,
        tax=TaxBreakdown(
            taxable_paise=row.taxable_paise,
            rate_percent=invoice.rate_percent,
            intra_state=invoice.intra_state,
            cgst_paise=row.cgst_paise,
            sgst_paise=row.sgst_paise,
            igst_paise=row.igst_paise,
        ),
        payment_reference=invoice.razorpay_payment_id,
        original_serial=invoice.serial,
        original_issued_on=original.issued_on,
        reason=row.reason,
    )


def list_documents(*, org_id: int) -> list[DocumentSummary]:
    """The org's tax invoices and credit notes, newest first (an invoice before a credit note
    issued at the same instant is never the case: a note follows its invoice).
    Raises Forbidden for a member who may not pay."""
    roles.check(org_id, Permission.PAY)
    with read_session() as session:
        invoices = session.exec(select(TaxInvoiceRecord).where(col(TaxInvoiceRecord.org_id) == org_id)).all()
        notes = session.exec(
            select(CreditNoteRecord, TaxInvoiceRecord)
            .join(TaxInvoiceRecord, col(TaxInvoiceRecord.id) == CreditNoteRecord.invoice_id)
            .where(col(CreditNoteRecord.org_id) == org_id)
        ).all()
    rows = [
        DocumentSummary(
            kind=DocumentKind.INVOICE,
            serial=row.serial,
            issued_at=row.issued_at,
            taxable_paise=row.taxable_paise,
            tax_paise=row.total_paise - row.taxable_paise,
            total_paise=row.total_paise,
            payment_id=row.razorpay_payment_id,
        )
        for row in invoices
    ] + [
        DocumentSummary(
            kind=DocumentKind.CREDIT_NOTE,
            serial=note.serial,
            issued_at=note.issued_at,
            taxable_paise=note.taxable_paise,
            tax_paise=note.total_paise - note.taxable_paise,
            total_paise=note.total_paise,
            payment_id=invoice.razorpay_payment_id,
            against_serial=invoice.serial,
        )
        for note, invoice in notes
    ]
    return sorted(rows, key=lambda r: (r.issued_at, r.kind == DocumentKind.CREDIT_NOTE, r.serial), reverse=True)


def get_document(*, org_id: int, serial: str, kind: DocumentKind | None = None) -> TaxInvoice | CreditNote:
    """One of the org's documents by its serial (of `kind` only, when given: an invoice's URL
    never shows a credit note). NotFound for a serial that is not the org's (another org's is
    not revealed), of another kind, or not a serial at all; Forbidden for a member who may not pay."""
    roles.check(org_id, Permission.PAY)
    parsed = parse_serial(serial)
    if parsed is None or (kind is not None and parsed.document_type != _SERIAL_TYPE[kind]):
        raise NotFound("No such document.")
    with read_session() as session:
        if parsed.document_type == DocumentType.INVOICE:
            invoice = session.exec(
                select(TaxInvoiceRecord).where(
                    col(TaxInvoiceRecord.serial) == serial, col(TaxInvoiceRecord.org_id) == org_id
                )
            ).first()
            if invoice is None:
                raise NotFound("No such document.")
            return invoice_document(invoice)
        found = session.exec(
            select(CreditNoteRecord, TaxInvoiceRecord)
            .join(TaxInvoiceRecord, col(TaxInvoiceRecord.id) == CreditNoteRecord.invoice_id)
            .where(col(CreditNoteRecord.serial) == serial, col(CreditNoteRecord.org_id) == org_id)
        ).first()
    if found is None:
        raise NotFound("No such document.")
    note, invoice = found
    return credit_note_document(note, invoice)


def get_document_pdf(*, org_id: int, serial: str, kind: DocumentKind | None = None) -> bytes:
    """`get_document` on one A4 page as a PDF (gst_pdf.document_pdf); the same errors."""
    return document_pdf(get_document(org_id=org_id, serial=serial, kind=kind))


def invoice_serial_for_payment(*, org_id: int, payment_id: str) -> str | None:
    """The serial of the tax invoice issued for the org's payment; None when it has a receipt
    only (paid before GST was on, or on a deployment without it)."""
    return invoice_serials_for_payments(org_id=org_id, payment_ids=[payment_id]).get(payment_id)


def invoice_serials_for_payments(*, org_id: int, payment_ids: list[str]) -> dict[str, str]:
    """The serials of the org's tax invoices for these payments, by payment id (a payment with a
    receipt only is absent). Raises Forbidden for a member who may not pay."""
    roles.check(org_id, Permission.PAY)
    if not payment_ids:
        return {}
    with read_session() as session:
        found = session.exec(
            select(TaxInvoiceRecord.razorpay_payment_id, TaxInvoiceRecord.serial).where(
                col(TaxInvoiceRecord.org_id) == org_id,
                col(TaxInvoiceRecord.razorpay_payment_id).in_(sorted(set(payment_ids))),
            )
        ).all()
    return dict(found)


def credit_note_serials_for_refunds(*, org_id: int, refund_ids: list[str]) -> dict[str, str]:
    """The serials of the org's credit notes for these Razorpay refunds, by refund id (a refund
    of a payment without a tax invoice has none and is absent). Raises Forbidden for a member
    who may not pay."""
    roles.check(org_id, Permission.PAY)
    if not refund_ids:
        return {}
    with read_session() as session:
        found = session.exec(
            select(CreditNoteRecord.razorpay_refund_id, CreditNoteRecord.serial).where(
                col(CreditNoteRecord.org_id) == org_id,
                col(CreditNoteRecord.razorpay_refund_id).in_(sorted(set(refund_ids))),
            )
        ).all()
    return dict(found)


@dataclass(frozen=True)
class MonthDocuments:
    """Everything issued in one IST calendar month, in serial order."""

    month: date  # the first day
    invoices: list[TaxInvoice]
    credit_notes: list[CreditNote]
    # The org each document was issued to, by serial (GSTR-1 does not need it; reconciling does).
    org_ids: dict[str, int]
    # Each credit note's invoice total, by the note's serial: whether the invoice was B2C large.
    corrected_invoice_paise: dict[str, int] = field(default_factory=dict)


def month_documents(*, year: int, month: int) -> MonthDocuments:
    """The invoices and credit notes issued in an IST calendar month, for the GSTR-1 export.
    Only the system (the CLI) and staff (the console) may read across orgs: NotFound otherwise."""
    if current_actor().kind not in ("system", "staff"):
        raise NotFound()
    first = date(year, month, 1)
    start = ist_day_start(first)
    end = ist_next_month_start(start)
    with read_session() as session:
        invoices = session.exec(
            select(TaxInvoiceRecord)
            .where(col(TaxInvoiceRecord.issued_at) >= start, col(TaxInvoiceRecord.issued_at) < end)
            .order_by(col(TaxInvoiceRecord.financial_year), col(TaxInvoiceRecord.number))
        ).all()
        notes = session.exec(
            select(CreditNoteRecord, TaxInvoiceRecord)
            .join(TaxInvoiceRecord, col(TaxInvoiceRecord.id) == CreditNoteRecord.invoice_id)
            .where(col(CreditNoteRecord.issued_at) >= start, col(CreditNoteRecord.issued_at) < end)
            .order_by(col(CreditNoteRecord.financial_year), col(CreditNoteRecord.number))
        ).all()
    org_ids = {row.serial: row.org_id for row in invoices} | {note.serial: note.org_id for note, _ in notes}
    return MonthDocuments(
        month=first,
        invoices=[invoice_document(row) for row in invoices],
        credit_notes=[credit_note_document(note, invoice) for note, invoice in notes],
        org_ids=org_ids,
        corrected_invoice_paise={note.serial: invoice.total_paise for note, invoice in notes},
    )
