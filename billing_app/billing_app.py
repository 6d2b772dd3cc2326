"""Builds the app: pages, the REST API and (in sandbox mode) the Razorpay emulator."""

from __future__ import annotations

import reflex as rx
from fastapi import FastAPI
from starlette.types import ASGIApp

from billing_app import routes
from billing_app.api.app import create_api
from billing_app.components.console_frame import console_title
from billing_app.components.not_found import not_found
from billing_app.config import get_settings
from billing_app.front_door import ApiFirst
from billing_app.jobs.autotopup import autotopup_loop
from billing_app.jobs.holds import hold_expiry_loop, wal_checkpoint_loop
from billing_app.jobs.outbox import outbox_loop
from billing_app.jobs.reconciler import reconciler_loop
from billing_app.pages.account_links import (
    ResetPasswordState,
    VerifyEmailState,
    forgot_password_page,
    reset_password_page,
    verify_email_page,
)
from billing_app.pages.activity import ActivityState, activity_page
from billing_app.pages.autotopup import autotopup_page
from billing_app.pages.billing import billing_page
from billing_app.pages.billing_address import billing_address_page
from billing_app.pages.console_approvals import console_approvals_page
from billing_app.pages.console_attention import console_attention_page
from billing_app.pages.console_catalog import console_prices_page, console_promos_page
from billing_app.pages.console_lists import console_list_page
from billing_app.pages.console_org import console_org_page
from billing_app.pages.console_orgs import console_orgs_page
from billing_app.pages.console_overview import console_overview_page
from billing_app.pages.dashboard import DashboardState, dashboard_page
from billing_app.pages.gst_document import GstDocumentState, credit_note_page, invoice_page
from billing_app.pages.invitation import InvitationState, invitation_page
from billing_app.pages.keys import keys_page
from billing_app.pages.login import LoginState, login_page
from billing_app.pages.members import members_page
from billing_app.pages.models import ModelsState, models_page
from billing_app.pages.receipt import ReceiptState, receipt_page
from billing_app.pages.security import SecurityState, security_page
from billing_app.pages.settings import SettingsState, settings_page
from billing_app.pages.signup import signup_page
from billing_app.pages.usage import UsageState, usage_page
from billing_app.services.pricing import load_catalog
from billing_app.state.address_form import AddressState
from billing_app.state.address_summary import AddressSummaryState
from billing_app.state.autotopup import AutoTopupState
from billing_app.state.console_approvals import ConsoleApprovalsState
from billing_app.state.console_attention import ConsoleAttentionState
from billing_app.state.console_catalog import ConsolePricesState, ConsolePromosState
from billing_app.state.console_lists import ConsoleListState
from billing_app.state.console_orgs import ConsoleOrgState, ConsoleSearchState
from billing_app.state.console_overview import ConsoleOverviewState
from billing_app.state.gst_documents import DocumentsState
from billing_app.state.history import HistoryState
from billing_app.state.keys import KeysState
from billing_app.state.members import MembersState
from billing_app.state.session import SessionState
from billing_app.state.topup import TopupState


class BillingApp(rx.App):
    """Reflex's app, served behind front_door.ApiFirst (API requests skip Reflex's layers)."""

    def __call__(self) -> ASGIApp:
        reflex = super().__call__()  # also mounts Reflex's app inside the API (api_transformer)
        assert isinstance(self.api_transformer, FastAPI)
        return ApiFirst(api=self.api_transformer, reflex=reflex)


app = BillingApp(
    api_transformer=create_api(),
    stylesheets=["/print.css"],
    head_components=[rx.el.script(src="/checkout.js")],  # the Razorpay Checkout bridge (state/topup.py)
)
app.register_lifespan_task(load_catalog)  # once at startup: the model catalog file → model_price
if get_settings().background_jobs:
    app.register_lifespan_task(reconciler_loop)
    app.register_lifespan_task(hold_expiry_loop)
    app.register_lifespan_task(wal_checkpoint_loop)
    app.register_lifespan_task(outbox_loop)
    app.register_lifespan_task(autotopup_loop)

_signed_in = SessionState.require_session
app.add_page(
    login_page,
    route=routes.LOGIN,
    title="Sign in · billing_app",
    on_load=[SessionState.redirect_if_signed_in, LoginState.read_next],
)
app.add_page(
    signup_page, route=routes.SIGNUP, title="Sign up · billing_app", on_load=SessionState.redirect_if_signed_in
)
app.add_page(
    verify_email_page, route=routes.VERIFY_EMAIL, title="Verify your email · billing_app", on_load=VerifyEmailState.load
)
app.add_page(forgot_password_page, route=routes.FORGOT_PASSWORD, title="Forgot password · billing_app")
app.add_page(
    reset_password_page,
    route=routes.RESET_PASSWORD,
    title="New password · billing_app",
    on_load=ResetPasswordState.load,
)
app.add_page(
    dashboard_page, route=routes.DASHBOARD, title="Dashboard · billing_app", on_load=[_signed_in, DashboardState.load]
)
app.add_page(
    billing_page,
    route=routes.BILLING,
    title="Billing · billing_app",
    on_load=[_signed_in, HistoryState.load, AddressSummaryState.load, DocumentsState.load, TopupState.load],
)
app.add_page(
    billing_address_page,
    route=routes.BILLING_ADDRESS,
    title="Billing address · billing_app",
    on_load=[_signed_in, AddressState.load],
)
app.add_page(receipt_page, route=routes.RECEIPT, title="Receipt · billing_app", on_load=[_signed_in, ReceiptState.load])
app.add_page(
    invoice_page,
    route=routes.INVOICE,
    title="Tax invoice · billing_app",
    on_load=[_signed_in, GstDocumentState.load_invoice],
)
app.add_page(
    credit_note_page,
    route=routes.CREDIT_NOTE,
    title="Credit note · billing_app",
    on_load=[_signed_in, GstDocumentState.load_credit_note],
)
app.add_page(usage_page, route=routes.USAGE, title="Usage · billing_app", on_load=[_signed_in, UsageState.load])
app.add_page(keys_page, route=routes.KEYS, title="API keys · billing_app", on_load=[_signed_in, KeysState.load])
app.add_page(models_page, route=routes.MODELS, title="Models · billing_app", on_load=[_signed_in, ModelsState.load])
app.add_page(
    settings_page, route=routes.SETTINGS, title="Settings · billing_app", on_load=[_signed_in, SettingsState.load]
)
app.add_page(
    autotopup_page,
    route=routes.AUTO_TOPUP,
    title="Auto top-up · billing_app",
    on_load=[_signed_in, AutoTopupState.load],
)
app.add_page(
    security_page, route=routes.SECURITY, title="Security · billing_app", on_load=[_signed_in, SecurityState.load]
)
app.add_page(
    activity_page, route=routes.ACTIVITY, title="Activity · billing_app", on_load=[_signed_in, ActivityState.load]
)
app.add_page(members_page, route=routes.MEMBERS, title="Members · billing_app", on_load=[_signed_in, MembersState.load])
app.add_page(invitation_page, route=routes.INVITATION, title="Invitation · billing_app", on_load=InvitationState.load)

# The operator console: staff only; to anyone else each page shows what an unknown path shows
# (components/not_found.py, also the app's 404 page), and the server answers 404 (front_door.py).
app.add_page(not_found, route="404")
_staff = SessionState.check_staff
for page, route, title, load in (
    (console_overview_page, routes.CONSOLE, "Overview", ConsoleOverviewState.load),
    (console_list_page, routes.CONSOLE_LIST, "Overview list", ConsoleListState.load),
    (console_orgs_page, routes.CONSOLE_ORGS, "Orgs", ConsoleSearchState.load),
    (console_org_page, routes.CONSOLE_ORG, "Org", ConsoleOrgState.load),
    (console_approvals_page, routes.CONSOLE_APPROVALS, "Approvals", ConsoleApprovalsState.load),
    (console_attention_page, routes.CONSOLE_ATTENTION, "Attention", ConsoleAttentionState.load),
    (console_promos_page, routes.CONSOLE_PROMOS, "Promo codes", ConsolePromosState.load),
    (console_prices_page, routes.CONSOLE_PRICES, "Prices", ConsolePricesState.load),
):
    app.add_page(page, route=route, title=console_title(title), on_load=[_staff, load])
