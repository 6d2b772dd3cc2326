"""Bring a database to the newest schema: `python -m billing_app.migrate`."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from billing_app.config import PROJECT_ROOT, get_settings


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["database_url"] = database_url or get_settings().database_url
    return config


def upgrade_to_head(database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), "head")


if __name__ == "__main__":
    upgrade_to_head()
    print("database is at the newest schema")
