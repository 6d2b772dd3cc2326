"""Tax invoice and credit note: every Rule 46 / Rule 53 particular, on one A4 page of PDF."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from billing_app.config import Settings
from billing_app.gst import gstin_check_character
from billing_app.gst_documents import (
    CreditNote,
    Party,
    TaxInvoice,
    build_credit_note,
    build_tax_invoice,
    particulars,
    recipient_party,
    supplier_party,
)
from billing_app.gst_pdf import document_pdf
from billing_app.gst_tax import TaxBreakdown

SELLER_GSTIN = "29AAGCB7383J1Z4"
MAHARASHTRA_GSTIN = "27AAACR5055K1Z" + gstin_check_character("27AAACR5055K1Z")
PAID_AT = datetime(2026, 11, 23, 14, 35, tzinfo=UTC)  # 23 Nov 2026, 8:05 PM IST


def seller() -> Party:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        seller_name="Kaveri Compute LLP",
        seller_address="42 Residency Road, Bengaluru, Karnataka 560025",
        seller_gstin=SELLER_GSTIN,
        seller_state_code="29",
    )
    return supplier_party(settings)


def buyer(state_code: str = "27", gstin: str | None = MAHARASHTRA_GSTIN, **changes: str) -> Party:
    fields = {
        "name": "Reliance Test Labs",
        "line1": "Maker Chambers IV",
        "line2": "Nariman Point",
        "city": "Mumbai",
        "pin": "400021",
    }
    return recipient_party(**{**fields, **changes}, state_code=state_code, gstin=gstin)  # type: ignore[arg-type]


def invoice(recipient: Party | None = None, *, taxable_paise: int = 50_000) -> TaxInvoice:
    return build_tax_invoice(
        number=123,
        issued_at=PAID_AT,
        supplier=seller(),
        recipient=recipient or buyer(),
        taxable_paise=taxable_paise,
        rate_percent=18,
        sac="998315",
        payment_reference="pay_Pk3b7Qx2",
    )


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_an_interstate_b2b_invoice_carries_every_rule_46_particular():
    rows = dict(particulars(invoice()))
    assert rows == {
        "Invoice number": "INV-2627-000123",
        "Invoice date": "23 Nov 2026",
        "Supplier": "Kaveri Compute LLP",
        "Supplier address": "42 Residency Road, Bengaluru, Karnataka 560025",
        "Supplier GSTIN": SELLER_GSTIN,
        "Supplier State": "Karnataka (29)",
        "Recipient": "Reliance Test Labs",
        "Recipient address": "Maker Chambers IV, Nariman Point, Mumbai 400021, Maharashtra",
        "Recipient GSTIN": MAHARASHTRA_GSTIN,
        "Recipient State": "Maharashtra (27)",
        "Place of supply": "Maharashtra (27)",
        "Reverse charge": "No",
        "SAC": "998315",
        "Description": "Prepaid credits for LLM API access",
        "Taxable value": "₹500.00",
        "GST rate": "18%",
        "IGST @ 18%": "₹90.00",
        "Total": "₹590.00",
        "Total in words": "Rupees Five Hundred Ninety Only",
        "Payment": "pay_Pk3b7Qx2",
    }


def test_a_karnataka_buyer_pays_cgst_and_sgst():
    rows = dict(particulars(invoice(buyer("29", None, city="Bengaluru", pin="560001"))))
    assert (rows["CGST @ 9%"], rows["SGST @ 9%"], rows["Total"]) == ("₹45.00", "₹45.00", "₹590.00")
    assert "IGST @ 18%" not in rows
    assert "Recipient GSTIN" not in rows  # unregistered: B2C
    assert rows["Place of supply"] == "Karnataka (29)"


def test_the_buyers_gstin_decides_the_place_of_supply_over_its_address():
    karnataka_gstin = "29AAACR5055K1Z" + gstin_check_character("29AAACR5055K1Z")
    document = invoice(buyer("27", karnataka_gstin))
    assert document.place_of_supply == "29" and document.tax.intra_state


def test_a_credit_note_references_the_invoice_and_reverses_pro_rata():
    original = invoice()
    note = build_credit_note(
        number=7, issued_at=datetime(2027, 4, 2, tzinfo=UTC), invoice=original, refund_paise=29_500
    )
    rows = dict(particulars(note))
    assert isinstance(note, CreditNote)
    assert rows["Credit note number"] == "CRN-2728-000007"  # its own series, the new FY
    assert (rows["Against invoice"], rows["Invoice date"]) == ("INV-2627-000123", "23 Nov 2026")
    assert (rows["Taxable value"], rows["IGST @ 18%"], rows["Total"]) == ("₹250.00", "₹45.00", "₹295.00")
    assert rows["Total in words"] == "Rupees Two Hundred Ninety Five Only"
    assert rows["Recipient GSTIN"] == MAHARASHTRA_GSTIN and rows["Reverse charge"] == "No"

    rest = build_credit_note(
        number=8,
        issued_at=datetime(2027, 4, 3, tzinfo=UTC),
        invoice=original,
        refund_paise=29_500,
        already_reversed=note.tax,
    )
    assert rest.tax == TaxBreakdown(25_000, 18, False, igst_paise=4_500)


@pytest.mark.parametrize("state_code", ["27", "29"])
def test_the_invoice_pdf_is_one_page_with_every_particular(state_code):
    gstin = MAHARASHTRA_GSTIN if state_code == "27" else None
    document = invoice(buyer(state_code, gstin))
    pages, text = pdf_text(document_pdf(document))
    assert pages == 1
    assert text.startswith("Tax invoice")
    for label, value in particulars(document):
        assert squash(value) in text, label
    assert "Reverse charge: No" in text
    assert "₹590.00" in text  # the rupee sign survives: the font has the glyph


def test_the_credit_note_pdf_is_one_page_with_every_particular():
    note = build_credit_note(number=1, issued_at=PAID_AT, invoice=invoice(), refund_paise=10_050)
    pages, text = pdf_text(document_pdf(note))
    assert pages == 1
    assert text.startswith("Credit note")
    for label, value in particulars(note):
        assert squash(value) in text, label


def test_the_longest_address_and_an_irn_still_fit_on_one_page():
    long = buyer(name="N" * 120, line1="L1 " * 66, line2="L2 " * 66, city="C" * 100)
    document = invoice(long, taxable_paise=99_99_99_999_99)
    document = TaxInvoice(
        **{
            **{f: getattr(document, f) for f in TaxInvoice.__dataclass_fields__},
            "irn": "a" * 64,
            "irn_ack_number": "112010036563310",
            "irn_ack_date": date(2026, 11, 23),
        }
    )
    pages, text = pdf_text(document_pdf(document))
    assert pages == 1
    unbroken = re.sub(r"\s", "", text)  # a word wider than its column is broken across lines
    for label, value in particulars(document):
        assert re.sub(r"\s", "", value) in unbroken, label
