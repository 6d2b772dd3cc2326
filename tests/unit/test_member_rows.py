"""The Members page's rows: who is "you", which rows an admin may not touch, how times read."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_app.rows.members import invitation_line, member_line
from billing_app.services.members import Member, PendingInvitation

JOINED = datetime(2026, 11, 23, 14, 35, tzinfo=UTC)


def member(role: str, user_id: int = 2) -> Member:
    return Member(membership_id=7, user_id=user_id, name="Ravi", email="ravi@example.com", role=role, joined_at=JOINED)


def test_the_viewers_own_row_is_marked_and_not_removable():
    line = member_line(member("owner", user_id=1), viewer_user_id=1, may_manage_owners=True)
    assert (line.you, line.locked, line.removable) == (True, False, False)
    assert line.joined == "23 Nov 2026, 08:05 PM IST"


def test_an_owner_is_locked_for_an_admin_but_not_for_an_owner():
    for_admin = member_line(member("owner"), viewer_user_id=1, may_manage_owners=False)
    assert (for_admin.locked, for_admin.removable) == (True, False)
    for_owner = member_line(member("owner"), viewer_user_id=1, may_manage_owners=True)
    assert (for_owner.locked, for_owner.removable) == (False, True)
    developer = member_line(member("developer"), viewer_user_id=1, may_manage_owners=False)
    assert (developer.locked, developer.removable) == (False, True)


def test_an_invitation_from_the_system_names_no_person():
    pending = PendingInvitation(
        id=3, email="a@example.com", role="billing", invited_by=None, created_at=JOINED, expires_at=JOINED
    )
    line = invitation_line(pending)
    assert (line.invited_by, line.expires) == ("System", "23 Nov 2026, 08:05 PM IST")
