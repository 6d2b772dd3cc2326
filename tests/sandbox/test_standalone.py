"""``python -m billing_app.sandbox`` serves the emulator on its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import razorpay

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def standalone() -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RAZORPAY_KEY_ID": "rzp_test_standalone",
        "RAZORPAY_KEY_SECRET": "standalone_secret",
    }
    command = [sys.executable, "-m", "billing_app.sandbox", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/_control/")
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    stderr = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"sandbox did not start: {stderr}")
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_standalone_server_speaks_razorpay(standalone: str) -> None:
    client = razorpay.Client(auth=("rzp_test_standalone", "standalone_secret"), base_url=standalone)
    order = client.order.create({"amount": 100, "currency": "INR"})
    paid = httpx.post(f"{standalone}/_control/orders/{order['id']}/pay").json()
    assert client.utility.verify_payment_signature(paid)
    assert client.order.fetch(order["id"])["status"] == "paid"
    info = httpx.get(f"{standalone}/_control/").json()
    assert info["key_id"] == "rzp_test_standalone"
    assert info["webhook_url"] is None
    (recorded, *_) = httpx.get(f"{standalone}/_control/webhooks").json()["items"]
    assert recorded["status"] == "unsent"
