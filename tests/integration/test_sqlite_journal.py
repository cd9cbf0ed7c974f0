"""SQLite files are served in WAL mode, and the first connections to a file that is not yet in
WAL mode do not trip over each other switching it."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config import Settings
from hub.db.engine import create_engine
from hub.db.migrate import upgrade


def journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def test_a_migrated_file_is_already_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    assert journal_mode(path) == "wal"


async def test_concurrent_first_connections_to_a_rollback_journal_file_all_open(
    tmp_path: Path,
) -> None:
    """Switching to WAL needs the write lock while holding a read lock, so SQLite answers the
    losers of that race "database is locked" at once, whatever the busy timeout. Within one
    engine the first connection runs alone; separate engines (processes, workers, the CLI
    beside the server) race: before the fix about one file in fifteen failed here."""
    template = tmp_path / "template.db"
    with sqlite3.connect(template) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    assert journal_mode(template) == "delete"

    async def first_queries(path: Path) -> list[int]:
        engines = [
            create_engine(Settings(database_url=f"sqlite+aiosqlite:///{path}")) for _ in range(8)
        ]

        async def one(engine: AsyncEngine) -> int:
            async with engine.connect() as conn:
                return int((await conn.execute(text("SELECT count(*) + 1 FROM t"))).scalar_one())

        try:
            return await asyncio.gather(*(one(engine) for engine in engines))
        finally:
            for engine in engines:
                await engine.dispose()

    for n in range(60):
        path = tmp_path / f"copy{n}.db"
        shutil.copyfile(template, path)
        assert await first_queries(path) == [1] * 8
        assert journal_mode(path) == "wal"
