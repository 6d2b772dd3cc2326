"""The reason every console action asks for: it goes into the action's audit row, so whoever
reads the log later learns why staff touched a customer's money or a global setting."""

from __future__ import annotations

from billing_app.errors import InvalidRequest

MAX_REASON_LENGTH = 500


def required(reason: str | None) -> str:
    """The reason, trimmed; InvalidRequest (field `reason`) when blank or too long."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Give a reason: it is kept in the audit log.", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidRequest(f"The reason must be at most {MAX_REASON_LENGTH} characters.", field="reason")
    return reason
