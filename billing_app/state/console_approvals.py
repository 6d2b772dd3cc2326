"""Manual entries waiting for a second staff member: approve (it posts) or reject. The
service refuses the requester's own approval; its message is shown on the row's form."""

from __future__ import annotations

import reflex as rx

from billing_app.errors import BillingAppError, NegativeBalance
from billing_app.money import format_money
from billing_app.rows.console_lists import ApprovalLine, approval_line
from billing_app.services.console import manual
from billing_app.state.console_money import below_zero_question
from billing_app.state.session import call_service, current_staff


class ConsoleApprovalsState(rx.State):
    pending: list[ApprovalLine] = []
    limit: str = ""
    loading: bool = True
    error: str = ""  # the last refusal, with the request it is about
    error_id: int = 0
    notice: str = ""
    reason: str = ""

    async def _reload(self) -> None:
        found = await call_service(manual.list_pending)
        self.pending = [approval_line(v) for v in found]
        self.limit = format_money(manual.approval_limit_micros())

    @rx.event
    async def load(self) -> None:
        self.error, self.notice = "", ""
        if await current_staff(self) is None:
            return
        await self._reload()
        self.loading = False

    @rx.event
    def set_reason(self, value: str) -> None:
        self.reason = value

    @rx.event
    async def decide(self, request_id: int, decision: str) -> None:
        """`decision`: approve, reject, or confirm (approve although the balance goes below
        zero), with the reason typed above the list."""
        if await current_staff(self) is None:
            return
        reason = self.reason
        self.error, self.notice, self.error_id = "", "", request_id
        try:
            if decision == "reject":
                done = await call_service(manual.reject, request_id=request_id, reason=reason)
            else:
                if not reason.strip():
                    self.error = "Give a reason: it is kept in the audit log."
                    return
                done = await call_service(
                    manual.approve, request_id=request_id, reason=reason, confirm_negative=decision == "confirm"
                )
        except NegativeBalance as exc:
            self.error = below_zero_question(exc) + " Press “Approve below zero” to post it anyway."
            return
        except BillingAppError as exc:
            self.error = exc.message
            return
        amount = format_money(abs(done.amount_micros), done.currency)
        self.notice = f"{done.org_name}: {amount} {'posted' if done.status == 'posted' else 'rejected'}."
        await self._reload()
