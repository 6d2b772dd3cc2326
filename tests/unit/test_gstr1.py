"""The GSTR-1 sheets from documents (billing_app/gstr1.py): which sheet each document lands in,
the tool's spellings (dates, places of supply, rupees), the netting of B2C credit notes into
b2cs, the document summary per series, and that the sheets add up to the documents."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_app.gst_documents import CreditNote, Party, TaxInvoice, build_credit_note, build_tax_invoice
from billing_app.gstr1 import (
    HEADERS,
    MonthError,
    build_gstr1,
    parse_month,
    place_of_supply_label,
    rupees,
    tool_date,
)
from billing_app.ist import IST

SELLER = Party(name="BharatRouter", address="1 MG Road, Bengaluru", state_code="29", gstin="29AAGCB7383J1Z4")
KARNATAKA_B2C = Party(name="Asha Rao", address="12 MG Road, Bengaluru", state_code="29")
MAHARASHTRA_B2C = Party(name="Meera Iyer", address="4 Marine Drive, Mumbai", state_code="27")
MAHARASHTRA_B2B = Party(name="Ravi Traders", address="4 Marine Drive, Mumbai", state_code="27", gstin="27AAACR5055K1Z7")
NOV = datetime(2026, 11, 5, 10, 0, tzinfo=IST)
NOVEMBER = date(2026, 11, 1)


def invoice(number: int, recipient: Party, rupee_amount: int = 500, when: datetime = NOV) -> TaxInvoice:
    return build_tax_invoice(
        number=number,
        issued_at=when,
        supplier=SELLER,
        recipient=recipient,
        taxable_paise=rupee_amount * 100,
        rate_percent=18,
        sac="998315",
    )


def note(number: int, of: TaxInvoice, refund_paise: int, when: datetime = NOV) -> CreditNote:
    return build_credit_note(number=number, issued_at=when, invoice=of, refund_paise=refund_paise)


def read(gstr1_files: dict[str, str], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(gstr1_files[f"{name}.csv"])))


def test_the_tools_spellings():
    assert parse_month("2026-11") == (2026, 11)
    for bad in ("2026-13", "2026-00", "2026-1", "11-2026", "2026/11", "", "november"):
        with pytest.raises(MonthError, match="YYYY-MM"):
            parse_month(bad)
    assert tool_date(date(2026, 11, 5)) == "05-Nov-2026"
    assert place_of_supply_label("29") == "29-Karnataka"
    assert place_of_supply_label("35") == "35-Andaman & Nicobar Islands"
    assert place_of_supply_label("26") == "26-Dadra & Nagar Haveli & Daman & Diu"
    assert (rupees(59_000), rupees(5), rupees(-16_950), rupees(0)) == ("590.00", "0.05", "-169.50", "0.00")


def test_a_registered_buyer_is_b2b_an_unregistered_one_b2cs():
    b2b, b2c = invoice(1, MAHARASHTRA_B2B), invoice(2, KARNATAKA_B2C)
    files = build_gstr1(NOVEMBER, [b2b, b2c], [], {}).files()
    [row] = read(files, "b2b")
    assert row == {
        "GSTIN/UIN of Recipient": "27AAACR5055K1Z7",
        "Receiver Name": "Ravi Traders",
        "Invoice Number": "INV-2627-000001",
        "Invoice date": "05-Nov-2026",
        "Invoice Value": "590.00",
        "Place Of Supply": "27-Maharashtra",
        "Reverse Charge": "N",
        "Applicable % of Tax Rate": "",
        "Invoice Type": "Regular B2B",
        "E-Commerce GSTIN": "",
        "Rate": "18",
        "Taxable Value": "500.00",
        "Cess Amount": "0.00",
    }
    [small] = read(files, "b2cs")
    assert small == {
        "Type": "OE",
        "Place Of Supply": "29-Karnataka",
        "Applicable % of Tax Rate": "",
        "Rate": "18",
        "Taxable Value": "500.00",
        "Cess Amount": "0.00",
        "E-Commerce GSTIN": "",
    }
    assert read(files, "b2cl") == [] and read(files, "cdnr") == [] and read(files, "cdnur") == []


def test_b2cs_is_one_row_per_place_of_supply_and_rate_net_of_its_credit_notes():
    first, second, elsewhere = invoice(1, KARNATAKA_B2C), invoice(2, KARNATAKA_B2C, 300), invoice(3, MAHARASHTRA_B2C)
    refund = note(1, first, 20_000)  # ₹200 of ₹590: ₹169.50 taxable
    gstr1 = build_gstr1(NOVEMBER, [first, second, elsewhere], [refund], {refund.serial: first.tax.total_paise})
    rows = {row["Place Of Supply"]: row["Taxable Value"] for row in read(gstr1.files(), "b2cs")}
    assert rows == {"27-Maharashtra": "500.00", "29-Karnataka": "630.50"}  # 500 + 300 − 169.50
    assert read(gstr1.files(), "cdnur") == []  # a small B2C note is netted, not listed


def test_a_month_with_only_a_refund_has_a_negative_b2cs_row():
    earlier = invoice(1, KARNATAKA_B2C, when=datetime(2026, 10, 30, tzinfo=IST))
    refund = note(1, earlier, 59_000)
    files = build_gstr1(NOVEMBER, [], [refund], {refund.serial: earlier.tax.total_paise}).files()
    [row] = read(files, "b2cs")
    assert row["Taxable Value"] == "-500.00"


def test_a_registered_buyers_credit_note_is_cdnr_in_the_month_it_is_issued():
    october = invoice(7, MAHARASHTRA_B2B, when=datetime(2026, 10, 20, tzinfo=IST))
    refund = note(1, october, 20_000)
    files = build_gstr1(NOVEMBER, [], [refund], {refund.serial: october.tax.total_paise}).files()
    [row] = read(files, "cdnr")
    assert row == {
        "GSTIN/UIN of Recipient": "27AAACR5055K1Z7",
        "Receiver Name": "Ravi Traders",
        "Note Number": "CRN-2627-000001",
        "Note Date": "05-Nov-2026",
        "Note Type": "C",
        "Place Of Supply": "27-Maharashtra",
        "Reverse Charge": "N",
        "Note Supply Type": "Regular B2B",
        "Note Value": "200.00",
        "Applicable % of Tax Rate": "",
        "Rate": "18",
        "Taxable Value": "169.49",  # IGST reversed: 90 × 200/590 = ₹30.51
        "Cess Amount": "0.00",
    }
    assert read(files, "b2b") == [] and read(files, "b2cs") == []


def test_a_large_inter_state_b2c_invoice_is_b2cl_and_its_note_cdnur():
    large = invoice(1, MAHARASHTRA_B2C, 90_000)  # ₹1,06,200 with IGST: above ₹1,00,000
    local = invoice(2, KARNATAKA_B2C, 90_000)  # as large, but within the state: b2cs
    refund = note(1, large, 10_000_00)
    files = build_gstr1(NOVEMBER, [large, local], [refund], {refund.serial: large.tax.total_paise}).files()
    [row] = read(files, "b2cl")
    assert (row["Invoice Number"], row["Invoice Value"]) == (large.serial, "106200.00")
    assert row["Taxable Value"] == "90000.00"
    [cdnur] = read(files, "cdnur")
    assert (cdnur["UR Type"], cdnur["Note Number"], cdnur["Note Value"]) == ("B2CL", refund.serial, "10000.00")
    assert [r["Place Of Supply"] for r in read(files, "b2cs")] == ["29-Karnataka"]


def test_the_document_summary_gives_each_series_first_last_and_counts():
    invoices = [invoice(n, KARNATAKA_B2C) for n in (12, 13, 14, 15)]
    notes = [note(3, invoices[0], 10_000), note(4, invoices[1], 10_000)]
    files = build_gstr1(NOVEMBER, invoices, notes, {n.serial: 59_000 for n in notes}).files()
    assert read(files, "docs") == [
        {
            "Nature of Document": "Invoices for outward supply",
            "Sr. No. From": "INV-2627-000012",
            "Sr. No. To": "INV-2627-000015",
            "Total Number": "4",
            "Cancelled": "0",
        },
        {
            "Nature of Document": "Credit Note",
            "Sr. No. From": "CRN-2627-000003",
            "Sr. No. To": "CRN-2627-000004",
            "Total Number": "2",
            "Cancelled": "0",
        },
    ]


def test_an_empty_month_still_has_every_sheet_with_its_headings():
    files = build_gstr1(NOVEMBER, [], [], {}).files()
    assert set(files) == {f"{name}.csv" for name in HEADERS}
    for name, header in HEADERS.items():
        assert files[f"{name}.csv"] == ",".join(header) + "\r\n"


def test_the_hsn_summary_splits_b2b_and_b2c_net_of_notes():
    b2b, b2c = invoice(1, MAHARASHTRA_B2B), invoice(2, KARNATAKA_B2C)
    refund = note(1, b2c, 59_000)
    files = build_gstr1(NOVEMBER, [b2b, b2c], [refund], {refund.serial: 59_000}).files()
    [registered] = read(files, "hsn_b2b")
    assert (registered["HSN"], registered["UQC"], registered["Taxable Value"]) == ("998315", "NA", "500.00")
    assert (registered["Integrated Tax Amount"], registered["Central Tax Amount"]) == ("90.00", "0.00")
    [unregistered] = read(files, "hsn_b2c")
    assert (unregistered["Taxable Value"], unregistered["Total Value"]) == ("0.00", "0.00")


PARTIES = st.sampled_from([KARNATAKA_B2C, MAHARASHTRA_B2C, MAHARASHTRA_B2B])


@given(sales=st.lists(st.tuples(PARTIES, st.integers(1, 200_000), st.integers(0, 100)), min_size=1, max_size=12))
def test_the_sheets_add_up_to_the_documents(sales):
    """Every rupee of taxable value is in exactly one sheet: b2b + b2cl + b2cs − cdnr − cdnur
    equals the invoices less the notes, to the paisa, and the HSN sheets agree."""
    invoices, notes = [], []
    for number, (party, rupee_amount, refunded_percent) in enumerate(sales, start=1):
        sold = invoice(number, party, rupee_amount)
        invoices.append(sold)
        refund = sold.tax.total_paise * refunded_percent // 100
        if refund:
            notes.append(note(len(notes) + 1, sold, refund))
    values = {n.serial: i.tax.total_paise for i in invoices for n in notes if n.original_serial == i.serial}
    gstr1 = build_gstr1(NOVEMBER, invoices, notes, values)
    files = gstr1.files()

    def paise(sheet: str, column: str = "Taxable Value") -> int:
        return sum(round(float(row[column]) * 100) for row in read(files, sheet))

    net = paise("b2b") + paise("b2cl") + paise("b2cs") - paise("cdnr") - paise("cdnur")
    assert net == gstr1.net.taxable_paise
    assert net == sum(i.tax.taxable_paise for i in invoices) - sum(n.tax.taxable_paise for n in notes)
    assert paise("hsn_b2b") + paise("hsn_b2c") == net
    assert paise("hsn_b2b", "Total Value") + paise("hsn_b2c", "Total Value") == gstr1.net.total_paise
