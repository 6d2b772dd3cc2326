"""SIGTERM drains: the API under granian (the server `make run` uses) finishes the
request it is answering, refuses new connections, and exits cleanly. A slow answer is made with
the sandbox's own fault switch (api_slow_seconds), so nothing of ours is mocked."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.api_processes import start_api

SANDBOX = "/sandbox/razorpay"


def test_sigterm_lets_the_request_in_flight_finish_and_takes_no_new_one(db: str, tmp_path: Path) -> None:
    api = start_api(database_url=db, redis_url=None, logdir=tmp_path, server="granian")
    proc, url = api.proc, api.url
    try:
        httpx.post(f"{url}{SANDBOX}/_control/faults", json={"api_slow_seconds": 5}).raise_for_status()

        answer: dict[str, object] = {}

        def slow_request() -> None:
            try:
                answer["status"] = httpx.get(f"{url}{SANDBOX}/v1/orders/order_none", timeout=20).status_code
            except httpx.HTTPError as exc:
                answer["error"] = repr(exc)

        in_flight = threading.Thread(target=slow_request)
        in_flight.start()
        time.sleep(2)  # the request is being answered (it takes 5 s)
        os.killpg(proc.pid, signal.SIGTERM)
        time.sleep(0.5)
        try:
            httpx.get(f"{url}/v1/models", timeout=2)
            refused = False
        except httpx.ConnectError:
            refused = True
        in_flight.join(timeout=20)
        assert answer == {"status": 401}, answer  # the emulator's answer (no credentials), not a cut connection
        assert refused, "a new connection was taken after SIGTERM"
        assert proc.wait(timeout=20) == 0, api.log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
