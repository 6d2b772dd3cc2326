"""Verifying an email address, and the signup credit that waits for it.

The credit is granted by the verification, once per normalised address
(services/email_addresses.address_key) however often, or however concurrently, the link or
several links for one address are opened: the claim row's primary key decides, inside the
transaction that posts the credit. It goes to the org the person created at sign-up."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from billing_app.config import get_settings
from billing_app.db import write_session
from billing_app.errors import TokenInvalid
from billing_app.models import EmailKind, EmailOutbox, EntryKind, LedgerEntry, Membership, Org, SignupCreditClaim, User
from billing_app.models.types import utcnow
from billing_app.money import format_units
from billing_app.services import actors, audit, email_tokens
from billing_app.services.actors import Actor
from billing_app.services.email_addresses import address_key
from billing_app.services.ledger import post_entry
from billing_app.services.rate_limit import check_rate

RESEND_PER_MINUTE = 1  # per person; the link itself stays valid for email_tokens.LIFETIMES


def queue_email(session: Session, *, user_id: int, org_id: int, email: str, name: str) -> None:
    """A new verification link, emailed by the outbox (inside the caller's transaction)."""
    token = email_tokens.issue(session, purpose=email_tokens.VERIFY, user_id=user_id, email=email)
    payload = {"to_email": email, "to_name": name, "link_token": token}
    session.add(EmailOutbox(org_id=org_id, kind=EmailKind.VERIFY_EMAIL, payload=json.dumps(payload)))


@dataclass(frozen=True)
class Verified:
    user_id: int
    credited_micros: int  # 0 when the address (in any spelling) already had its credit


def verify(*, token: str, actor: Actor = actors.SYSTEM) -> Verified:
    """Consume the link, mark the address verified and grant the signup credit once.
    Raises TokenInvalid for an unknown, expired or used link."""
    settings = get_settings()
    with write_session() as session:
        used = email_tokens.consume(session, purpose=email_tokens.VERIFY, token=token)
        user = session.get(User, used.user_id)
        if user is None or user.email != used.email:
            raise TokenInvalid()
        first_time = user.email_verified_at is None
        if first_time:
            user.email_verified_at = utcnow()
        org_id = _own_org(session, user.id or 0)
        credited = 0
        if org_id is not None and settings.signup_credit_micros and _claim(session, user, org_id):
            credited = _grant(session, org_id=org_id, user_id=user.id or 0, amount=settings.signup_credit_micros)
        if first_time or credited:
            audit.record(
                session,
                org_id=org_id,
                actor=Actor(user_id=user.id, ip=actor.ip, user_agent=actor.user_agent),
                action="user.email_verified",
                subject=f"user:{user.id}",
                after={"signup_credit_micros": credited},
            )
    return Verified(user_id=used.user_id, credited_micros=credited)


def resend(*, user_id: int, org_id: int) -> bool:
    """Send a new link (rate-limited per person). False when the address is already verified."""
    check_rate(action="verify-resend", key=str(user_id), per_minute=RESEND_PER_MINUTE)
    with write_session() as session:
        user = session.get(User, user_id)
        if user is None or user.email_verified_at is not None:
            return False
        queue_email(session, user_id=user_id, org_id=org_id, email=user.email, name=user.name)
    return True


def _own_org(session: Session, user_id: int) -> int | None:
    """The org the person created at sign-up: their first owner membership."""
    return session.execute(
        select(col(Membership.org_id))
        .where(col(Membership.user_id) == user_id, col(Membership.role) == "owner")
        .order_by(col(Membership.id))
        .limit(1)
    ).scalar_one_or_none()


def _claim(session: Session, user: User, org_id: int) -> bool:
    """Insert the address's claim; False when it is already there (in this or any
    concurrent transaction: the insert waits for theirs, then does nothing)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    claimed = session.execute(
        insert(SignupCreditClaim)
        .values(address_key=address_key(user.email), user_id=user.id, org_id=org_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["address_key"])
        .returning(col(SignupCreditClaim.address_key))
    ).first()
    return claimed is not None


def _grant(session: Session, *, org_id: int, user_id: int, amount: int) -> int:
    already = session.execute(
        select(col(LedgerEntry.id)).where(
            col(LedgerEntry.kind) == EntryKind.SIGNUP_CREDIT, col(LedgerEntry.external_ref) == f"org:{org_id}"
        )
    ).first()
    if already is not None:  # the org had one (another owner's address): one per org as well
        return 0
    org = session.get(Org, org_id)
    currency = org.currency if org else get_settings().billing_currency
    post_entry(
        session,
        org_id=org_id,
        kind=EntryKind.SIGNUP_CREDIT,
        amount_micros=amount,
        description=f"Signup credit ({format_units(amount, currency)})",
        external_ref=f"org:{org_id}",
        user_id=user_id,
    )
    return amount
