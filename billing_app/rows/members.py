"""The rows of the Members page: the org's members and its pending invitations."""

from __future__ import annotations

from dataclasses import dataclass

from billing_app.ist import display_ist
from billing_app.services.members import Member, PendingInvitation


@dataclass(frozen=True)
class MemberLine:
    id: int  # the membership's id: what a role change or a removal names
    name: str
    email: str
    role: str
    joined: str
    you: bool  # the viewer's own membership
    locked: bool  # an owner, and the viewer may not change owners: the select is disabled
    removable: bool  # "Remove" is offered: not the viewer (who has "Leave" instead), not locked


@dataclass(frozen=True)
class InvitationLine:
    id: int
    email: str
    role: str
    invited_by: str
    expires: str


def member_line(member: Member, *, viewer_user_id: int, may_manage_owners: bool) -> MemberLine:
    you = member.user_id == viewer_user_id
    locked = member.role == "owner" and not may_manage_owners
    return MemberLine(
        id=member.membership_id,
        name=member.name,
        email=member.email,
        role=member.role,
        joined=display_ist(member.joined_at),
        you=you,
        locked=locked,
        removable=not you and not locked,
    )


def invitation_line(invitation: PendingInvitation) -> InvitationLine:
    return InvitationLine(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        invited_by=invitation.invited_by or "System",
        expires=display_ist(invitation.expires_at),
    )
