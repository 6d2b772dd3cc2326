"""The REST API (sandbox mounted) as separate OS processes on loopback ports, sharing one
database and one Redis: what several workers or machines of one deployment are, for the tests
that check money and jobs stay exactly once across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.conftest import REDIS_URL, missing_service
from tests.e2e.app_process import wait_until_serving

ROOT = Path(__file__).resolve().parents[1]


def require_redis() -> str:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
        client.close()
    except redis.RedisError:
        missing_service(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL to run these tests)")
    return REDIS_URL


@dataclass
class ApiProcess:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a machine losing power."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVERS = {
    "uvicorn": ["uvicorn", "billing_app.api.app:create_api", "--factory", "--log-level", "warning"],
    # the server `make run` uses (through Reflex)
    "granian": ["granian", "--interface", "asgi", "--factory", "--workers", "1", "billing_app.api.app:create_api"],
}


def start_api(
    *, database_url: str, redis_url: str | None, logdir: Path, server: str = "uvicorn", **settings: str
) -> ApiProcess:
    port = _free_port()
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=database_url,
        BACKGROUND_JOBS="false",
        SIGNUP_RATE_PER_MINUTE="1000",
        **({"REDIS_URL": redis_url} if redis_url else {}),
        **settings,
    )
    log = logdir / f"api-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *SERVERS[server], "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, proc, log, paths=("/v1/models",), seconds=60)
    return ApiProcess(url, proc, log)


@contextmanager
def api_processes(count: int, *, database_url: str, logdir: Path, **settings: str) -> Iterator[list[ApiProcess]]:
    """`count` API processes over one database and the machine's Redis (skips without Redis)."""
    redis_url = require_redis()
    started: list[ApiProcess] = []
    try:
        for _ in range(count):
            started.append(start_api(database_url=database_url, redis_url=redis_url, logdir=logdir, **settings))
        yield started
    finally:
        for api in started:
            if api.proc.poll() is None:
                os.killpg(api.proc.pid, signal.SIGTERM)
                try:
                    api.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    api.kill()
