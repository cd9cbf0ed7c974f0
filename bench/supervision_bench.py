"""Benchmark: `supervision` at the region level over a seeded region on PostgreSQL.

    .venv/bin/python bench/supervision_bench.py --residents 100000
    (PostgreSQL from HUB_BENCH_POSTGRES_URL or HUB_TEST_POSTGRES_URL; a database
    `mzhub_bench_supervision` is created there, seeded once, and kept for reruns: --reseed
    starts it over.)

Prints the seeding time, then the wall time of the whole GraphQL request (auth, resolvers,
SQL aggregates, audit write) for the region, a city and a county: first call and the median
of the following ones. The target is under one second at the region level.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.app import create_app  # noqa: E402
from hub.auth.tokens import issue_access_token  # noqa: E402
from hub.config import Settings  # noqa: E402
from hub.db.migrate import upgrade  # noqa: E402
from hub.domain.clock import FixedClock  # noqa: E402
from hub.seed.runner import database_is_seeded, run_seed  # noqa: E402

DATABASE = "mzhub_bench_supervision"
QUERY = """query($c: String!) { supervision(divisionCode: $c, year: 2026) {
  division { code name } hasData overdueCases casesSubmitted
  noVisitRate { value met } proxyPointCoverage { value met } assistantCoverage { value met }
  postCoverage { value met } trainingCompliance { value met } fundingCompliance { value met }
  fundingShortfalls { division { code } shortfall } averageHandlingDays { itemCode averageDays }
  misses { division { code } indicator value }
  children { division { code name } hasData overdueCases noVisitRate { value met }
    proxyPointCoverage { value met } assistantCoverage { value met } postCoverage { value met }
    trainingCompliance { value met } fundingCompliance { value met } } } }"""


def database_url(reseed: bool) -> str:
    base = os.environ.get("HUB_BENCH_POSTGRES_URL") or os.environ.get("HUB_TEST_POSTGRES_URL")
    if not base:
        sys.exit("set HUB_BENCH_POSTGRES_URL (or HUB_TEST_POSTGRES_URL) to a PostgreSQL URL")
    admin = create_engine(
        make_url(base).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DATABASE}
        ).first()
        if exists and reseed:
            conn.execute(text(f'DROP DATABASE "{DATABASE}" WITH (FORCE)'))
        if not exists or reseed:
            conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return make_url(base).set(database=DATABASE).render_as_string(hide_password=False)


async def seed_once(url: str, residents: int, seed: int) -> None:
    upgrade(url)
    if await database_is_seeded(url):
        print(f"database {DATABASE} already seeded (use --reseed to start over)")
        return
    started = time.perf_counter()
    report = await run_seed(url, residents, seed)
    cases = report.counts.get("cases", 0)
    seconds = time.perf_counter() - started
    print(f"seeded {residents:,} residents, {cases:,} cases in {seconds:.1f} s")


async def measure(url: str, runs: int) -> None:
    with tempfile.TemporaryDirectory() as keys:
        settings = Settings(database_url=url, keys_dir=Path(keys))
        app = create_app(settings, clock=FixedClock(datetime(2026, 11, 20, 2, tzinfo=UTC)))
        services = app.state.services
        token, _ = issue_access_token(
            services.keys, settings, services.clock, subject="bench", client_id="bench",
            department="civil_affairs", division="640000000000", roles=["supervisor"],
            scopes=["supervision:read"], ttl_seconds=3600,
        )  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for code, label in (("640000000000", "region"), ("640100000000", "city"),
                                ("640104000000", "county")):  # fmt: skip
                times = []
                for _ in range(runs + 1):
                    started = time.perf_counter()
                    response = await client.post(
                        "/graphql", json={"query": QUERY, "variables": {"c": code}},
                        headers=headers,
                    )  # fmt: skip
                    times.append(time.perf_counter() - started)
                    body = response.json()
                    assert "errors" not in body, body
                figures = body["data"]["supervision"]
                print(
                    f"{label:<7} {code}: first {times[0] * 1000:7.1f} ms, median of {runs} "
                    f"{statistics.median(times[1:]) * 1000:7.1f} ms "
                    f"({figures['casesSubmitted']:,} cases in 2026, "
                    f"{len(figures['children'])} children)"
                )
        await services.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    url = database_url(args.reseed)
    asyncio.run(seed_once(url, args.residents, args.seed))
    asyncio.run(measure(url, args.runs))


if __name__ == "__main__":
    main()
