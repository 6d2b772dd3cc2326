"""The audit log: who did what, when, from where, with the values before and after.

`record` is called inside the service's own transaction, beside the change it describes, so
the row exists exactly when the change committed (never without it, never without the row).
Reading it (`GET /me/audit`, the Activity page) is for an org's owners and admins.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from billing_app.db import read_session
from billing_app.errors import InvalidRequest
from billing_app.ist import iso_ist, ist_day_start
from billing_app.models import AuditEvent, User
from billing_app.services import roles
from billing_app.services.actors import Actor, current_actor
from billing_app.services.roles import Permission

MAX_PAGE_SIZE = 100


def record(
    session: Session,
    *,
    org_id: int | None,
    actor: Actor | None = None,
    action: str,
    subject: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append one row inside the caller's transaction (`actor`: who the request acts as,
    unless given)."""
    actor = actor or current_actor()
    session.add(
        AuditEvent(
            org_id=org_id,
            actor_user_id=actor.user_id,
            actor_kind=actor.kind,
            action=action,
            subject=subject[:200],
            before=_json(before),
            after=_json(after),
            ip=actor.ip[:64],
            user_agent=actor.user_agent[:300],
        )
    )


def _json(values: Mapping[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(dict(values), sort_keys=True, default=str)


@dataclass(frozen=True)
class AuditRow:
    id: int
    created_at: datetime
    action: str
    subject: str
    actor_kind: str
    actor_user_id: int | None
    actor_email: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str
    user_agent: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_cursor: str | None


def list_events(
    *,
    org_id: int,
    limit: int = 50,
    cursor: str | None = None,
    action: str | None = None,
    any_action: Sequence[str] = (),
    actor_user_id: int | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> AuditPage:
    """The org's events, newest first. `action` matches a whole action or a prefix ending
    in "." ("key." → every key action); `any_action`, any of several such (the Activity
    page's "Payments" is orders, payments, refunds and manual entries); `cursor` is the
    previous page's `next_cursor`. Owners and admins only (Forbidden)."""
    roles.check(org_id, Permission.VIEW_AUDIT)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"limit must be 1 to {MAX_PAGE_SIZE}.", field="limit")
    query = (
        select(AuditEvent, col(User.email))
        .join(User, col(User.id) == AuditEvent.actor_user_id, isouter=True)
        .where(col(AuditEvent.org_id) == org_id)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit + 1)
    )
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 19:
            raise InvalidRequest("cursor is not one this API gave out.", field="cursor")
        query = query.where(col(AuditEvent.id) < int(cursor))
    if action:
        query = query.where(_matches(action))
    if any_action:
        query = query.where(or_(*[_matches(each) for each in any_action]))
    if actor_user_id is not None:
        query = query.where(col(AuditEvent.actor_user_id) == actor_user_id)
    if first_day is not None:  # IST calendar days, both inclusive
        query = query.where(col(AuditEvent.created_at) >= ist_day_start(first_day))
    if last_day is not None:
        query = query.where(col(AuditEvent.created_at) < ist_day_start(last_day + timedelta(days=1)))
    with read_session() as session:
        found = session.execute(query).all()
    rows = [_row(event, email) for event, email in found[:limit]]
    more = len(found) > limit
    return AuditPage(rows=rows, next_cursor=str(rows[-1].id) if more and rows else None)


def _matches(action: str) -> ColumnElement[bool]:
    return col(AuditEvent.action).startswith(action) if action.endswith(".") else col(AuditEvent.action) == action


def _row(event: AuditEvent, email: str | None) -> AuditRow:
    assert event.id is not None
    return AuditRow(
        id=event.id,
        created_at=event.created_at,
        action=event.action,
        subject=event.subject,
        actor_kind=event.actor_kind,
        actor_user_id=event.actor_user_id,
        actor_email=email,
        before=json.loads(event.before) if event.before else None,
        after=json.loads(event.after) if event.after else None,
        ip=event.ip,
        user_agent=event.user_agent,
    )


CSV_COLUMNS = ["id", "time_ist", "action", "subject", "actor", "before", "after", "ip", "user_agent"]


def export_csv(*, org_id: int, **filters: Any) -> str:
    """Every event matching the filters (all pages), as CSV, newest first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    cursor = None
    while True:
        page = list_events(org_id=org_id, limit=MAX_PAGE_SIZE, cursor=cursor, **filters)
        for row in page.rows:
            actor = row.actor_email or row.actor_kind
            writer.writerow(
                _cell(value)
                for value in [
                    row.id,
                    iso_ist(row.created_at),
                    row.action,
                    row.subject,
                    actor,
                    json.dumps(row.before, sort_keys=True) if row.before else "",
                    json.dumps(row.after, sort_keys=True) if row.after else "",
                    row.ip,
                    row.user_agent,
                ]
            )
        if page.next_cursor is None:
            return out.getvalue()
        cursor = page.next_cursor


def _cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (a user agent or a name can be
    anything) is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
