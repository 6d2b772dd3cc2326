"""The header's organisation switcher: the person's other orgs, and moving this browser's
session to one of them."""

from __future__ import annotations

import reflex as rx

from billing_app.errors import BillingAppError
from billing_app.rows.orgs import OrgChoice, org_choice
from billing_app.services import orgs
from billing_app.state.session import call_service, current_principal

# After a switch every figure on the page (the balance in the header, each list, what the
# role may do) belongs to another org: reloading runs every page's on_load for it at once.
RELOAD = "window.location.reload()"


class OrgSwitcherState(rx.State):
    others: list[OrgChoice] = []  # the orgs this session could act for instead, by name

    @rx.event
    async def load(self) -> None:
        """When the account menu opens: membership may have changed since the page loaded."""
        principal = await current_principal(self)
        if principal is None:
            return
        rows = await call_service(orgs.list_orgs, user_id=principal.user_id, current_org_id=principal.org_id)
        self.others = [org_choice(row) for row in rows if not row.current]

    @rx.event
    async def switch(self, org_id: int):  # type: ignore[no-untyped-def]
        principal = await current_principal(self)
        if principal is None:
            return
        try:
            await call_service(orgs.switch, session_id=principal.session_id, user_id=principal.user_id, org_id=org_id)
        except BillingAppError as exc:  # e.g. removed from that org since the menu opened
            yield rx.toast.error(exc.message)
            yield OrgSwitcherState.load
            return
        yield rx.call_script(RELOAD)
