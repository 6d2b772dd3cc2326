"""The app people run, measured from outside, beside the bench server, in one run.

    python -m bench.app [--seconds 5] [--clients 16] [--workers 1,5] [--no-sqlite] [--no-postgres]
                        [--postgres-url URL] [--redis-url URL]

For SQLite (a fresh file) and PostgreSQL (a fresh `bench_app` database): starts the bench
server of bench.metering (the API under granian with its no-op route) and measures the no-op,
authorize, usage and authorize+usage pairs; then starts the app the README way — `make run`
with HOST, PORT and DATABASE_URL, and REDIS_URL plus WORKERS for more than one worker — once per
worker count, and measures the same metering routes, its `/ping`, and the dashboard's reads
(`/me/billing`, `/me/usage`, `/me/usage/daily`, `/me/keys` with a session token; `/v1/models`).

Prints req/s, p50 and p99 for each, the metering routes as a ratio to the bench server's
figure for the same route, and the reads as a ratio to the bench server's no-op, then checks
the books of every org it debited. The issue's targets (16 clients): authorize and usage on
the app >= 80 % of the bench server with p99 < 25 ms; every dashboard read >= 20 % of the no-op
with p99 < 50 ms; with several workers on PostgreSQL the pair at least as fast as with one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.metering import (
    DEFAULT_POSTGRES,
    START_BALANCE,
    Connection,
    Operation,
    Phase,
    _free_port,
    check_books,
    fresh_postgres,
    make_account,
    operations,
    run_phase,
    running_server,
    use_database,
)
from tests.e2e.app_process import wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
READS = ["/me/billing", "/me/usage", "/me/usage/daily", "/me/keys", "/v1/models"]


def read(path: str, token: str) -> Operation:
    auth = token.encode()

    async def get(conn: Connection, i: int) -> int:
        status, answer = await conn.get(path, auth)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {answer[:200]!r}")
        return 0

    return get


@dataclass
class AppRun:
    workers: int
    phases: dict[str, Phase]


@contextmanager
def make_run(database_url: str, workers: int, redis_url: str | None, logdir: Path) -> Iterator[tuple[str, int]]:
    """`make run` in a process group of its own; yields (base URL, port) once it serves."""
    port = _free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), DATABASE_URL=database_url, WORKERS=str(workers))
    env.pop("REDIS_URL", None)
    if workers > 1 and redis_url:
        env["REDIS_URL"] = redis_url
    log = logdir / f"make-run-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["make", "run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, proc, log, paths=("/ping",))
        yield base, port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _line(name: str, phase: Phase, ratio: float | None, target: str) -> str:
    shown = f"{ratio:>9.0%}" if ratio is not None else f"{'':>9}"
    return f"  {name:<22}{phase.rate:>9,.0f}{phase.pct(0.5):>9.2f}{phase.pct(0.99):>9.2f}{shown}  {target}"


def bench_database(label: str, url: str, args: argparse.Namespace, logdir: Path) -> bool:
    print(f"\n=== {label} ===")
    use_database(url)
    ok = True
    clients, seconds = args.clients, args.seconds

    def measure(port: int, name: str, op: Operation, per_op: int = 1) -> Phase:
        return asyncio.run(run_phase(name, port, clients, seconds, op, per_op))

    debited: list[tuple[int, int]] = []  # (org, Σ costs answered)
    bench: dict[str, Phase] = {}
    with running_server(url, 1) as (base, port):
        org_id, _, key = make_account(base, "bench-server")
        ops = operations(key, run=f"s{time.time_ns()}", org_id=org_id)
        measure(port, "warm-up", ops["pair"], 2)
        for name, op, per_op in (("no-op", "noop", 1), ("authorize", "authorize", 1), ("usage", "usage", 1)):
            bench[name] = measure(port, name, ops[op], per_op)
        bench["pair"] = measure(port, "pair", ops["pair"], 2)
        bench["no-op (after)"] = measure(port, "no-op", ops["noop"])
        debited.append((org_id, _costs_since_start(org_id)))
    noop_rate = (bench["no-op"].rate + bench["no-op (after)"].rate) / 2

    runs: list[AppRun] = []
    for workers in args.workers:
        if workers > 1 and not args.redis_url:
            print(f"({workers} workers skipped: no --redis-url)")
            continue
        with make_run(url, workers, args.redis_url, logdir) as (base, port):
            org_id, token, key = make_account(base, f"app-{workers}")
            ops = operations(key, run=f"a{workers}-{time.time_ns()}", org_id=org_id)
            measure(port, "warm-up", ops["pair"], 2)
            phases = {
                "/ping": measure(port, "/ping", read("/ping", token)),
                "authorize": measure(port, "authorize", ops["authorize"]),
                "usage": measure(port, "usage", ops["usage"]),
                "pair": measure(port, "pair", ops["pair"], 2),
            }
            for path in READS:
                phases[path] = measure(port, path, read(path, token))
            runs.append(AppRun(workers, phases))
            debited.append((org_id, _costs_since_start(org_id)))

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{clients} clients, {seconds:g} s a phase, loopback; load average {load}")
    print(f"  {'bench server':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, phase in bench.items():
        print(_line(name, phase, None, ""))
    for run in runs:
        print(f"  make run, {run.workers} worker(s){'':<3}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>9}")
        for name, phase in run.phases.items():
            if name in ("authorize", "usage", "pair"):
                ratio = phase.rate / bench[name].rate
                met = ratio >= 0.8 and phase.pct(0.99) < 25
                print(_line(name, phase, ratio, f"of bench server's {name}; target >= 80 %, p99 < 25 ms: {_yes(met)}"))
            else:
                ratio = phase.rate / noop_rate
                met = ratio >= 0.2 and phase.pct(0.99) < 50
                target = f"target >= 20 %, p99 < 50 ms: {_yes(met)}" if name != "/ping" else ""
                print(_line(name, phase, ratio, f"of the no-op; {target}"))
    if len(runs) > 1:
        one, many = runs[0].phases["pair"].rate, runs[-1].phases["pair"].rate
        print(
            f"  pair with {runs[-1].workers} workers / with {runs[0].workers}: {many / one:.0%} "
            f"(target >= 100 % on PostgreSQL: {_yes(many >= one)})"
        )
    for org_id, costs in debited:
        problems = check_books(org_id, costs)
        print(f"  books of org {org_id}: {'OK' if not problems else '; '.join(problems)}")
        ok = ok and not problems
    return ok


def _costs_since_start(org_id: int) -> int:
    from billing_app.services import ledger

    return START_BALANCE - ledger.get_balance(org_id=org_id)


def _yes(met: bool) -> str:
    return "met" if met else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, min(2 * (os.cpu_count() or 1) + 1, 8)],
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES.replace("bench_metering", "bench_app")),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-app-"))
    print(f"logs of each `make run`: {workdir}")
    results = [] if args.no_sqlite else [bench_database("SQLite", f"sqlite:///{workdir / 'bench.db'}", args, workdir)]
    if not args.no_postgres and fresh_postgres(args.postgres_url):
        results.append(bench_database("PostgreSQL", args.postgres_url, args, workdir))
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
