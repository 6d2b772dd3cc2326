"""The real app (`reflex run --env prod`) on a loopback port with its own SQLite file,
driven by Playwright in Debian's chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "chromium")
STARTUP_SECONDS = 420
ARTIFACTS = ROOT / "artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(port: int, database_url: str, workdir: Path) -> dict[str, str]:
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
    )
    return env


def _wait_until_serving(base_url: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}")
        try:
            if (
                httpx.get(f"{base_url}/ping", timeout=2).status_code == 200
                and httpx.get(f"{base_url}/login", timeout=5, follow_redirects=True).status_code == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the app did not answer within {STARTUP_SECONDS}s:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def app_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The running app's database (operators' CLI commands in tests point here)."""
    return f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'e2e.db'}"


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, app_database: str) -> Iterator[str]:
    """Base URL of the running app. Builds the production frontend once per test run."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("e2e")
    env = app_env(port, app_database, workdir)
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
    try:
        _wait_until_serving(base_url, proc, log_path)
        yield base_url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log_path, ARTIFACTS / "e2e-app.log")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    executable = shutil.which(CHROMIUM)
    if executable is None:
        pytest.fail(f"{CHROMIUM} not found: run `make test` (it installs Debian chromium) or set CHROMIUM")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def app(app_server: str, page: Page) -> Page:
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
    return page


def goto(page: Page, base_url: str, path: str) -> None:
    """Open a page and wait until Reflex has hydrated it."""
    page.goto(base_url + path)
    page.wait_for_selector("#app-ready", state="attached")


def run_cli(database_url: str, *args: str) -> str:
    """`python -m billing_app.cli …` against the running app's database."""
    env = dict(os.environ, DATABASE_URL=database_url)
    done = subprocess.run(
        [sys.executable, "-m", "billing_app.cli", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
