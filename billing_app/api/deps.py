"""Request dependencies: who is calling.

Where a route runs: a route whose work is a few indexed reads (the session lookup here, a
ledger page, the key list, the price list) is `async def` and calls the sync service on the
event loop, since a hop to the thread pool costs more than the query itself. A route that
writes, aggregates usage or calls Razorpay stays `def` and runs on the thread pool, so a long
one never stalls the worker's other requests. docs/benchmarks.md has the measurements."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer
from starlette.types import Scope

from billing_app.config import get_settings
from billing_app.errors import NotFound, Unauthenticated
from billing_app.services import actors, sessions
from billing_app.services.accounts import Principal, resolve
from billing_app.services.actors import Actor


def bearer_token(request: Request) -> str | None:
    return _bearer(request.headers.get("authorization", ""))


def bearer_token_of(scope: Scope) -> str | None:
    """The same, straight from an ASGI scope (the metering hot path builds no Request)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return _bearer(value.decode("latin-1"))
    return None


def _bearer(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


# Declared in /openapi.json as the two bearer schemes; the header is parsed by _bearer below.
session_scheme = HTTPBearer(
    scheme_name="session", description="a session token from /auth/signup or /auth/login", auto_error=False
)
api_key_scheme = HTTPBearer(
    scheme_name="apiKey", description="an API key (`sk-live-…`) from /me/keys", auto_error=False
)


# async (no I/O): FastAPI runs a sync dependency on the thread pool, one hop more per request.
async def require_token(request: Request, _: Annotated[object, Security(session_scheme)] = None) -> str:
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("Send Authorization: Bearer <session token>.")
    return token


async def current_principal(request: Request, token: Annotated[str, Depends(require_token)]) -> Principal:
    found = resolve(token=token)  # one indexed lookup: on the loop (see the module's docstring)
    if sessions.is_stale(found.last_used_at):  # a write, at most every TOUCH_EVERY: on the pool
        await run_in_threadpool(sessions.touch, session_id=found.principal.session_id)
    # who this request acts as: the audit log's "who" and the role checks' (services/actors.py)
    actors.acting(found.principal.acting_from(ip=await client_ip(request), user_agent=user_agent(request)))
    return found.principal


async def client_ip(request: Request) -> str:
    """The caller's address, for the per-IP rate limits. Behind TRUSTED_PROXY_HOPS proxies it is
    the X-Forwarded-For entry that many from the end (what the outermost trusted proxy saw);
    anything further left was written by the client and is not trusted."""
    peer = request.client.host if request.client else ""
    hops = get_settings().trusted_proxy_hops
    if not hops:
        return peer
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    return forwarded[-hops] if len(forwarded) >= hops else peer


async def current_staff(request: Request) -> Principal:
    """A signed-in staff member, acting as staff (services/staff.py); anyone else, signed in or
    not, gets 404 as for a route that does not exist: the console's API is not revealed."""
    try:
        found = resolve(token=bearer_token(request))
    except Unauthenticated as exc:
        raise NotFound() from exc
    if not found.principal.is_staff:
        raise NotFound()
    ip = await client_ip(request)
    actors.acting(Actor(user_id=found.principal.user_id, ip=ip, user_agent=user_agent(request), kind="staff"))
    return found.principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
StaffPrincipal = Annotated[Principal, Depends(current_staff)]
ClientIp = Annotated[str, Depends(client_ip)]


async def request_actor(request: Request, principal: CurrentPrincipal, ip: ClientIp) -> Actor:
    """The signed-in person as the audit log records them: with the request's IP and user agent."""
    return principal.acting_from(ip=ip, user_agent=user_agent(request))


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:300]


async def anonymous_actor(request: Request, ip: ClientIp) -> Actor:
    """Someone not signed in (opening an emailed link): known by IP and user agent only."""
    return Actor(ip=ip, user_agent=user_agent(request))


RequestActor = Annotated[Actor, Depends(request_actor)]
AnonymousActor = Annotated[Actor, Depends(anonymous_actor)]
UserAgent = Annotated[str, Depends(user_agent)]
