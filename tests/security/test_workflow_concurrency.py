"""Decisions apply exactly once under concurrency and replay (PostgreSQL row locks; SQLite's
single writer): racing decisions, replayed idempotency keys, two departments at one instant."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hub.db.models import ApprovalTask, Case, CaseEvent, IdempotencyRecord
from hub.schema.ids import int_pk_of
from tests.conftest import POSTGRES_URL, fresh_database
from tests.factories import Hub, build_world
from tests.helpers import codes
from tests.workflow_driver import Driver, pending

RACERS = 20


@pytest.fixture(params=["postgres", "sqlite"])
def race_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip("HUB_TEST_POSTGRES_URL is not set")
    yield from fresh_database(request.param, tmp_path, tmp_path_factory)


@pytest.fixture
async def d(race_url: str, keys_dir: Path) -> AsyncIterator[Driver]:
    """A hub of its own with the hand-made world, driven over HTTP."""
    hub = Hub(race_url, keys_dir)
    async with hub.services.sessions() as session:
        world = await build_world(session)
    transport = httpx.ASGITransport(app=hub.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:

        async def gql(query: str, token: str | None = None, **variables: Any) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {"query": query, "variables": variables}
            response = await client.post("/graphql", json=body, headers=headers)
            assert response.status_code == 200, response.text
            return response.json()

        yield Driver(hub, gql, world)
    await hub.services.engine.dispose()


async def scalar(d: Driver, stmt: Any) -> Any:
    async with d.hub.services.sessions() as session:
        return (await session.execute(stmt)).scalar_one()


async def decided_events(d: Driver, case_id: int) -> int:
    stmt = select(func.count()).where(
        CaseEvent.case_id == case_id, CaseEvent.kind == "TASK_DECIDED"
    )
    return int(await scalar(d, stmt))


def pk(global_id: str) -> int:
    return int_pk_of(global_id, "Case")


async def test_twenty_racing_decisions_on_one_task_apply_exactly_once(d: Driver) -> None:
    case = await d.accept(await d.submitted("DB_URBAN"))
    task = pending(case, "VERIFY")[0]
    results = await asyncio.gather(*(d.decide(task) for _ in range(RACERS)))
    outcomes = Counter("OK" if "errors" not in r else codes(r)[0] for r in results)
    assert outcomes == Counter({"OK": 1, "CONFLICT": RACERS - 1})
    assert await decided_events(d, pk(case["id"])) == 1
    after = await d.reload(case)
    decided = next(t for t in after["approvalTasks"] if t["id"] == task["id"])
    assert (decided["status"], decided["version"]) == ("APPROVED", 2)
    assert after["version"] == case["version"] + 1


async def test_a_replayed_idempotency_key_returns_the_first_result_without_a_second_effect(
    d: Driver,
) -> None:
    case = await d.accept(await d.submitted("DB_URBAN"))
    task = pending(case, "VERIFY")[0]
    key = f"ps-{uuid.uuid4().hex}"
    first = await d.decide(task, key=key)
    assert "errors" not in first, first
    replays = await asyncio.gather(*(d.decide(task, key=key) for _ in range(10)))
    for replay in [await d.decide(task, key=key), *replays]:
        assert "errors" not in replay, replay
        payload = replay["data"]["decideApprovalTask"]
        assert payload["task"] == first["data"]["decideApprovalTask"]["task"]
    assert await decided_events(d, pk(case["id"])) == 1
    records = select(func.count()).select_from(IdempotencyRecord)
    assert await scalar(d, records) == 1
    version = select(Case.version).where(Case.id == pk(case["id"]))
    assert await scalar(d, version) == case["version"] + 1


async def test_racing_replays_of_one_key_act_once(d: Driver) -> None:
    case = await d.accept(await d.submitted("DB_URBAN"))
    task = pending(case, "VERIFY")[0]
    key = f"ps-{uuid.uuid4().hex}"
    results = await asyncio.gather(*(d.decide(task, key=key) for _ in range(10)))
    assert all("errors" not in r for r in results), [codes(r) for r in results]
    assert await decided_events(d, pk(case["id"])) == 1


async def test_the_last_two_verifications_at_one_instant_advance_the_case_once(
    d: Driver,
) -> None:
    for _ in range(3):
        case = await d.accept(await d.submitted("TEMPORARY"))
        first, second = pending(case, "VERIFY")
        results = await asyncio.gather(d.decide(first), d.decide(second))
        assert all("errors" not in r for r in results), results
        after = await d.reload(case)
        assert after["status"] == "VERIFYING"
        assert len(pending(after, "REVIEW")) == 1
        assert await decided_events(d, pk(case["id"])) == 2
        assert after["version"] == case["version"] + 2
        reviews = select(func.count()).where(
            ApprovalTask.case_id == pk(case["id"]), ApprovalTask.kind == "REVIEW"
        )
        assert await scalar(d, reviews) == 1
        withdraw = await d.call(
            "mutation W($input: CaseReasonInput!) { withdrawCase(input: $input) { case { id } } }",
            d.clerk(), caseId=case["id"], expectedVersion=after["version"],
        )  # fmt: skip
        assert "errors" not in withdraw, withdraw


async def test_racing_submissions_for_one_applicant_open_one_case(d: Driver) -> None:
    results = await asyncio.gather(
        *(d.submit("TEMPORARY", key=uuid.uuid4().hex) for _ in range(10))
    )
    outcomes = Counter("OK" if "errors" not in r else codes(r)[0] for r in results)
    assert outcomes == Counter({"OK": 1, "BAD_USER_INPUT": 9})


async def test_racing_submissions_in_one_township_get_distinct_numbers(d: Driver) -> None:
    items = ["TEMPORARY", "MEDICAL", "ELDERLY_ALLOWANCE", "SENIOR_CARD", "DISABLED_CARE"]
    results = await asyncio.gather(*(d.submit(item) for item in items))
    numbers = [r["data"]["submitCase"]["case"]["caseNumber"] for r in results]
    assert len(set(numbers)) == len(items)
    assert sorted(n[-6:] for n in numbers) == [f"{i:06d}" for i in range(1, len(items) + 1)]
