"""GET /me/audit and GET /me/audit/export.csv: the org's audit log (owners and admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import Cursor, IsoDay, PathText
from billing_app.api.schema import errors
from billing_app.ist import iso_ist
from billing_app.services import audit

router = APIRouter(prefix="/me/audit", tags=["audit"], responses=errors(401, 403, 422))
Action = Annotated[  # no NUL: PostgreSQL refuses one in a text comparison (a 500, found by the fuzz test)
    PathText | None, Query(max_length=60, description='an action ("key.created") or a prefix ending in "." ("key.")')
]
ActorId = Annotated[int | None, Query(ge=1, le=2**63 - 1, alias="actor", description="the acting user's id")]
From = Annotated[IsoDay | None, Query(alias="from", description="first IST day")]
To = Annotated[IsoDay | None, Query(alias="to", description="last IST day")]


class EventOut(BaseModel):
    id: int
    created_at: str
    action: str
    subject: str
    actor: str = Field(description="the acting person's email, or `system`")
    actor_user_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str
    user_agent: str


class AuditOut(BaseModel):
    events: list[EventOut]
    next_cursor: str | None


def _filters(action: str | None, actor: int | None, start: date | None, end: date | None) -> dict[str, Any]:
    return {"action": action, "actor_user_id": actor, "first_day": start, "last_day": end}


@router.get("")
def list_audit(
    principal: CurrentPrincipal,
    action: Action = None,
    actor: ActorId = None,
    start: From = None,
    end: To = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE_SIZE)] = 50,
    cursor: Cursor = None,
) -> AuditOut:
    """Newest first; page with `cursor` = the previous answer's `next_cursor`."""
    page = audit.list_events(org_id=principal.org_id, limit=limit, cursor=cursor, **_filters(action, actor, start, end))
    return AuditOut(
        events=[
            EventOut(
                id=row.id,
                created_at=iso_ist(row.created_at),
                action=row.action,
                subject=row.subject,
                actor=row.actor_email or row.actor_kind,
                actor_user_id=row.actor_user_id,
                before=row.before,
                after=row.after,
                ip=row.ip,
                user_agent=row.user_agent,
            )
            for row in page.rows
        ],
        next_cursor=page.next_cursor,
    )


@router.get("/export.csv", response_class=Response)
def export_audit(
    principal: CurrentPrincipal, action: Action = None, actor: ActorId = None, start: From = None, end: To = None
) -> Response:
    text = audit.export_csv(org_id=principal.org_id, **_filters(action, actor, start, end))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
