"""Leases that coordinate background work across app processes and machines.

One row per piece of work that must run in one place at a time: a loop ("reconciler",
"hold_sweep", "email_outbox") or one item ("webhook_event:42"). A holder takes the row
when it is free or its lease has expired, renews it while it works and deletes it when it
is done; a holder that dies simply stops renewing, and the row is free again at
`expires_at` (services/job_leases.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from billing_app.models.types import UTCDateTime, utcnow


class JobLease(SQLModel, table=True):
    __tablename__ = "job_lease"

    name: str = Field(primary_key=True, max_length=100)
    # hostname:pid:random of the process (plus /random for a per-item claim).
    holder: str = Field(max_length=200)
    acquired_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
