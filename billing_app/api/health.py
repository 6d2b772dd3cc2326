"""GET /ready: readiness, for a load balancer's probe (`/ping`, Reflex's own, is liveness).

200 when the database answers `SELECT 1` and, with `REDIS_URL` set, Redis answers PING; 503
otherwise, in the error envelope, naming the part that failed. No auth. Each check has its own
connect/statement timeouts and the probe a hard deadline, so a probe never hangs however the
network fails; the checks open their own connections (not the app's pools), so a probe also
proves that a new connection can be made. Error texts are the driver's first line with every
password from the URLs taken out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import redis
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.pool import NullPool

from billing_app.api.schema import ErrorDetail
from billing_app.config import get_settings
from billing_app.context import AppContext, Resource, context
from billing_app.db import normalise_url
from billing_app.errors import BillingAppError

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2  # libpq's connect_timeout takes whole seconds, at least 2
PROBE_DEADLINE_SECONDS = CHECK_TIMEOUT_SECONDS + 0.5

router = APIRouter(tags=["health"])


class ReadyOut(BaseModel):
    status: Literal["ready"]
    database: Literal["ok"]
    redis: Literal["ok", "not configured"]


class NotReadyOut(BaseModel):
    error: ErrorDetail
    status: Literal["unavailable"]
    database: str = Field(description='"ok", or "error: …" saying what failed')
    redis: str = Field(description='"ok", "not configured", or "error: …" saying what failed')


class NotReady(BillingAppError):
    code, status, type = "unavailable", 503, "api_error"
    default_message = "Not ready."


@router.get(
    "/ready",
    response_model=ReadyOut,
    summary="Readiness: the database (and Redis, when configured) answer",
    responses={
        200: {"description": "Ready: the database answers, and Redis too when REDIS_URL is set."},
        503: {"model": NotReadyOut, "description": "unavailable: the database or Redis does not answer."},
    },
)
async def ready() -> Any:
    settings = get_settings()
    database, redis_state = await asyncio.gather(
        _probe(_check_database),
        _probe(_check_redis) if settings.redis_url else _not_configured(),
    )
    if database == "ok" and redis_state in ("ok", "not configured"):
        return ReadyOut(status="ready", database="ok", redis=redis_state)
    failed = [name for name, state in (("the database", database), ("Redis", redis_state)) if state.startswith("error")]
    secrets = _passwords(settings.database_url, settings.redis_url)
    database, redis_state = (_redact(state, secrets) for state in (database, redis_state))
    log.warning("not ready: database %s, redis %s", database, redis_state)
    error = NotReady(f"Not ready: {' and '.join(failed)} did not answer.")
    body = {**error.envelope(), "status": "unavailable", "database": database, "redis": redis_state}
    return JSONResponse(body, status_code=error.status)


async def _not_configured() -> str:
    return "not configured"


async def _probe(check: Callable[[], None]) -> str:
    """Run `check` in a thread: `ok`, or `error: …`. Given up on at the deadline (the thread
    then ends at its own timeouts)."""
    try:
        await asyncio.wait_for(asyncio.to_thread(check), PROBE_DEADLINE_SECONDS)
    except TimeoutError:
        return f"error: no answer within {PROBE_DEADLINE_SECONDS:g} s"
    except Exception as exc:
        cause = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
        first_line = (str(cause).strip().splitlines() or [""])[0]
        return f"error: {type(cause).__name__}: {first_line}"[:300]
    return "ok"


def _check_database() -> None:
    with context().get(PROBE_ENGINE).connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def _check_redis() -> None:
    context().get(PROBE_REDIS).ping()


def _probe_engine(ctx: AppContext) -> sa.Engine:
    """Its own engine, no pool: a probe must not wait for a pooled connection, nor hold one."""
    url = normalise_url(ctx.settings.database_url)
    if url.startswith("sqlite"):
        connect_args: dict[str, Any] = {"timeout": CHECK_TIMEOUT_SECONDS}
    else:
        connect_args = {
            "connect_timeout": CHECK_TIMEOUT_SECONDS,
            "options": f"-c statement_timeout={CHECK_TIMEOUT_SECONDS * 1000}",
        }
    return sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)


PROBE_ENGINE = Resource("ready_probe_engine", _probe_engine, lambda engine: engine.dispose())
PROBE_REDIS = Resource(
    "ready_probe_redis",
    lambda ctx: redis.Redis.from_url(
        ctx.settings.redis_url or "",
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    ),
    lambda client: client.close(),
)


def _passwords(*urls: str | None) -> set[str]:
    """The passwords in these URLs, as written and percent-decoded."""
    found: set[str] = set()
    for url in urls:
        try:
            password = urlsplit(url or "").password
        except ValueError:
            continue
        if password:
            found |= {password, unquote(password)}
    return found


def _redact(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
