"""Domain errors. Services raise them; the REST layer turns them into the envelope
`{"error": {"code", "message", "type"}}` and the Reflex states into toasts.

The codes, statuses and types are the table in DESIGN.md: a promise to API clients.
"""

from __future__ import annotations

from typing import Any, ClassVar


class BillingAppError(Exception):
    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    type: ClassVar[str] = "api_error"
    default_message: ClassVar[str] = "Something went wrong."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def envelope(self) -> dict[str, dict[str, Any]]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "type": self.type}
        body.update(self.details)
        return {"error": body}


class InsufficientCredits(BillingAppError):
    code, status, type = "insufficient_credits", 402, "billing_error"
    default_message = "Insufficient credits. Please top up your account."


class BudgetExceeded(BillingAppError):
    code, status, type = "budget_exceeded", 429, "billing_error"
    default_message = "This API key has spent its monthly budget."


class AddressRequired(BillingAppError):
    code, status, type = "address_required", 400, "billing_error"
    default_message = "Add a billing address before topping up."


class MandateRequired(BillingAppError):
    """Auto top-up switched on before the org has a confirmed mandate to charge."""

    code, status, type = "mandate_required", 400, "billing_error"
    default_message = "Authorise a mandate, and wait for your bank to confirm it, before turning auto top-up on."


class PromoInvalid(BillingAppError):
    code, status, type = "promo_invalid", 400, "billing_error"
    default_message = "This promo code is not valid."


class PromoRedeemed(BillingAppError):
    code, status, type = "promo_redeemed", 400, "billing_error"
    default_message = "Your organisation has already used this promo code."


class AmountInvalid(BillingAppError):
    code, status, type = "amount_invalid", 400, "billing_error"
    default_message = "Enter a whole amount within the top-up limits."


class InvalidApiKey(BillingAppError):
    code, status, type = "invalid_api_key", 401, "authentication_error"
    default_message = "Invalid API key."


class Unauthenticated(BillingAppError):
    code, status, type = "unauthenticated", 401, "authentication_error"
    default_message = "Sign in to continue."


class InvalidCredentials(Unauthenticated):
    default_message = "Wrong email or password."


class NotFound(BillingAppError):
    code, status, type = "not_found", 404, "not_found_error"
    default_message = "Not found."


class SignatureInvalid(BillingAppError):
    code, status, type = "signature_invalid", 400, "invalid_request_error"
    default_message = "The signature does not match."


class Forbidden(BillingAppError):
    """A member of the org whose role does not allow the action."""

    code, status, type = "forbidden", 403, "permission_error"
    default_message = "Your role in this organisation does not allow this."


class EmailUnverified(BillingAppError):
    code, status, type = "email_unverified", 403, "permission_error"
    default_message = "Verify your email address first."


class TokenInvalid(BillingAppError):
    """An emailed link (verification, password reset, invitation) that is unknown, expired
    or already used."""

    code, status, type = "token_invalid", 400, "invalid_request_error"
    default_message = "This link has expired or was already used. Ask for a new one."


class RateLimited(BillingAppError):
    code, status, type = "rate_limited", 429, "rate_limit_error"
    default_message = "Too many attempts. Please wait a minute and try again."


class InvalidRequest(BillingAppError):
    code, status, type = "invalid_request", 422, "invalid_request_error"
    default_message = "The request is malformed."


class Conflict(BillingAppError):
    """A request that contradicts existing state (e.g. the email is already registered)."""

    code, status, type = "conflict", 409, "invalid_request_error"
    default_message = "That already exists."


class AlreadyMember(Conflict):
    code = "already_member"
    default_message = "This person is already a member of the organisation."


class LastOwner(Conflict):
    """The change would leave the org without an owner."""

    code = "last_owner"
    default_message = "An organisation needs at least one owner. Make someone else an owner first."


class NegativeBalance(BillingAppError):
    """A console debit or refund that would take the org's balance below zero, sent without
    `confirm_negative: true`: nothing was done; send it again confirmed to go ahead."""

    code, status, type = "negative_balance", 409, "billing_error"
    default_message = "This would take the balance below zero. Send confirm_negative: true to go ahead."


class RefundRefused(BillingAppError):
    """Razorpay refused a refund (more than remains, already fully refunded, ...): its
    description is in the message."""

    code, status, type = "refund_refused", 400, "billing_error"
    default_message = "Razorpay refused the refund."


class PaymentGatewayError(BillingAppError):
    """Razorpay could not be reached or answered with an error."""

    code, status, type = "payment_gateway_error", 502, "api_error"
    default_message = "The payment gateway is not answering. Please try again in a minute."
