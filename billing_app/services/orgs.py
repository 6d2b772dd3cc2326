"""A person's organisations and which one their session acts for.

A person may belong to several orgs; each sign-in session acts for one of them at a time
(`auth_session.org_id`), and everything the session sees (the balance in the header, every
list, every role check) is that org's. Both functions are personal: any member may list the
orgs they are in and move their own session between them, so neither asks for a permission.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from billing_app.db import read_session, write_session
from billing_app.errors import NotFound
from billing_app.models import AuthSession, Membership, Org
from billing_app.services import audit


@dataclass(frozen=True)
class OrgRow:
    id: int
    name: str
    role: str  # the person's role in this org
    balance_micros: int
    currency: str
    current: bool  # the org the asking session acts for


def _orgs_of(session: Session, *, user_id: int, current_org_id: int, only_org_id: int | None = None) -> list[OrgRow]:
    query = (
        sa.select(col(Org.id), col(Org.name), col(Membership.role), col(Org.balance_micros), col(Org.currency))
        .join(Membership, col(Membership.org_id) == Org.id)
        .where(col(Membership.user_id) == user_id)
        .order_by(col(Org.name), col(Org.id))
    )
    if only_org_id is not None:
        query = query.where(col(Org.id) == only_org_id)
    return [
        OrgRow(
            id=row.id,
            name=row.name,
            role=row.role,
            balance_micros=row.balance_micros,
            currency=row.currency,
            current=row.id == current_org_id,
        )
        for row in session.execute(query)
    ]


def list_orgs(*, user_id: int, current_org_id: int) -> list[OrgRow]:
    """The orgs the person is a member of, by name, each with their role and its balance;
    `current` marks `current_org_id` (the one the asking session acts for)."""
    with read_session() as session:
        return _orgs_of(session, user_id=user_id, current_org_id=current_org_id)


def switch(*, session_id: int, user_id: int, org_id: int) -> OrgRow:
    """Point the person's session `session_id` at org `org_id`; the org, now current.

    One conditional UPDATE: it changes the session only while it is the person's, still
    live, and they are a member of `org_id`. Anything else (no such org, someone else's org,
    a membership just removed, another person's session) is the same NotFound, so the answer
    never tells whether an org id exists. Switching to the org already current writes
    nothing. The audit row goes to the org switched to, whose owners see who came in."""
    member = (
        sa.select(col(Membership.id))
        .where(col(Membership.user_id) == user_id, col(Membership.org_id) == org_id)
        .exists()
    )
    with write_session() as session:
        previous = session.execute(
            sa.select(col(AuthSession.org_id)).where(
                col(AuthSession.id) == session_id,
                col(AuthSession.user_id) == user_id,
                col(AuthSession.revoked_at).is_(None),
            )
        ).scalar_one_or_none()
        moved = session.execute(
            sa.update(AuthSession)
            .where(
                col(AuthSession.id) == session_id,
                col(AuthSession.user_id) == user_id,
                col(AuthSession.revoked_at).is_(None),
                member,
            )
            .values(org_id=org_id)
            .returning(col(AuthSession.id))
        ).first()
        if previous is None or moved is None:
            raise NotFound("No such organisation.")
        if previous != org_id:
            audit.record(
                session,
                org_id=org_id,
                action="session.switched_org",
                subject=f"session:{session_id}",
                before={"org_id": previous},
                after={"org_id": org_id},
            )
        [row] = _orgs_of(session, user_id=user_id, current_org_id=org_id, only_org_id=org_id)
    return row
