"""GST tax invoices and credit notes (docs/gst.md): the org's list, one document as JSON, and
its one-page PDF. Every document is the org's own: another org's serial is 404 not_found."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import PathText
from billing_app.api.schema import errors
from billing_app.gst_documents import CreditNote, Party, TaxInvoice, particulars, state_label
from billing_app.ist import iso_ist
from billing_app.services import gst_invoices
from billing_app.services.gst_invoices import DocumentKind, DocumentSummary

router = APIRouter(prefix="/me/billing", tags=["GST invoices and credit notes"], responses=errors(401, 403, 404, 422))

Serial = Annotated[
    PathText, Path(max_length=40, description="the document's serial, e.g. INV-2627-000123 or CRN-2627-000007")
]
_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the document on one A4 page"}
}


class DocumentLineOut(BaseModel):
    serial: str
    issued_at: str = Field(description="ISO 8601, +05:30")
    currency: str = "INR"
    taxable_paise: int
    tax_paise: int
    total_paise: int
    payment_id: str = Field(description="the Razorpay payment the invoice (or the corrected invoice) was for")
    invoice_serial: str | None = Field(default=None, description="a credit note: the invoice it corrects")


class DocumentListOut(BaseModel):
    invoices: list[DocumentLineOut]
    credit_notes: list[DocumentLineOut]


class PartyOut(BaseModel):
    name: str
    address: str
    gstin: str | None = Field(description="null for an unregistered recipient (B2C)")
    state_code: str
    state: str = Field(description='the State\'s name and code: "Karnataka (29)"')


class ParticularOut(BaseModel):
    label: str
    value: str


class DocumentOut(BaseModel):
    """Every Rule 46 (invoice) or Rule 53 (credit note) particular, as figures and as the
    page and the PDF print them (`particulars`, in reading order)."""

    kind: DocumentKind
    serial: str
    issued_on: str = Field(description="the IST date, YYYY-MM-DD")
    supplier: PartyOut
    recipient: PartyOut
    place_of_supply: str = Field(description="a GST state code")
    place_of_supply_state: str
    reverse_charge: bool
    sac: str
    description: str
    currency: str = "INR"
    taxable_paise: int
    rate_percent: int
    intra_state: bool = Field(description="true: CGST + SGST; false: IGST")
    cgst_paise: int
    sgst_paise: int
    igst_paise: int
    tax_paise: int
    total_paise: int
    total_in_words: str
    payment_id: str
    invoice_serial: str | None = Field(default=None, description="a credit note: the invoice it corrects")
    invoice_issued_on: str | None = None
    reason: str | None = None
    irn: str | None = None
    pdf_path: str
    particulars: list[ParticularOut]


def _line(row: DocumentSummary) -> DocumentLineOut:
    return DocumentLineOut(
        serial=row.serial,
        issued_at=iso_ist(row.issued_at),
        taxable_paise=row.taxable_paise,
        tax_paise=row.tax_paise,
        total_paise=row.total_paise,
        payment_id=row.payment_id,
        invoice_serial=row.against_serial,
    )


def _party(party: Party) -> PartyOut:
    return PartyOut(
        name=party.name, address=party.address, gstin=party.gstin, state_code=party.state_code, state=party.state
    )


def _document(document: TaxInvoice) -> DocumentOut:
    note = document if isinstance(document, CreditNote) else None
    tax = document.tax
    folder = "credit-notes" if note else "invoices"
    return DocumentOut(
        kind=DocumentKind.CREDIT_NOTE if note else DocumentKind.INVOICE,
        serial=document.serial,
        issued_on=document.issued_on.isoformat(),
        supplier=_party(document.supplier),
        recipient=_party(document.recipient),
        place_of_supply=document.place_of_supply,
        place_of_supply_state=state_label(document.place_of_supply),
        reverse_charge=document.reverse_charge,
        sac=document.sac,
        description=document.description,
        taxable_paise=tax.taxable_paise,
        rate_percent=tax.rate_percent,
        intra_state=tax.intra_state,
        cgst_paise=tax.cgst_paise,
        sgst_paise=tax.sgst_paise,
        igst_paise=tax.igst_paise,
        tax_paise=tax.tax_paise,
        total_paise=tax.total_paise,
        total_in_words=document.total_in_words,
        payment_id=document.payment_reference,
        invoice_serial=note.original_serial if note else None,
        invoice_issued_on=note.original_issued_on.isoformat() if note else None,
        reason=note.reason if note else None,
        irn=document.irn,
        pdf_path=f"/me/billing/{folder}/{document.serial}.pdf",
        particulars=[ParticularOut(label=label, value=value) for label, value in particulars(document)],
    )


def _pdf(principal_org: int, serial: str, kind: DocumentKind) -> Response:
    content = gst_invoices.get_document_pdf(org_id=principal_org, serial=serial, kind=kind)
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{serial}.pdf"'}
    )


@router.get("/invoices")
def list_invoices(principal: CurrentPrincipal) -> DocumentListOut:
    """The org's tax invoices and, beside them, its credit notes; newest first. Empty lists on
    a deployment without SELLER_GSTIN (its payments have receipts)."""
    rows = gst_invoices.list_documents(org_id=principal.org_id)
    return DocumentListOut(
        invoices=[_line(row) for row in rows if row.kind == DocumentKind.INVOICE],
        credit_notes=[_line(row) for row in rows if row.kind == DocumentKind.CREDIT_NOTE],
    )


# The .pdf routes come first: `{number}` alone would also match "INV-2627-000001.pdf".
@router.get("/invoices/{number}.pdf", response_class=Response, responses=_PDF)
def invoice_pdf(number: Serial, principal: CurrentPrincipal) -> Response:
    return _pdf(principal.org_id, number, DocumentKind.INVOICE)


@router.get("/invoices/{number}")
def get_invoice(number: Serial, principal: CurrentPrincipal) -> DocumentOut:
    return _document(gst_invoices.get_document(org_id=principal.org_id, serial=number, kind=DocumentKind.INVOICE))


@router.get("/credit-notes/{number}.pdf", response_class=Response, responses=_PDF)
def credit_note_pdf(number: Serial, principal: CurrentPrincipal) -> Response:
    return _pdf(principal.org_id, number, DocumentKind.CREDIT_NOTE)


@router.get("/credit-notes/{number}")
def get_credit_note(number: Serial, principal: CurrentPrincipal) -> DocumentOut:
    return _document(gst_invoices.get_document(org_id=principal.org_id, serial=number, kind=DocumentKind.CREDIT_NOTE))
