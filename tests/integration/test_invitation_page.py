"""What the invitation page shows someone not signed in: `invitations.describe` names the org,
the address and the role of a link without consuming it, and says when it can't be used."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from billing_app.db import write_session
from billing_app.models import EmailKind, Invitation
from billing_app.models.types import utcnow
from billing_app.services import invitations
from tests.factories import call_as, emailed_token, make_account


def test_describe_names_the_org_address_and_role_and_consumes_nothing(any_db):
    owner = make_account(email="owner@example.com", org_name="Acme Labs")
    org_id = owner.principal.org_id
    call_as(owner.principal, invitations.invite, org_id=org_id, email="Dev@Example.com", role="billing")
    token = emailed_token("dev@example.com", EmailKind.INVITATION)

    found = invitations.describe(token=token)
    assert found is not None
    assert (found.org_name, found.email, found.role, found.valid) == (
        owner.principal.org_name,
        "dev@example.com",
        "billing",
        True,
    )
    assert invitations.describe(token=token) == found  # reading twice changes nothing

    guest = make_account(email="dev@example.com")
    joined = call_as(guest.principal, invitations.accept, token=token, user_id=guest.principal.user_id)
    assert joined.joined  # describing did not use the link up
    used = invitations.describe(token=token)
    assert used is not None and not used.valid


def test_describe_says_unknown_expired_and_withdrawn_links_cannot_be_used(any_db):
    owner = make_account(email="owner@example.com")
    org_id = owner.principal.org_id
    assert invitations.describe(token="no-such-token") is None
    assert invitations.describe(token="") is None

    expired = call_as(owner.principal, invitations.invite, org_id=org_id, email="late@example.com", role="developer")
    with write_session() as session:  # seven days on
        session.execute(
            sa.update(Invitation).where(col(Invitation.id) == expired.id).values(expires_at=utcnow() - timedelta(1))
        )
    late = invitations.describe(token=emailed_token("late@example.com", EmailKind.INVITATION))
    assert late is not None and not late.valid

    withdrawn = call_as(owner.principal, invitations.invite, org_id=org_id, email="gone@example.com", role="admin")
    call_as(owner.principal, invitations.revoke_invitation, org_id=org_id, invitation_id=withdrawn.id)
    gone = invitations.describe(token=emailed_token("gone@example.com", EmailKind.INVITATION))
    assert gone is not None and not gone.valid
