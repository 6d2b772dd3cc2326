"""The Members page's state: the org's members and invitations, and every change to them.
Each change calls its service (services/members.py, services/invitations.py), which checks
the role again; a refusal (the last owner, an address already a member, too many invitations)
is shown on the page, next to what was tried."""

from __future__ import annotations

import reflex as rx

from billing_app import routes
from billing_app.errors import BillingAppError
from billing_app.rows.members import InvitationLine, MemberLine, invitation_line, member_line
from billing_app.services import invitations, members, roles
from billing_app.services.roles import Permission, Role
from billing_app.state.session import SessionState, call_service, current_principal

# The roles an admin may give; an owner may also make owners (Permission.MANAGE_OWNERS).
NOT_OWNER = [Role.ADMIN.value, Role.DEVELOPER.value, Role.BILLING.value]
INVITE_EMAIL_ID = "field-email"  # the invite form's address input (components/forms.labelled_input)


class MembersState(rx.State):
    members: list[MemberLine] = []
    invitations: list[InvitationLine] = []
    role_choices: list[str] = NOT_OWNER  # what the viewer may give: the role selects' options
    loading: bool = True
    error: str = ""  # a refused change or removal, above the members list
    invite_error: str = ""
    notice: str = ""
    busy: bool = False
    own_id: int = 0  # the viewer's membership: what "Leave this organisation" removes
    only_owner: bool = False  # the viewer is the org's one owner: leaving is refused, and said why

    async def _reload(self) -> None:
        principal = await current_principal(self, Permission.MANAGE_MEMBERS)
        if principal is None:
            return
        found = await call_service(members.list_members, org_id=principal.org_id)
        owners_too = roles.allows(principal.role, Permission.MANAGE_OWNERS)
        self.role_choices = [Role.OWNER.value, *NOT_OWNER] if owners_too else NOT_OWNER
        self.members = [
            member_line(m, viewer_user_id=principal.user_id, may_manage_owners=owners_too) for m in found.members
        ]
        self.invitations = [invitation_line(i) for i in found.invitations]
        own = next((m for m in found.members if m.user_id == principal.user_id), None)
        owners = sum(m.role == Role.OWNER for m in found.members)
        self.own_id = own.membership_id if own else 0
        self.only_owner = own is not None and own.role == Role.OWNER and owners == 1

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        self.loading, self.error, self.invite_error, self.notice = True, "", "", ""
        yield
        await self._reload()
        self.loading = False

    async def _change(self, service, **kwargs) -> bool:  # type: ignore[no-untyped-def]
        """Run a change as the viewer; False (and the refusal shown) when the service refuses."""
        principal = await current_principal(self, Permission.MANAGE_MEMBERS)
        if principal is None:
            return False
        self.error, self.notice = "", ""
        try:
            await call_service(service, org_id=principal.org_id, **kwargs)
        except BillingAppError as exc:
            self.error = exc.message
            await self._reload()  # the select shows the role the member still has
            return False
        await self._reload()
        return True

    @rx.event
    async def change_role(self, membership_id: int, role: str) -> None:
        if await self._change(members.change_role, membership_id=membership_id, role=role):
            name = next((m.name for m in self.members if m.id == membership_id), "The member")
            self.notice = f"{name} is now {role}."

    @rx.event
    async def remove(self, membership_id: int) -> None:
        name = next((m.name for m in self.members if m.id == membership_id), "The member")
        if await self._change(members.remove, membership_id=membership_id):
            self.notice = f"{name} is no longer a member."

    @rx.event
    async def leave(self):  # type: ignore[no-untyped-def]
        """Remove the viewer's own membership (members.remove: anyone may leave but the last
        owner). Leaving ends this session too, as it does a removed member's: the person goes
        to the sign-in page, from which they land in another org of theirs, if any."""
        if not self.own_id or not await self._change(members.remove, membership_id=self.own_id):
            return None
        session = await self.get_state(SessionState)
        session.reset()
        session.token = ""
        return rx.redirect(routes.LOGIN)

    @rx.event
    async def revoke(self, invitation_id: int) -> None:
        email = next((i.email for i in self.invitations if i.id == invitation_id), "that address")
        if await self._change(invitations.revoke_invitation, invitation_id=invitation_id):
            self.notice = f"The invitation to {email} is withdrawn."

    @rx.event
    async def invite(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        principal = await current_principal(self, Permission.MANAGE_MEMBERS)
        if principal is None:
            return
        self.busy, self.invite_error, self.notice, self.error = True, "", "", ""
        yield
        try:
            sent = await call_service(
                invitations.invite,
                org_id=principal.org_id,
                email=form.get("email", ""),
                role=form.get("role", "") or Role.DEVELOPER.value,
            )
        except BillingAppError as exc:
            self.invite_error = exc.message
        else:
            self.notice = f"Invitation sent to {sent.email}."
            await self._reload()
            yield rx.set_value(INVITE_EMAIL_ID, "")  # ready for the next address; the role stays
        self.busy = False
