"""POST /auth/signup, /auth/login, /auth/logout."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from billing_app.api.deps import ClientIp, require_token
from billing_app.api.inputs import RequestBody
from billing_app.services import accounts

router = APIRouter(prefix="/auth", tags=["auth"])


class SignupIn(RequestBody):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    name: str = Field(max_length=120)
    org_name: str = Field(max_length=120)


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


@router.post("/signup", status_code=201)
def signup(body: SignupIn, ip: ClientIp) -> SessionOut:
    return _session_out(accounts.signup(**body.model_dump(), client_ip=ip))


@router.post("/login")
def login(body: LoginIn, ip: ClientIp) -> SessionOut:
    return _session_out(accounts.login(email=body.email, password=body.password, client_ip=ip))


@router.post("/logout", status_code=204)
def logout(token: Annotated[str, Depends(require_token)]) -> Response:
    accounts.logout(token=token)
    return Response(status_code=204)
