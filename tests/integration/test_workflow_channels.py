"""The three ways in (一窗受理 / 代办 / 一网通办): who may use which channel, what a case records
about the visit, residents' own cases, proxy agents' own submissions, idempotent submission."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.db.models import Case
from hub.schema.ids import to_global_id
from tests.factories import Hub, World
from tests.helpers import GraphQL, codes
from tests.workflow_driver import ACCEPT, CASE, WITHDRAW, Driver


@pytest.fixture
def d(hub: Hub, gql: GraphQL, world: World) -> Driver:
    return Driver(hub, gql, world)


async def case_count(hub: Hub) -> int:
    async with hub.services.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Case))).scalar_one())


async def test_a_resident_applies_online_without_a_visit_and_follows_the_case(
    d: Driver, gql: GraphQL
) -> None:
    me = d.citizen("ma")
    case = await d.submitted("TEMPORARY", channel="ONLINE", token=me)
    assert case["channel"] == "ONLINE" and case["inPersonVisitRequired"] is False
    assert case["events"][0]["actor"]["subject"] == "citizen-ma"
    mine = await gql("{ cases { totalCount edges { node { id } } } }", me)
    assert [e["node"]["id"] for e in mine["data"]["cases"]["edges"]] == [case["id"]]
    accepted = await d.accept(case)
    seen = await gql(CASE, me, id=case["id"])
    assert seen["data"]["case"]["status"] == "ACCEPTED" == accepted["status"]


async def test_a_resident_applies_only_for_themselves_and_only_online(d: Driver) -> None:
    me = d.citizen("ma")
    assert codes(await d.submit("TEMPORARY", "zhang", channel="ONLINE", token=me)) == [
        "BAD_USER_INPUT"
    ]
    assert codes(await d.submit("TEMPORARY", channel="WINDOW", token=me)) == ["FORBIDDEN"]
    offline_item = await d.submit("ORPHAN", channel="ONLINE", token=me)  # not online-capable
    assert codes(offline_item) == ["BAD_USER_INPUT"]
    no_scope = d.citizen("ma", scopes=())
    assert codes(await d.submit("TEMPORARY", channel="ONLINE", token=no_scope)) == ["FORBIDDEN"]
    assert codes(await d.submit("TEMPORARY", channel="ONLINE", token=d.clerk())) == ["FORBIDDEN"]


async def test_a_resident_withdraws_their_own_case_only(d: Driver, world: World) -> None:
    me = d.citizen("ma")
    case = await d.submitted("TEMPORARY", channel="ONLINE", token=me)
    accept = await d.call(ACCEPT, me, caseId=case["id"], expectedVersion=1)
    assert codes(accept) == ["FORBIDDEN"]
    result = await d.call(WITHDRAW, me, caseId=case["id"], reason="已找到工作", expectedVersion=1)
    withdrawn = result["data"]["withdrawCase"]["case"]
    assert withdrawn["status"] == "WITHDRAWN"
    assert withdrawn["events"][-1]["actor"]["subject"] == "citizen-ma"
    zhangs = to_global_id("Case", world.cases["zhang_db"])
    other = await d.call(WITHDRAW, me, caseId=zhangs, expectedVersion=2)
    assert codes(other) == ["NOT_FOUND"]


async def test_a_proxy_agent_applies_for_a_villager_and_is_recorded(d: Driver) -> None:
    case = await d.submitted("ELDERLY_ALLOWANCE", channel="PROXY")
    assert case["channel"] == "PROXY" and case["proxyAgent"] == "agent-7"
    assert case["inPersonVisitRequired"] is False
    outside = await d.submit("ELDERLY_ALLOWANCE", "zhang", channel="PROXY")  # another village
    assert codes(outside) == ["BAD_USER_INPUT"]
    assert codes(await d.submit("TEMPORARY", channel="PROXY", token=d.clerk())) == ["FORBIDDEN"]


async def test_only_the_submitting_proxy_agent_withdraws_for_the_applicant(d: Driver) -> None:
    case = await d.submitted("ELDERLY_ALLOWANCE", channel="PROXY")
    colleague = d.proxy(subject="agent-8")
    refused = await d.call(WITHDRAW, colleague, caseId=case["id"], expectedVersion=1)
    assert codes(refused) == ["FORBIDDEN"]
    done = await d.call(WITHDRAW, d.proxy(), caseId=case["id"], expectedVersion=1)
    assert done["data"]["withdrawCase"]["case"]["status"] == "WITHDRAWN"


async def test_submitting_twice_with_one_key_makes_one_case(d: Driver, hub: Hub) -> None:
    before = await case_count(hub)
    first = await d.submitted("TEMPORARY", key="window-7-0001")
    again = await d.submitted("TEMPORARY", key="window-7-0001")
    assert again["id"] == first["id"] and again["caseNumber"] == first["caseNumber"]
    assert await case_count(hub) == before + 1
    reused = await d.submit("MEDICAL", key="window-7-0001")
    assert codes(reused) == ["BAD_USER_INPUT"]
    assert "idempotencyKey" in reused["errors"][0]["message"]
    assert await case_count(hub) == before + 1
