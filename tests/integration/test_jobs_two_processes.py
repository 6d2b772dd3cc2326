"""Background jobs across OS processes, over one database (SQLite and PostgreSQL) and the
Razorpay sandbox served over loopback HTTP, with a real SMTP server (aiosmtpd):

- two processes running the reconciler and the email outbox at the same moment settle each
  order once and send each email once;
- two processes running the app's job loops: each loop works in one of them; kill -9 that
  one and the other takes its loops over once the lease expires; SIGTERM lets go at once;
- a process killed (SIGKILL) in the middle of a webhook event or an outbox email leaves it
  for another process to finish once the claim expires: nothing is done twice, and the
  audit is clean.

The child processes run this module as a script (`python -m tests.integration.
test_jobs_two_processes MODE …`, see `child_main` at the bottom) or the CLI itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from billing_app.config import SANDBOX_WEBHOOK_SECRET
from billing_app.db import read_session, write_engine
from billing_app.jobs.outbox import send_all_due
from billing_app.jobs.reconciler import reconcile_once
from billing_app.models import EmailKind, EmailOutbox, OutboxStatus, WebhookEvent
from billing_app.models.types import utcnow
from billing_app.services import job_leases, ledger, webhooks
from tests.factories import RUPEE, org_with_balance, paid_order, paying_account
from tests.integration.test_alerts import post
from tests.mailbox import Mailbox
from tests.payments_support import LiveApp, credits_for, live_app, wait_until

ROOT = Path(__file__).resolve().parents[2]
MODULE = "tests.integration.test_jobs_two_processes"
START = 100_000_000  # the signup credit
FIVE_HUNDRED = 500_000_000
_emails = itertools.count()


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def app(any_db: str, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveApp]:
    with live_app(monkeypatch) as running:
        running.faults(webhook_drop=True)  # payments reach us only through the jobs under test
        yield running


_started: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def no_child_outlives_its_test() -> Iterator[None]:
    """A failed test must not leave job loops running against the next test's database."""
    yield
    while _started:
        process = _started.pop()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


class Child:
    """A child process whose stdout lines are read on a thread (so waits can time out)."""

    def __init__(self, args: list[str], db_url: str, app: LiveApp, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=child_env(db_url, app, **env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _started.append(self.process)
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr.append), daemon=True).start()

    @staticmethod
    def _pump(stream: Any, sink: Any) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    def expect(self, prefix: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} from the child; stderr: {self.tail()}") from None
            if line.startswith(prefix):
                return line.removeprefix(prefix).strip()

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def finish(self, timeout: float = 60) -> int:
        return self.process.wait(timeout=timeout)

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def tail(self) -> str:
        time.sleep(0.1)
        return "\n".join(self.stderr[-30:])


def child_env(db_url: str, app: LiveApp, **env: str) -> dict[str, str]:
    """This test's environment (SMTP_*, HOST/PORT of the live app) on the same database."""
    return dict(
        os.environ,
        DATABASE_URL=db_url,
        BACKGROUND_JOBS="false",
        RAZORPAY_BASE_URL=f"{app.url}/sandbox/razorpay",
        PYTHONUNBUFFERED="1",
        **env,
    )


def child(args: list[str], db_url: str, app: LiveApp, **env: str) -> Child:
    return Child(["-m", MODULE, *args], db_url, app, **env)


def paid_orders(app: LiveApp, count: int) -> list[tuple[dict[str, Any], str]]:
    """`count` accounts, each with a ₹500 order paid in the sandbox (half of them only
    authorized: the job must capture them, exactly once). No webhook reaches us."""
    made = []
    for n in range(count):
        account = paying_account(app, f"jobs{next(_emails)}@example.com")
        order_id, _ = paid_order(app, account, 500, outcome="authorized" if n % 2 else "captured")
        made.append((account, order_id))
    return made


def alerts_due(count: int) -> set[str]:
    """`count` orgs whose low-balance email is due now; the owners' addresses."""
    owners = set()
    for _ in range(count):
        org_id, owner = org_with_balance(100, threshold_rupees=50)
        post(org_id, -60 * RUPEE, now=utcnow() - timedelta(seconds=1))
        owners.add(owner)
    return owners


def recipients(mailbox: Mailbox) -> list[str]:
    return sorted(rcpt for envelope in mailbox.envelopes for rcpt in envelope.rcpt_tos)


def assert_each_credited_once(app: LiveApp, orders: list[tuple[dict[str, Any], str]]) -> None:
    for account, _ in orders:
        assert len(credits_for(account["org_id"])) == 1
        assert app.billing(account)["balance_micros"] == START + FIVE_HUNDRED
    assert ledger.audit() == []


def lease_pid(name: str) -> int | None:
    lease = job_leases.current(name)
    return int(lease.holder.split(":")[1]) if lease is not None else None


# -------------------------------------------------------------------------------- tests


def test_two_processes_reconcile_and_send_at_once_each_order_and_email_once(app, any_db, mailbox):
    app.faults(api_slow_seconds=0.02)  # both processes busy at the same time
    mailbox.delay = 0.03
    orders = paid_orders(app, 6)
    owners = alerts_due(10)

    children = [child(["jobs"], any_db, app) for _ in range(2)]
    for each in children:
        each.expect("ready")
    for each in children:
        each.send("go")  # both start the reconciler and the sender together
    reports = [json.loads(each.expect("done", timeout=120)) for each in children]
    assert [each.finish() for each in children] == [0, 0]

    reconciled = [report["reconcile"] for report in reports]
    assert sum(r["checked"] for r in reconciled) == 6  # each order polled by one process only
    assert sum(r["credited"] for r in reconciled) == 6
    assert sum(r["errors"] for r in reconciled) == 0
    assert_each_credited_once(app, orders)

    assert sum(report["send"]["sent"] for report in reports) == 10
    assert recipients(mailbox) == sorted(owners)  # each owner exactly once
    assert all(row.status == OutboxStatus.SENT for row in all_outbox_rows())


def all_outbox_rows() -> list[EmailOutbox]:
    with read_session() as session:
        return list(
            session.exec(
                select(EmailOutbox).where(col(EmailOutbox.kind) == EmailKind.LOW_BALANCE).order_by(col(EmailOutbox.id))
            )
        )


def test_job_loops_run_in_one_of_two_processes_and_move_on_kill_9(app, any_db, mailbox, tmp_path):
    orders = paid_orders(app, 3)
    owners = alerts_due(3)
    logs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    loops = [child(["loops", str(log), "0.2", "2"], any_db, app, RECONCILE_AFTER_SECONDS="0") for log in logs]
    for each in loops:
        each.expect("ready")

    wait_until(lambda: recipients(mailbox) == sorted(owners), timeout=30, what="alerts sent")
    wait_until(lambda: all(credits_for(a["org_id"]) for a, _ in orders), timeout=30, what="orders credited")
    jobs = ("reconciler", "outbox", "hold_sweep")
    wait_until(lambda: all(any(passes_in(log)[job] for log in logs) for job in jobs), timeout=30, what="passes logged")
    passes = [passes_in(log) for log in logs]
    for job in ("reconciler", "outbox", "hold_sweep"):  # each loop worked in one process only
        assert sorted(bool(p[job]) for p in passes) == [False, True], (job, passes)
    assert_each_credited_once(app, orders)

    # kill -9 the process running the reconciler: the other takes it over after the 2 s lease
    holder = lease_pid("reconciler")
    [victim] = [each for each in loops if each.process.pid == holder]
    [survivor] = [each for each in loops if each is not victim]
    survivor_log = logs[loops.index(survivor)]
    victim.kill9()
    late = paid_orders(app, 1)
    late_owners = alerts_due(1)
    wait_until(lambda: credits_for(late[0][0]["org_id"]), timeout=30, what="the survivor reconciles")
    wait_until(lambda: recipients(mailbox) == sorted(owners | late_owners), timeout=30, what="the survivor sends")
    assert lease_pid("reconciler") == survivor.process.pid
    # the late order may be credited by its webhook before the survivor's first pass is logged
    wait_until(lambda: passes_in(survivor_log)["reconciler"], timeout=30, what="the survivor's reconciler pass")
    time.sleep(0.5)  # a few more passes: still once
    assert recipients(mailbox) == sorted(owners | late_owners)
    assert_each_credited_once(app, orders + late)

    # SIGTERM: the loops are cancelled and give their leases up at once
    survivor.process.send_signal(signal.SIGTERM)
    assert survivor.finish(timeout=15) == 0, survivor.tail()
    for name in ("reconciler", "email_outbox", "hold_sweep"):
        assert lease_pid(name) != survivor.process.pid, name
    assert job_leases.current("reconciler") is None


def passes_in(log: Path) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {"reconciler": [], "outbox": [], "hold_sweep": []}
    if log.exists():
        for line in log.read_text().splitlines():
            record = json.loads(line)
            found[record["job"]].append(record)
    return found


def signed_capture_event(order_id: str) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "entity": "event",
            "event": "payment.captured",
            "contains": ["payment"],
            "payload": {"payment": {"entity": {"order_id": order_id}}},
        }
    ).encode()
    return body, hmac.new(SANDBOX_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def event_row(event_row_id: int) -> WebhookEvent:
    with read_session() as session:
        row = session.get(WebhookEvent, event_row_id)
        assert row is not None
        return row


@pytest.mark.parametrize("stage", ["before_settle", "after_settle"])
def test_a_webhook_event_left_by_a_killed_process_is_finished_by_another_once(app, any_db, stage):
    [(account, order_id)] = paid_orders(app, 1)
    body, signature = signed_capture_event(order_id)
    received = webhooks.receive(raw_body=body, signature=signature, event_id="evt_KillNine0000001")
    assert received.event_row_id is not None
    event_row_id = received.event_row_id
    with write_engine().begin() as conn:  # received a minute ago: the reconciler's to finish
        conn.execute(
            sa.update(WebhookEvent)
            .where(WebhookEvent.id == event_row_id)  # type: ignore[arg-type]
            .values(received_at=utcnow() - timedelta(minutes=1))
        )

    # A worker claims the event and is killed mid-way: before settling, or after the
    # credit committed but before the event was marked processed.
    dying = child(["die-in-webhook", str(event_row_id), stage, "3"], any_db, app)
    dying.expect("inside")
    dying.kill9()
    claim = job_leases.current(webhooks.claim_name(event_row_id))
    assert claim is not None and f":{dying.process.pid}:" in claim.holder
    assert event_row(event_row_id).processed_at is None
    assert len(credits_for(account["org_id"])) == (1 if stage == "after_settle" else 0)

    # Another process (this one) cannot take it while the dead worker's claim stands.
    assert reconcile_once(older_than_seconds=3600).events_processed == 0  # events only: no order is that old
    assert event_row(event_row_id).processed_at is None

    wait_until(lambda: job_leases.current(webhooks.claim_name(event_row_id)).expires_at <= utcnow(), timeout=10)
    reconcile = ["-m", "billing_app.cli", "reconcile", "--older-than", "3600"]
    late = subprocess.run(
        [sys.executable, *reconcile], cwd=ROOT, env=child_env(any_db, app), capture_output=True, text=True, timeout=60
    )
    assert late.returncode == 0, late.stderr
    assert "events_processed=1" in late.stdout, late.stdout
    row = event_row(event_row_id)
    assert row.processed_at is not None and row.error is None
    assert job_leases.current(webhooks.claim_name(event_row_id)) is None
    assert_each_credited_once(app, [(account, order_id)])


def test_an_email_left_by_a_killed_sender_is_sent_once_by_another(app, any_db, mailbox):
    [owner] = alerts_due(1)
    dying = child(["die-in-outbox"], any_db, app)
    dying.expect("inside")  # claimed the row, about to talk to SMTP
    dying.kill9()
    [row] = all_outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.SENDING, 1)
    claimed_at = row.claimed_at
    assert claimed_at is not None

    stale_after = timedelta(seconds=2)
    assert send_all_due(lease=stale_after).claimed == 0  # the dead sender's claim is still fresh
    assert mailbox.envelopes == []
    wait_until(lambda: utcnow() >= claimed_at + stale_after, timeout=10, what="the claim to go stale")
    other = child(["send", "2"], any_db, app)  # another process takes over claims older than 2 s
    assert json.loads(other.expect("done"))["sent"] == 1
    assert other.finish() == 0
    assert send_all_due(lease=stale_after).claimed == 0  # sent: never again
    assert recipients(mailbox) == [owner]
    [row] = all_outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert ledger.audit() == []


# ------------------------------------------------------------------- the child processes


def _jobs() -> None:
    """Wait for "go", then run one reconciler pass and the outbox sender at once."""
    print("ready", flush=True)
    assert sys.stdin.readline().strip() == "go"
    results: dict[str, Any] = {}

    def run(name: str, job: Any) -> None:
        results[name] = asdict(job())

    threads = [
        threading.Thread(target=run, args=("reconcile", lambda: reconcile_once(older_than_seconds=0))),
        threading.Thread(target=run, args=("send", send_all_due)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("done", json.dumps(results), flush=True)


def _loops(log: str, interval: str, lease: str) -> None:
    """The app's lifespan loops, with short intervals and leases; each pass that did
    anything is logged; SIGTERM cancels them as the app's lifespan does."""
    from billing_app.jobs import holds, outbox, reconciler

    def logged(job: str, work: Any) -> Any:
        def run() -> Any:
            report = work()
            with open(log, "a") as out:
                out.write(json.dumps({"job": job, "report": report if isinstance(report, int) else asdict(report)}))
                out.write("\n")
            return report

        return run

    reconciler.reconcile_pass = logged("reconciler", reconciler.reconcile_pass)  # type: ignore[assignment]
    outbox.send_pass = logged("outbox", outbox.send_pass)  # type: ignore[assignment]
    holds.sweep_once = logged("hold_sweep", holds.sweep_once)  # type: ignore[assignment]
    every, seconds = float(interval), float(lease)

    async def main() -> None:
        loops = asyncio.gather(
            reconciler.reconciler_loop(interval=every, lease_seconds=seconds),
            outbox.outbox_loop(interval=every, lease_seconds=seconds),
            holds.hold_expiry_loop(interval=every, lease_seconds=seconds),
        )
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, loops.cancel)
        print("ready", flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await loops

    asyncio.run(main())


def _die_in_webhook(event_row_id: str, stage: str, claim_seconds: str) -> None:
    """Claim the event and stop for good at `stage` (the parent then kills -9)."""
    from billing_app.services import webhooks as service

    def stop_here(*_: Any, **__: Any) -> None:
        print("inside", flush=True)
        time.sleep(3600)

    if stage == "before_settle":
        service.settle_order = stop_here  # type: ignore[assignment]
    else:
        service._record = stop_here  # type: ignore[assignment]
    service.process(event_row_id=int(event_row_id), claim_seconds=float(claim_seconds))


def _die_in_outbox() -> None:
    """Claim the due email and stop for good before SMTP (the parent then kills -9)."""
    from billing_app.jobs import outbox

    def stop_here(*_: Any, **__: Any) -> None:
        print("inside", flush=True)
        time.sleep(3600)

    outbox.send_email = stop_here  # type: ignore[assignment]
    outbox.send_due()


def _send(lease_seconds: str) -> None:
    report = send_all_due(lease=timedelta(seconds=float(lease_seconds)))
    print("done", json.dumps(asdict(report)), flush=True)


def child_main(argv: list[str]) -> None:
    modes: dict[str, Any] = {
        "jobs": _jobs,
        "loops": _loops,
        "die-in-webhook": _die_in_webhook,
        "die-in-outbox": _die_in_outbox,
        "send": _send,
    }
    modes[argv[0]](*argv[1:])


if __name__ == "__main__":
    child_main(sys.argv[1:])
