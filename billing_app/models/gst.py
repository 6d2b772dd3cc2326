"""GST documents: the series counters, tax invoices and credit notes (docs/gst.md).

An issued document is a snapshot: everything it prints (both parties, the place of supply, the
SAC, the rate and every figure) is stored on its row, so a later change of the billing address,
of the seller's settings or of the rate never alters a document already issued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from billing_app.models.types import BigIntPK, UTCDateTime, utcnow


class GstSeries(SQLModel, table=True):
    """The last number issued in one series: a document type ("INV", "CRN") in one financial
    year (by its starting calendar year). A number is taken in the transaction that issues the
    document, so a rolled back issue leaves no gap."""

    __tablename__ = "gst_series"

    document_type: str = Field(max_length=3, primary_key=True)
    financial_year: int = Field(primary_key=True)
    last_number: int = Field(default=0, sa_type=BigInteger)


class TaxInvoiceRecord(SQLModel, table=True):
    """One tax invoice, issued for one credited payment (`razorpay_payment_id` unique)."""

    __tablename__ = "tax_invoice"
    __table_args__ = (Index("ix_tax_invoice_org_issued", "org_id", "issued_at"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    serial: str = Field(max_length=16, unique=True)
    financial_year: int
    number: int = Field(sa_type=BigInteger)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False))
    order_id: int = Field(sa_column=Column(BigInteger, ForeignKey("payment_order.id"), nullable=False, unique=True))
    razorpay_payment_id: str = Field(max_length=40, unique=True)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    supplier_name: str = Field(sa_column=Column(Text, nullable=False))
    supplier_address: str = Field(sa_column=Column(Text, nullable=False))
    supplier_state_code: str = Field(max_length=2)
    supplier_gstin: str = Field(max_length=15)
    recipient_name: str = Field(max_length=120)
    recipient_address: str = Field(sa_column=Column(Text, nullable=False))
    recipient_state_code: str = Field(max_length=2)
    recipient_gstin: str | None = Field(default=None, max_length=15)  # None: unregistered (B2C)
    place_of_supply: str = Field(max_length=2)
    sac: str = Field(max_length=8)
    description: str = Field(max_length=120)
    rate_percent: int
    intra_state: bool
    taxable_paise: int = Field(sa_type=BigInteger)
    cgst_paise: int = Field(sa_type=BigInteger)
    sgst_paise: int = Field(sa_type=BigInteger)
    igst_paise: int = Field(sa_type=BigInteger)
    total_paise: int = Field(sa_type=BigInteger)


class CreditNoteRecord(SQLModel, table=True):
    """One credit note, issued for one Razorpay refund of an invoiced payment; its figures are
    the part of the invoice it reverses (its parties are the invoice's)."""

    __tablename__ = "credit_note"
    __table_args__ = (Index("ix_credit_note_org_issued", "org_id", "issued_at"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    serial: str = Field(max_length=16, unique=True)
    financial_year: int
    number: int = Field(sa_type=BigInteger)
    org_id: int = Field(sa_column=Column(BigInteger, ForeignKey("org.id"), nullable=False))
    invoice_id: int = Field(sa_column=Column(BigInteger, ForeignKey("tax_invoice.id"), nullable=False, index=True))
    razorpay_refund_id: str = Field(max_length=40, unique=True)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    reason: str = Field(max_length=120)
    taxable_paise: int = Field(sa_type=BigInteger)
    cgst_paise: int = Field(sa_type=BigInteger)
    sgst_paise: int = Field(sa_type=BigInteger)
    igst_paise: int = Field(sa_type=BigInteger)
    total_paise: int = Field(sa_type=BigInteger)
