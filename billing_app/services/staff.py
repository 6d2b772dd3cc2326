"""Staff: the people who run the service. They use the operator console (/console) and its
API (/admin/...); to everyone else both answer 404, so nobody learns the console exists.

The flag is granted and revoked only from the CLI (`cli staff grant EMAIL`), never from a
page or a route: a console that could mint staff would be one stolen session away from every
org's money. Console services start with `require()`; who acts comes from services/actors.py,
as `Actor(kind="staff")` set by the admin API's dependency and the console pages' state."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from billing_app.db import read_session, write_session
from billing_app.errors import NotFound
from billing_app.models import Membership, User
from billing_app.services import audit
from billing_app.services.actors import SYSTEM, current_actor
from billing_app.services.email_addresses import normalise


def require() -> None:
    """NotFound (404, as for a page that does not exist) unless staff act."""
    if current_actor().kind != "staff":
        raise NotFound()


def is_staff(*, user_id: int) -> bool:
    with read_session() as session:
        return bool(session.execute(sa.select(col(User.is_staff)).where(col(User.id) == user_id)).scalar())


def set_staff(*, email: str, staff: bool) -> bool:
    """Grant (`staff`) or revoke the flag; whether it changed. NotFound for an unknown address.
    The change is recorded in the audit log of each org the person belongs to."""
    email = normalise(email)
    with write_session() as session:
        user_id = session.execute(sa.select(col(User.id)).where(col(User.email) == email)).scalar_one_or_none()
        if user_id is None:
            raise NotFound(f"No account has the address {email}.")
        changed = session.execute(
            sa.update(User)
            .where(col(User.id) == user_id, col(User.is_staff).is_not(staff))
            .values(is_staff=staff)
            .returning(col(User.id))
        ).first()
        if changed is not None:
            org_ids = session.execute(sa.select(col(Membership.org_id)).where(col(Membership.user_id) == user_id))
            for org_id in org_ids.scalars():
                audit.record(
                    session,
                    org_id=org_id,
                    actor=SYSTEM,
                    action="staff.granted" if staff else "staff.revoked",
                    subject=f"user:{user_id}",
                    after={"email": email},
                )
    return changed is not None


def list_staff() -> list[str]:
    with read_session() as session:
        emails = session.execute(sa.select(col(User.email)).where(col(User.is_staff)).order_by(col(User.email)))
        return list(emails.scalars())
