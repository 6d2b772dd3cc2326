"""How many app processes `make run` starts (WORKERS → GRANIAN_WORKERS), and the refusal of
several without Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from billing_app.config import Settings, workers_for

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/0"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_one_worker_without_redis():
    assert workers_for(settings(), cpu_count=8) == 1


def test_with_redis_reflex_default_of_2_cpu_plus_1_capped_at_8():
    assert workers_for(settings(redis_url=REDIS), cpu_count=2) == 5
    assert workers_for(settings(redis_url=REDIS), cpu_count=1) == 3
    assert workers_for(settings(redis_url=REDIS), cpu_count=16) == 8


def test_workers_chooses():
    assert workers_for(settings(redis_url=REDIS, workers=3), cpu_count=2) == 3
    assert workers_for(settings(redis_url=REDIS, workers=12), cpu_count=2) == 12
    assert workers_for(settings(workers=1), cpu_count=8) == 1


def test_several_workers_without_redis_are_refused():
    with pytest.raises(ValueError, match="WORKERS=2 needs REDIS_URL"):
        workers_for(settings(workers=2))


def test_workers_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("WORKERS", "4")
    monkeypatch.setenv("REDIS_URL", REDIS)
    assert workers_for(Settings(_env_file=None)) == 4  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("env", "code", "out"),
    [({"WORKERS": "3", "REDIS_URL": REDIS}, 0, "3"), ({"WORKERS": "2"}, 1, "error: WORKERS=2 needs REDIS_URL")],
)
def test_the_command_make_run_asks(env, code, out):
    """`python -m billing_app.config workers` prints the count, or the reason on stderr."""
    base = {k: v for k, v in os.environ.items() if k not in ("WORKERS", "REDIS_URL")}
    done = subprocess.run(
        [sys.executable, "-m", "billing_app.config", "workers"],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code
    assert (done.stdout if code == 0 else done.stderr).strip().startswith(out)
