"""An org's members and invitations: GET, POST /me/members · PATCH, DELETE /me/members/{id} ·
DELETE /me/members/invitations/{id}; and accepting an invitation, POST /auth/invitations/accept.

The roles each needs are the services' (services/members.py, services/invitations.py): owners
and admins manage members, only owners make or change owners, anyone may leave."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from billing_app.api.deps import CurrentPrincipal
from billing_app.api.inputs import PathId, RequestBody
from billing_app.api.schema import enforced_by_service, errors
from billing_app.ist import iso_ist
from billing_app.services import invitations, members, orgs
from billing_app.services.email_addresses import EMAIL_PATTERN

router = APIRouter(prefix="/me", tags=["members"], responses=errors(401, 403, 404, 422))
accept_router = APIRouter(prefix="/auth", tags=["members"], responses=errors(400, 401, 403, 422))

RoleName = Literal["owner", "admin", "developer", "billing"]


class MemberOut(BaseModel):
    id: int = Field(description="the membership's id (PATCH and DELETE /me/members/{id})")
    user_id: int
    name: str
    email: str
    role: str
    joined_at: str


class InvitationOut(BaseModel):
    id: int
    email: str
    role: str
    invited_by: str | None = Field(description="the inviter's name; null when the system invited")
    created_at: str
    expires_at: str


class MembersOut(BaseModel):
    members: list[MemberOut]
    invitations: list[InvitationOut] = Field(description="pending: not accepted, revoked or expired")


class InviteIn(RequestBody):
    email: str = Field(max_length=254, json_schema_extra=enforced_by_service(pattern=EMAIL_PATTERN))
    role: RoleName


class RoleIn(RequestBody):
    role: RoleName


def member_out(member: members.Member) -> MemberOut:
    return MemberOut(
        id=member.membership_id,
        user_id=member.user_id,
        name=member.name,
        email=member.email,
        role=member.role,
        joined_at=iso_ist(member.joined_at),
    )


def invitation_out(invitation: members.PendingInvitation) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        invited_by=invitation.invited_by,
        created_at=iso_ist(invitation.created_at),
        expires_at=iso_ist(invitation.expires_at),
    )


@router.get("/members")
def list_members(principal: CurrentPrincipal) -> MembersOut:
    """The org's members and pending invitations (owners and admins)."""
    found = members.list_members(org_id=principal.org_id)
    return MembersOut(
        members=[member_out(m) for m in found.members], invitations=[invitation_out(i) for i in found.invitations]
    )


@router.post("/members", status_code=201, responses=errors(409, 429))
def invite(body: InviteIn, principal: CurrentPrincipal) -> InvitationOut:
    """Emails an invitation link to the address; a pending invitation to it is
    replaced. 409 already_member when the address is a member; inviting an owner needs an owner."""
    return invitation_out(invitations.invite(org_id=principal.org_id, email=body.email, role=body.role))


@router.patch("/members/{membership_id}", responses=errors(409))
def change_role(membership_id: PathId, body: RoleIn, principal: CurrentPrincipal) -> MemberOut:
    """409 last_owner when it would leave the org without an owner; owners only for an owner."""
    changed = members.change_role(org_id=principal.org_id, membership_id=membership_id, role=body.role)
    return member_out(changed)


@router.delete("/members/{membership_id}", status_code=204, response_class=Response, responses=errors(409))
def remove(membership_id: PathId, principal: CurrentPrincipal) -> Response:
    """Removes the member and ends their sessions in this org; your own id: leave the org.
    409 last_owner when it would leave the org without an owner."""
    members.remove(org_id=principal.org_id, membership_id=membership_id)
    return Response(status_code=204)


@router.delete("/members/invitations/{invitation_id}", status_code=204, response_class=Response)
def revoke_invitation(invitation_id: PathId, principal: CurrentPrincipal) -> Response:
    invitations.revoke_invitation(org_id=principal.org_id, invitation_id=invitation_id)
    return Response(status_code=204)


class AcceptIn(RequestBody):
    token: str = Field(max_length=200, description="the token of the emailed invitation link")


class JoinedOut(BaseModel):
    org_id: int
    org_name: str
    role: str
    joined: bool = Field(description="false when you were a member already")


@accept_router.post("/invitations/accept")
def accept_invitation(body: AcceptIn, principal: CurrentPrincipal) -> JoinedOut:
    """Join the org that invited you (signed in with the invited address); this session then
    acts for that org. 400 token_invalid for an unknown, expired, used or revoked link; 403
    email_unverified when the invitation is for another address than the caller's."""
    accepted = invitations.accept(token=body.token, user_id=principal.user_id)
    orgs.switch(session_id=principal.session_id, user_id=principal.user_id, org_id=accepted.org_id)
    return JoinedOut(org_id=accepted.org_id, org_name=accepted.org_name, role=accepted.role, joined=accepted.joined)
