"""Reflex configuration. HOST, PORT and REDIS_URL come from the app's Settings."""

import reflex as rx

from billing_app.config import get_settings

settings = get_settings()

config = rx.Config(
    app_name="billing_app",
    frontend_port=settings.port,
    backend_port=settings.port,
    backend_host=settings.host,
    api_url=f"http://{settings.host}:{settings.port}",
    deploy_url=settings.base_url,
    redis_url=settings.redis_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
