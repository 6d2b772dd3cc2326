"""The saved billing address as printed lines: the card on the billing page."""

from __future__ import annotations

import reflex as rx

from billing_app.services import addresses
from billing_app.services.roles import Permission
from billing_app.state.session import call_service, current_principal


class AddressSummaryState(rx.State):
    lines: list[str] = []
    loaded: bool = False

    @rx.event
    async def load(self) -> None:
        principal = await current_principal(self, Permission.PAY)
        if principal is None:
            return
        address = await call_service(addresses.get_address, org_id=principal.org_id)
        self.lines = addresses.format_address(address) if address else []
        self.loaded = True
