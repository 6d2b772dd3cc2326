"""The REST application; Reflex mounts its own backend inside it (api_transformer)."""

from __future__ import annotations

from fastapi import FastAPI

from billing_app.api import auth, billing
from billing_app.api.errors import install_error_handlers


def create_api() -> FastAPI:
    api = FastAPI(
        title="billing_app API",
        version="1.0.0",
        description="Prepaid credits for an LLM API router: accounts, top-ups, ledger, metering.",
    )
    install_error_handlers(api)
    for router in (auth.router, billing.router):
        api.include_router(router)
    return api
