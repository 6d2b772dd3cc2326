"""Brute-force limits for sign-up, login and promo checks: a moving 60-second window per key.

With `REDIS_URL` set the attempts are counted in Redis (the `limits` library's moving-window
strategy over redis-py: one list of timestamps per key, updated by a Lua script), so every
worker on every machine shares one count and a limit is exactly the configured number. Keys
are `RATE_LIMIT_KEY_PREFIX:…` with the key itself hashed (no email address or IP in Redis) and
expire a minute after their last attempt. Without Redis the count lives in this process's
memory, which is exact too because `make run` then runs one worker (config.workers_for).

Redis unreachable at request time: fail open to this process's memory. Each worker counts on
its own until Redis answers again (asked again every `REDIS_RETRY_SECONDS`), and one warning per
outage is logged. A Redis outage thus neither locks everyone out of signing in nor removes the
brute-force limit; it only multiplies it by the number of workers for that time.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import ConnectionPool, RedisError
from redis.backoff import NoBackoff
from redis.retry import Retry

from billing_app.context import AppContext, Resource, context
from billing_app.errors import RateLimited

log = logging.getLogger(__name__)

# A login must not wait long on a Redis that does not answer; one retry covers a pooled
# connection that Redis closed (a restart) without counting as an outage.
REDIS_TIMEOUT_SECONDS = 0.5
# After a Redis error, count in memory this long before asking Redis again.
REDIS_RETRY_SECONDS = 5.0


def check_rate(*, action: str, key: str, per_minute: int) -> None:
    """Count one attempt of `action` by `key`; raise RateLimited once `per_minute` attempts
    were counted in the last 60 seconds (the refused attempt is not counted)."""
    identity = (action, hashlib.sha256(key.encode()).hexdigest()[:32])
    if not _hit(RateLimitItemPerMinute(per_minute), *identity):
        raise RateLimited()


def clear_counts() -> None:
    """Forget every count (tests): this context's memory and, with `REDIS_URL`, the keys under
    `RATE_LIMIT_KEY_PREFIX` in Redis, nobody else's."""
    ctx = context()
    if ctx.settings.redis_url:
        try:
            ctx.get(REDIS_LIMITER).storage.reset()
        except (StorageError, RedisError) as exc:
            log.warning("rate limits: could not clear the counts in Redis (%s)", _describe(exc))
    ctx.get(MEMORY_LIMITER).storage.reset()
    ctx.get(OUTAGE).clear()


def _hit(limit: RateLimitItemPerMinute, *identity: str) -> bool:
    ctx = context()
    outage = ctx.get(OUTAGE)
    if ctx.settings.redis_url and outage.should_ask():
        shared = ctx.get(REDIS_LIMITER)
        try:
            allowed = shared.hit(limit, *identity)
        except (StorageError, RedisError) as exc:
            outage.began(exc)
        else:
            outage.ended()
            return allowed
    return ctx.get(MEMORY_LIMITER).hit(limit, *identity)


class _Outage:
    """Whether Redis stopped answering: while it does not, it is asked again only every
    REDIS_RETRY_SECONDS (a request does not wait on it each time), and the outage is logged
    once when it begins and once when it ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._active = False

    def should_ask(self) -> bool:
        return time.monotonic() >= self._retry_at

    def began(self, exc: BaseException) -> None:
        with self._lock:
            first, self._active = not self._active, True
            self._retry_at = time.monotonic() + REDIS_RETRY_SECONDS
        if first:
            log.warning(
                "rate limits: Redis is not answering (%s); counting in this worker's memory until it "
                "does, so meanwhile each worker allows the limit on its own",
                _describe(exc),
            )

    def ended(self) -> None:
        if self._active:
            with self._lock:
                was, self._active, self._retry_at = self._active, False, 0.0
            if was:
                log.warning("rate limits: Redis answers again; counting there")

    def clear(self) -> None:
        with self._lock:
            self._active, self._retry_at = False, 0.0


def _describe(exc: BaseException) -> str:
    """The driver's error in one short line (StorageError wraps it)."""
    cause = exc.__cause__ if isinstance(exc, StorageError) and exc.__cause__ else exc
    return f"{type(cause).__name__}: {cause}".splitlines()[0][:200]


def _redis_limiter(ctx: AppContext) -> MovingWindowRateLimiter:
    url, prefix = ctx.settings.redis_url or "", ctx.settings.rate_limit_key_prefix
    pool = ConnectionPool.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )
    return MovingWindowRateLimiter(RedisStorage(url, connection_pool=pool, key_prefix=prefix, wrap_exceptions=True))


# Built on first use, so in a worker rather than in the supervisor that forks the workers:
# the memory storage runs a timer thread.
MEMORY_LIMITER = Resource("rate_limits_memory", lambda ctx: MovingWindowRateLimiter(MemoryStorage()))
REDIS_LIMITER = Resource("rate_limits_redis", _redis_limiter)
OUTAGE = Resource("rate_limits_redis_outage", lambda ctx: _Outage())
