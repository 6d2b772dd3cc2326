"""The printable payment receipt (one A4 page; navigation hidden when printing)."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.components.layout import page_frame
from billing_app.components.links import icon_link
from billing_app.errors import NotFound
from billing_app.rows.receipt import ReceiptView, receipt_view
from billing_app.services import receipts
from billing_app.services.roles import Permission
from billing_app.state.session import call_service, current_principal


class ReceiptState(rx.State):
    view: ReceiptView = ReceiptView()
    missing: bool = False
    loading: bool = True

    @rx.event
    async def load(self) -> None:
        self.loading = True
        self.missing = False
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        payment_id = str(self.router.page.params.get("payment_id", ""))
        try:
            receipt = await call_service(receipts.get_receipt, org_id=principal.org_id, payment_id=payment_id)
        except NotFound:
            self.view = ReceiptView()
            self.missing = True
        else:
            self.view = receipt_view(receipt)
        self.loading = False


def _row(label: str, key: str, testid: str | None = None) -> rx.Component:
    return rx.cond(
        getattr(ReceiptState.view, key) != "",
        rx.hstack(
            # The label keeps its column on a phone too; a long value wraps within its own.
            rx.text(
                label,
                size="2",
                color=rx.color("gray", 11),
                width=rx.breakpoints(initial="7.5em", sm="10em"),
                flex_shrink="0",
            ),
            rx.text(
                getattr(ReceiptState.view, key),
                size="2",
                weight="medium",
                flex="1",
                min_width="0",
                overflow_wrap="anywhere",
                data_testid=testid or f"receipt-{key}",
            ),
            align="baseline",
            width="100%",
        ),
    )


def _section(title: str, *rows: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(title, size="1", weight="bold", color=rx.color("gray", 10), text_transform="uppercase"),
        *rows,
        spacing="1",
        width="100%",
    )


def _receipt() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading("Payment receipt", size="6"),
                    rx.text("Receipt ", ReceiptState.view.number, size="2", data_testid="receipt-number"),
                    spacing="1",
                ),
                rx.spacer(),
                rx.vstack(
                    rx.text(ReceiptState.view.seller_name, weight="bold", size="2"),
                    rx.text(ReceiptState.view.seller_address, size="1", color=rx.color("gray", 11)),
                    rx.cond(
                        ReceiptState.view.seller_gstin != "",
                        rx.text("GSTIN ", ReceiptState.view.seller_gstin, size="1"),
                    ),
                    align="end",
                    spacing="0",
                    text_align="right",
                ),
                width="100%",
                wrap="wrap",
                spacing="4",
            ),
            rx.separator(),
            rx.hstack(
                rx.vstack(
                    rx.text("Amount paid", size="2", color=rx.color("gray", 11)),
                    rx.text(ReceiptState.view.amount, size="7", weight="bold", data_testid="receipt-amount"),
                    spacing="0",
                ),
                rx.spacer(),
                rx.badge("Paid", color_scheme="grass", size="2"),
                width="100%",
                align="center",
            ),
            _section(
                "Payment",
                _row("Paid at", "paid_at"),
                _row("Payment ID", "payment_id"),
                _row("Order ID", "order_id"),
                _row("Method", "method"),
                _row("Refunded", "refunded"),
            ),
            _section(
                "Credits",
                _row("Credits purchased", "credits"),
                _row("Promo bonus", "bonus"),
                _row("Total credited", "total_credits"),
            ),
            _section(
                "Billed to",
                _row("Name", "address_name"),
                _row("Address", "address_lines"),
                _row("", "address_place"),
                _row("State", "state"),
                _row("GSTIN", "gstin"),
                _row("Email", "payer_email"),
                _row("Phone", "payer_contact"),
            ),
            rx.separator(),
            rx.hstack(
                rx.text(ReceiptState.view.note, size="1", color=rx.color("gray", 11), data_testid="receipt-note"),
                rx.cond(
                    ReceiptState.view.invoice_url != "",
                    rx.link(
                        "View tax invoice", href=ReceiptState.view.invoice_url, size="1", data_testid="receipt-invoice"
                    ),
                ),
                spacing="2",
                align="baseline",
                wrap="wrap",
            ),
            spacing="4",
            width="100%",
        ),
        size="4",
        width="100%",
        max_width="720px",
        class_name="receipt",
        data_testid="receipt",
    )


def receipt_page() -> rx.Component:
    return page_frame(
        routes.BILLING,
        "Receipt",
        rx.hstack(
            icon_link("arrow-left", "Back to billing", routes.BILLING, size="2"),
            rx.spacer(),
            rx.button(
                rx.icon("printer", size=16),
                "Print",
                on_click=rx.call_script("window.print()"),
                disabled=ReceiptState.missing,
                data_testid="print-receipt",
            ),
            width="100%",
            max_width="720px",
            align="center",
            class_name="no-print",
        ),
        rx.cond(
            ReceiptState.loading,
            rx.skeleton(height="24em", width="100%", max_width="720px"),
            rx.cond(
                ReceiptState.missing,
                rx.callout(
                    "We couldn't find this receipt. It may belong to another organisation, or the link is wrong.",
                    icon="file-question",
                    color_scheme="gray",
                    data_testid="receipt-missing",
                    max_width="720px",
                ),
                _receipt(),
            ),
        ),
        needs=Permission.PAY,
    )
