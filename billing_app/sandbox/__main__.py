"""Serve the emulator standalone.

    python -m billing_app.sandbox --host 127.0.0.1 --port 9100 \
        --webhook-url http://127.0.0.1:3000/webhooks/razorpay

Keys come from RAZORPAY_KEY_ID / RAZORPAY_KEY_SECRET / RAZORPAY_WEBHOOK_SECRET,
defaulting to the sandbox's own test values.
"""

from __future__ import annotations

import argparse
import os

from . import (
    DEFAULT_KEY_ID,
    DEFAULT_KEY_SECRET,
    DEFAULT_WEBHOOK_SECRET,
    create_sandbox_app,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m billing_app.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--webhook-url", default=None, help="where webhooks go (default: record only)")
    parser.add_argument("--account-id", default="acc_Sandbox0000001")
    parser.add_argument("--webhook-backoff", type=float, default=1.0, help="first retry delay, seconds")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    import uvicorn  # only the standalone server needs it

    app = create_sandbox_app(
        key_id=os.environ.get("RAZORPAY_KEY_ID") or DEFAULT_KEY_ID,
        key_secret=os.environ.get("RAZORPAY_KEY_SECRET") or DEFAULT_KEY_SECRET,
        webhook_secret=os.environ.get("RAZORPAY_WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET,
        webhook_url=args.webhook_url,
        account_id=args.account_id,
        webhook_backoff_base=args.webhook_backoff,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
