"""The printable GST tax invoice and credit note (one A4 page, like the receipt; navigation hidden
when printing), with "Download PDF": the same document drawn on the server (gst_pdf)."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.layout import page_frame
from billing_app.components.links import icon_link
from billing_app.errors import NotFound
from billing_app.rows.gst_documents import DocumentView, Line, document_view
from billing_app.services import gst_invoices
from billing_app.services.gst_invoices import DocumentKind
from billing_app.services.roles import Permission
from billing_app.state.session import call_service, current_principal

MAX_WIDTH = "760px"


class GstDocumentState(rx.State):
    view: DocumentView = DocumentView()
    kind: str = DocumentKind.INVOICE.value
    missing: bool = False
    loading: bool = True
    downloading: bool = False

    async def _load(self, kind: DocumentKind) -> None:
        self.kind = kind.value
        self.loading = True
        self.missing = False
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        serial = str(self.router.page.params.get("serial", ""))
        try:
            document = await call_service(gst_invoices.get_document, org_id=principal.org_id, serial=serial, kind=kind)
        except NotFound:
            self.view = DocumentView()
            self.missing = True
        else:
            self.view = document_view(document)
        self.loading = False

    @rx.event
    async def load_invoice(self) -> None:
        await self._load(DocumentKind.INVOICE)

    @rx.event
    async def load_credit_note(self) -> None:
        await self._load(DocumentKind.CREDIT_NOTE)

    @rx.event
    async def download_pdf(self):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.PAY)
        if principal is None or not self.view.serial:
            return
        self.downloading = True
        yield
        try:
            pdf = await call_service(
                gst_invoices.get_document_pdf,
                org_id=principal.org_id,
                serial=self.view.serial,
                kind=DocumentKind(self.kind),
            )
        except NotFound:
            self.downloading = False
            yield rx.toast.error("This document is no longer available.")
            return
        self.downloading = False
        yield rx.download(data=pdf, filename=f"{self.view.serial}.pdf", mime_type="application/pdf")


def _caption(text: str) -> rx.Component:
    return rx.text(text, size="1", weight="bold", color=rx.color("gray", 10), text_transform="uppercase")


def _party(title: str, which: str) -> rx.Component:
    party = getattr(GstDocumentState.view, which)
    return rx.vstack(
        _caption(title),
        rx.text(party.name, weight="bold", size="3", data_testid=f"{which}-name"),
        rx.text(party.address, size="2"),
        rx.cond(party.gstin != "", rx.text("GSTIN ", party.gstin, size="2", data_testid=f"{which}-gstin")),
        rx.text("State ", party.state, size="2", data_testid=f"{which}-state"),
        spacing="1",
        align="start",
        min_width="0",
    )


def _detail(line: Line) -> rx.Component:
    return rx.vstack(
        rx.text(line.label, size="1", color=rx.color("gray", 11)),
        rx.text(line.value, size="2", weight="medium", overflow_wrap="anywhere"),
        spacing="0",
        min_width="0",
        data_testid="document-detail",
    )


def _amount_line(line: Line) -> rx.Component:
    return rx.hstack(
        rx.text(line.label, size="2", color=rx.color("gray", 11)),
        rx.spacer(),
        rx.text(line.value, size="2", white_space="nowrap"),
        width="100%",
        data_testid="tax-line",
    )


def _item() -> rx.Component:
    """The one line supplied: SAC, description, taxable value."""
    view = GstDocumentState.view
    return rx.grid(
        rx.vstack(_caption("SAC"), rx.text(view.sac, size="2"), spacing="1"),
        rx.vstack(_caption("Description"), rx.text(view.description, size="2"), spacing="1", min_width="0"),
        rx.vstack(
            _caption("Taxable value"),
            rx.text(view.taxable, size="2", white_space="nowrap"),
            spacing="1",
            align="end",
        ),
        columns="auto 1fr auto",
        spacing="4",
        width="100%",
    )


def _totals() -> rx.Component:
    view = GstDocumentState.view
    return rx.vstack(
        rx.foreach(view.tax_lines, _amount_line),
        rx.separator(size="4"),
        rx.hstack(
            rx.text("Total", size="4", weight="bold"),
            rx.spacer(),
            rx.text(view.total, size="4", weight="bold", white_space="nowrap", data_testid="document-total"),
            width="100%",
            align="baseline",
        ),
        spacing="2",
        width="100%",
        max_width="22em",
        margin_left="auto",
        data_testid="document-totals",
    )


def _document() -> rx.Component:
    view = GstDocumentState.view
    return rx.card(
        rx.vstack(
            rx.vstack(
                rx.heading(view.title, size="6", data_testid="document-title"),
                rx.text(view.serial, " · ", view.date, size="2", data_testid="document-serial"),
                spacing="1",
            ),
            rx.separator(size="4"),
            rx.grid(
                _party("Supplier", "supplier"),
                _party("Recipient", "recipient"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="5",
                width="100%",
            ),
            rx.separator(size="4"),
            rx.grid(
                rx.foreach(view.details, _detail),
                columns=rx.breakpoints(initial="2", sm="3"),
                spacing="3",
                width="100%",
            ),
            rx.separator(size="4"),
            _item(),
            _totals(),
            rx.vstack(
                rx.text("Total in words", size="1", color=rx.color("gray", 11)),
                rx.text(view.total_in_words, size="2", weight="bold", data_testid="document-words"),
                spacing="0",
            ),
            rx.cond(
                view.irn.length() > 0,  # type: ignore[attr-defined]
                rx.grid(rx.foreach(view.irn, _detail), columns="1", spacing="2", width="100%"),
            ),
            rx.separator(size="4"),
            rx.text(
                "Reverse charge: ",
                view.reverse_charge,
                ". A computer-generated document; no signature is required.",
                size="1",
                color=rx.color("gray", 11),
                data_testid="document-footer",
            ),
            spacing="4",
            width="100%",
        ),
        size=rx.breakpoints(initial="2", sm="4"),
        width="100%",
        max_width=MAX_WIDTH,
        class_name="receipt",
        data_testid="gst-document",
    )


def _toolbar() -> rx.Component:
    unavailable = GstDocumentState.missing | GstDocumentState.loading
    return rx.hstack(
        icon_link("arrow-left", "Back to billing", routes.BILLING, size="2"),
        rx.cond(
            GstDocumentState.view.against_url != "",
            icon_link(
                "file-text", "The invoice", GstDocumentState.view.against_url, size="2", data_testid="against-link"
            ),
        ),
        rx.spacer(),
        rx.hstack(  # the two buttons wrap together, never one under the other
            rx.button(
                rx.icon("download", size=16),
                "Download PDF",
                variant="soft",
                on_click=GstDocumentState.download_pdf,
                loading=GstDocumentState.downloading,
                disabled=unavailable,
                data_testid="download-pdf",
            ),
            rx.button(
                rx.icon("printer", size=16),
                "Print",
                on_click=rx.call_script("window.print()"),
                disabled=unavailable,
                data_testid="print-document",
            ),
            spacing="2",
        ),
        width="100%",
        max_width=MAX_WIDTH,
        align="center",
        wrap="wrap",
        spacing="3",
        class_name="no-print",
    )


def _page(title: str) -> rx.Component:
    return page_frame(
        routes.BILLING,
        title,
        _toolbar(),
        rx.cond(
            GstDocumentState.loading,
            rx.skeleton(height="32em", width="100%", max_width=MAX_WIDTH),
            rx.cond(
                GstDocumentState.missing,
                rx.callout(
                    f"We couldn't find this {title.lower()}. It may belong to another organisation, or the link is "
                    "wrong.",
                    icon="file-question",
                    color_scheme="gray",
                    data_testid="document-missing",
                    max_width=MAX_WIDTH,
                ),
                _document(),
            ),
        ),
        needs=Permission.PAY,
    )


def invoice_page() -> rx.Component:
    return _page("Tax invoice")


def credit_note_page() -> rx.Component:
    return _page("Credit note")
