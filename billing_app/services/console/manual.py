"""Manual credits and debits from the console, with a second pair of eyes on large ones.

A staff member asks for a credit (positive) or debit (negative) of an org's balance with a
reason. Up to MANUAL_APPROVAL_ABOVE (whole units of the credit currency, either sign) it posts
at once, as the `manual` ledger entry; above it, it waits as a pending request until another
staff member approves (it posts then) or someone rejects it (it never posts).

The rule that the requester cannot approve their own request lives in the approving UPDATE's
WHERE (`requested_by_user_id <> me`), beside `status = 'pending'`: no route, retry or race can
get round it, and however many approvals arrive at once exactly one moves the row out of
pending, and only that one posts (in the same transaction; the ledger entry's unique
external_ref `manual_request:<id>` would refuse a second one anyway).

A debit that would take the balance below zero is refused (409 negative_balance) unless the
request (or the approval) confirms it: checked on the balance the entry actually leaves, in
its own transaction, so a refusal rolls everything back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from billing_app.config import get_settings
from billing_app.db import read_session, write_session
from billing_app.errors import Conflict, Forbidden, InvalidRequest, NegativeBalance, NotFound
from billing_app.models import EntryKind, ManualEntryRequest, ManualStatus, Org, User
from billing_app.models.types import MAX_BIGINT, utcnow
from billing_app.money import MICROS_PER_UNIT, format_money
from billing_app.services import audit, ledger, roles, staff
from billing_app.services.actors import current_actor
from billing_app.services.console.reasons import required
from billing_app.services.roles import Permission


@dataclass(frozen=True)
class ManualEntryView:
    """One request as the console shows it (amounts in micros of the org's currency)."""

    id: int
    org_id: int
    org_name: str
    currency: str
    amount_micros: int
    reason: str
    status: str  # pending | posted | rejected
    confirm_negative: bool
    requested_by_user_id: int
    requested_by_email: str
    decided_by_user_id: int | None
    decided_by_email: str | None
    decision_reason: str | None
    entry_id: int | None
    created_at: datetime
    decided_at: datetime | None
    changed_now: bool = True  # False: this call found the request already decided as asked


def approval_limit_micros() -> int:
    """Manual entries larger than this (either sign) wait for a second staff member."""
    return get_settings().manual_approval_above * MICROS_PER_UNIT


def _me() -> int:
    user_id = current_actor().user_id
    if user_id is None:  # staff.require() let a staff actor through: they always have a user id
        raise NotFound()
    return user_id


def request_entry(*, org_id: int, amount_micros: int, reason: str, confirm_negative: bool = False) -> ManualEntryView:
    """Credit (positive) or debit (negative) the org's balance. Posts at once up to the
    approval limit; above it, stores a pending request for another staff member (status
    `pending`). NotFound for an unknown org; InvalidRequest for a blank reason or a zero
    amount; NegativeBalance for a debit below zero without `confirm_negative`."""
    staff.require()
    roles.check(org_id, Permission.PAY)
    reason = required(reason)
    if amount_micros == 0 or abs(amount_micros) > MAX_BIGINT:
        raise InvalidRequest("Enter a non-zero amount.", field="amount_micros")
    me = _me()
    needs_approval = abs(amount_micros) > approval_limit_micros()
    with write_session() as session:
        org = session.get(Org, org_id)
        if org is None:
            raise NotFound("No such organisation.")
        if amount_micros < 0 and not confirm_negative:
            _refuse_negative(org, org.balance_micros + amount_micros)
        row = ManualEntryRequest(
            org_id=org_id,
            amount_micros=amount_micros,
            reason=reason,
            confirm_negative=confirm_negative,
            requested_by_user_id=me,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        audit.record(
            session,
            org_id=org_id,
            action="ledger.manual_requested",
            subject=f"manual_request:{row.id}",
            after={"amount_micros": amount_micros, "reason": reason, "needs_approval": needs_approval},
        )
        if not needs_approval:
            session.execute(
                sa.update(ManualEntryRequest)
                .where(col(ManualEntryRequest.id) == row.id)
                .values(status=ManualStatus.POSTED, decided_at=utcnow())
            )
            _post(session, row.id, org_id, amount_micros, reason, confirmed=confirm_negative, user_id=me)
        request_id = row.id
    return get_request(request_id=request_id)


def approve(*, request_id: int, confirm_negative: bool = False, reason: str = "") -> ManualEntryView:
    """Approve another staff member's pending request: it posts now, once. Forbidden when
    it is your own request (whatever its state); NotFound for an unknown id; Conflict when it
    was rejected. Approving one already posted answers it with `changed_now` False.
    NegativeBalance when the debit would now take the balance below zero and neither the
    request nor this approval confirms it (the request stays pending)."""
    staff.require()
    me = _me()
    with write_session() as session:
        found = session.get(ManualEntryRequest, request_id)
        if found is None:
            raise NotFound("No such manual entry request.")
        roles.check(found.org_id, Permission.PAY)
        approved = session.execute(
            sa.update(ManualEntryRequest)
            .where(
                col(ManualEntryRequest.id) == request_id,
                col(ManualEntryRequest.status) == ManualStatus.PENDING,
                col(ManualEntryRequest.requested_by_user_id) != me,
            )
            .values(
                status=ManualStatus.POSTED,
                decided_by_user_id=me,
                decided_at=utcnow(),
                decision_reason=reason.strip() or None,
            )
            .returning(
                col(ManualEntryRequest.org_id),
                col(ManualEntryRequest.amount_micros),
                col(ManualEntryRequest.reason),
                col(ManualEntryRequest.confirm_negative),
            )
        ).first()
        if approved is None:
            session.refresh(found)
            _why_not(found, me, wanted=ManualStatus.POSTED)
            return _view(session, request_id, changed_now=False)
        org_id, amount, entry_reason, confirmed = approved
        audit.record(
            session,
            org_id=org_id,
            action="ledger.manual_approved",
            subject=f"manual_request:{request_id}",
            after={"amount_micros": amount, "reason": entry_reason, "approval_note": reason.strip() or None},
        )
        _post(session, request_id, org_id, amount, entry_reason, confirmed=confirmed or confirm_negative, user_id=me)
    return get_request(request_id=request_id)


def reject(*, request_id: int, reason: str) -> ManualEntryView:
    """Reject a pending request (anyone on staff, the requester too: withdrawing posts
    nothing); it never posts. Conflict when it was posted already; rejecting one already
    rejected answers it with `changed_now` False."""
    staff.require()
    me = _me()
    reason = required(reason)
    with write_session() as session:
        found = session.get(ManualEntryRequest, request_id)
        if found is None:
            raise NotFound("No such manual entry request.")
        roles.check(found.org_id, Permission.PAY)
        rejected = session.execute(
            sa.update(ManualEntryRequest)
            .where(
                col(ManualEntryRequest.id) == request_id,
                col(ManualEntryRequest.status) == ManualStatus.PENDING,
            )
            .values(status=ManualStatus.REJECTED, decided_by_user_id=me, decided_at=utcnow(), decision_reason=reason)
            .returning(col(ManualEntryRequest.id))
        ).first()
        if rejected is None:
            session.refresh(found)
            if found.status == ManualStatus.POSTED:
                raise Conflict("This request was approved and posted already; post a correcting entry instead.")
            return _view(session, request_id, changed_now=False)
        audit.record(
            session,
            org_id=found.org_id,
            action="ledger.manual_rejected",
            subject=f"manual_request:{request_id}",
            after={"amount_micros": found.amount_micros, "reason": found.reason, "rejection_reason": reason},
        )
    return get_request(request_id=request_id)


def list_pending(*, limit: int = 100) -> list[ManualEntryView]:
    """Requests waiting for approval, oldest first (the approver's queue)."""
    staff.require()
    with read_session() as session:
        ids = session.execute(
            sa.select(col(ManualEntryRequest.id))
            .where(col(ManualEntryRequest.status) == ManualStatus.PENDING)
            .order_by(col(ManualEntryRequest.id))
            .limit(max(1, min(limit, 500)))
        ).scalars()
        return [_view(session, request_id) for request_id in list(ids)]


def get_request(*, request_id: int) -> ManualEntryView:
    staff.require()
    with read_session() as session:
        return _view(session, request_id)


def _why_not(found: ManualEntryRequest, me: int, *, wanted: ManualStatus) -> None:
    """Why an approval moved nothing: raise, or return when it is already as wanted."""
    if found.requested_by_user_id == me:
        raise Forbidden("You asked for this entry: another staff member has to approve it.")
    if found.status == ManualStatus.REJECTED:
        raise Conflict("This request was rejected; it will never post. Ask for a new one if it is still needed.")
    assert found.status == wanted


def _refuse_negative(org: Org, would_be: int) -> None:
    if would_be < 0:
        raise NegativeBalance(
            f"This debit would take the balance of {org.name} to {format_money(would_be, org.currency)}. "
            "Send confirm_negative: true to post it anyway.",
            balance_micros=org.balance_micros,
            balance_after_micros=would_be,
        )


def _post(
    session: Session, request_id: int, org_id: int, amount: int, reason: str, *, confirmed: bool, user_id: int
) -> None:
    """The ledger entry, once per request (unique kind + external_ref), and its audit row."""
    entry = ledger.post_entry(
        session,
        org_id=org_id,
        kind=EntryKind.MANUAL,
        amount_micros=amount,
        description=reason,
        external_ref=f"manual_request:{request_id}",
        user_id=user_id,
    )
    if amount < 0 and not confirmed and entry.balance_after_micros < 0:
        org = session.get(Org, org_id)
        assert org is not None
        session.refresh(org)
        _refuse_negative(org, entry.balance_after_micros)  # raises: the whole transaction rolls back
    session.execute(
        sa.update(ManualEntryRequest).where(col(ManualEntryRequest.id) == request_id).values(entry_id=entry.id)
    )
    audit.record(
        session,
        org_id=org_id,
        action="ledger.manual_entry",
        subject=f"entry:{entry.id}",
        after={"amount_micros": amount, "reason": reason, "request_id": request_id},
    )


def _view(session: Session, request_id: int, *, changed_now: bool = True) -> ManualEntryView:
    requester, decider = aliased(User), aliased(User)
    row = session.execute(
        sa.select(ManualEntryRequest, col(Org.name), col(Org.currency), col(requester.email), col(decider.email))
        .join(Org, col(Org.id) == ManualEntryRequest.org_id)
        .join(requester, col(requester.id) == ManualEntryRequest.requested_by_user_id)
        .outerjoin(decider, col(decider.id) == ManualEntryRequest.decided_by_user_id)
        .where(col(ManualEntryRequest.id) == request_id)
    ).first()
    if row is None:
        raise NotFound("No such manual entry request.")
    found, org_name, currency, requester_email, decider_email = row
    assert found.id is not None
    return ManualEntryView(
        id=found.id,
        org_id=found.org_id,
        org_name=org_name,
        currency=currency,
        amount_micros=found.amount_micros,
        reason=found.reason,
        status=found.status,
        confirm_negative=found.confirm_negative,
        requested_by_user_id=found.requested_by_user_id,
        requested_by_email=requester_email,
        decided_by_user_id=found.decided_by_user_id,
        decided_by_email=decider_email,
        decision_reason=found.decision_reason,
        entry_id=found.entry_id,
        created_at=found.created_at,
        decided_at=found.decided_at,
        changed_now=changed_now,
    )
