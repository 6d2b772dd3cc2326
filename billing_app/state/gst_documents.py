"""The Billing page's lists of GST tax invoices and credit notes (docs/gst.md). Its own module
because the top-up panel reloads it once a payment is credited (and invoiced)."""

from __future__ import annotations

import reflex as rx

from billing_app.config import get_settings
from billing_app.errors import NotFound
from billing_app.rows.gst_documents import DocumentRow, document_rows
from billing_app.services import gst_invoices
from billing_app.services.gst_invoices import DocumentKind
from billing_app.services.roles import Permission
from billing_app.state.session import call_service, current_principal


class DocumentsState(rx.State):
    invoices: list[DocumentRow] = []
    credit_notes: list[DocumentRow] = []
    gst_on: bool = False  # SELLER_GSTIN is set: the lists show, empty or not
    loading: bool = True

    @rx.var
    def shown(self) -> bool:
        """Without a GSTIN, and nothing issued while there was one, Billing is as before."""
        return self.gst_on or len(self.invoices) > 0 or len(self.credit_notes) > 0

    @rx.event
    async def load(self) -> None:
        self.gst_on = get_settings().gst_enabled
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        items = await call_service(gst_invoices.list_documents, org_id=principal.org_id)
        self.invoices = document_rows(items, DocumentKind.INVOICE)
        self.credit_notes = document_rows(items, DocumentKind.CREDIT_NOTE)
        self.loading = False

    @rx.event
    async def download(self, serial: str, kind: str):  # type: ignore[no-untyped-def]
        """The document's one-page PDF, made on the server (as GET …/{serial}.pdf)."""
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        try:
            pdf = await call_service(
                gst_invoices.get_document_pdf, org_id=principal.org_id, serial=serial, kind=DocumentKind(kind)
            )
        except (NotFound, ValueError):
            yield rx.toast.error("This document is no longer available.")
            return
        yield rx.download(data=pdf, filename=f"{serial}.pdf", mime_type="application/pdf")
