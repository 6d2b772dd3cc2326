"""SIGTERM drains: the API under granian (the server `make run` uses) finishes the
request it is answering, refuses new connections, and exits cleanly. A slow answer is made with
the sandbox's own fault switch (api_slow_seconds), so nothing of ours is mocked."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = "/sandbox/razorpay"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sigterm_lets_the_request_in_flight_finish_and_takes_no_new_one(db: str, tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=db, HOST="127.0.0.1", PORT=str(port), BACKGROUND_JOBS="false")
    serve = ["granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "granian.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *serve, "--workers", "1", "billing_app.api.app:create_api"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"granian did not serve:\n{log.read_text()}"
            time.sleep(0.1)
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
        assert proc.wait(timeout=20) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
