"""store the audit log's resource lists as text PostgreSQL does not parse (PostgreSQL)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 17:55:00

Every read writes an event whose resource list is 10-20 KB of JSON. The `json` type parsed each
list to validate it: about 150 of the 330-500 microseconds an insert cost on the benchmark
machine. The hub writes these lists itself and the hash chain checks them, so they are stored
as text (decision 0064); the hub reads them back as JSON as before. The change of type rewrites
the table (it holds the lock for as long as that takes) and resets the column's compression,
which is set to lz4 again where the server has it. SQLite keeps its JSON column.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _has_lz4() -> bool:
    found = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'"
        " AND 'lz4' = ANY(enumvals)"
    )
    return found.first() is not None


def _retype(target: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE audit_events ALTER COLUMN resources TYPE {target} USING resources::{target}"
    )
    if _has_lz4():
        op.execute("ALTER TABLE audit_events ALTER COLUMN resources SET COMPRESSION lz4")


def upgrade() -> None:
    _retype("text")


def downgrade() -> None:
    _retype("json")
