"""jobs.every without a lease: a pass that raises is logged and the loop goes on."""

from __future__ import annotations

import asyncio
import threading

from billing_app.jobs.every import every
from tests.servers import run_on_fresh_loop


def test_a_failing_pass_does_not_stop_the_loop(caplog):
    calls: list[str] = []
    three = threading.Event()
    loop_threads: list[str] = []

    def flaky() -> None:
        calls.append(threading.current_thread().name)
        if len(calls) == 3:
            three.set()
        if len(calls) == 1:
            raise RuntimeError("first pass fails")

    async def scenario() -> None:
        loop_threads.append(threading.current_thread().name)
        loop = asyncio.create_task(every(0.01, flaky))
        assert await asyncio.to_thread(three.wait, 10)
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)

    run_on_fresh_loop(scenario)
    assert len(calls) >= 3
    assert loop_threads[0] not in calls  # each pass ran in a thread, off the event loop
    assert "flaky pass failed" in caplog.text and "first pass fails" in caplog.text
