"""Brute-force limits: one count shared by every process through Redis when REDIS_URL is set,
this process's memory otherwise, and this process's memory again while Redis is down."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from billing_app.context import reset_context
from billing_app.errors import RateLimited
from billing_app.services import rate_limit
from billing_app.services.rate_limit import check_rate, clear_counts
from tests.api_processes import require_redis

ROOT = Path(__file__).resolve().parents[2]

# Each process waits for the go file, then counts `attempts` sign-ups from one address and prints
# how many were let through.
ATTEMPTS_SCRIPT = """
import os, sys, time
from billing_app.errors import RateLimited
from billing_app.services.rate_limit import check_rate
go, attempts = sys.argv[1], int(sys.argv[2])
while not os.path.exists(go):
    time.sleep(0.005)
allowed = 0
for _ in range(attempts):
    try:
        check_rate(action="signup", key="203.0.113.7", per_minute=20)
        allowed += 1
    except RateLimited:
        pass
print(allowed)
"""


def allowed_of(attempts: int, *, action: str = "signup", key: str = "203.0.113.7", per_minute: int = 20) -> int:
    allowed = 0
    for _ in range(attempts):
        try:
            check_rate(action=action, key=key, per_minute=per_minute)
            allowed += 1
        except RateLimited:
            pass
    return allowed


@pytest.fixture
def in_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("REDIS_URL", raising=False)
    reset_context()
    clear_counts()
    yield
    clear_counts()
    reset_context()


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """REDIS_URL set, with a key prefix of this test's own: deleted afterwards, nothing else."""
    url = require_redis()
    prefix = f"test-rate-{uuid.uuid4().hex}"
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv("RATE_LIMIT_KEY_PREFIX", prefix)
    reset_context()
    clear_counts()
    yield prefix
    clear_counts()
    reset_context()
    assert not redis.Redis.from_url(url).keys(f"{prefix}:*")


@pytest.fixture(params=["memory", "redis"])
def either(request: pytest.FixtureRequest) -> None:
    request.getfixturevalue("in_memory" if request.param == "memory" else "shared")


def test_the_limit_is_exact_per_action_and_key(either):
    assert allowed_of(25) == 20
    assert allowed_of(5, key="198.51.100.1") == 5  # another address
    assert allowed_of(5, action="login-ip") == 5  # another action
    with pytest.raises(RateLimited):
        check_rate(action="signup", key="203.0.113.7", per_minute=20)


def test_the_window_moves_on_after_a_minute(either, monkeypatch):
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    assert allowed_of(12, per_minute=10) == 10
    now += 30
    assert allowed_of(1, per_minute=10) == 0
    now += 31  # the first ten are more than 60 s old
    assert allowed_of(12, per_minute=10) == 10


def test_two_processes_together_get_exactly_the_limit(shared, tmp_path):
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BACKGROUND_JOBS": "false"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", ATTEMPTS_SCRIPT, str(go), "15"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    time.sleep(0.5)
    go.touch()
    counts = [int(process.communicate(timeout=60)[0]) for process in processes]
    assert all(process.returncode == 0 for process in processes)
    assert sum(counts) == 20, counts  # 30 attempts, one count: 20 allowed, whatever the interleaving
    with pytest.raises(RateLimited):  # and a third process (this one) is refused as well
        check_rate(action="signup", key="203.0.113.7", per_minute=20)


def test_keys_are_prefixed_hashed_and_reset_deletes_only_ours(shared):
    client = redis.Redis.from_url(require_redis())
    bystander = f"test-bystander-{uuid.uuid4().hex}"
    client.set(bystander, "1")
    try:
        check_rate(action="login-email", key="asha@example.com", per_minute=20)
        keys = [key.decode() for key in client.keys(f"{shared}:*")]
        assert len(keys) == 1 and "login-email" in keys[0]
        assert "asha" not in keys[0]  # the key is hashed: no email addresses in Redis
        assert 0 < client.ttl(keys[0]) <= 60
        clear_counts()
        assert client.keys(f"{shared}:*") == []
        assert client.get(bystander) == b"1"
    finally:
        client.delete(bystander)


def test_redis_down_fails_open_to_this_process_memory(monkeypatch, caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/1")
    reset_context()
    clear_counts()
    try:
        with caplog.at_level(logging.WARNING, logger=rate_limit.__name__):
            started = time.monotonic()
            assert allowed_of(5, per_minute=3) == 3  # still limited, in memory
            assert time.monotonic() - started < 1
        warnings = [r for r in caplog.records if "Redis is not answering" in r.getMessage()]
        assert len(warnings) == 1  # once per outage, not once per request
    finally:
        monkeypatch.delenv("REDIS_URL")
        reset_context()
        clear_counts()
