"""Processes stored webhook events on a few worker threads, off the request.

Starlette's BackgroundTasks would run inside the request cycle and hold the client's
keep-alive connection until processing (which asks Razorpay) finishes; these workers do
not. Anything lost here (a crash, a full stop) is still unprocessed in the database and
the reconciler finishes it.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from billing_app.services import webhooks

log = logging.getLogger(__name__)
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook")


def _log_failure(future: Future[None]) -> None:
    if (error := future.exception()) is not None:
        log.error("webhook processing failed; the reconciler will retry", exc_info=error)


def submit(event_row_id: int) -> Future[None]:
    future = _pool.submit(webhooks.process, event_row_id=event_row_id)
    future.add_done_callback(_log_failure)
    return future
