"""How long the Usage page takes in a real browser over an org with 1,000,000 usage events.

    python -m bench.usage_page [--events 1000000] [--runs 10] [--no-postgres]

Seeds one org with the events (over the last 90 days, with their rollups and the matching
debit, as bench/metering.py does), starts the real app (`reflex run --env prod`, its
production frontend built once in a temporary directory), signs in with Playwright in
Debian's chromium and opens /usage `--runs` times, each a fresh page load. Prints, per
database, the time from the navigation to the chart's bars and the per-model and per-key
tables being on screen: the first load and the median, p90 and max of the rest; and saves a
screenshot of the page in artifacts/. SQLite always; PostgreSQL too when it answers at
BENCH_POSTGRES_URL (as bench/metering.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from bench.metering import DEFAULT_POSTGRES, fresh_postgres, seed_events, use_database
from tests.e2e.app_process import ROOT, running_app

ARTIFACTS = ROOT / "artifacts"

EMAIL = "usage-bench@example.com"
PASSWORD = "usage bench password"


def seeded_org(events: int, is_sqlite: bool) -> float:
    """A user and org with `events` usage events, and ₹5,000 left after them (credited as
    a manual entry, so the header shows what a paying user would see); returns the seconds
    the seeding took."""
    from billing_app.services import accounts, ledger, pricing

    pricing.load_catalog()
    org_id = accounts.signup(email=EMAIL, password=PASSWORD, name="Bench", org_name="Bench Labs").principal.org_id
    seconds = seed_events(org_id, events, is_sqlite)
    owed = 5_000_000_000 - ledger.get_balance(org_id=org_id)
    ledger.add_manual_entry(org_id=org_id, amount_micros=owed, reason="bench funds")
    return seconds


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.wait_for_selector("#app-ready", state="attached")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/billing")


def open_usage_page(page: Page, base_url: str) -> float:
    """Milliseconds from navigating to /usage to its chart and both tables on screen."""
    started = time.perf_counter()
    page.goto(f"{base_url}/usage")
    expect(page.get_by_test_id("usage-chart").locator(".recharts-bar-rectangle").first).to_be_visible()
    expect(page.get_by_test_id("usage-models-row").first).to_be_visible()
    expect(page.get_by_test_id("usage-keys-row").first).to_be_visible()
    return (time.perf_counter() - started) * 1000


def bench_database(label: str, url: str, args: argparse.Namespace, workdir: Path) -> None:
    print(f"\n=== {label} ===", flush=True)
    use_database(url)
    seconds = seeded_org(args.events, url.startswith("sqlite"))
    print(f"seeded {args.events:,} usage events (with rollups) in {seconds:.1f} s", flush=True)
    chromium = shutil.which(os.environ.get("CHROMIUM", "chromium"))
    if chromium is None:
        raise SystemExit("chromium not found: run `make test` once (it installs Debian chromium) or set CHROMIUM")
    with running_app(url, workdir) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        sign_in(page, base_url)
        first, *rest = [open_usage_page(page, base_url) for _ in range(args.runs + 1)]
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"bench-usage-page-{label.lower()}.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    rest.sort()
    print(f"Usage page, first load             {first:8.0f} ms   (screenshot: {shot.relative_to(ROOT)})")
    print(f"Usage page, next {len(rest)} loads: median {statistics.median(rest):.0f} ms, "
          f"p90 {rest[int(0.9 * (len(rest) - 1))]:.0f} ms, max {rest[-1]:.0f} ms")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-usage-page-"))  # the frontend build, shared by both runs
    bench_database("SQLite", f"sqlite:///{workdir / 'bench.db'}", args, workdir)
    if not args.no_postgres and fresh_postgres(args.postgres_url):
        bench_database("PostgreSQL", args.postgres_url, args, workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
