"""Builders for tests, in one place: accounts, orgs with a set balance, funded API keys,
billing addresses, and paid orders. Everything is made through the real services (or,
for the HTTP builders, the real REST API with the sandbox), never by writing rows."""

from __future__ import annotations

import contextvars
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from billing_app.db import read_session, write_session
from billing_app.models import EmailKind, EmailOutbox, OutboxStatus, User
from billing_app.models.types import utcnow
from billing_app.services import accounts, actors, alerts, api_keys, invitations, ledger, pricing, verification

if TYPE_CHECKING:
    from tests.payments_support import LiveApp

_counter = itertools.count(1)
T = TypeVar("T")
PASSWORD = "correct horse battery"
RUPEE = 1_000_000
# A billing address in Karnataka, as the REST API and the address form take it.
ADDRESS = {
    "name": "Asha Rao",
    "line1": "12 MG Road",
    "line2": "",
    "city": "Bengaluru Urban",
    "state_code": "29",
    "pin": "560001",
}

# A GST-registered seller in Karnataka (SELLER_GSTIN turns GST on) and a registered buyer in
# Maharashtra: inter-state, so IGST, and B2B.
SELLER_GSTIN = "29AAGCB7383J1Z4"
BUYER_GSTIN = "27AAACR5055K1Z7"
MAHARASHTRA_ADDRESS = {
    "name": "Ravi Traders Pvt Ltd",
    "line1": "4 Marine Drive",
    "line2": "Churchgate",
    "city": "Mumbai",
    "state_code": "27",
    "pin": "400020",
    "gstin": BUYER_GSTIN,
}


def gst_seller(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings of a seller registered for GST in Karnataka (state 29)."""
    monkeypatch.setenv("SELLER_GSTIN", SELLER_GSTIN)
    monkeypatch.setenv("SELLER_STATE_CODE", "29")
    monkeypatch.setenv("SELLER_NAME", "BharatRouter Technologies Pvt Ltd")
    monkeypatch.setenv("SELLER_ADDRESS", "1 MG Road, Bengaluru, Karnataka 560001")


def make_account(
    *, email: str | None = None, name: str = "Asha Rao", org_name: str = "Acme Labs", verified: bool = True
) -> accounts.SignedIn:
    """A signed-up person; `verified` opens their emailed verification link, as they would,
    which grants the signup credit."""
    n = next(_counter)
    signed = accounts.signup(
        email=email or f"user{n}@example.com",
        password=PASSWORD,
        name=name,
        org_name=f"{org_name} {n}",
        client_ip=f"10.0.{n // 250}.{n % 250}",
    )
    if verified:
        verification.verify(token=emailed_token(signed.principal.email, EmailKind.VERIFY_EMAIL))
        mark_delivered(signed.principal.email, EmailKind.VERIFY_EMAIL)
    return signed


def call_as(principal: accounts.Principal | None, service: Callable[..., T], /, **kwargs: Any) -> T:
    """Call `service` as `principal` would through the API (None: as the system), in a copy of
    the context: who acts does not outlive the call (nor leak into the next test or into a
    thread pool's next task)."""

    def call() -> T:
        actors.acting(principal.acting_from(ip="127.0.0.1", user_agent="pytest") if principal else actors.SYSTEM)
        return service(**kwargs)

    return contextvars.copy_context().run(call)


def make_member(org_id: int, role: str, *, email: str | None = None) -> accounts.SignedIn:
    """A new person in the org with `role`, the way people join: invited (by the system, so
    any role), then signed up with the emailed invitation's token."""
    n = next(_counter)
    email = email or f"member{n}@example.com"
    call_as(None, invitations.invite, org_id=org_id, email=email, role=role)
    signed = accounts.signup(
        email=email,
        password=PASSWORD,
        name=f"Member {n}",
        invitation_token=emailed_token(email, EmailKind.INVITATION),
        client_ip=f"10.1.{n // 250}.{n % 250}",
    )
    mark_delivered(email, EmailKind.INVITATION)
    return signed


def join_org(signed: accounts.SignedIn, org_id: int, role: str) -> None:
    """Someone with an account joins another org with `role`, the way people do: invited (by
    the system), then accepting the emailed invitation signed in. Their session stays where it was."""
    email = signed.principal.email
    call_as(None, invitations.invite, org_id=org_id, email=email, role=role)
    call_as(
        signed.principal,
        invitations.accept,
        token=emailed_token(email, EmailKind.INVITATION),
        user_id=signed.principal.user_id,
    )
    mark_delivered(email, EmailKind.INVITATION)


def mark_delivered(email: str, kind: EmailKind) -> None:
    """The person opened the link, so that email was delivered: take it out of the sender's
    queue, as the sender would have (tests of other emails count what the sender sends)."""
    with write_session() as session:
        session.execute(
            sa.update(EmailOutbox)
            .where(
                col(EmailOutbox.kind) == kind,
                col(EmailOutbox.status) == OutboxStatus.PENDING,
                col(EmailOutbox.payload).contains(json.dumps(email)),
            )
            .values(status=OutboxStatus.SENT, sent_at=utcnow(), to_email=email)
        )


def emailed_token(email: str, kind: EmailKind = EmailKind.VERIFY_EMAIL) -> str:
    """The link token of the newest `kind` email queued for `email` (read from the outbox,
    where the sender job would pick it up)."""
    with read_session() as session:
        payloads = session.execute(
            select(col(EmailOutbox.payload)).where(col(EmailOutbox.kind) == kind).order_by(col(EmailOutbox.id).desc())
        ).scalars()
        for payload in payloads:
            facts = json.loads(payload)
            if facts.get("to_email") == email.strip().lower() and "link_token" in facts:
                return str(facts["link_token"])
    raise AssertionError(f"no {kind} email with a link queued for {email}")


def user_id_of(email: str) -> int:
    with read_session() as session:
        found = session.execute(select(col(User.id)).where(col(User.email) == email.strip().lower())).scalar_one()
        return int(found)


def make_org(*, metered: bool = False) -> int:
    """A fresh account's org id; `metered`: the price catalog is loaded, so its keys can spend."""
    if metered:
        pricing.load_catalog()
    return make_account().principal.org_id


def org_with_balance(rupees: int, *, threshold_rupees: int | None = None) -> tuple[int, str]:
    """(org id, owner email): a fresh account whose balance is exactly `rupees`, with a
    low-balance alert threshold if given."""
    signed_in = make_account()
    org_id = signed_in.principal.org_id
    set_balance(org_id, rupees * RUPEE)
    if threshold_rupees is not None:
        alerts.set_threshold(org_id=org_id, threshold_micros=threshold_rupees * RUPEE)
    return org_id, signed_in.principal.email


def set_balance(org_id: int, micros: int) -> None:
    """Bring the org's balance to exactly `micros` with one manual entry (none if it is already)."""
    if change := micros - ledger.get_balance(org_id=org_id):
        ledger.add_manual_entry(org_id=org_id, amount_micros=change, reason="test set-up")


@dataclass(frozen=True)
class FundedKey:
    org_id: int
    created: api_keys.CreatedKey

    @property
    def secret(self) -> str:
        return self.created.secret


def make_funded_key(
    *, balance_micros: int | None = None, name: str = "test", monthly_budget_micros: int | None = None
) -> FundedKey:
    """A new org (sign-up credit, or exactly `balance_micros`) with one API key, the catalog loaded."""
    org_id = make_org(metered=True)
    if balance_micros is not None:
        set_balance(org_id, balance_micros)
    key = api_keys.create_key(org_id=org_id, name=name, monthly_budget_micros=monthly_budget_micros)
    return FundedKey(org_id, key)


# --- over HTTP, against a LiveApp (tests/payments_support.py) ----------------------------


def paying_account(app: LiveApp, email: str | None = None) -> dict[str, Any]:
    """A signed-up account with a billing address: ready to create orders."""
    account = app.signup(email or f"payer{next(_counter)}@example.com")
    app.add_address(account)
    return account


def paid_order(
    app: LiveApp, account: dict[str, Any], amount: int = 500, *, promo_code: str | None = None, **pay: Any
) -> tuple[str, dict[str, Any]]:
    """(order id, the sandbox's checkout result): an order paid in the sandbox (`pay` goes to
    the sandbox: method, outcome, ...). Nobody has told the app yet; webhooks may."""
    order = app.new_order(account, amount, **({"promo_code": promo_code} if promo_code else {}))
    return order["order_id"], app.pay(order["order_id"], **pay)
