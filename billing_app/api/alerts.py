"""GET, PUT, DELETE /me/billing/alerts: the low-balance alert threshold."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StrictInt

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import RequestBody
from billing_app.api.schema import errors
from billing_app.ist import iso_ist
from billing_app.services import alerts

router = APIRouter(prefix="/me", tags=["alerts"], responses=errors(401, 422))


class AlertIn(RequestBody):
    # Micro-units of the credit currency; an alert is due when a decrease leaves the
    # balance below it.
    threshold_micros: Annotated[StrictInt, Field(ge=0, le=alerts.MAX_THRESHOLD_MICROS)]


class AlertOut(BaseModel):
    threshold_micros: int | None  # null: alerts are off
    balance_micros: int
    currency: str
    recipient: str | None  # the org owner's email, where the alert goes
    last_alert_at: str | None  # ISO 8601, +05:30


def alert_out(found: alerts.AlertSettings) -> AlertOut:
    return AlertOut(
        threshold_micros=found.threshold_micros,
        balance_micros=found.balance_micros,
        currency=found.currency,
        recipient=found.recipient,
        last_alert_at=iso_ist(found.last_alert_at) if found.last_alert_at else None,
    )


@router.get("/billing/alerts")
def get_alerts(principal: CurrentPrincipal) -> AlertOut:
    return alert_out(alerts.get_alert_settings(org_id=principal.org_id))


@router.put("/billing/alerts")
def put_alerts(body: AlertIn, principal: CurrentPrincipal) -> AlertOut:
    """Set or change the threshold. Sends nothing by itself: the next balance decrease
    that leaves the balance below it does (at most one email per 24 hours)."""
    return alert_out(alerts.set_threshold(org_id=principal.org_id, threshold_micros=body.threshold_micros))


@router.delete("/billing/alerts", status_code=204)
def delete_alerts(principal: CurrentPrincipal) -> Response:
    """Turn alerts off (idempotent)."""
    alerts.clear_threshold(org_id=principal.org_id)
    return Response(status_code=204)
