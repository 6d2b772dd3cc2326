"""What a tax invoice (Rule 46) and a credit note (Rule 53) say, built from plain inputs.

No database here: a service numbers the document and passes the figures; the page, the PDF and
the API all print `particulars(document)`, so they cannot disagree on a single particular.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from billing_app.config import Settings
from billing_app.gst import normalise_gstin, state_name
from billing_app.gst_serials import DocumentType, financial_year, format_serial
from billing_app.gst_tax import (
    TaxBreakdown,
    compute_tax,
    is_intra_state,
    place_of_supply,
    rate_text,
    reverse_pro_rata,
)
from billing_app.gst_words import rupees_in_words
from billing_app.ist import ist_day
from billing_app.money import format_paise

__all__ = [
    "DESCRIPTION",
    "CreditNote",
    "Party",
    "TaxInvoice",
    "build_credit_note",
    "build_tax_invoice",
    "particulars",
    "recipient_party",
    "state_label",
    "supplier_party",
]

DESCRIPTION = "Prepaid credits for LLM API access"


@dataclass(frozen=True, slots=True)
class Party:
    """A supplier or a recipient as the document prints them."""

    name: str
    address: str
    state_code: str
    gstin: str | None = None  # None: not registered (a B2C recipient)

    @property
    def state(self) -> str:
        return state_label(self.state_code)


def state_label(code: str) -> str:
    """ "Karnataka (29)": Rule 46 asks for the State's name and its code."""
    return f"{state_name(code) or 'Unknown state'} ({code})"


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxInvoice:
    serial: str
    issued_on: date  # the IST calendar date
    supplier: Party
    recipient: Party
    place_of_supply: str  # a GST state code
    sac: str
    description: str
    tax: TaxBreakdown
    payment_reference: str = ""  # the Razorpay payment id it was issued for
    # E-invoicing (IRN) is not done yet; these print when present.
    irn: str | None = None
    irn_ack_number: str | None = None
    irn_ack_date: date | None = None
    signed_qr: str | None = None

    title = "Tax invoice"
    document_type = DocumentType.INVOICE

    @property
    def reverse_charge(self) -> bool:
        """Tax on these services is paid by the supplier, never by the recipient."""
        return False

    @property
    def total_in_words(self) -> str:
        return rupees_in_words(self.tax.total_paise)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditNote(TaxInvoice):
    """Rule 53: the same particulars, the figures reversed, and the invoice it corrects."""

    original_serial: str
    original_issued_on: date
    reason: str = "Refund"

    title = "Credit note"
    document_type = DocumentType.CREDIT_NOTE


def supplier_party(settings: Settings) -> Party:
    """The seller, from SELLER_* settings; only meaningful when `settings.gst_enabled`."""
    return Party(
        name=settings.seller_name,
        address=settings.seller_address,
        state_code=settings.seller_state_code.strip(),
        gstin=normalise_gstin(settings.seller_gstin) or None,
    )


def recipient_party(
    *, name: str, line1: str, line2: str, city: str, pin: str, state_code: str, gstin: str | None
) -> Party:
    """The buyer from its billing address: the lines, then "City PIN" and the state's name."""
    place = " ".join(part for part in (city.strip(), pin.strip()) if part)
    lines = [line1.strip(), line2.strip(), place, state_name(state_code) or ""]
    return Party(
        name=name.strip(),
        address=", ".join(line for line in lines if line),
        state_code=state_code.strip(),
        gstin=normalise_gstin(gstin) if gstin and gstin.strip() else None,
    )


def build_tax_invoice(
    *,
    number: int,
    issued_at: datetime,
    supplier: Party,
    recipient: Party,
    taxable_paise: int,
    rate_percent: int,
    sac: str,
    description: str = DESCRIPTION,
    payment_reference: str = "",
) -> TaxInvoice:
    """The invoice numbered `number` in the series of `issued_at`'s financial year (IST)."""
    where = place_of_supply(buyer_gstin=recipient.gstin, billing_state_code=recipient.state_code)
    intra = is_intra_state(place_of_supply=where, seller_state_code=supplier.state_code)
    return TaxInvoice(
        serial=format_serial(DocumentType.INVOICE, financial_year(issued_at), number),
        issued_on=ist_day(issued_at),
        supplier=supplier,
        recipient=recipient,
        place_of_supply=where,
        sac=sac,
        description=description,
        tax=compute_tax(taxable_paise=taxable_paise, rate_percent=rate_percent, intra_state=intra),
        payment_reference=payment_reference,
    )


def build_credit_note(
    *,
    number: int,
    issued_at: datetime,
    invoice: TaxInvoice,
    refund_paise: int,
    already_reversed: TaxBreakdown | None = None,
    reason: str = "Refund",
    payment_reference: str = "",
) -> CreditNote:
    """The credit note numbered `number` (its own series, `issued_at`'s financial year) for a
    refund of `refund_paise` of what `invoice` charged; `already_reversed` sums the invoice's
    earlier credit notes."""
    before = already_reversed or TaxBreakdown(0, invoice.tax.rate_percent, invoice.tax.intra_state)
    return CreditNote(
        serial=format_serial(DocumentType.CREDIT_NOTE, financial_year(issued_at), number),
        issued_on=ist_day(issued_at),
        supplier=invoice.supplier,
        recipient=invoice.recipient,
        place_of_supply=invoice.place_of_supply,
        sac=invoice.sac,
        description=invoice.description,
        tax=reverse_pro_rata(original=invoice.tax, refund_paise=refund_paise, already_reversed=before),
        payment_reference=payment_reference or invoice.payment_reference,
        original_serial=invoice.serial,
        original_issued_on=invoice.issued_on,
        reason=reason,
    )


def display_date(day: date) -> str:
    return day.strftime("%d %b %Y")


def tax_rows(tax: TaxBreakdown) -> list[tuple[str, str]]:
    """ "CGST @ 9%" / "SGST @ 9%", or "IGST @ 18%", with their amounts."""
    if tax.intra_state:
        half = rate_text(tax.half_rate_percent)
        return [(f"CGST @ {half}", format_paise(tax.cgst_paise)), (f"SGST @ {half}", format_paise(tax.sgst_paise))]
    return [(f"IGST @ {rate_text(tax.rate_percent)}", format_paise(tax.igst_paise))]


def party_rows(role: str, party: Party) -> list[tuple[str, str]]:
    rows = [(role, party.name), (f"{role} address", party.address)]
    if party.gstin:
        rows.append((f"{role} GSTIN", party.gstin))
    rows.append((f"{role} State", party.state))
    return rows


def particulars(document: TaxInvoice) -> list[tuple[str, str]]:
    """Every particular the document prints, as (label, value), in reading order."""
    noun = "Credit note" if isinstance(document, CreditNote) else "Invoice"
    rows = [(f"{noun} number", document.serial), (f"{noun} date", display_date(document.issued_on))]
    if isinstance(document, CreditNote):
        rows += [
            ("Against invoice", document.original_serial),
            ("Invoice date", display_date(document.original_issued_on)),
            ("Reason", document.reason),
        ]
    rows += party_rows("Supplier", document.supplier)
    rows += party_rows("Recipient", document.recipient)
    rows += [
        ("Place of supply", state_label(document.place_of_supply)),
        ("Reverse charge", "Yes" if document.reverse_charge else "No"),
        ("SAC", document.sac),
        ("Description", document.description),
        ("Taxable value", format_paise(document.tax.taxable_paise)),
        ("GST rate", rate_text(document.tax.rate_percent)),
        *tax_rows(document.tax),
        ("Total", format_paise(document.tax.total_paise)),
        ("Total in words", document.total_in_words),
    ]
    if document.payment_reference:
        rows.append(("Payment", document.payment_reference))
    if document.irn:
        rows.append(("IRN", document.irn))
    if document.irn_ack_number:
        rows.append(("Ack. number", document.irn_ack_number))
    if document.irn_ack_date:
        rows.append(("Ack. date", display_date(document.irn_ack_date)))
    return rows
