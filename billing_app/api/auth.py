"""POST /auth/signup, /auth/login, /auth/logout."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from billing_app.api.deps import ClientIp, require_token
from billing_app.api.inputs import RequestBody
from billing_app.api.schema import enforced_by_service, errors
from billing_app.services import accounts
from billing_app.services.accounts import EMAIL_PATTERN, MIN_PASSWORD_LENGTH

router = APIRouter(prefix="/auth", tags=["auth"], responses=errors(422, 429))


class SignupIn(RequestBody):
    email: str = Field(
        max_length=254, examples=["asha@example.com"], json_schema_extra=enforced_by_service(pattern=EMAIL_PATTERN)
    )
    password: str = Field(max_length=1024, json_schema_extra=enforced_by_service(minLength=MIN_PASSWORD_LENGTH))
    name: str = Field(min_length=1, max_length=120)
    org_name: str = Field(min_length=1, max_length=120)


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


def _session_out(signed_in: accounts.SignedIn) -> SessionOut:
    return SessionOut(token=signed_in.token, **asdict(signed_in.principal))


@router.post("/signup", status_code=201, responses=errors(409))
def signup(body: SignupIn, ip: ClientIp) -> SessionOut:
    return _session_out(accounts.signup(**body.model_dump(), client_ip=ip))


@router.post("/login", responses=errors(401))
def login(body: LoginIn, ip: ClientIp) -> SessionOut:
    return _session_out(accounts.login(email=body.email, password=body.password, client_ip=ip))


@router.post("/logout", status_code=204, responses=errors(401))
def logout(token: Annotated[str, Depends(require_token)]) -> Response:
    accounts.logout(token=token)
    return Response(status_code=204)
