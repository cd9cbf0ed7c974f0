"""Reaching a guarded field another way: aliases, fragments, directives, duplicates, interfaces,
search filters, and relations that cross into another jurisdiction all meet the same gate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from hub.db.models import Resident as ResidentRow
from hub.policy.masks import MASKS
from hub.schema.ids import to_global_id
from tests.factories import Hub, World
from tests.security.hardening_support import codes

PATHS = """
fragment Id on Resident { idNumber bankAccount }
fragment Deep on Node { ... on Resident { ...Id } }
query($id: ID!, $case: ID!, $yes: Boolean = true) {
  plain: resident(id: $id) { idNumber bankAccount }
  aliased: resident(id: $id) { a: idNumber b: bankAccount idNumber2: idNumber }
  fragment: resident(id: $id) { ...Id ...Id }
  inline: node(id: $id) { ...Deep ... on Resident { idNumber @include(if: $yes) } }
  skipped: resident(id: $id) { idNumber @skip(if: false) bankAccount @include(if: true) }
  listed: nodes(ids: [$id, $id]) { ... on Resident { idNumber bankAccount } }
  nested: case(id: $case) { applicant { ...Id } household { members { resident { ...Id } } } }
}
"""


def walk(value: Any, key: str) -> list[Any]:
    """Every value under `key` (or an alias of it: a, idNumber2) anywhere in the result."""
    found: list[Any] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                found.append(v)
            found.extend(walk(v, key))
    elif isinstance(value, list):
        for item in value:
            found.extend(walk(item, key))
    return found


async def test_village_agent_gets_the_mask_on_every_path(
    gql: Any, hub: Hub, world: World
) -> None:
    """新华社区's proxy agent: idNumber MASKED, bankAccount DENIED, whichever way it is asked."""
    token = hub.token("civil_affairs", "640104001001", ("proxy_agent",))
    zhang = to_global_id("Resident", world.residents["zhang"])
    case = to_global_id("Case", world.cases["zhang_db"])
    result = await gql(PATHS, token, id=zhang, case=case)
    ids = walk(result["data"], "idNumber") + walk(result["data"], "a")
    ids += walk(result["data"], "idNumber2")
    assert len(ids) >= 10
    masked = {MASKS["id_number"].python(v) if v else v for v in ids}
    assert set(ids) == masked and all("*" in v for v in ids), ids
    accounts = walk(result["data"], "bankAccount") + walk(result["data"], "b")
    assert accounts and all(v is None for v in accounts)
    assert set(codes(result)) == {"FORBIDDEN_FIELD"}


async def test_filters_are_no_oracle_for_masked_fields(gql: Any, hub: Hub, world: World) -> None:
    """Searching by a field needs FULL on it: a masked caller cannot confirm an id number."""
    token = hub.token("civil_affairs", "640104001001", ("proxy_agent",))
    async with hub.services.sessions() as session:
        full = (await session.get(ResidentRow, world.residents["zhang"])).id_number
    for query in (
        "query($n: String!) { residentByIdNumber(idNumber: $n) { id } }",
        "query($n: String!) { residents(filter: {idNumber: $n}) { totalCount } }",
    ):
        result = await gql(query, token, n=full)
        assert codes(result) == ["FORBIDDEN"], result
    finance = hub.token("finance", "640104000000", ("finance",))
    result = await gql('{ residents(filter: {nameContains: "张"}) { totalCount } }', finance)
    assert codes(result) == ["FORBIDDEN"]


async def test_nested_relations_stop_at_the_jurisdiction_boundary(
    gql: Any, hub: Hub, world: World
) -> None:
    """李秀英 moves her registration to 西夏区 while her household stays in 兴庆区: each
    county sees its own rows only, whichever relation leads across."""
    async with hub.services.sessions() as session:
        await session.execute(
            update(ResidentRow)
            .where(ResidentRow.id == world.residents["li"])
            .values(division_code="640105002001")
        )
        await session.commit()
    xingqing = hub.token("civil_affairs", "640104000000", ("approver",))
    xixia = hub.token("civil_affairs", "640105000000", ("approver",))
    h1 = to_global_id("Household", world.households["h1"])
    li = to_global_id("Resident", world.residents["li"])
    li_case = to_global_id("Case", world.cases["li_disabled"])

    from_xingqing = await gql(
        """query($h: ID!, $c: ID!) {
          household(id: $h) { members { relation resident { name idNumber } } }
          case(id: $c) { applicant { name } entitlement { monthlyAmount } }
          residents(first: 100) { edges { node { name } } } }""",
        xingqing, h=h1, c=li_case,
    )
    assert "李秀英" not in str(from_xingqing["data"])
    members = from_xingqing["data"]["household"]["members"]
    assert {m["relation"]: m["resident"] for m in members}["SPOUSE"] is None
    assert from_xingqing["data"]["case"]["applicant"] is None

    from_xixia = await gql(
        """query($li: ID!) { resident(id: $li) { name household { id } cases { id }
          entitlements { monthlyAmount } } }""",
        xixia, li=li,
    )
    assert from_xixia["data"]["resident"]["name"] == "李秀英"
    assert from_xixia["data"]["resident"]["household"] is None  # the household is 兴庆区's
    assert from_xixia["data"]["resident"]["cases"] == []  # her case stays with 兴庆区
    assert from_xixia["data"]["resident"]["entitlements"] == []
    tasks = await gql("{ approvalTasks(first: 100) { edges { node { case { id } } } } }", xixia)
    assert tasks["data"]["approvalTasks"]["edges"] == []
