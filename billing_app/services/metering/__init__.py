"""Metering: what every API request made with a key draws on its org's credit.

The public surface — callers use these and nothing else in the package:
`authorize`, `record_usage`, their list forms `authorize_many` and `record_usages`,
`run_batched` (an async route's call, batched with its neighbours), `expire_holds`, the
audit `hold_mismatches`, the call and answer types, and the two rules the Keys page shares
(`hash_key`, `month_spend`). docs/metering.md has "reading one
usage call" for the files behind them.
"""

from billing_app.services.metering.batcher import run_batched
from billing_app.services.metering.calls import Authorization, AuthorizeCall, Debit, UsageCall
from billing_app.services.metering.rules import hash_key, month_spend
from billing_app.services.metering.service import (
    MAX_REQUEST_ID,
    MAX_TOKENS,
    authorize,
    authorize_many,
    expire_holds,
    hold_mismatches,
    record_usage,
    record_usages,
)

__all__ = [
    "MAX_REQUEST_ID",
    "MAX_TOKENS",
    "Authorization",
    "AuthorizeCall",
    "Debit",
    "UsageCall",
    "authorize",
    "authorize_many",
    "expire_holds",
    "hash_key",
    "hold_mismatches",
    "month_spend",
    "record_usage",
    "record_usages",
    "run_batched",
]
