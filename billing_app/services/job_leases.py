"""Leases in the database: which process does a piece of background work right now.

A lease is one `job_lease` row (name, holder, expires_at). `acquire` takes it with one
conditional statement — an UPDATE of a row that is expired (or already ours), else an
INSERT … ON CONFLICT DO NOTHING — so of any number of processes on any number of
machines exactly one gets it; on PostgreSQL the row lock serialises the UPDATEs (a loser
re-reads the row and finds it taken), on SQLite the write transaction is BEGIN IMMEDIATE
under the writer file lock. The holder renews it while it works and deletes it when done;
a holder that dies (kill -9, a lost machine) stops renewing, and the lease is free again
at `expires_at`.

Time is the database's: on PostgreSQL `now()` of the server, so machines with skewed
clocks agree on when a lease expires; SQLite lives on one machine, whose clock it uses.

Holder ids are `hostname:pid:random`, made once per process (again after a fork), so two
processes never share one, not even across a restart that reuses a pid.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from billing_app.db import read_session, write_session
from billing_app.models import JobLease
from billing_app.models.types import UTCDateTime, utcnow

_HOLDER: tuple[int, str] | None = None  # (pid, id): a forked child makes its own


def holder_id() -> str:
    """This process's holder id: `hostname:pid:random`."""
    global _HOLDER
    pid = os.getpid()
    if _HOLDER is None or _HOLDER[0] != pid:
        _HOLDER = (pid, f"{socket.gethostname()[:60]}:{pid}:{uuid.uuid4().hex[:12]}")
    return _HOLDER[1]


def claim_holder() -> str:
    """A holder id for one claim (this process's id plus a random part), for work that
    several threads of one process must not share, e.g. one webhook event."""
    return f"{holder_id()}/{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    expires_at: datetime


def db_now(session: Session) -> datetime:
    """The current time by the database's clock (PostgreSQL), or this machine's (SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(sa.select(sa.func.now())).scalar_one()  # type: ignore[no-any-return]
    return utcnow()


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(JobLease)


def acquire(name: str, *, seconds: float, holder: str | None = None) -> Lease | None:
    """Take the lease `name` for `seconds` when it is free, expired or already held by
    `holder` (then this renews it). None when another holder has it."""
    holder = holder or holder_id()
    with write_session() as session:
        now = db_now(session)
        expires_at = now + timedelta(seconds=seconds)
        since = sa.case(
            (col(JobLease.holder) == holder, col(JobLease.acquired_at)), else_=sa.literal(now, UTCDateTime())
        )
        taken = session.execute(
            sa.update(JobLease)
            .where(
                col(JobLease.name) == name,
                sa.or_(col(JobLease.expires_at) <= now, col(JobLease.holder) == holder),
            )
            .values(
                holder=holder,
                acquired_at=since,  # kept when the holder renews
                expires_at=expires_at,
            )
            .returning(col(JobLease.name))
        ).first()
        if taken is None:
            taken = session.execute(
                _insert(session)
                .values(name=name, holder=holder, acquired_at=now, expires_at=expires_at)
                .on_conflict_do_nothing(index_elements=["name"])
                .returning(col(JobLease.name))
            ).first()
    return Lease(name, holder, expires_at) if taken is not None else None


def renew(name: str, *, seconds: float, holder: str | None = None) -> Lease | None:
    """Push the expiry of a lease this holder has out to now + `seconds`. None when the
    lease is not (or no longer) this holder's: another took it over after it expired."""
    holder = holder or holder_id()
    with write_session() as session:
        now = db_now(session)
        expires_at = now + timedelta(seconds=seconds)
        renewed = session.execute(
            sa.update(JobLease)
            .where(col(JobLease.name) == name, col(JobLease.holder) == holder)
            .values(expires_at=expires_at)
            .returning(col(JobLease.name))
        ).first()
    return Lease(name, holder, expires_at) if renewed is not None else None


def release(name: str, *, holder: str | None = None) -> bool:
    """Give the lease up (only this holder's): the next `acquire` anywhere gets it at once."""
    with write_session() as session:
        return release_in(session, name, holder=holder)


def release_in(session: Session, name: str, *, holder: str | None = None) -> bool:
    """`release` inside the caller's transaction (with the write that finishes the work)."""
    gone = session.execute(
        sa.delete(JobLease)
        .where(col(JobLease.name) == name, col(JobLease.holder) == (holder or holder_id()))
        .returning(col(JobLease.name))
    ).first()
    return gone is not None


def current(name: str) -> Lease | None:
    """Who holds `name` and until when (expired leases included: nobody took them yet)."""
    with read_session() as session:
        row = session.exec(select(JobLease).where(col(JobLease.name) == name)).first()
    return Lease(row.name, row.holder, row.expires_at) if row is not None else None


def purge_expired(*, older_than_seconds: float = 3600) -> int:
    """Delete leases expired for a while: per-item claims whose holder died after finishing
    the work but before letting go. (An expired lease is free anyway; this only tidies.)"""
    with write_session() as session:
        cutoff = db_now(session) - timedelta(seconds=older_than_seconds)
        gone = session.execute(
            sa.delete(JobLease).where(col(JobLease.expires_at) <= cutoff).returning(col(JobLease.name))
        ).all()
    return len(gone)


# When the reconciler (jobs/reconciler.py) last finished a pass: a marker row, named here so
# the console's services can read it without importing the job.
RECONCILER_LAST_RUN = "reconciler:last_run"
# A marker row never expires: no `acquire` takes it and `purge_expired` leaves it alone.
_NEVER = datetime(9999, 1, 1, tzinfo=UTC)


def stamp(name: str) -> None:
    """Record that a piece of work just ran (here, by this process) in the row `name`, which
    is a marker rather than a lease: the console shows when the reconciler last finished a
    pass, whichever worker or CLI ran it, with no table of its own."""
    with write_session() as session:
        now = db_now(session)
        insert = _insert(session).values(name=name, holder=holder_id(), acquired_at=now, expires_at=_NEVER)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["name"], set_={"holder": insert.excluded.holder, "acquired_at": now}
            )
        )


def stamped(name: str) -> tuple[datetime, str] | None:
    """When the work `stamp`ed as `name` last ran and where (holder id); None if never."""
    with read_session() as session:
        row = session.exec(select(JobLease).where(col(JobLease.name) == name)).first()
    return (row.acquired_at, row.holder) if row is not None else None
