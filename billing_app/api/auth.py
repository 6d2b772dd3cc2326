"""POST /auth/signup, /auth/login, /auth/logout; verifying the email address; forgotten
passwords."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from billing_app.api.deps import AnonymousActor, ClientIp, CurrentPrincipal, UserAgent, require_token
from billing_app.api.inputs import RequestBody
from billing_app.api.schema import enforced_by_service, errors
from billing_app.services import accounts, passwords, verification
from billing_app.services.accounts import EMAIL_PATTERN, MIN_PASSWORD_LENGTH

router = APIRouter(prefix="/auth", tags=["auth"], responses=errors(422, 429))


class SignupIn(RequestBody):
    email: str = Field(
        max_length=254, examples=["asha@example.com"], json_schema_extra=enforced_by_service(pattern=EMAIL_PATTERN)
    )
    password: str = Field(max_length=1024, json_schema_extra=enforced_by_service(minLength=MIN_PASSWORD_LENGTH))
    name: str = Field(min_length=1, max_length=120)
    org_name: str | None = Field(
        default=None, min_length=1, max_length=120, description="required unless `invitation_token` is given"
    )
    invitation_token: str | None = Field(
        default=None,
        max_length=200,
        description="an emailed invitation's token: join the inviting org (with its role) instead of creating one; "
        "the email must be the invited address",
    )


class LoginIn(RequestBody):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class SessionOut(BaseModel):
    token: str
    user_id: int
    org_id: int
    email: str
    name: str
    org_name: str
    currency: str
    email_verified: bool = Field(description="the signup credit is granted when the address is verified")
    role: str = Field(description="owner, admin, developer or billing, in this org")


def _session_out(signed_in: accounts.SignedIn) -> SessionOut:
    fields = asdict(signed_in.principal)
    fields.pop("session_id")
    return SessionOut(token=signed_in.token, **fields)


@router.post("/signup", status_code=201, responses=errors(400, 403, 409))
def signup(body: SignupIn, ip: ClientIp, agent: UserAgent) -> SessionOut:
    """Creates the user, their org and a session, and emails a verification link; the signup
    credit is granted when the address is verified (POST /auth/verify). With `invitation_token`
    the person joins the inviting org instead (no org of their own, no signup credit, the
    address verified by the invitation): 400 token_invalid for an unknown, expired, used or
    revoked invitation, 403 forbidden when it is another address's."""
    fields = body.model_dump()
    fields["org_name"] = fields["org_name"] or ""
    return _session_out(accounts.signup(**fields, client_ip=ip, user_agent=agent))


@router.post("/login", responses=errors(401))
def login(body: LoginIn, ip: ClientIp, agent: UserAgent) -> SessionOut:
    return _session_out(accounts.login(email=body.email, password=body.password, client_ip=ip, user_agent=agent))


class TokenIn(RequestBody):
    token: str = Field(max_length=200, description="the token of the emailed link")


class VerifiedOut(BaseModel):
    email_verified: bool
    credited_micros: int = Field(description="the signup credit granted now (0 if the address already had it)")


@router.post("/verify", responses=errors(400))
def verify(body: TokenIn, actor: AnonymousActor) -> VerifiedOut:
    """Verify the email address with the emailed link's token; grants the signup credit once
    per address. 400 token_invalid for an unknown, expired or used link."""
    done = verification.verify(token=body.token, actor=actor)
    return VerifiedOut(email_verified=True, credited_micros=done.credited_micros)


class ResentOut(BaseModel):
    sent: bool = Field(description="false when the address is already verified")


@router.post("/verify/resend", status_code=202, responses=errors(401))
def resend_verification(principal: CurrentPrincipal) -> ResentOut:
    """Email a new verification link (at most one a minute)."""
    return ResentOut(sent=verification.resend(user_id=principal.user_id, org_id=principal.org_id))


class ForgotIn(RequestBody):
    email: str = Field(max_length=254)


@router.post("/password/forgot", status_code=202, response_class=Response)
def forgot_password(body: ForgotIn, ip: ClientIp) -> Response:
    """Emails a reset link valid for 30 minutes when the address has an account. The answer
    is 202 either way: it never tells whether an address is registered."""
    passwords.forgot(email=body.email, client_ip=ip)
    return Response(status_code=202)


class ResetIn(RequestBody):
    token: str = Field(max_length=200)
    password: str = Field(max_length=1024, json_schema_extra=enforced_by_service(minLength=MIN_PASSWORD_LENGTH))


@router.post("/password/reset", status_code=204, response_class=Response, responses=errors(400))
def reset_password(body: ResetIn, actor: AnonymousActor) -> Response:
    """Sets the new password and ends every session of the person (sign in again)."""
    passwords.reset(token=body.token, password=body.password, actor=actor)
    return Response(status_code=204)


@router.post("/logout", status_code=204, responses=errors(401))
def logout(token: Annotated[str, Depends(require_token)]) -> Response:
    accounts.logout(token=token)
    return Response(status_code=204)
