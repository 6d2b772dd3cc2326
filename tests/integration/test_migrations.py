"""The committed Alembic revisions build exactly the schema the models describe."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from alembic import command
from billing_app.db import make_engine
from billing_app.migrate import alembic_config, upgrade_to_head
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


def empty_postgres() -> str:
    url = require_postgres()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def test_postgres_upgrade_from_empty_matches_models():
    assert _diff_after_upgrade(empty_postgres()) == []


def test_upgrade_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_to_head(url)
    upgrade_to_head(url)


def _webhook_body_carried_over(url: str) -> None:
    """0005 turns the stored text bodies into bytes, keeping every row (and back again)."""
    config = alembic_config(url)
    command.upgrade(config, "0004_job_lease")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO webhook_event (event_id, event_type, raw_body, signature_ok, received_at)"
                " VALUES ('evt_Old', 'payment.failed', :body, true, CURRENT_TIMESTAMP)"
            ),
            {"body": '{"event": "payment.failed", "note": "café ₹"}'},
        )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        body, signature = conn.execute(sa.text("SELECT raw_body, signature FROM webhook_event")).one()
    assert bytes(body) == '{"event": "payment.failed", "note": "café ₹"}'.encode() and signature is None
    command.downgrade(config, "0004_job_lease")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT raw_body FROM webhook_event")).scalar_one() == (
            '{"event": "payment.failed", "note": "café ₹"}'
        )
    engine.dispose()


def test_sqlite_webhook_bodies_become_bytes(tmp_path):
    _webhook_body_carried_over(f"sqlite:///{tmp_path / 'm.db'}")


def test_postgres_webhook_bodies_become_bytes():
    _webhook_body_carried_over(empty_postgres())
