"""What the Billing page's lists of tax invoices and credit notes, and the printable document
page, show. Every figure of the page comes from `gst_documents.particulars`, as the PDF's and
the API's do, so none of them can say something else."""

from __future__ import annotations

from dataclasses import dataclass, field

from billing_app import routes
from billing_app.gst_documents import CreditNote, TaxInvoice, particulars
from billing_app.ist import display_ist
from billing_app.money import format_paise
from billing_app.services.gst_invoices import DocumentKind, DocumentSummary


@dataclass(frozen=True)
class DocumentRow:
    """One tax invoice or credit note in a Billing list."""

    key: str
    serial: str
    date: str
    taxable: str
    tax: str
    total: str
    url: str
    against: str = ""  # a credit note: the invoice it corrects
    against_url: str = ""


def document_url(kind: DocumentKind, serial: str) -> str:
    return routes.invoice_url(serial) if kind == DocumentKind.INVOICE else routes.credit_note_url(serial)


def document_rows(items: list[DocumentSummary], kind: DocumentKind) -> list[DocumentRow]:
    """The `kind` documents of `items` (newest first, as listed)."""
    return [
        DocumentRow(
            key=item.serial,
            serial=item.serial,
            date=display_ist(item.issued_at),
            taxable=format_paise(item.taxable_paise),
            tax=format_paise(item.tax_paise),
            total=format_paise(item.total_paise),
            url=document_url(item.kind, item.serial),
            against=item.against_serial or "",
            against_url=routes.invoice_url(item.against_serial) if item.against_serial else "",
        )
        for item in items
        if item.kind == kind
    ]


@dataclass(frozen=True)
class Line:
    label: str
    value: str


@dataclass(frozen=True)
class PartyView:
    name: str = ""
    address: str = ""
    gstin: str = ""  # "" for an unregistered recipient: no GSTIN line
    state: str = ""


@dataclass(frozen=True)
class DocumentView:
    """The printable document: its heading, the two parties, and the figures as printed."""

    title: str = ""
    serial: str = ""
    date: str = ""
    supplier: PartyView = PartyView()
    recipient: PartyView = PartyView()
    sac: str = ""
    description: str = ""
    taxable: str = ""
    total: str = ""
    total_in_words: str = ""
    reverse_charge: str = ""
    against_url: str = ""  # a credit note: its invoice's page
    details: list[Line] = field(default_factory=list)  # number, date, place of supply, ...
    tax_lines: list[Line] = field(default_factory=list)  # taxable value, rate, CGST + SGST or IGST
    irn: list[Line] = field(default_factory=list)  # e-invoicing, when present


def _party(rows: dict[str, str], role: str) -> PartyView:
    return PartyView(
        name=rows[role],
        address=rows[f"{role} address"],
        gstin=rows.get(f"{role} GSTIN", ""),
        state=rows[f"{role} State"],
    )


def document_view(document: TaxInvoice) -> DocumentView:
    printed = particulars(document)
    rows = dict(printed)
    note = document if isinstance(document, CreditNote) else None
    noun = "Credit note" if note else "Invoice"
    detail_labels = [f"{noun} number", f"{noun} date"]
    if note:
        detail_labels += ["Against invoice", "Invoice date", "Reason"]
    detail_labels += ["Place of supply", "Reverse charge", "Payment"]
    tax_labels = ("Taxable value", "GST rate", "CGST", "SGST", "IGST")
    return DocumentView(
        title=document.title,
        serial=document.serial,
        date=rows[f"{noun} date"],
        supplier=_party(rows, "Supplier"),
        recipient=_party(rows, "Recipient"),
        sac=rows["SAC"],
        description=rows["Description"],
        taxable=rows["Taxable value"],
        total=rows["Total"],
        total_in_words=rows["Total in words"],
        reverse_charge=rows["Reverse charge"],
        against_url=routes.invoice_url(note.original_serial) if note else "",
        details=[Line(label, rows[label]) for label in detail_labels if label in rows],
        tax_lines=[Line(label, value) for label, value in printed if label.startswith(tax_labels)],
        irn=[Line(label, value) for label, value in printed if label in ("IRN", "Ack. number", "Ack. date")],
    )
