"""The real app (`reflex run --env prod`) as a process of its own on a loopback port: for
the browser tests (conftest.py) and the Usage page benchmark (bench/usage_page.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.mailbox import Mailbox

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 420


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(port: int, database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        # A frontend build of its own: never one a concurrent `make run` or test run left behind.
        REFLEX_WEB_WORKDIR=str(workdir / "web"),
        REFLEX_STATES_WORKDIR=str(workdir / "states"),
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=database_url,
        BACKGROUND_JOBS="true",
        # The browser tests sign up two dozen users from one address in about a minute, past
        # the production limit of 20 a minute (its own tests are in tests/api).
        SIGNUP_RATE_PER_MINUTE="1000",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_DIR=str(ROOT / ".reflex"),
        REFLEX_TELEMETRY_ENABLED="false",
        PATH=f"{ROOT / '.tools/bun/node_modules/.bin'}{os.pathsep}{env.get('PATH', '')}",
        **extra,
    )
    return env


def wait_until_serving(
    base_url: str,
    proc: subprocess.Popen,
    log_path: Path,
    *,
    paths: tuple[str, ...] = ("/ping", "/login"),
    seconds: float = STARTUP_SECONDS,
) -> None:
    """Until every one of `paths` answers 200 (pages: served and built); raises with the
    log's tail if the process exits or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}")
        try:
            if all(
                httpx.get(f"{base_url}{path}", timeout=5, follow_redirects=True).status_code == 200 for path in paths
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the app did not answer within {seconds:g} s:\n{log_path.read_text()[-4000:]}")


# base URL → the mailbox (SMTP server) each running app sends its email to
MAILBOXES: dict[str, Mailbox] = {}


def emailed_link(base_url: str, email: str, subject_starts: str = "Verify your email", *, at_least: int = 1) -> str:
    """The link in the newest email with that subject the app at `base_url` sent to `email`,
    as the person finds it in their inbox, once `at_least` such emails have arrived."""
    return MAILBOXES[base_url].link_in_email(email.strip().lower(), subject_starts, at_least=at_least)


@contextmanager
def running_app(database_url: str, workdir: Path, **extra_env: str) -> Iterator[str]:
    """The app serving `database_url` (migrated first), building its production frontend in
    `workdir` (a build left there is reused); yields its base URL. Its log: workdir/app.log.
    `extra_env` adds settings (REDIS_URL and WORKERS for several workers)."""
    port = free_port()
    mailbox = Mailbox().start()  # a real SMTP server: the app's emails are read from it
    env = app_env(port, database_url, workdir, SMTP_HOST="127.0.0.1", SMTP_PORT=str(mailbox.port), **extra_env)
    subprocess.run([sys.executable, "-m", "billing_app.migrate"], cwd=ROOT, env=env, check=True)
    log_path = workdir / "app.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/reflex"), "run", "--env", "prod"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    MAILBOXES[base_url] = mailbox
    try:
        wait_until_serving(base_url, proc, log_path)
        yield base_url
    finally:
        MAILBOXES.pop(base_url, None)
        mailbox.stop()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
