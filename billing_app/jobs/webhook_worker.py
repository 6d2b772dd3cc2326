"""Processes stored webhook events on a few worker threads, off the request.

Starlette's BackgroundTasks would run inside the request cycle and hold the client's
keep-alive connection until processing (which asks Razorpay) finishes; these workers do
not. The worker that received an event processes it, under a claim in the database
(services/webhooks.py), so the reconciler of another worker never works on it at the
same time. Anything lost here (a crash, kill -9, a full stop) is still unprocessed in the
database; once its claim has expired, the reconciler of any worker finishes it.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from billing_app.context import Resource, context
from billing_app.services import webhooks

log = logging.getLogger(__name__)
POOL = Resource(
    "webhook_threads",
    lambda ctx: ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook"),
    lambda pool: pool.shutdown(wait=False),
)


def _log_failure(future: Future[bool]) -> None:
    if (error := future.exception()) is not None:
        log.error("webhook processing failed; the reconciler will retry", exc_info=error)


def submit(event_row_id: int) -> Future[bool]:
    future = context().get(POOL).submit(webhooks.process, event_row_id=event_row_id)
    future.add_done_callback(_log_failure)
    return future
