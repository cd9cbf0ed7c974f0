"""Which share of a realistic read mix the compiled path serves (and the rest, the resolvers).

Runs a weighted mix of the reads partner systems and portals make, through the app in-process
against the benchmark database of bench/compare.py (seeded, PostgreSQL), and prints per read
and in total how many root fields were compiled to one SQL statement:

    .venv/bin/python bench/query_mix.py [--database mzhub_bench_compare] [--repeat 3]

Every answer must be free of errors except where the mix asks for a denied field on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg2  # type: ignore[import-untyped]
from serve_hub import bench_settings

from hub.app import create_app
from hub.auth.tokens import issue_access_token
from hub.schema.ids import to_global_id

WORKDIR = Path(__file__).resolve().parent / ".work"
PAGE = """query Page($division: String!) { residents(first: 50, filter: {divisionCode: $division}) {
  edges { node { id name idNumber phone address
    cases { id caseNumber status submittedAt
      entitlement { id monthlyAmount payments(last: 12) { id period amount status } } } } } } }"""


@dataclass(frozen=True)
class Read:
    name: str
    who: str  # department
    weight: int
    query: str
    errors_expected: bool = False


def mix(sample: dict[str, Any]) -> list[Read]:
    township, resident, case_number = sample["township"], sample["resident"], sample["case"]
    return [
        Read("partner pulls a township page (cases, payments)", "human_resources", 30, PAGE),
        Read("civil affairs pulls the same page", "civil_affairs", 10, PAGE),
        Read(
            "portal lists residents (one page, resident fields)",
            "civil_affairs",
            10,
            'query { residents(first: 20, filter: {divisionCode: "%s"}) { totalCount'
            " pageInfo { hasNextPage endCursor } edges { cursor node { id name gender"
            " birthDate ethnicity flags { specialHardship leftBehindElder } } } } }" % township,
        ),
        Read(
            "finance checks amounts and accounts on a page",
            "finance",
            5,
            'query { residents(first: 50, filter: {divisionCode: "%s"}) { edges { node { id name'
            " bankAccount entitlements { monthlyAmount payments(last: 3) { period amount"
            " bankAccount status } } } } } }" % township,
        ),
        Read(
            "public security asks for a field it may not read",
            "public_security",
            5,
            'query { residents(first: 20, filter: {divisionCode: "%s"}) { edges { node { id'
            " idNumber address monthlyIncome cases { caseNumber } } } } }" % township,
            errors_expected=True,
        ),
        Read(
            "clerk opens a household (members)",
            "civil_affairs",
            10,
            'query { residents(first: 10, filter: {divisionCode: "%s"}) { edges { node { id'
            " household { size members { relation resident { name } } } } } } }" % township,
        ),
        Read(
            "one resident by id",
            "civil_affairs",
            10,
            'query { resident(id: "%s") { name idNumber cases { caseNumber status } } }'
            % to_global_id("Resident", resident),
        ),
        Read(
            "one case by number, with its tasks",
            "civil_affairs",
            10,
            'query { caseByNumber(caseNumber: "%s") { status approvalTasks { department'
            " status } } }" % case_number,
        ),
        Read(
            "a department's open tasks",
            "human_resources",
            5,
            "query { approvalTasks(first: 20, filter: {status: PENDING}) { edges { node {"
            " kind status dueDate case { caseNumber } } } } }",
        ),
        Read(
            "finance's payments of a month",
            "finance",
            5,
            'query { payments(first: 50, filter: {period: "%s"}) { edges { node { amount'
            " status } } } }" % sample["period"],
        ),
    ]


def sample_of(dsn: str) -> dict[str, Any]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT r.id, r.division_code, c.case_number FROM cases c"
            " JOIN residents r ON r.id = c.applicant_id"
            " JOIN entitlements e ON e.case_id = c.id ORDER BY c.id LIMIT 1"
        )
        resident, division, case_number = cur.fetchone()
        cur.execute("SELECT max(period) FROM payments")
        (period,) = cur.fetchone()
    return {
        "resident": resident,
        "township": division[:9] + "000",
        "case": case_number,
        "period": period,
    }


async def run(database: str, repeat: int) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    sample = sample_of(f"postgresql://postgres@127.0.0.1:5432/{database}")
    settings = bench_settings(url, compiled=True, policy=True)
    app = create_app(settings)
    services = app.state.services
    county = sample["township"][:6] + "000000"
    transport = httpx.ASGITransport(app=app)
    totals = {"compiled": 0, "resolved": 0}
    print(f"{'read':52} {'weight':>6} {'compiled':>9} {'resolved':>9}")
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for read in mix(sample):
            token, _ = issue_access_token(
                services.keys, settings, services.clock, subject="mix", client_id="bench-mix",
                department=read.who, division=county, roles=[], scopes=[],
            )  # fmt: skip
            before = dict(services.read_paths)
            for _ in range(read.weight * repeat):
                response = await client.post(
                    "/graphql",
                    json={"query": read.query, "variables": {"division": sample["township"]}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = response.json()
                if ("errors" in body) != read.errors_expected:
                    raise SystemExit(f"{read.name}: unexpected answer {str(body)[:300]}")
            counts = {"compiled": 0, "resolved": 0}
            for (strategy, _field), n in services.read_paths.items():
                counts[strategy] += n - before.get((strategy, _field), 0)
            for k in totals:
                totals[k] += counts[k]
            compiled, resolved = counts["compiled"], counts["resolved"]
            print(f"{read.name:52} {read.weight:>6} {compiled:>9} {resolved:>9}")
    await services.engine.dispose()
    share = totals["compiled"] / (totals["compiled"] + totals["resolved"])
    print(f"compiled share of root fields in the mix: {share:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="mzhub_bench_compare")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    WORKDIR.mkdir(exist_ok=True)
    asyncio.run(run(args.database, args.repeat))


if __name__ == "__main__":
    main()
