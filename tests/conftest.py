"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL where marked),
the REST API in-process, and factories in tests/factories.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import billing_app.models  # noqa: F401  (registers the tables)
from billing_app.context import reset_context
from billing_app.db import make_engine
from billing_app.services import actors
from billing_app.services.rate_limit import clear_counts

# Under `pytest -n N` (make test) each worker process ("gw0", "gw1" …) has a PostgreSQL database
# and a Redis database of its own, so the workers never empty each other's tables or keys.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _for_this_worker(url: str, *, database_is_number: bool = False) -> str:
    if not WORKER:
        return url
    base, _, name = url.rpartition("/")
    if database_is_number:
        return f"{base}/{int(name or 0) + int(WORKER.removeprefix('gw'))}"
    return f"{base}/{name}_{WORKER}"


POSTGRES_URL = _for_this_worker(os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
REDIS_URL = _for_this_worker(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), database_is_number=True)

# Tests never read a developer's .env or talk to real Razorpay.
for _name in ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET", "RAZORPAY_BASE_URL", "SMTP_HOST"):
    os.environ.pop(_name, None)
os.environ["BACKGROUND_JOBS"] = "false"
# Thousands of accounts: argon2 at test strength (APP_ENV=prod refuses it).
os.environ["PASSWORD_HASH_STRENGTH"] = "fast"


def _create_worker_database() -> None:
    """This worker's database beside TEST_POSTGRES_URL's, made on its first use."""
    server = make_url(POSTGRES_URL)
    engine = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": server.database})
            if exists.first() is None:
                conn.execute(sa.text(f'CREATE DATABASE "{server.database}"'))
    finally:
        engine.dispose()


def postgres_available() -> bool:
    try:
        if WORKER:
            _create_worker_database()
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


_PG_OK: bool | None = None


def require_postgres() -> str:
    global _PG_OK
    if _PG_OK is None:
        _PG_OK = postgres_available()
    if not _PG_OK:
        missing_service(f"PostgreSQL is not reachable at {POSTGRES_URL} (set TEST_POSTGRES_URL to run these tests)")
    return POSTGRES_URL


def missing_service(reason: str) -> None:
    """Skip on a laptop without the service; in CI (`CI` set, as .ci/run does) fail instead:
    a run that skipped the PostgreSQL and Redis tests has not checked what it claims."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must have it", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `pytest -n N --dist loadgroup` the browser tests share one worker, and so one running
    app and one frontend build; the other tests spread over the workers."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(autouse=True)
def nobody_acting() -> Iterator[None]:
    """Each test starts with no request acting (the system), whatever an earlier one set."""
    with actors.acting_as(actors.SYSTEM):
        yield


def _use_database(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", url)
    reset_context()
    clear_counts()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with every table, made once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "billing.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()  # the last connection closing folds the WAL into the file
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    shutil.copyfile(sqlite_template, tmp_path / "billing.db")
    url = _use_database(f"sqlite:///{tmp_path / 'billing.db'}", monkeypatch)
    yield url
    reset_context()


_TABLES = frozenset(SQLModel.metadata.tables)


def reset_postgres_schema(url: str) -> None:
    """Every table empty and every id counting from 1 again. When the schema is exactly the
    models' tables, deleting the rows is enough (much cheaper than recreating ~30 tables for every
    test); after a test that ran migrations or dropped the schema, it is rebuilt."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            present = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            if set(present.scalars()) == _TABLES:
                _delete_every_row(conn)
                return
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        SQLModel.metadata.create_all(engine)
    finally:
        engine.dispose()


def _delete_every_row(conn: sa.Connection) -> None:
    for table in reversed(SQLModel.metadata.sorted_tables):  # children before the rows they name
        conn.execute(table.delete())
    used = conn.execute(
        sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL")
    ).scalars()
    for sequence in list(used):
        conn.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture
def postgres_db(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = require_postgres()
    reset_postgres_schema(url)
    _use_database(url, monkeypatch)
    yield url
    reset_context()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL (skipped when absent)."""
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture
def db(sqlite_db: str) -> str:
    """The default: a fresh SQLite database."""
    return sqlite_db
