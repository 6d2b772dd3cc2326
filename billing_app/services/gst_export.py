"""The operator's monthly GSTR-1 export: a month's (IST calendar month) tax invoices and credit
notes as the offline tool's CSV sheets, for the CLI (`gst export`) and the console's download.
The sheets and the choices behind them are in docs/gst.md ("The GSTR-1 export")."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from billing_app.errors import InvalidRequest, NotFound
from billing_app.gstr1 import Gstr1, MonthError, build_gstr1, parse_month
from billing_app.money import format_paise
from billing_app.services import gst_invoices
from billing_app.services.actors import current_actor

__all__ = ["Gstr1Export", "gstr1_export"]


@dataclass(frozen=True)
class Gstr1Export:
    month: str  # "2026-11"
    gstr1: Gstr1

    @property
    def files(self) -> dict[str, str]:
        return self.gstr1.files()

    @property
    def zip_name(self) -> str:
        return f"gstr1-{self.month}.zip"

    def zip_bytes(self) -> bytes:
        """Every sheet as a CSV in one zip (UTF-8, CRLF lines, as the tool reads them)."""
        buffer = io.BytesIO()
        first = self.gstr1.month
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in self.files.items():
                info = zipfile.ZipInfo(name, date_time=(first.year, first.month, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text.encode())
        return buffer.getvalue()

    def write_to(self, directory: Path) -> list[Path]:
        """Write every sheet into `directory` (created if missing); the paths written."""
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.files.items():
            path = directory / name
            path.write_text(text, encoding="utf-8", newline="")
            written.append(path)
        return written

    def summary(self) -> list[str]:
        """What an operator checks before filing: counts and totals of the month."""
        lines = []
        for label, totals in (
            ("invoices", self.gstr1.invoices),
            ("credit notes", self.gstr1.credit_notes),
            ("net", self.gstr1.net),
        ):
            lines.append(
                f"{label}: {totals.count}, taxable {format_paise(totals.taxable_paise)}, "
                f"CGST {format_paise(totals.cgst_paise)}, SGST {format_paise(totals.sgst_paise)}, "
                f"IGST {format_paise(totals.igst_paise)}, total {format_paise(totals.total_paise)}"
            )
        return lines


def gstr1_export(*, month: str) -> Gstr1Export:
    """The GSTR-1 sheets for `month` ("2026-11", an IST calendar month): its invoices, and the
    credit notes issued in it whatever the month of their invoice. Read-only, so it can be run
    again at any time and gives the same files. Only the system (the CLI) and staff (the console)
    may read across orgs: NotFound for anyone else; InvalidRequest for a month not written YYYY-MM."""
    if current_actor().kind not in ("system", "staff"):
        raise NotFound()
    try:
        year, number = parse_month(month)
    except MonthError as exc:
        raise InvalidRequest(str(exc), field="month") from None
    documents = gst_invoices.month_documents(year=year, month=number)
    gstr1 = build_gstr1(documents.month, documents.invoices, documents.credit_notes, documents.corrected_invoice_paise)
    return Gstr1Export(month=f"{year:04d}-{number:02d}", gstr1=gstr1)
