"""webhook raw body as bytes, and the signature beside it: a stored event can be re-verified

Until now the body was decoded with errors="replace" before it was stored, so a delivery
that was not valid UTF-8 lost the exact bytes Razorpay signed, and the signature header was
not kept at all. Existing rows are carried over as their text's UTF-8 encoding (exactly the
bytes received whenever those were valid UTF-8), with no signature (NULL).

Revision ID: 0005_webhook_raw_bytes
Revises: 0004_job_lease
Create Date: 2026-12-03 18:20:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel

from alembic import op


revision: str = '0005_webhook_raw_bytes'
down_revision: str | None = '0004_job_lease'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite: batch mode copies the table with CAST(raw_body AS BLOB), the text's UTF-8 bytes.
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        _retype_raw_body(batch_op, sa.Text(), sa.LargeBinary(), "convert_to(raw_body, 'UTF8')")
        batch_op.add_column(sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))


def downgrade() -> None:
    # Back to text. PostgreSQL refuses a body that is not valid UTF-8 (convert_from raises)
    # rather than lose its bytes; SQLite keeps the bytes in a TEXT column as they are.
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.drop_column('signature')
        _retype_raw_body(batch_op, sa.LargeBinary(), sa.Text(), "convert_from(raw_body, 'UTF8')")


def _retype_raw_body(batch_op: Any, old: sa.types.TypeEngine[Any], new: sa.types.TypeEngine[Any], using: str) -> None:
    batch_op.alter_column(
        'raw_body', existing_type=old, type_=new, existing_nullable=False, postgresql_using=using
    )
