"""What a person types before the page has finished loading survives it becoming ready.

The page's websocket messages to the server are held back until the fields are filled, so the
typing certainly happens before the page's state arrives (under load it happens by itself)."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, WebSocketRoute, expect

from billing_app import routes


class HeldSocket:
    """The page's event socket, with what the page sends held back until `release`."""

    def __init__(self) -> None:
        self.holding = True
        self.held: list[str | bytes] = []
        self.server: WebSocketRoute | None = None

    def route(self, page_side: WebSocketRoute) -> None:
        self.server = page_side.connect_to_server()
        page_side.on_message(self._from_page)

    def _from_page(self, message: str | bytes) -> None:
        if self.holding:
            self.held.append(message)
        else:
            assert self.server is not None
            self.server.send(message)

    def release(self) -> None:
        self.holding = False
        assert self.server is not None
        for message in self.held:
            self.server.send(message)
        self.held.clear()


def test_signup_typed_before_the_page_is_ready_is_kept_and_submitted(app: Page, app_server: str):
    socket = HeldSocket()
    app.route_web_socket(re.compile(r".*/_event.*"), socket.route)
    app.goto(app_server + routes.SIGNUP)
    email = f"early{time.time_ns()}@example.com"
    fields = {"name": "Early Bird", "org_name": "Dawn Labs", "email": email, "password": "early bird pw"}
    for field, value in fields.items():
        app.locator(f"#field-{field}").fill(value)
    expect(app.locator("#app-ready")).to_have_count(0)  # typed before the page was ready

    socket.release()
    app.wait_for_selector("#app-ready", state="attached")
    for field, value in fields.items():
        expect(app.locator(f"#field-{field}")).to_have_value(value)
    app.get_by_role("button", name="Create account").click()
    app.wait_for_url("**/billing")
    expect(app.get_by_test_id("account-menu")).to_be_visible()
