"""Reflex configuration. HOST, PORT and REDIS_URL come from the app's Settings."""

import os

import reflex as rx

from billing_app.config import get_settings

settings = get_settings()
# `make dev` serves the backend on its own port beside the hot-reloading frontend;
# in production (`make run`) pages, API and websocket share PORT.
backend_port = int(os.environ.get("DEV_BACKEND_PORT") or settings.port)

config = rx.Config(
    app_name="billing_app",
    frontend_port=settings.port,
    backend_port=backend_port,
    backend_host=settings.host,
    api_url=f"http://{settings.host}:{backend_port}",
    deploy_url=settings.base_url,
    redis_url=settings.redis_url,
    trusted_proxy_hops=settings.trusted_proxy_hops,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
