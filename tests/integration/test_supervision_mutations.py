"""Keeping supervision records through `SupervisionMutation`: checked, in jurisdiction, audited
in the same transaction, and visible in the indicators right after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import strawberry
from sqlalchemy import func, select

from hub.db.models import AuditEvent, ProxyPoint, TrainingRecord
from hub.schema import build
from hub.schema.supervision_mutations import SupervisionMutation
from hub.types import SCOPES
from tests.factories import Hub
from tests.helpers import GraphQL, codes
from tests.integration import supervision_data as w

RECORD_POINT = """mutation RecordPoint($input: RecordProxyPointInput!) {
  recordProxyPoint(input: $input) { proxyPoint { id village { code name } agentName activeFrom
  activeTo } } }"""
END_POINT = """mutation End($input: EndProxyPointInput!) {
  endProxyPoint(input: $input) { proxyPoint { id activeTo } } }"""
TRAINING = """mutation Train($input: RecordTrainingInput!) {
  recordTraining(input: $input) { records { id division { code } personKind personName kind } } }"""
FUNDING = """mutation Fund($input: RecordFundingAllocationInput!) {
  recordFundingAllocation(input: $input) { allocation { id township { code } year amount } } }"""
ASSIGN = """mutation Assign($input: AssignStaffPostInput!) {
  assignStaffPost(input: $input) { staffPost { id holderName kind } } }"""
POST = """mutation Post($input: RecordStaffPostInput!) {
  recordStaffPost(input: $input) { staffPost { id holderName kind township { code } } } }"""
COVERAGE = """query($c: String!) { supervision(divisionCode: $c, year: 2026) {
  proxyPointCoverage { numerator denominator } postCoverage { numerator denominator } } }"""


@pytest.fixture
async def hub(db_url: str, keys_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    """The app with SupervisionMutation in its Mutation root (composed here until the lead
    composes it in hub/schema/mutations.py)."""
    if not issubclass(build.Mutation, SupervisionMutation):

        @strawberry.type
        class Mutation(build.Mutation, SupervisionMutation):  # type: ignore[misc,valid-type]
            pass

        monkeypatch.setattr(build, "Mutation", Mutation)
    hub = Hub(db_url, keys_dir)
    yield hub
    await hub.services.engine.dispose()


@pytest.fixture
async def seeded(hub: Hub) -> Hub:
    async with hub.services.sessions() as session:
        await w.build_supervision_world(session)
    return hub


def writer(hub: Hub, division: str = w.XINGQING, scope: str = "admin") -> str:
    return hub.token("civil_affairs", division, ("supervisor",), (scope, "supervision:read"))


async def count(hub: Hub, statement: Any) -> int:
    async with hub.services.sessions() as session:
        return int((await session.execute(statement)).scalar_one())


async def test_recorded_proxy_point_counts_at_once_and_is_audited(
    seeded: Hub, gql: GraphQL
) -> None:
    token = writer(seeded)
    point = {"villageCode": w.V21, "agentName": "新代办", "activeFrom": "2026-11-01"}
    result = await gql(RECORD_POINT, token, input=point)
    assert "errors" not in result, result
    shown = result["data"]["recordProxyPoint"]["proxyPoint"]
    assert shown["village"] == {"code": w.V21, "name": "利民社区"}
    assert (shown["activeFrom"], shown["activeTo"]) == ("2026-11-01", None)

    after = await gql(COVERAGE, token, c=w.XINGQING)
    assert after["data"]["supervision"]["proxyPointCoverage"] == {"numerator": 2, "denominator": 3}
    async with seeded.services.sessions() as session:
        event = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.operation_name == "RecordPoint")
            )
        ).scalar_one()
    assert (event.operation_kind, event.outcome) == ("MUTATION", "OK")
    assert event.resources[0]["type"] == "ProxyPoint"
    assert event.resources[0]["id"] == shown["id"]
    assert event.resources[0]["divisionCode"] == w.V21
    assert {"field": "agent_name", "grant": "FULL"} in event.resources[0]["fields"]
    assert event.document_hash is not None and event.actor_division == w.XINGQING

    ended = await gql(END_POINT, token, input={"id": shown["id"], "activeTo": "2026-11-19"})
    assert ended["data"]["endProxyPoint"]["proxyPoint"]["activeTo"] == "2026-11-19"
    again = await gql(COVERAGE, token, c=w.XINGQING)
    assert again["data"]["supervision"]["proxyPointCoverage"]["numerator"] == 1


async def test_bad_input_is_refused_with_every_problem(seeded: Hub, gql: GraphQL) -> None:
    token = writer(seeded)
    before = await count(seeded, select(func.count()).select_from(ProxyPoint))
    bad = {"villageCode": w.V21, "agentName": "  ", "activeFrom": "2026-11-01",
           "activeTo": "2026-10-01"}  # fmt: skip
    result = await gql(RECORD_POINT, token, input=bad)
    assert codes(result) == ["BAD_USER_INPUT"]
    error = result["errors"][0]["extensions"]
    assert error["argument"] == "input.agentName"
    assert [p["argument"] for p in error["problems"]] == ["input.agentName"]
    township = {"villageCode": w.T2, "agentName": "甲", "activeFrom": "2026-11-01"}
    result = await gql(RECORD_POINT, token, input=township)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert "village" in result["errors"][0]["message"]
    order = {"villageCode": w.V21, "agentName": "甲", "activeFrom": "2026-11-01",
             "activeTo": "2026-10-01"}  # fmt: skip
    result = await gql(RECORD_POINT, token, input=order)
    assert result["errors"][0]["extensions"]["argument"] == "input.activeTo"
    assert await count(seeded, select(func.count()).select_from(ProxyPoint)) == before


async def test_outside_jurisdiction_is_not_found(seeded: Hub, gql: GraphQL) -> None:
    point = {"villageCode": w.V31, "agentName": "甲", "activeFrom": "2026-11-01"}
    assert codes(await gql(RECORD_POINT, writer(seeded), input=point)) == ["NOT_FOUND"]
    async with seeded.services.sessions() as session:
        other = (
            await session.execute(select(ProxyPoint.id).where(ProxyPoint.village_code == w.V31))
        ).scalar_one()
    from hub.schema.ids import to_global_id

    end = {"id": to_global_id("ProxyPoint", other), "activeTo": "2026-11-19"}
    assert codes(await gql(END_POINT, writer(seeded), input=end)) == ["NOT_FOUND"]
    assert codes(await gql(END_POINT, writer(seeded), input=end | {"id": "bm9wZQ"})) == [
        "BAD_USER_INPUT"
    ]


@pytest.mark.parametrize(
    ("department", "scopes"),
    [
        ("civil_affairs", ("supervision:read",)),  # no write scope
        ("finance", ("admin",)),  # not civil affairs
    ],
)
async def test_who_may_keep_records(
    seeded: Hub, gql: GraphQL, department: str, scopes: tuple[str, ...]
) -> None:
    token = seeded.token(department, w.XINGQING, ("supervisor",), scopes)
    point = {"villageCode": w.V21, "agentName": "甲", "activeFrom": "2026-11-01"}
    assert codes(await gql(RECORD_POINT, token, input=point)) == ["FORBIDDEN"]


@pytest.mark.skipif("supervision:write" not in SCOPES, reason="scope not registered yet")
async def test_the_supervision_write_scope_is_enough(seeded: Hub, gql: GraphQL) -> None:
    point = {"villageCode": w.V21, "agentName": "甲", "activeFrom": "2026-11-01"}
    result = await gql(RECORD_POINT, writer(seeded, scope="supervision:write"), input=point)
    assert "errors" not in result, result


async def test_a_training_session_records_each_attendee(seeded: Hub, gql: GraphQL) -> None:
    session = {"divisionCode": w.T2, "personKind": "STAFF", "heldOn": "2026-11-02",
               "kind": "MEETING", "attendees": ["甲", "乙", "丙"]}  # fmt: skip
    result = await gql(TRAINING, writer(seeded), input=session)
    assert [r["personName"] for r in result["data"]["recordTraining"]["records"]] == [
        "甲", "乙", "丙"
    ]  # fmt: skip
    assert (
        await count(seeded, select(func.count()).where(TrainingRecord.division_code == w.T2)) == 3
    )
    twice = session | {"attendees": ["甲", "甲"]}
    assert codes(await gql(TRAINING, writer(seeded), input=twice)) == ["BAD_USER_INPUT"]
    assistants = session | {"personKind": "ASSISTANT"}  # assistants train in their village
    result = await gql(TRAINING, writer(seeded), input=assistants)
    assert result["errors"][0]["extensions"]["argument"] == "input.divisionCode"


async def test_funding_for_the_same_year_and_source_is_a_conflict(
    seeded: Hub, gql: GraphQL
) -> None:
    fund = {"townshipCode": w.T2, "year": 2026, "population": 40000, "amount": "0.01",
            "source": "CITY"}  # fmt: skip
    result = await gql(FUNDING, writer(seeded), input=fund)
    assert result["data"]["recordFundingAllocation"]["allocation"]["amount"] == "0.01"
    assert codes(await gql(FUNDING, writer(seeded), input=fund)) == ["CONFLICT"]
    money = fund | {"source": "X", "amount": "1.234"}
    assert codes(await gql(FUNDING, writer(seeded), input=money)) == ["BAD_USER_INPUT"]


async def test_filling_a_vacant_post_covers_the_township(seeded: Hub, gql: GraphQL) -> None:
    token = writer(seeded)
    created = await gql(POST, token, input={"townshipCode": w.T2, "title": "民政专干",
                                            "kind": "PUBLIC_WELFARE"})  # fmt: skip
    post = created["data"]["recordStaffPost"]["staffPost"]
    assert (post["holderName"], post["kind"]) == (None, "PUBLIC_WELFARE")
    filled = await gql(ASSIGN, token, input={"id": post["id"], "holderName": " 新专干 "})
    assert filled["data"]["assignStaffPost"]["staffPost"]["holderName"] == "新专干"
    after = await gql(COVERAGE, token, c=w.XINGQING)
    assert after["data"]["supervision"]["postCoverage"] == {"numerator": 2, "denominator": 2}
