"""The REST application; Reflex mounts its own backend inside it (api_transformer)."""

from __future__ import annotations

from fastapi import FastAPI

from billing_app.api import (
    account,
    addresses,
    alerts,
    audit,
    auth,
    autotopup,
    billing,
    health,
    invoices,
    keys,
    members,
    metering,
    orgs,
    payments,
    receipts,
    usage,
    webhooks,
)
from billing_app.api.admin import attention as admin_attention
from billing_app.api.admin import catalog as admin_catalog
from billing_app.api.admin import gst as admin_gst
from billing_app.api.admin import hidden
from billing_app.api.admin import lists as admin_lists
from billing_app.api.admin import manual as admin_manual
from billing_app.api.admin import orgs as admin_orgs
from billing_app.api.admin import overview as admin_overview
from billing_app.api.admin import refunds as admin_refunds
from billing_app.api.errors import install_error_handlers
from billing_app.config import get_settings

SANDBOX_PATH = "/sandbox/razorpay"


def create_api(*, mount_sandbox: bool | None = None) -> FastAPI:
    """The API; in sandbox mode (no Razorpay keys) the Razorpay emulator is mounted at
    /sandbox/razorpay, delivering its webhooks to this app over HTTP."""
    api = FastAPI(
        title="billing_app API",
        version="1.0.0",
        description="Prepaid credits for an LLM API router: accounts, top-ups, ledger, metering.",
    )
    install_error_handlers(api)
    metering.mount_hot_path(api)
    for router in (auth.router, billing.router, addresses.router, payments.router, receipts.router, webhooks.router):
        api.include_router(router)
    for router in (keys.router, usage.router, metering.router, alerts.router, account.router, audit.router):
        api.include_router(router)
    api.include_router(autotopup.router)  # the mandate, the rule, the dry run
    api.include_router(invoices.router)  # GST tax invoices and credit notes
    api.include_router(members.router)
    api.include_router(members.accept_router)
    api.include_router(orgs.router)  # a person's orgs, and switching between them
    api.include_router(health.router)  # GET /ready, no auth
    # the console (staff only; 404 to everyone else): overview and its lists, orgs, money, payments, catalog
    for router in (
        admin_overview.router,
        admin_lists.router,
        admin_orgs.router,
        admin_manual.router,
        admin_refunds.router,
        admin_attention.router,
        admin_catalog.router,
        admin_gst.router,
    ):
        api.include_router(router)
    settings = get_settings()
    if settings.sandbox_mode if mount_sandbox is None else mount_sandbox:
        from billing_app.sandbox import create_sandbox_app, namespace_for

        api.mount(
            SANDBOX_PATH,
            create_sandbox_app(
                key_id=settings.key_id,
                key_secret=settings.key_secret.get_secret_value(),
                webhook_secret=settings.webhook_secret.get_secret_value(),
                webhook_url=f"{settings.base_url}/webhooks/razorpay",
                # several workers (REDIS_URL) are one emulator: its records in Redis
                shared_redis_url=settings.redis_url,
                shared_namespace=namespace_for(settings.database_url),
            ),
        )
    hidden.hide_the_rest(api)  # keep last: anything else under /admin is 404 (api/admin/hidden.py)
    return api
