"""Manual credits and debits from the console: POST /admin/orgs/{org_id}/manual-entries,
GET /admin/approvals (pending), POST /admin/approvals/{id}/approve | /reject.

The rules (the approval limit, nobody approves their own request, a debit below zero needs
`confirm_negative`) are the service's: services/console/manual.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StrictInt

from billing_app.api.admin.routing import staff_router
from billing_app.api.deps import StaffPrincipal
from billing_app.api.inputs import PathId, RequestBody
from billing_app.ist import iso_ist
from billing_app.models.types import MAX_BIGINT
from billing_app.services.console import manual
from billing_app.services.console.reasons import MAX_REASON_LENGTH

router = staff_router("/admin")

SignedMicros = Annotated[StrictInt, Field(ge=-MAX_BIGINT, le=MAX_BIGINT)]


class ManualEntryIn(RequestBody):
    amount_micros: SignedMicros = Field(description="positive: a credit; negative: a debit")
    reason: str = Field(max_length=MAX_REASON_LENGTH)
    confirm_negative: bool = False


class ApproveIn(RequestBody):
    confirm_negative: bool = False
    reason: str = Field(default="", max_length=MAX_REASON_LENGTH, description="an optional note")


class RejectIn(RequestBody):
    reason: str = Field(max_length=MAX_REASON_LENGTH)


class ManualEntryOut(BaseModel):
    id: int
    org_id: int
    org_name: str
    currency: str
    amount_micros: int
    reason: str
    status: str = Field(description="pending (waits for another staff member) | posted | rejected")
    confirm_negative: bool
    requested_by: str
    decided_by: str | None
    decision_reason: str | None
    entry_id: int | None = Field(description="the ledger entry, once posted")
    created_at: str
    decided_at: str | None
    changed_now: bool = Field(description="false: it was already decided this way")


class ApprovalsOut(BaseModel):
    items: list[ManualEntryOut]
    approval_above_micros: int


def entry_out(view: manual.ManualEntryView) -> ManualEntryOut:
    return ManualEntryOut(
        id=view.id,
        org_id=view.org_id,
        org_name=view.org_name,
        currency=view.currency,
        amount_micros=view.amount_micros,
        reason=view.reason,
        status=view.status,
        confirm_negative=view.confirm_negative,
        requested_by=view.requested_by_email,
        decided_by=view.decided_by_email,
        decision_reason=view.decision_reason,
        entry_id=view.entry_id,
        created_at=iso_ist(view.created_at),
        decided_at=iso_ist(view.decided_at) if view.decided_at else None,
        changed_now=view.changed_now,
    )


@router.post("/orgs/{org_id}/manual-entries", status_code=201)
def request_entry(org_id: PathId, body: ManualEntryIn, _: StaffPrincipal) -> ManualEntryOut:
    """Posts at once up to the approval limit (status posted), else waits (status pending).
    409 negative_balance for a debit below zero without confirm_negative."""
    return entry_out(
        manual.request_entry(
            org_id=org_id, amount_micros=body.amount_micros, reason=body.reason, confirm_negative=body.confirm_negative
        )
    )


@router.get("/approvals")
def pending(_: StaffPrincipal) -> ApprovalsOut:
    return ApprovalsOut(
        items=[entry_out(view) for view in manual.list_pending()], approval_above_micros=manual.approval_limit_micros()
    )


@router.post("/approvals/{request_id}/approve")
def approve(request_id: PathId, body: ApproveIn, _: StaffPrincipal) -> ManualEntryOut:
    """403 forbidden for your own request; 409 conflict when it was rejected."""
    return entry_out(manual.approve(request_id=request_id, confirm_negative=body.confirm_negative, reason=body.reason))


@router.post("/approvals/{request_id}/reject")
def reject(request_id: PathId, body: RejectIn, _: StaffPrincipal) -> ManualEntryOut:
    return entry_out(manual.reject(request_id=request_id, reason=body.reason))
