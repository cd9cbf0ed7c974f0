"""index cases by household (need to know)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 11:30:00

Need to know asks, for every resident read, whether the caller's department holds an open task
on a case of the resident's household: without this index that is a scan of all cases.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_household_id", "cases", ["household_id"])


def downgrade() -> None:
    op.drop_index("ix_cases_household_id", table_name="cases")
