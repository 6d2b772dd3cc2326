"""A month's tax invoices and credit notes as the CSV sheets of the GST offline tool for GSTR-1.

Pure: documents in, rows out. Each sheet has the tool's column headings, in its order, so a
file can be imported into the tool (or pasted into its Excel template) as it is. Which document
goes to which sheet, and why, is in docs/gst.md ("The GSTR-1 export").
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from billing_app.gst import state_name
from billing_app.gst_documents import CreditNote, TaxInvoice
from billing_app.gst_serials import parse_serial
from billing_app.gst_tax import TaxBreakdown

__all__ = [
    "B2CL_THRESHOLD_PAISE",
    "HEADERS",
    "Gstr1",
    "MonthError",
    "Totals",
    "build_gstr1",
    "csv_text",
    "parse_month",
    "place_of_supply_label",
    "rupees",
    "tool_date",
]

# An inter-state invoice to an unregistered buyer above this value is "B2C large" (b2cl): the
# threshold is ₹1,00,000 since August 2024 (₹2,50,000 before). A setting would suggest it is ours
# to choose; it is the law's, so it is a constant with its history.
B2CL_THRESHOLD_PAISE = 1_00_000_00

HEADERS: dict[str, tuple[str, ...]] = {
    "b2b": (
        "GSTIN/UIN of Recipient",
        "Receiver Name",
        "Invoice Number",
        "Invoice date",
        "Invoice Value",
        "Place Of Supply",
        "Reverse Charge",
        "Applicable % of Tax Rate",
        "Invoice Type",
        "E-Commerce GSTIN",
        "Rate",
        "Taxable Value",
        "Cess Amount",
    ),
    "b2cl": (
        "Invoice Number",
        "Invoice date",
        "Invoice Value",
        "Place Of Supply",
        "Applicable % of Tax Rate",
        "Rate",
        "Taxable Value",
        "Cess Amount",
        "E-Commerce GSTIN",
    ),
    "b2cs": (
        "Type",
        "Place Of Supply",
        "Applicable % of Tax Rate",
        "Rate",
        "Taxable Value",
        "Cess Amount",
        "E-Commerce GSTIN",
    ),
    "cdnr": (
        "GSTIN/UIN of Recipient",
        "Receiver Name",
        "Note Number",
        "Note Date",
        "Note Type",
        "Place Of Supply",
        "Reverse Charge",
        "Note Supply Type",
        "Note Value",
        "Applicable % of Tax Rate",
        "Rate",
        "Taxable Value",
        "Cess Amount",
    ),
    "cdnur": (
        "UR Type",
        "Note Number",
        "Note Date",
        "Note Type",
        "Place Of Supply",
        "Note Value",
        "Applicable % of Tax Rate",
        "Rate",
        "Taxable Value",
        "Cess Amount",
    ),
    "hsn_b2b": (
        "HSN",
        "Description",
        "UQC",
        "Total Quantity",
        "Total Value",
        "Rate",
        "Taxable Value",
        "Integrated Tax Amount",
        "Central Tax Amount",
        "State/UT Tax Amount",
        "Cess Amount",
    ),
    "docs": ("Nature of Document", "Sr. No. From", "Sr. No. To", "Total Number", "Cancelled"),
}
HEADERS["hsn_b2c"] = HEADERS["hsn_b2b"]

NATURE = {"INV": "Invoices for outward supply", "CRN": "Credit Note"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})")
ZERO = "0.00"


class MonthError(ValueError):
    """A month that is not written YYYY-MM."""


def parse_month(text: str) -> tuple[int, int]:
    """(year, month) from "2026-11". MonthError for anything else ("2026-13", "11-2026", "2026-1")."""
    found = _MONTH_TEXT.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise MonthError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-11.")
    return int(found[1]), int(found[2])


def rupees(paise: int) -> str:
    """Rupees with two decimals and no grouping, as the tool reads them: 59000 → "590.00"."""
    sign = "-" if paise < 0 else ""
    whole, part = divmod(abs(paise), 100)
    return f"{sign}{whole}.{part:02d}"


def tool_date(day: date) -> str:
    """The tool's date spelling, whatever the locale: 5 Nov 2026 → "05-Nov-2026"."""
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def place_of_supply_label(code: str) -> str:
    """The tool's place of supply: "29-Karnataka", "35-Andaman & Nicobar Islands"."""
    return f"{code}-{(state_name(code) or 'Unknown').replace(' and ', ' & ')}"


@dataclass
class Totals:
    """What a set of documents adds up to, in paise."""

    count: int = 0
    taxable_paise: int = 0
    cgst_paise: int = 0
    sgst_paise: int = 0
    igst_paise: int = 0

    @property
    def total_paise(self) -> int:
        return self.taxable_paise + self.cgst_paise + self.sgst_paise + self.igst_paise

    def add(self, tax: TaxBreakdown, sign: int = 1) -> None:
        self.count += 1
        self.taxable_paise += sign * tax.taxable_paise
        self.cgst_paise += sign * tax.cgst_paise
        self.sgst_paise += sign * tax.sgst_paise
        self.igst_paise += sign * tax.igst_paise


@dataclass
class Gstr1:
    """The month's sheets (name → rows without the heading) and what they add up to."""

    month: date
    sheets: dict[str, list[list[str]]] = field(default_factory=lambda: {name: [] for name in HEADERS})
    invoices: Totals = field(default_factory=Totals)
    credit_notes: Totals = field(default_factory=Totals)

    @property
    def net(self) -> Totals:
        """Invoices less credit notes: what the month's return reports."""
        i, c = self.invoices, self.credit_notes
        return Totals(
            count=i.count + c.count,
            taxable_paise=i.taxable_paise - c.taxable_paise,
            cgst_paise=i.cgst_paise - c.cgst_paise,
            sgst_paise=i.sgst_paise - c.sgst_paise,
            igst_paise=i.igst_paise - c.igst_paise,
        )

    def files(self) -> dict[str, str]:
        """File name → CSV text, one per sheet, headings first (a sheet with no rows still has them)."""
        return {f"{name}.csv": csv_text(HEADERS[name], rows) for name, rows in self.sheets.items()}


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _is_b2cl(invoice_value_paise: int, intra_state: bool) -> bool:
    return not intra_state and invoice_value_paise > B2CL_THRESHOLD_PAISE


def build_gstr1(
    month: date,
    invoices: Sequence[TaxInvoice],
    credit_notes: Sequence[CreditNote],
    corrected_invoice_paise: dict[str, int],
) -> Gstr1:
    """The sheets for a month's documents. `credit_notes` are those issued in the month (a note
    is reported in the month it is issued, whenever its invoice was); `corrected_invoice_paise`
    gives each note's invoice total by the note's serial (a note against a B2C large invoice
    goes to cdnur, every other unregistered one is netted into b2cs)."""
    result = Gstr1(month=month)
    sheets = result.sheets
    b2cs: dict[tuple[str, int], int] = defaultdict(int)  # (place of supply, rate) → net taxable
    hsn: dict[tuple[str, str, int], Totals] = defaultdict(Totals)  # (sheet, SAC, rate), net of notes
    described: dict[str, str] = {}

    def hsn_add(sheet: str, document: TaxInvoice, sign: int) -> None:
        hsn[(sheet, document.sac, document.tax.rate_percent)].add(document.tax, sign)
        described.setdefault(document.sac, document.description)

    for invoice in invoices:
        result.invoices.add(invoice.tax)
        tax, pos = invoice.tax, place_of_supply_label(invoice.place_of_supply)
        if invoice.recipient.gstin:
            sheets["b2b"].append(
                [
                    invoice.recipient.gstin,
                    invoice.recipient.name,
                    invoice.serial,
                    tool_date(invoice.issued_on),
                    rupees(tax.total_paise),
                    pos,
                    "N",
                    "",
                    "Regular B2B",
                    "",
                    str(tax.rate_percent),
                    rupees(tax.taxable_paise),
                    ZERO,
                ]
            )
            hsn_add("hsn_b2b", invoice, 1)
            continue
        hsn_add("hsn_b2c", invoice, 1)
        if _is_b2cl(tax.total_paise, tax.intra_state):
            sheets["b2cl"].append(
                [
                    invoice.serial,
                    tool_date(invoice.issued_on),
                    rupees(tax.total_paise),
                    pos,
                    "",
                    str(tax.rate_percent),
                    rupees(tax.taxable_paise),
                    ZERO,
                    "",
                ]
            )
        else:
            b2cs[(invoice.place_of_supply, tax.rate_percent)] += tax.taxable_paise

    for note in credit_notes:
        result.credit_notes.add(note.tax)
        tax, pos = note.tax, place_of_supply_label(note.place_of_supply)
        if note.recipient.gstin:
            sheets["cdnr"].append(
                [
                    note.recipient.gstin,
                    note.recipient.name,
                    note.serial,
                    tool_date(note.issued_on),
                    "C",
                    pos,
                    "N",
                    "Regular B2B",
                    rupees(tax.total_paise),
                    "",
                    str(tax.rate_percent),
                    rupees(tax.taxable_paise),
                    ZERO,
                ]
            )
            hsn_add("hsn_b2b", note, -1)
            continue
        hsn_add("hsn_b2c", note, -1)
        if _is_b2cl(corrected_invoice_paise[note.serial], tax.intra_state):
            sheets["cdnur"].append(
                [
                    "B2CL",
                    note.serial,
                    tool_date(note.issued_on),
                    "C",
                    pos,
                    rupees(tax.total_paise),
                    "",
                    str(tax.rate_percent),
                    rupees(tax.taxable_paise),
                    ZERO,
                ]
            )
        else:
            b2cs[(note.place_of_supply, tax.rate_percent)] -= tax.taxable_paise

    sheets["b2cs"] = [
        ["OE", place_of_supply_label(pos), "", str(rate), rupees(taxable), ZERO, ""]
        for (pos, rate), taxable in sorted(b2cs.items())
    ]
    sheets["hsn_b2b"], sheets["hsn_b2c"] = [], []
    for (sheet, sac, rate), totals in sorted(hsn.items()):
        sheets[sheet].append(
            [
                sac,
                described[sac],
                "NA",
                "0",
                rupees(totals.total_paise),
                str(rate),
                rupees(totals.taxable_paise),
                rupees(totals.igst_paise),
                rupees(totals.cgst_paise),
                rupees(totals.sgst_paise),
                ZERO,
            ]
        )
    sheets["docs"] = _document_summary([*invoices, *credit_notes])
    return result


def _document_summary(documents: Sequence[TaxInvoice]) -> list[list[str]]:
    """One row per series (document type and financial year): first and last serial, how many
    and how many cancelled. No document is ever cancelled here (a refund is a credit note)."""
    series: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for document in documents:
        parsed = parse_serial(document.serial)
        if parsed is None:  # every stored serial is one format_serial wrote
            raise ValueError(f"not a serial: {document.serial!r}")
        series[(parsed.document_type.value, parsed.financial_year)].append((parsed.number, document.serial))
    rows = []
    for (kind, _), numbered in sorted(series.items(), key=lambda item: (item[0][0] != "INV", item[0][1])):
        numbered.sort()
        rows.append([NATURE[kind], numbered[0][1], numbered[-1][1], str(len(numbered)), "0"])
    return rows
