"""A tax invoice or credit note as a one-page A4 PDF, made on the server with fpdf2.

The font is DejaVu Sans, shipped in billing_app/data/fonts (with its licence) rather than taken
from the system: the PDF core fonts have no ₹, and the app's image has no fonts installed. fpdf2
embeds only the glyphs used and writes a ToUnicode map, so the text can be read back (the tests
do, with pypdf). Every figure comes from `particulars`, so the PDF says what the page says.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from billing_app.gst_documents import CreditNote, Party, TaxInvoice, display_date, particulars

__all__ = ["FONT_DIR", "document_pdf"]

FONT_DIR = Path(__file__).resolve().parent / "data" / "fonts"
_FONT = "DejaVu"
_MARGIN = 15.0
_PAGE_WIDTH = 210.0
_BODY = _PAGE_WIDTH - 2 * _MARGIN
_GREY = (95, 99, 104)
_LINE = (205, 208, 212)


class _Page(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(_FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(_FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        # Never a second page: every field is bounded (billing address columns, settings).
        self.set_auto_page_break(auto=False)
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_title(title)
        self.set_creator("billing_app")
        self.add_page()

    def text_at(
        self,
        x: float,
        width: float,
        text: str,
        *,
        size: float = 9,
        bold: bool = False,
        grey: bool = False,
    ) -> None:
        """Wrapped text in a column starting at `x`, continuing below the current line."""
        self.set_font(_FONT, "B" if bold else "", size)
        self.set_text_color(*(_GREY if grey else (0, 0, 0)))
        self.set_x(x)
        self.multi_cell(width, size * 0.45, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rule(self, gap: float = 3.0) -> None:
        self.ln(gap)
        self.set_draw_color(*_LINE)
        self.line(_MARGIN, self.get_y(), _PAGE_WIDTH - _MARGIN, self.get_y())
        self.ln(gap)

    def label_value(self, x: float, width: float, label: str, value: str) -> None:
        self.text_at(x, width, label, size=7.5, grey=True)
        self.text_at(x, width, value)
        self.ln(1.5)


def _party(page: _Page, x: float, width: float, heading: str, party: Party) -> None:
    page.text_at(x, width, heading.upper(), size=7.5, bold=True, grey=True)
    page.ln(0.5)
    page.text_at(x, width, party.name, size=10, bold=True)
    page.text_at(x, width, party.address)
    if party.gstin:
        page.text_at(x, width, f"GSTIN {party.gstin}")
    page.text_at(x, width, f"State {party.state}")


def _column(page: _Page, top: float, x: float, width: float, draw: list[tuple[str, str]]) -> float:
    page.set_y(top)
    for label, value in draw:
        page.label_value(x, width, label, value)
    return page.get_y()


def document_pdf(document: TaxInvoice) -> bytes:
    """The document on one A4 page, as PDF bytes."""
    rows = dict(particulars(document))
    noun = "Credit note" if isinstance(document, CreditNote) else "Invoice"
    page = _Page(f"{document.title} {document.serial}")

    page.text_at(_MARGIN, _BODY, document.title, size=18, bold=True)
    page.text_at(_MARGIN, _BODY, f"{noun} {document.serial} · {display_date(document.issued_on)}", size=10)
    page.rule()

    top = page.get_y()
    half = _BODY / 2 - 4
    _party(page, _MARGIN, half, "Supplier", document.supplier)
    left_end = page.get_y()
    page.set_y(top)
    _party(page, _MARGIN + _BODY / 2 + 4, half, "Recipient", document.recipient)
    page.set_y(max(left_end, page.get_y()))
    page.rule()

    details = [
        (f"{noun} number", document.serial),
        (f"{noun} date", rows[f"{noun} date"]),
        ("Place of supply", rows["Place of supply"]),
        ("Reverse charge", rows["Reverse charge"]),
    ]
    more = []
    if isinstance(document, CreditNote):
        more += [("Against invoice", document.original_serial), ("Invoice date", rows["Invoice date"])]
        more.append(("Reason", document.reason))
    if document.payment_reference:
        more.append(("Payment", document.payment_reference))
    top = page.get_y()
    end = max(_column(page, top, _MARGIN, half, details), _column(page, top, _MARGIN + _BODY / 2 + 4, half, more))
    page.set_y(end)
    page.rule(1.5)

    _items(page, document, rows)

    page.ln(4)
    page.text_at(_MARGIN, _BODY, "Total in words", size=7.5, grey=True)
    page.text_at(_MARGIN, _BODY, document.total_in_words, size=10, bold=True)

    if document.irn:
        page.rule()
        page.label_value(_MARGIN, _BODY, "IRN", document.irn)
        if document.irn_ack_number:
            page.label_value(_MARGIN, _BODY, "Ack. number", document.irn_ack_number)
        if document.irn_ack_date:
            page.label_value(_MARGIN, _BODY, "Ack. date", display_date(document.irn_ack_date))

    page.set_y(297 - _MARGIN - 8)
    page.set_draw_color(*_LINE)
    page.line(_MARGIN, page.get_y() - 2, _PAGE_WIDTH - _MARGIN, page.get_y() - 2)
    page.text_at(
        _MARGIN,
        _BODY,
        f"Reverse charge: {rows['Reverse charge']}. A computer-generated document; no signature is required.",
        size=7.5,
        grey=True,
    )
    if page.pages_count != 1:  # pragma: no cover - the layout is bounded; a guard, not a branch
        raise RuntimeError(f"{document.serial} did not fit on one page")
    return bytes(page.output())


def _items(page: _Page, document: TaxInvoice, rows: dict[str, str]) -> None:
    """The single line (SAC, description, taxable value) and the tax and total under it."""
    widths = (25.0, _BODY - 25 - 45, 45.0)
    page.set_font(_FONT, "B", 8)
    page.set_text_color(*_GREY)
    for width, text, align in zip(widths, ("SAC", "Description", "Taxable value"), "LLR", strict=True):
        page.cell(width, 6, text, align=align)
    page.ln(6)
    page.set_text_color(0, 0, 0)
    page.set_font(_FONT, "", 9)
    page.cell(widths[0], 6, document.sac)
    page.cell(widths[1], 6, document.description)
    page.cell(widths[2], 6, rows["Taxable value"], align="R")
    page.ln(6)
    page.rule(1.5)

    lines = [("Taxable value", rows["Taxable value"]), ("GST rate", rows["GST rate"])]
    lines += [(label, value) for label, value in rows.items() if label.startswith(("CGST", "SGST", "IGST"))]
    for label, value in lines:
        page.set_x(_MARGIN + _BODY - 100)
        page.set_font(_FONT, "", 9)
        page.cell(55, 5.5, label, align="R")
        page.cell(45, 5.5, value, align="R")
        page.ln(5.5)
    page.set_x(_MARGIN + _BODY - 100)
    page.set_font(_FONT, "B", 11)
    page.cell(55, 7, "Total", align="R")
    page.cell(45, 7, rows["Total"], align="R")
    page.ln(7)
