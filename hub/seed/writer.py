"""Bulk writing of seeded rows: executemany batches on SQLite, COPY on PostgreSQL (asyncpg
`copy_records_to_table`), one transaction per batch; plus the emptiness check, the reset, the
sequence fix-up after explicit ids and the completion marker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.db import models
from hub.db.base import Base

# Every table the seed fills, parents before children.
SEEDED_TABLES: tuple[Table, ...] = tuple(
    Base.metadata.tables[model.__tablename__]
    for model in (
        models.Division, models.ServiceItem, models.Household, models.Resident,
        models.HouseholdMember, models.ProxyPoint, models.CivilAffairsAssistant,
        models.StaffPost, models.TrainingRecord, models.FundingAllocation, models.Case,
        models.ApprovalTask, models.CaseEvent, models.Entitlement, models.Payment,
    )
)  # fmt: skip
MARKER_SUBJECT = "mzhub-seed"
MARKER_OPERATION = "seed"
SQLITE_BATCH = 5_000
COPY_BATCH = 20_000

Row = Sequence[object]
Advance = Callable[[int], None]


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


def reset_tables() -> list[Table]:
    """The seeded tables plus every table that references one of them, children first."""
    chosen = set(SEEDED_TABLES)
    changed = True
    while changed:
        changed = False
        for table in Base.metadata.sorted_tables:
            if table not in chosen and any(fk.column.table in chosen for fk in table.foreign_keys):
                chosen.add(table)
                changed = True
    return [t for t in reversed(Base.metadata.sorted_tables) if t in chosen]


class Writer:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    async def nonempty_tables(self) -> list[str]:
        """The seeded tables that already hold rows."""
        found: list[str] = []
        async with self.engine.connect() as conn:
            for table in SEEDED_TABLES:
                if (await conn.execute(select(1).select_from(table).limit(1))).first():
                    found.append(table.name)
        return found

    async def completed_seed(self) -> dict[str, Any] | None:
        """The report a finished seed recorded, or None."""
        table = _table(models.IdempotencyRecord)
        query = select(table.c.result).where(
            table.c.subject == MARKER_SUBJECT, table.c.operation == MARKER_OPERATION
        )
        async with self.engine.connect() as conn:
            result = (await conn.execute(query)).scalar_one_or_none()
        return dict(result) if result else None

    async def reset(self) -> None:
        """Empty the seeded tables (and their dependants) in one transaction."""
        tables = reset_tables()
        marker = _table(models.IdempotencyRecord)
        async with self.engine.begin() as conn:
            if self.postgres:
                names = ", ".join(f'"{t.name}"' for t in tables)
                await conn.execute(text(f"TRUNCATE TABLE {names} RESTART IDENTITY"))
            else:
                for table in tables:
                    await conn.execute(delete(table))
            await conn.execute(delete(marker).where(marker.c.subject == MARKER_SUBJECT))

    async def insert(
        self, table: Table, columns: Sequence[str], rows: Sequence[Row], advance: Advance
    ) -> None:
        """Insert `rows` (tuples in `columns` order) in batches, one transaction each."""
        size = COPY_BATCH if self.postgres else SQLITE_BATCH
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            if self.postgres:
                async with self.engine.connect() as conn:
                    raw = (await conn.get_raw_connection()).driver_connection
                    assert raw is not None
                    async with raw.transaction():
                        await raw.copy_records_to_table(
                            table.name, records=batch, columns=list(columns)
                        )
            else:
                params = [dict(zip(columns, row, strict=True)) for row in batch]
                async with self.engine.begin() as conn:
                    await conn.execute(insert(table), params)
            advance(len(batch))

    async def mark_deceased(self, deaths: Sequence[tuple[int, object]]) -> None:
        if not deaths:
            return
        table = _table(models.Resident)
        statement = (
            update(table)
            .where(table.c.id == bindparam("resident_id"))
            .values(deceased_on=bindparam("day"))
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement, [{"resident_id": i, "day": d} for i, d in deaths])

    async def finish(self, report: dict[str, Any], at: datetime) -> None:
        """Move PostgreSQL sequences past the explicit ids, refresh planner statistics, and
        record completion (the marker a later run checks)."""
        async with self.engine.begin() as conn:
            if self.postgres:
                for table in SEEDED_TABLES:
                    if "id" not in table.c:
                        continue
                    await conn.execute(
                        select(
                            func.setval(
                                func.pg_get_serial_sequence(table.name, "id"),
                                func.coalesce(func.max(table.c.id), 0) + 1,
                                False,
                            )
                        ).select_from(table)
                    )
            marker = _table(models.IdempotencyRecord)
            await conn.execute(delete(marker).where(marker.c.subject == MARKER_SUBJECT))
            await conn.execute(
                insert(marker).values(
                    subject=MARKER_SUBJECT,
                    operation=MARKER_OPERATION,
                    key=f"residents={report['residents']};seed={report['seed']}",
                    result=report,
                    created_at=at,
                )
            )
        if self.postgres:
            async with self.engine.begin() as conn:
                for table in SEEDED_TABLES:
                    await conn.execute(text(f'ANALYZE "{table.name}"'))
