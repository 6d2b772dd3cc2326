"""The console's orgs: GET /admin/orgs?q=… (search), GET /admin/orgs/{id} (the org's page) and
its paged parts (ledger, orders, audit), and GET /admin/orgs/{id}/payments/{payment_id}/live
(Razorpay's own view of a payment, asked only when the operator asks)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from billing_app.api.admin.plain import plain
from billing_app.api.admin.routing import staff_router
from billing_app.api.inputs import Cursor, PathId, PathText
from billing_app.services.console import orgs

# staff only (api/deps.current_staff: 404 to anyone else, before any parameter is read)
router = staff_router("/admin/orgs")
Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("")
def search_orgs(q: Annotated[str, Query(max_length=orgs.MAX_QUERY)] = "") -> dict[str, Any]:
    """Orgs matching `q`: name (contains), member email (contains), org id, payment or order id."""
    return {"orgs": plain(orgs.search(q=q))}


@router.get("/{org_id}")
def get_org(org_id: PathId) -> dict[str, Any]:
    """The org's page: members, balance, alerts, keys, usage, and the first page of its ledger,
    orders and audit trail (their `next_cursor` goes to the routes below)."""
    return plain(orgs.org_page(org_id=org_id))  # type: ignore[no-any-return]


@router.get("/{org_id}/ledger")
def org_ledger(org_id: PathId, cursor: Cursor = None, limit: Limit = orgs.PAGE_SIZE) -> Any:
    return plain(orgs.ledger_page(org_id=org_id, cursor=cursor, limit=limit))


@router.get("/{org_id}/orders")
def org_orders(org_id: PathId, cursor: Cursor = None, limit: Limit = orgs.PAGE_SIZE) -> Any:
    return plain(orgs.orders_page(org_id=org_id, cursor=cursor, limit=limit))


@router.get("/{org_id}/audit")
def org_audit(org_id: PathId, cursor: Cursor = None, limit: Limit = orgs.PAGE_SIZE) -> Any:
    return plain(orgs.audit_page(org_id=org_id, cursor=cursor, limit=limit))


@router.get("/{org_id}/payments/{payment_id}/live")
def live_payment(org_id: PathId, payment_id: PathText) -> Any:
    """What Razorpay says about the payment now (def: the SDK blocks, so this runs on the pool)."""
    return plain(orgs.live_payment(org_id=org_id, payment_id=payment_id))
