"""Alembic environment: the database is DATABASE_URL (or the URL a caller passes in)."""

from __future__ import annotations

from sqlmodel import SQLModel

import billing_app.models  # noqa: F401  (registers the tables)
from alembic import context
from billing_app.config import get_settings
from billing_app.db import make_engine

config = context.config


def run_migrations_online() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
