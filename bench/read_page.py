"""Read-path benchmark: a resident page with policy on/off and audit on/off.

Seeds a database (PostgreSQL by default), then sends the same GraphQL page query through the
ASGI app in-process, sequentially, and prints latency figures per configuration:

    .venv/bin/python bench/read_page.py --residents 20000 --page 100 --rounds 200
    .venv/bin/python bench/read_page.py --sqlite      # the embedded default instead

"policy off" loads a policy that names no field (everything FULL); "audit off" replaces the
audit recorder with a no-op in this process only. Neither switch exists in the hub itself.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from hub.app import create_app
from hub.auth.tokens import issue_access_token
from hub.config import Hardening, Settings
from hub.db.migrate import upgrade
from hub.seed import run_seed

QUERY = """query Page($n: Int) { residents(first: $n, filter: {divisionCode: "640104"}) {
  edges { node { id name idNumber phone address bankAccount monthlyIncome healthCondition
    household { size members { relation resident { name } } }
    cases { caseNumber status approvalTasks { department status } }
    entitlements { monthlyAmount payments(last: 12) { period amount } } } } } }"""

OPEN_POLICY = """version: "bench-open"
callers:
  anyone: {levels: [REGION, VILLAGE]}
rules:
  - {rule: everything_full, field: Resident.name, who: anyone, grant: FULL}
"""


def fresh_postgres() -> tuple[str, str]:
    name = f"mzhub_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def drop_postgres(name: str) -> None:
    admin = create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def measure(url: str, workdir: Path, *, policy: bool, audit: bool, page: int,
                  rounds: int, role: str) -> dict[str, float]:
    policy_file = None
    if not policy:
        policy_file = workdir / "open-policy.yaml"
        policy_file.write_text(OPEN_POLICY, encoding="utf-8")
    # A partner system pulling 100-resident pages gets a larger per-client budget in production
    # (HUB_CLIENT_LIMITS); here the budget is raised and the per-minute limit switched off.
    settings = Settings(
        database_url=url,
        keys_dir=workdir / "keys",
        policy_file=policy_file,
        hardening=Hardening(cost_budget=100_000, cost_per_minute=0),
    )
    app = create_app(settings)
    services = app.state.services
    import hub.resolvers.audit_operation as audit_operation

    original = audit_operation.record_standalone
    if not audit:
        async def skip(*args: Any, **kwargs: Any) -> None:
            return None

        audit_operation.record_standalone = skip  # type: ignore[assignment]
    department, division, roles = {
        "county": ("civil_affairs", "640104000000", ["reviewer"]),
        "partner": ("public_security", "640104000000", ["partner"]),
    }[role]
    token, _ = issue_access_token(services.keys, settings, services.clock, subject="bench",
                                  client_id="bench", department=department, division=division,
                                  roles=roles, scopes=[])
    headers = {"Authorization": f"Bearer {token}"}
    body = {"query": QUERY, "variables": {"n": page}}
    timings: list[float] = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench") as client:
            for i in range(rounds + 10):
                started = time.perf_counter()
                response = await client.post("/graphql", json=body, headers=headers)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.text
                assert "errors" not in response.json(), response.text[:300]
                if i >= 10:  # warm-up
                    timings.append(elapsed * 1000)
    finally:
        audit_operation.record_standalone = original  # type: ignore[assignment]
        await services.engine.dispose()
    timings.sort()
    return {
        "mean": statistics.fmean(timings),
        "p50": timings[len(timings) // 2],
        "p99": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
        "rps": 1000 / statistics.fmean(timings),
        "bytes": len(response.content),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=20000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--role", choices=["county", "partner"], default="county")
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        pg_name = None
        if args.sqlite:
            url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        else:
            pg_name, url = fresh_postgres()
        try:
            upgrade(url)
            asyncio.run(run_seed(url, args.residents, 1))
            print(f"engine={'sqlite' if args.sqlite else 'postgresql'} residents="
                  f"{args.residents} page={args.page} rounds={args.rounds} role={args.role}")
            print(f"{'configuration':<26}{'mean ms':>9}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>8}"
                  f"{'bytes':>8}")
            for policy, audit in ((True, True), (False, True), (True, False), (False, False)):
                r = asyncio.run(measure(url, workdir, policy=policy, audit=audit,
                                        page=args.page, rounds=args.rounds, role=args.role))
                label = f"policy {'on' if policy else 'off'}, audit {'on' if audit else 'off'}"
                print(f"{label:<26}{r['mean']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
                      f"{r['rps']:>8.1f}{r['bytes']:>8.0f}")
        finally:
            if pg_name:
                drop_postgres(pg_name)


if __name__ == "__main__":
    main()
