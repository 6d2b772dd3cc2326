"""The metering hot path over HTTP, against a no-op route on the same server.

    python -m bench.metering [--seconds 6] [--clients 16] [--workers 1] [--events 1000000]
                             [--postgres-url URL | --no-postgres]

For SQLite (a fresh file) and PostgreSQL (a fresh `bench_metering` database, when the
server answers): migrates, starts the API (`create_api()` plus the bench's own POST routes,
with the hold-expiry and WAL-checkpoint jobs as in the app) under granian — the server
`reflex run --env prod` uses — on a loopback port in a subprocess, and drives it with
`--clients` concurrent keep-alive connections for `--seconds` per phase:

  authorize alone · usage alone · authorize+usage pairs · FastAPI no-op ·
  ref: read the body · ref: one-row UPDATE

with the no-op route run before the first and after each, since the machine's speed drifts:
each phase's ratio is to the no-op runs on either side of it.

The two references bound what any hot-path route can reach here: one only reads its
request body; the other reads it and makes one batched one-row UPDATE (no money moves)
through the hot path's batching and connections.

It prints requests/s, p50 and p99 and each phase's ratio to the no-op route, then checks
balance == start − Σ costs the server returned, the ledger audit, the rollups and the
hold totals. Finally it seeds `--events` usage events (bulk-inserted with their rollups,
spread over 90 days, 5 keys and 6 models) and times GET /me/usage, GET /me/usage/daily
and the Usage page's service calls.

The client is a minimal asyncio HTTP/1.1 client on purpose: httpx spends ~0.25 ms of CPU
per request, so on this 2-core machine it, not the server, would set the no-op figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/bench_metering"
MODEL = "sandbox-echo"
START_BALANCE = 10**15  # ₹1,000,000,000: the bench never runs out


# ------------------------------------------------------------------ the server (subprocess)


def server_app() -> Any:
    """The API as the app serves it, plus POST /bench/noop, with the metering jobs running."""
    from fastapi import FastAPI
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from billing_app.api.app import create_api
    from billing_app.jobs.holds import hold_expiry_loop, wal_checkpoint_loop
    from billing_app.services.metering import run_batched
    from billing_app.services.pricing import load_catalog

    api: FastAPI = create_api(mount_sandbox=False)

    async def noop(_: Request) -> Response:
        return Response(b'{"ok":true}', media_type="application/json")

    async def read_body(request: Request) -> Response:
        await request.body()
        return Response(b'{"ok":true}', media_type="application/json")

    async def one_row_update(request: Request) -> Response:
        await run_batched(touch_orgs, int(json.loads(await request.body())["org_id"]))
        return Response(b'{"ok":true}', media_type="application/json")

    # The baseline: the cheapest POST route there is (plain Starlette, like the hot path's
    # fast lanes), matched first. For context, a FastAPI route doing nothing, also first, and
    # two references (plain Starlette too): reading the request body and nothing else, and
    # reading it and making one batched one-row UPDATE the way the hot path batches its calls.
    api.router.routes[0:0] = [
        Route("/bench/noop", noop, methods=["POST"]),
        Route("/bench/read-body", read_body, methods=["POST"]),
        Route("/bench/one-row-update", one_row_update, methods=["POST"]),
    ]

    @api.post("/bench/noop-fastapi", include_in_schema=False)
    async def noop_fastapi() -> Response:
        return Response(b'{"ok":true}', media_type="application/json")

    api.router.routes.insert(3, api.router.routes.pop())

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        load_catalog()
        jobs = [asyncio.create_task(hold_expiry_loop()), asyncio.create_task(wal_checkpoint_loop())]
        yield
        for job in jobs:
            job.cancel()

    api.router.lifespan_context = lifespan
    return api


def touch_orgs(org_ids: list[int]) -> list[int | Exception]:
    """The one-row-update reference: one UPDATE of the batch's org rows, setting each balance
    to itself (a new row version, its WAL and the commit; no money moves), on the metering
    connections (one transaction on SQLite, one autocommitted statement on PostgreSQL)."""
    from billing_app.db import connections

    db = connections()
    orgs = sorted(set(org_ids))
    if db.is_sqlite:
        with db.transaction() as tx:
            marks = ", ".join(["?"] * len(orgs))
            tx.cursor.execute(f"UPDATE org SET balance_micros = balance_micros WHERE id IN ({marks})", orgs)
    else:
        with db.autocommit() as tx:
            tx.cursor.execute("UPDATE org SET balance_micros = balance_micros WHERE id = ANY($1)", [orgs])
    return list(org_ids)


def serve(port: int, workers: int) -> None:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    Server(
        "bench.metering:server_app",
        factory=True,
        address="127.0.0.1",
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        websockets=False,
        log_level=LogLevels.warning,
    ).serve()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server(database_url: str, workers: int = 1) -> Any:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, BACKGROUND_JOBS="true", HOST="127.0.0.1", PORT=str(port))
    command = [sys.executable, "-m", "bench.metering", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("the API did not start")
            time.sleep(0.2)
        yield base, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


# ------------------------------------------------------------------ the client


class Connection:
    """One keep-alive HTTP/1.1 connection: write a request, read one response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def post(self, path: str, body: bytes, auth: bytes) -> tuple[int, bytes]:
        self.writer.write(
            b"POST %s HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s" % (path.encode(), auth, len(body), body)
        )
        return await self._response()

    async def get(self, path: str, auth: bytes) -> tuple[int, bytes]:
        self.writer.write(b"GET %s HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer %s\r\n\r\n" % (path.encode(), auth))
        return await self._response()

    async def _response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("chunked responses are not expected here")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


@dataclass
class Phase:
    name: str
    requests: int  # HTTP requests made (a pair is two)
    seconds: float
    latencies: list[float]  # per operation (a pair: both requests)
    costs: int  # Σ cost_micros the server reported

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


Operation = Callable[[Connection, int], Any]


_ids = itertools.count()  # request ids never repeat across phases (a repeat is a replay)


async def run_phase(name: str, port: int, clients: int, seconds: float, op: Operation, per_op: int = 1) -> Phase:
    connections = [await Connection.open(port) for _ in range(clients)]
    latencies: list[float] = []
    costs = 0
    stop = time.perf_counter() + seconds

    async def client(conn: Connection) -> None:
        nonlocal costs
        while time.perf_counter() < stop:
            started = time.perf_counter()
            cost = await op(conn, next(_ids))  # (not `costs += await …`: that reads costs first)
            latencies.append(time.perf_counter() - started)
            costs += cost

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - started
    for conn in connections:
        conn.close()
    return Phase(name, len(latencies) * per_op, elapsed, latencies, costs)


# The phases measured against the no-op: (name, operation, HTTP requests per operation).
MEASURED = [
    ("authorize", "authorize", 1),
    ("usage", "usage", 1),
    ("authorize+usage pair", "pair", 2),
    ("no-op POST (FastAPI)", "noop_fastapi", 1),
    ("ref: read the body", "read_body", 1),
    ("ref: one-row UPDATE", "one_row_update", 1),
]


def _together(phases: list[Phase]) -> Phase:
    """Runs of one phase as one: their requests over their seconds, all their latencies."""
    return Phase(
        phases[0].name,
        sum(phase.requests for phase in phases),
        sum(phase.seconds for phase in phases),
        [latency for phase in phases for latency in phase.latencies],
        sum(phase.costs for phase in phases),
    )


def operations(key: str, run: str, org_id: int) -> dict[str, Operation]:
    auth = key.encode()
    org_body = b'{"org_id":%d}' % org_id

    def bench_route(path: str) -> Operation:
        """A POST to one of the bench's own routes (they all answer 200 and cost nothing)."""

        async def post(conn: Connection, i: int) -> int:
            status, _ = await conn.post(path, org_body, auth)
            assert status == 200, status
            return 0

        return post

    async def authorize(conn: Connection, i: int, prefix: str = "a") -> int:
        body = b'{"request_id":"%s%s-%d","model":"%s","max_tokens":256}' % (
            prefix.encode(),
            run.encode(),
            i,
            MODEL.encode(),
        )
        status, answer = await conn.post("/v1/billing/authorize", body, auth)
        if status != 200:
            raise RuntimeError(f"authorize answered {status}: {answer[:200]!r}")
        return 0

    async def usage(conn: Connection, i: int, prefix: str = "u") -> int:
        body = b'{"request_id":"%s%s-%d","model":"%s","prompt_tokens":%d,"completion_tokens":%d}' % (
            prefix.encode(),
            run.encode(),
            i,
            MODEL.encode(),
            200 + i % 50,
            100 + i % 30,
        )
        status, answer = await conn.post("/v1/billing/usage", body, auth)
        if status != 200:
            raise RuntimeError(f"usage answered {status}: {answer[:200]!r}")
        return int(json.loads(answer)["cost_micros"])

    async def pair(conn: Connection, i: int) -> int:
        await authorize(conn, i, "p")
        return await usage(conn, i, "p")

    return {
        "noop": bench_route("/bench/noop"),
        "noop_fastapi": bench_route("/bench/noop-fastapi"),
        "read_body": bench_route("/bench/read-body"),
        "one_row_update": bench_route("/bench/one-row-update"),
        "authorize": authorize,
        "usage": usage,
        "pair": pair,
    }


# ------------------------------------------------------------------ setup and checks (in-process)


def use_database(url: str) -> None:
    from billing_app.context import reset_context
    from billing_app.migrate import upgrade_to_head

    os.environ["DATABASE_URL"] = url
    os.environ["BACKGROUND_JOBS"] = "false"
    reset_context()
    upgrade_to_head(url)


def fresh_postgres(url: str) -> bool:
    import psycopg

    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as admin:
            exists = admin.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
            if not exists:
                admin.execute(f'create database "{name}"')
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop schema public cascade")
            conn.execute("create schema public")
        return True
    except psycopg.Error as exc:
        print(f"PostgreSQL skipped ({exc.__class__.__name__}: {str(exc).strip()[:120]})")
        return False


def make_account(base: str, name: str) -> tuple[int, str, str]:
    """(org id, session token, API key) for a new org with a large balance."""
    from billing_app.services import ledger

    with httpx.Client(base_url=base, timeout=30) as http:
        body = {
            "email": f"{name}{time.time_ns()}@example.com",
            "password": "bench password",
            "name": "B",
            "org_name": name,
        }
        account = http.post("/auth/signup", json=body).raise_for_status().json()
        headers = {"Authorization": f"Bearer {account['token']}"}
        key = http.post("/me/keys", json={"name": name}, headers=headers).raise_for_status().json()["key"]
    balance = ledger.get_balance(org_id=account["org_id"])
    ledger.add_manual_entry(org_id=account["org_id"], amount_micros=START_BALANCE - balance, reason="bench funds")
    return account["org_id"], account["token"], key


def check_books(org_id: int, costs: int) -> list[str]:
    from billing_app.services import ledger, metering, usage

    problems = []
    balance = ledger.get_balance(org_id=org_id)
    if balance != START_BALANCE - costs:
        problems.append(f"balance {balance} != start − Σ costs {START_BALANCE - costs}")
    if ledger.audit():
        problems.append(f"ledger audit: {ledger.audit()[:3]}")
    if usage.rollup_mismatches():
        problems.append(f"rollups: {usage.rollup_mismatches()[:3]}")
    if metering.hold_mismatches():
        problems.append(f"hold totals: {metering.hold_mismatches()[:3]}")
    return problems


# ------------------------------------------------------------------ 1,000,000 usage events


def seed_events(org_id: int, count: int, is_sqlite: bool) -> float:
    """Bulk-insert `count` usage events for a new set of keys of `org_id`, their rollups and
    the matching debit; returns seconds taken."""
    import sqlalchemy as sa

    from billing_app.db import write_engine
    from billing_app.ist import ist_day
    from billing_app.services import api_keys, pricing

    started = time.perf_counter()
    prices = {p.model: p for p in pricing.list_prices()}
    models = sorted(prices)[:6]
    keys = [api_keys.create_key(org_id=org_id, name=f"seed {n}").key.id or 0 for n in range(5)]
    rng = random.Random(1)
    now = datetime.now(UTC)
    rollups: dict[tuple[Any, int, str], list[int]] = {}
    rows = []
    total = 0
    for n in range(count):
        model, key = models[n % len(models)], keys[n % len(keys)]
        created = now - timedelta(seconds=rng.randrange(90 * 86_400))
        prompt, completion = rng.randrange(50, 4000), rng.randrange(10, 1000)
        price = prices[model]
        cost = -(
            -(prompt * price.input_micros_per_million + completion * price.output_micros_per_million) * 110 // 10**8
        )
        total += cost
        rows.append((org_id, key, f"seed-{n}", model, "auto", prompt, completion,
                     price.input_micros_per_million, price.output_micros_per_million, 10, cost, created))  # fmt: skip
        agg = rollups.setdefault((ist_day(created), key, model), [0, 0, 0, 0])
        agg[0] += 1
        agg[1] += prompt
        agg[2] += completion
        agg[3] += cost
    columns = (
        "org_id, api_key_id, request_id, model, routing_mode, prompt_tokens, completion_tokens, "
        "input_micros_per_million, output_micros_per_million, markup_percent, cost_micros, created_at"
    )
    daily = [(org_id, day, key, model, *agg) for (day, key, model), agg in rollups.items()]
    raw = write_engine().raw_connection()
    try:
        cursor = raw.cursor()
        if is_sqlite:
            stamp = [(*r[:-1], r[-1].strftime("%Y-%m-%d %H:%M:%S.%f")) for r in rows]
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(f"INSERT INTO usage_event ({columns}) VALUES ({', '.join('?' * 12)})", stamp)
            cursor.executemany(
                "INSERT INTO usage_daily VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(o, d.isoformat(), k, m, *a) for o, d, k, m, *a in daily],
            )
        else:
            with cursor.copy(f"COPY usage_event ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with cursor.copy(
                "COPY usage_daily (org_id, day, api_key_id, model, requests, prompt_tokens, completion_tokens, "
                "cost_micros) FROM STDIN"
            ) as copy:
                for row in daily:
                    copy.write_row(row)
        # The debit the seeded usage explains, so the books still balance.
        cursor.execute(f"UPDATE org SET balance_micros = balance_micros - {int(total)} WHERE id = {int(org_id)}")
        if is_sqlite:
            cursor.execute("COMMIT")
        else:
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
    with write_engine().connect() as conn:  # the seeded rows are there
        assert (
            conn.execute(sa.text("select count(*) from usage_event where request_id like 'seed-%'")).scalar() == count
        )
    return time.perf_counter() - started


def time_analytics(base: str, org_id: int, token: str, runs: int = 15) -> dict[str, float]:
    """Median milliseconds of each read over the seeded org."""
    from billing_app.services import usage

    def median_ms(fn: Callable[[], Any]) -> float:
        fn()  # warm
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)

    headers = {"Authorization": f"Bearer {token}"}
    start, end = usage.last_days(30)
    q_start, q_end = usage.last_days(90)

    def page() -> None:  # what the Usage page's state loads for its default range
        usage.window(org_id=org_id, start=start, end=end)
        usage.daily(org_id=org_id, start=start, end=end)
        usage.window(org_id=org_id, start=end, end=end)

    with httpx.Client(base_url=base, timeout=60, headers=headers) as http:
        return {
            "GET /me/usage (HTTP)": median_ms(lambda: http.get("/me/usage").raise_for_status()),
            "GET /me/usage/daily (HTTP)": median_ms(lambda: http.get("/me/usage/daily").raise_for_status()),
            "GET /me/usage/export.csv, 90 days (HTTP)": median_ms(
                lambda: http.get(f"/me/usage/export.csv?from={q_start}&to={q_end}").raise_for_status()
            ),
            "usage.summary() (service)": median_ms(lambda: usage.summary(org_id=org_id)),
            "Usage page data, 30 days (service)": median_ms(page),
        }


# ------------------------------------------------------------------ the run


def bench_database(label: str, url: str, args: argparse.Namespace) -> bool:
    print(f"\n=== {label} ===")
    use_database(url)
    ok = True
    with running_server(url, args.workers) as (base, port):
        org_id, _, key = make_account(base, "bench")
        ops = operations(key, run=str(time.time_ns()), org_id=org_id)
        asyncio.run(run_phase("warm-up", port, args.clients, 1.0, ops["pair"], per_op=2))
        from billing_app.services import ledger

        warm_costs = START_BALANCE - ledger.get_balance(org_id=org_id)

        def measure(name: str, op: str, per_op: int = 1) -> Phase:
            return asyncio.run(run_phase(name, port, args.clients, args.seconds, ops[op], per_op))

        # The no-op runs before the first phase and after each one: this machine's speed drifts
        # within minutes, so each phase is compared with the no-op on either side of it.
        noops = [measure("no-op POST (Starlette)", "noop")]
        phases = []
        for name, op, per_op in MEASURED:
            phases.append(measure(name, op, per_op))
            noops.append(measure("no-op POST (Starlette)", "noop"))
        fastapi_noop = next(phase.rate for phase in phases if phase.name == "no-op POST (FastAPI)")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"{args.clients} clients, {args.seconds:g} s a phase, loopback, "
            f"granian ({args.workers} worker(s)); load average {load}"
        )
        print(f"{'phase':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs no-op':>10}{'vs FastAPI no-op':>18}")
        every_noop = _together(noops)
        beside = [(every_noop, every_noop)] + [(phase, _together(noops[i : i + 2])) for i, phase in enumerate(phases)]
        for phase, noop in beside:
            print(
                f"{phase.name:<26}{phase.rate:>9,.0f}{phase.pct(0.5):>9.2f}{phase.pct(0.99):>9.2f}"
                f"{phase.rate / noop.rate:>10.0%}{phase.rate / fastapi_noop:>18.0%}"
            )
        rates = sorted(noop.rate for noop in noops)
        print(
            f"(the no-op ran {len(noops)} times, {rates[0]:,.0f} to {rates[-1]:,.0f} req/s; each phase is compared "
            "with the two runs beside it. A pair's latency covers both requests; its req/s counts both)"
        )
        costs = warm_costs + sum(p.costs for p in phases)
        problems = check_books(org_id, costs)
        print(
            f"books after {sum(p.requests for p in phases + noops):,} requests: "
            + ("OK" if not problems else "; ".join(problems))
        )
        ok = not problems

        if args.events:
            seed_org, seed_token, _ = make_account(base, "seeded")
            seconds = seed_events(seed_org, args.events, url.startswith("sqlite"))
            print(f"seeded {args.events:,} usage events (with rollups) in {seconds:.1f} s")
            for name, ms in time_analytics(base, seed_org, seed_token).items():
                print(f"  {name:<44}{ms:>8.1f} ms (median)")
            problems = check_books(seed_org, START_BALANCE - ledger.get_balance(org_id=seed_org))
            if ledger.audit() or problems:
                print(f"books after seeding: {problems or ledger.audit()[:3]}")
                ok = False
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    serve_cmd = sub.add_parser("serve", help="(internal) run the bench server")
    serve_cmd.add_argument("--port", type=int, required=True)
    serve_cmd.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="granian worker processes: 1 is how `make run` serves (no REDIS_URL); Reflex runs more with REDIS_URL",
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.workers)
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="bench-metering-"))
    results = [] if args.no_sqlite else [bench_database("SQLite", f"sqlite:///{workdir / 'bench.db'}", args)]
    if not args.no_postgres and fresh_postgres(args.postgres_url):
        results.append(bench_database("PostgreSQL", args.postgres_url, args))
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
