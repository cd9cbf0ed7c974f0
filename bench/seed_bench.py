"""Seed benchmark: `mzhub seed` of 100,000 residents into a fresh PostgreSQL database.

Creates a database (user postgres on 127.0.0.1:5432 unless --admin-url says otherwise),
migrates it, seeds it, prints the elapsed time per phase and in total and the rows per table,
then drops the database (--keep leaves it for a look).

    .venv/bin/python bench/seed_bench.py [--residents 100000] [--seed 1] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import psycopg2  # type: ignore[import-untyped]
from psycopg2 import sql  # type: ignore[import-untyped]
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from hub.db.engine import sync_url
from hub.db.migrate import upgrade
from hub.seed import run_seed
from hub.seed.writer import SEEDED_TABLES

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _admin_execute(admin_url: str, statement: sql.Composable) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def create_database(admin_url: str, name: str) -> str:
    _admin_execute(admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    _admin_execute(admin_url, statement)


def row_counts(database_url: str) -> dict[str, int]:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            return {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in SEEDED_TABLES
            }
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    name = f"mzhub_seed_bench_{uuid.uuid4().hex[:8]}"
    url = create_database(args.admin_url, name)
    try:
        upgrade(url)
        phases: dict[str, float] = {}
        started = time.perf_counter()

        def progress(phase: str, done: int, total: int | None) -> None:
            phases.setdefault(phase, time.perf_counter())

        report = asyncio.run(run_seed(url, args.residents, args.seed, progress))
        elapsed = time.perf_counter() - started
        counts = row_counts(url)
    finally:
        if not args.keep:
            drop_database(args.admin_url, name)

    marks = [*phases.values(), started + elapsed]
    print(f"seed of {args.residents:,} residents (seed {args.seed}) into PostgreSQL")
    for (phase, began), ended in zip(phases.items(), marks[1:], strict=True):
        print(f"  {phase:<12} {ended - began:7.1f} s")
    print(f"  {'total':<12} {elapsed:7.1f} s  (run_seed's own figure {report.seconds:.1f} s)")
    width = max(len(n) for n in counts)
    for table, count in counts.items():
        print(f"  {table:<{width}} {count:>9,}")
    print(f"  {'all rows':<{width}} {sum(counts.values()):>9,}")
    if args.keep:
        print(f"kept database {name}: {url}")


if __name__ == "__main__":
    main()
