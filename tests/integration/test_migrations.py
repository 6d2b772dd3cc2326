"""The committed Alembic revisions build exactly the schema the models describe."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from billing_app.db import make_engine
from billing_app.migrate import upgrade_to_head
from tests.conftest import require_postgres


def _diff_after_upgrade(url: str) -> list:
    upgrade_to_head(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return diff


def test_sqlite_upgrade_from_empty_matches_models(tmp_path):
    assert _diff_after_upgrade(f"sqlite:///{tmp_path / 'm.db'}") == []


def test_postgres_upgrade_from_empty_matches_models():
    url = require_postgres()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    assert _diff_after_upgrade(url) == []


def test_upgrade_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_to_head(url)
    upgrade_to_head(url)
