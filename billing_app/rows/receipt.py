"""What the printable receipt shows, preformatted."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app import routes
from billing_app.ist import display_ist
from billing_app.money import format_money, format_paise
from billing_app.services import receipts

METHOD_LABELS = {"upi": "UPI", "card": "Card", "netbanking": "Netbanking", "wallet": "Wallet", "emi": "EMI"}


@dataclass(frozen=True)
class ReceiptView:
    """Every field is text; "" where the receipt has nothing to show (the line is left out)."""

    number: str = ""
    payment_id: str = ""
    order_id: str = ""
    amount: str = ""
    credits: str = ""
    bonus: str = ""
    total_credits: str = ""
    method: str = ""
    paid_at: str = ""
    payer_name: str = ""
    payer_email: str = ""
    payer_contact: str = ""
    address_name: str = ""
    address_lines: str = ""
    address_place: str = ""
    state: str = ""
    gstin: str = ""
    seller_name: str = ""
    seller_address: str = ""
    seller_gstin: str = ""
    refunded: str = ""
    note: str = receipts.NOT_AN_INVOICE
    invoice_url: str = ""  # the payment's GST tax invoice, when it has one


def receipt_view(receipt: receipts.Receipt) -> ReceiptView:
    address = receipt.billing_address
    place = ", ".join(part for part in (address["city"], f"{address['state']} {address['pin']}".strip()) if part)
    method = METHOD_LABELS.get(receipt.method, receipt.method.title())
    return ReceiptView(
        number=receipt.receipt_number,
        payment_id=receipt.payment_id,
        order_id=receipt.order_id,
        amount=format_paise(receipt.amount_paise),
        credits=format_money(receipt.credits_micros, receipt.credit_currency),
        bonus=format_money(receipt.bonus_micros, receipt.credit_currency) if receipt.bonus_micros else "",
        total_credits=format_money(receipt.credits_micros + receipt.bonus_micros, receipt.credit_currency),
        method=f"{method} · {receipt.method_detail}" if receipt.method_detail else method,
        paid_at=display_ist(receipt.paid_at),
        payer_name=receipt.payer["name"],
        payer_email=receipt.payer["email"],
        payer_contact=receipt.payer["contact"],
        address_name=address["name"] or "",
        address_lines=", ".join(line for line in (address["line1"], address["line2"]) if line),
        address_place=place,
        state=f"{address['state']} (GST state code {address['state_code']})" if address["state_code"] else "",
        gstin=address["gstin"] or "",
        seller_name=receipt.seller["name"],
        seller_address=receipt.seller["address"],
        seller_gstin=receipt.seller["gstin"],
        refunded=format_paise(receipt.refunded_paise) if receipt.refunded_paise else "",
        note=receipt.note,
        invoice_url=routes.invoice_url(receipt.tax_invoice) if receipt.tax_invoice else "",
    )
