"""audit log append-only on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:00:00

PostgreSQL refuses UPDATE, DELETE and TRUNCATE on audit_events and audit_checkpoints with a
statement-level trigger, for every role that does not disable triggers (keep the hub's runtime
role from owning these tables: an owner or superuser can still disable them).

SQLite, the embedded single-user default, has no such guard: whoever holds the file can edit
it, so there `mzhub audit verify` (hash chain plus signed checkpoints) is what detects changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("audit_events", "audit_checkpoints")

REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: verification, not the database, guards the log (see above)
    op.execute(REFUSE_CHANGE)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only "
            f"BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
