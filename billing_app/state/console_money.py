"""The org page's money actions: a refund of a captured payment and a manual credit or debit.
Each asks for a reason; the services check everything again (staff, the reason, the amount,
the balance), and what they refuse is shown in the dialog. When the service says the balance
would go below zero, the dialog shows its words and asks before sending it again confirmed."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from billing_app.errors import BillingAppError, NegativeBalance
from billing_app.money import AmountError, format_money, format_paise, parse_typed_amount
from billing_app.services.console import manual, refunds
from billing_app.state.console_orgs import ConsoleOrgState
from billing_app.state.session import call_service, current_staff

MICROS_PER_PAISE = 10_000
API_HINT = " Send confirm_negative"  # the services' messages end with the API's way to confirm


def below_zero_question(exc: NegativeBalance) -> str:
    """The service's warning without the API's instructions (the dialog has a button)."""
    return exc.message.split(API_HINT, 1)[0]


def paise_of(text: str) -> int:
    """Rupees as typed ("200", "₹199.50") → paise; AmountError for anything else."""
    micros = parse_typed_amount(text)
    if micros <= 0 or micros % MICROS_PER_PAISE:
        raise AmountError(text)
    return micros // MICROS_PER_PAISE


class MoneyDialogState(rx.State, mixin=True):
    """What both dialogs share: the fields, the inline refusal, the question before going below
    zero, and the send. A dialog says how its amount is read (`_parse`), what it sends (`_send`,
    returning the notice the org page shows), and what to say of a malformed amount."""

    open: bool = False
    amount: str = ""
    reason: str = ""
    error: str = ""
    below_zero: str = ""  # the service's warning; non-empty: the dialog asks to confirm
    busy: bool = False

    amount_hint: ClassVar[str] = "Enter the amount as a positive number, like 250 or 99.50."

    def _begin(self, amount: str = "") -> None:
        self.open, self.amount, self.reason, self.error, self.below_zero = True, amount, "", "", ""

    @rx.event
    def set_open(self, open_: bool) -> None:
        self.open = open_

    @rx.event
    def set_amount(self, value: str) -> None:
        self.amount, self.below_zero = value, ""

    @rx.event
    def set_reason(self, value: str) -> None:
        self.reason = value

    def _parse(self) -> int:
        raise NotImplementedError

    async def _send(self, amount: int, *, confirm_negative: bool) -> str:
        raise NotImplementedError

    @rx.event
    async def submit(self, confirm_negative: bool = False):  # type: ignore[no-untyped-def]
        if await current_staff(self) is None:
            return
        try:
            amount = self._parse()
        except AmountError:
            self.error = self.amount_hint
            return
        self.busy, self.error = True, ""
        yield
        try:
            notice = await self._send(amount, confirm_negative=confirm_negative)
        except NegativeBalance as exc:
            self.below_zero = below_zero_question(exc)
        except BillingAppError as exc:
            self.error = exc.message
        else:
            self.open, self.below_zero = False, ""
            org = await self.get_state(ConsoleOrgState)
            await org.reload()
            org.notice = notice
        self.busy = False


class ConsoleRefundState(MoneyDialogState, rx.State):
    payment_id: str = ""

    amount_hint: ClassVar[str] = "Enter the amount in rupees, like 200 or 199.50."

    @rx.event
    def start(self, payment_id: str, remaining: str) -> None:
        """Open the dialog for a payment, the amount prefilled with what remains."""
        self._begin(remaining)
        self.payment_id = payment_id

    def _parse(self) -> int:
        return paise_of(self.amount)

    async def _send(self, amount: int, *, confirm_negative: bool) -> str:
        done = await call_service(
            refunds.start_refund,
            payment_id=self.payment_id,
            amount_paise=amount,
            reason=self.reason,
            confirm_negative=confirm_negative,
        )
        again = " (already started a moment ago: nothing new was sent)" if done.repeated else ""
        return (
            f"Refund of {format_paise(done.amount_paise)} of {done.payment_id} sent to Razorpay{again}. "
            f"{format_money(done.credits_micros, done.currency)} of credit comes off when Razorpay "
            "reports it processed."
        )


class ConsoleManualState(MoneyDialogState, rx.State):
    direction: str = "credit"  # or "debit"
    limit: str = ""  # above it, a second staff member approves

    @rx.event
    def start(self) -> None:
        self._begin()
        self.direction = "credit"
        self.limit = format_money(manual.approval_limit_micros())

    @rx.event
    def set_direction(self, value: str | list[str]) -> None:
        self.direction, self.below_zero = (value if isinstance(value, str) else value[0]), ""

    def _parse(self) -> int:
        micros = parse_typed_amount(self.amount)
        if micros <= 0:
            raise AmountError(self.amount)
        return micros

    async def _send(self, amount: int, *, confirm_negative: bool) -> str:
        org = await self.get_state(ConsoleOrgState)
        done = await call_service(
            manual.request_entry,
            org_id=org.org_id,
            amount_micros=amount if self.direction == "credit" else -amount,
            reason=self.reason,
            confirm_negative=confirm_negative,
        )
        amount_text = format_money(abs(done.amount_micros), done.currency)
        kind = "Credit" if done.amount_micros > 0 else "Debit"
        if done.status == "pending":
            return f"{kind} of {amount_text} waits for another staff member's approval (Approvals)."
        return f"{kind} of {amount_text} posted."
