"""The real app (`reflex run --env prod`) on a loopback port with its own SQLite file,
driven by Playwright in Debian's chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.app_process import ROOT, running_app

CHROMIUM = os.environ.get("CHROMIUM", "chromium")
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="session")
def app_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The running app's database (operators' CLI commands in tests point here)."""
    return f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'e2e.db'}"


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, app_database: str) -> Iterator[str]:
    """Base URL of the running app. Builds the production frontend once per test run."""
    workdir = tmp_path_factory.mktemp("e2e")
    try:
        with running_app(app_database, workdir) as base_url:
            yield base_url
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        if (workdir / "app.log").exists():
            shutil.copy(workdir / "app.log", ARTIFACTS / "e2e-app.log")


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
