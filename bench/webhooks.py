"""Webhook throughput: 1,000 signed Razorpay deliveries (with duplicates) at the running API.

    python -m bench.webhooks [--payments 200] [--deliveries 1000] [--concurrency 16] [--database-url URL]

Starts the API (sandbox mounted) with uvicorn in a subprocess on a loopback port and a
fresh SQLite file (or the given database), creates and pays `--payments` orders in the
sandbox with its own webhook delivery switched off, then fires the sandbox's recorded
events — every event once plus duplicates, shuffled — from `--concurrency` clients.
Prints deliveries/s, p50/p99 latency, and checks credits == distinct captured payments
once background processing has finished, and that the ledger audit is clean.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = "/sandbox/razorpay"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(port: int, database_url: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), DATABASE_URL=database_url, BACKGROUND_JOBS="false")
    for name in ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_BASE_URL"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "billing_app.migrate"], cwd=ROOT, env=env, check=True)
    command = [sys.executable, "-m", "uvicorn", "billing_app.api.app:create_api", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the API did not start")


def _prepare(base: str, payments: int) -> tuple[list[tuple[str, bytes, str]], list[str], dict[str, str]]:
    """Orders paid in the sandbox; returns (event id, body, signature) of every webhook."""
    from billing_app.config import SANDBOX_WEBHOOK_SECRET
    from billing_app.integrations.razorpay_gateway import _hex_hmac

    http = httpx.Client(base_url=base, timeout=30)
    http.post(f"{SANDBOX}/_control/faults", json={"webhook_drop": True}).raise_for_status()
    body = {"email": f"bench{time.time_ns()}@example.com", "password": "bench password", "name": "B", "org_name": "B"}
    account = http.post("/auth/signup", json=body).json()
    headers = {"Authorization": f"Bearer {account['token']}"}
    address = {"name": "Bench", "line1": "1 Road", "city": "Bengaluru", "state_code": "29", "pin": "560001"}
    http.put("/me/billing/address", json=address, headers=headers).raise_for_status()
    payment_ids = []
    for _ in range(payments):
        order = http.post("/me/billing/orders", json={"amount": 100}, headers=headers).json()
        paid = http.post(f"{SANDBOX}/_control/orders/{order['order_id']}/pay", json={}).json()
        payment_ids.append(paid["razorpay_payment_id"])
    events = []
    for row in http.get(f"{SANDBOX}/_control/webhooks").json()["items"]:
        raw = http.get(f"{SANDBOX}/_control/webhooks/{row['event_id']}").json()["body"].encode()
        events.append((row["event_id"], raw, _hex_hmac(SANDBOX_WEBHOOK_SECRET, raw)))
    return events, payment_ids, headers


async def _fire(base: str, deliveries: list[tuple[str, bytes, str]], concurrency: int) -> list[float]:
    queue: asyncio.Queue[tuple[str, bytes, str]] = asyncio.Queue()
    for item in deliveries:
        queue.put_nowait(item)
    latencies: list[float] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while not queue.empty():
                event_id, raw, signature = queue.get_nowait()
                started = time.perf_counter()
                response = await http.post(
                    "/webhooks/razorpay",
                    content=raw,
                    headers={
                        "content-type": "application/json",
                        "x-razorpay-event-id": event_id,
                        "x-razorpay-signature": signature,
                    },
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"delivery answered {response.status_code}: {response.text}")

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-webhooks-")
    database_url = args.database_url or f"sqlite:///{workdir}/bench.db"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start_server(port, database_url)
    try:
        events, payment_ids, headers = _prepare(base, args.payments)
        rng = random.Random(7)
        deliveries = list(events) + [rng.choice(events) for _ in range(max(0, args.deliveries - len(events)))]
        rng.shuffle(deliveries)
        started = time.perf_counter()
        latencies = asyncio.run(_fire(base, deliveries, args.concurrency))
        elapsed = time.perf_counter() - started

        expected = 100_000_000 + len(payment_ids) * 100_000_000
        deadline = time.monotonic() + 120
        balance = 0
        while time.monotonic() < deadline:
            balance = httpx.get(f"{base}/me/billing", headers=headers, timeout=30).json()["balance_micros"]
            if balance == expected:
                break
            time.sleep(0.5)
        settled_after = time.perf_counter() - started
        credits = (balance - 100_000_000) // 100_000_000
        latencies.sort()
        print(f"database            {database_url.split(':')[0]}")
        print(f"deliveries          {len(deliveries)} ({len(events)} distinct events, {args.concurrency} clients)")
        print(f"throughput          {len(deliveries) / elapsed:,.0f} deliveries/s")

        def pct(q: float) -> str:
            return f"{latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000:.1f}"

        print(f"latency ms          p50 {pct(0.5)} · p90 {pct(0.9)} · p99 {pct(0.99)} · max {latencies[-1] * 1000:.1f}")
        print(f"all credited after  {settled_after:.1f} s (background processing asks Razorpay per event)")
        print(
            f"credits             {credits} for {len(set(payment_ids))} distinct captured payments: "
            f"{'OK' if credits == len(set(payment_ids)) else 'MISMATCH'}"
        )
        env = dict(os.environ, DATABASE_URL=database_url)
        audit = subprocess.run([sys.executable, "-m", "billing_app.cli", "audit"], cwd=ROOT, env=env)
        if credits != len(set(payment_ids)) or audit.returncode:
            raise SystemExit(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
