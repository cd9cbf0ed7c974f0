"""The read API: public fields, authentication, jurisdiction, pagination, filters, no N+1."""

from __future__ import annotations

import gc
import warnings
from typing import Any

import pytest
from sqlalchemy import event

from hub.schema.ids import to_global_id
from tests.factories import Hub, World
from tests.helpers import GraphQL, codes

COUNTY = "640104000000"  # 兴庆区
OTHER_COUNTY = "640105000000"  # 西夏区


def county_officer(hub: Hub, division: str = COUNTY) -> str:
    return hub.token("civil_affairs", division, ("clerk", "reviewer"))


async def test_service_items_and_divisions_answer_without_a_token(gql: GraphQL, world: World):
    result = await gql(
        "{ serviceItems { code name timeLimitWorkingDays } divisions { code name level } }"
    )
    assert "errors" not in result
    codes_ = [i["code"] for i in result["data"]["serviceItems"]]
    assert codes_ == [
        "DB_URBAN",
        "DB_RURAL",
        "TEKUN",
        "TEMPORARY",
        "MEDICAL",
        "LOW_INCOME",
        "DISABLED_LIVING",
        "DISABLED_CARE",
        "ORPHAN",
        "SENIOR_CARD",
        "ELDERLY_ALLOWANCE",
    ]
    assert result["data"]["divisions"] == [
        {"code": "640100000000", "name": "银川市", "level": "CITY"}
    ]


@pytest.mark.parametrize(
    "field",
    [
        "residents { totalCount }",
        "cases { totalCount }",
        "me { subject }",
        "payments { totalCount }",
        "approvalTasks { totalCount }",
    ],
)
async def test_records_need_a_token(gql: GraphQL, world: World, field: str):
    result = await gql("{ %s }" % field)
    assert codes(result) == ["UNAUTHENTICATED"]


async def test_me_reflects_the_verified_token(gql: GraphQL, hub: Hub, world: World):
    token = hub.token(
        "public_security", COUNTY, ("partner",), ("approvals:decide",), subject="ps-system"
    )
    me = (
        await gql(
            "{ me { subject department divisionCode level roles scopes division { name } } }", token
        )
    )["data"]["me"]
    assert me == {
        "subject": "ps-system",
        "department": "PUBLIC_SECURITY",
        "divisionCode": COUNTY,
        "level": "COUNTY",
        "roles": ["partner"],
        "scopes": ["approvals:decide"],
        "division": {"name": "兴庆区"},
    }


async def test_county_officer_sees_only_residents_of_the_county(
    gql: GraphQL, hub: Hub, world: World
):
    result = await gql(
        "{ residents { totalCount edges { node { name division { code } } } } }",
        county_officer(hub),
    )
    names = [e["node"]["name"] for e in result["data"]["residents"]["edges"]]
    assert names == ["张伟", "李秀英", "马晓燕"]
    assert result["data"]["residents"]["totalCount"] == 3


async def test_resident_outside_jurisdiction_looks_like_a_missing_one(
    gql: GraphQL, hub: Hub, world: World
):
    token = county_officer(hub)
    outside = to_global_id("Resident", world.residents["ding"])
    missing = to_global_id("Resident", 999999)
    query = "query($id: ID!) { resident(id: $id) { name } }"
    a = await gql(query, token, id=outside)
    b = await gql(query, token, id=missing)
    assert a["data"] == b["data"] == {"resident": None}
    assert codes(a) == codes(b) == ["NOT_FOUND"]
    assert a["errors"][0]["message"] == b["errors"][0]["message"]


async def test_node_resolves_every_type_inside_jurisdiction(gql: GraphQL, hub: Hub, world: World):
    token = hub.token("civil_affairs", "640100000000", ("reviewer",))
    ids = [
        to_global_id("Resident", world.residents["zhang"]),
        to_global_id("Household", world.households["h1"]),
        to_global_id("Case", world.cases["zhang_db"]),
        to_global_id("ApprovalTask", world.tasks["housing"]),
        to_global_id("Entitlement", world.entitlements["ding"]),
        to_global_id("Payment", world.payments["ding_1"]),
    ]
    result = await gql("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", token, ids=ids)
    assert "errors" not in result
    assert [n["__typename"] for n in result["data"]["nodes"]] == [
        "Resident",
        "Household",
        "Case",
        "ApprovalTask",
        "Entitlement",
        "Payment",
    ]
    assert [n["id"] for n in result["data"]["nodes"]] == ids


async def test_nodes_outside_jurisdiction_are_null_with_not_found_each(
    gql: GraphQL, hub: Hub, world: World
):
    ids = [
        to_global_id("Resident", world.residents["zhang"]),
        to_global_id("Resident", world.residents["ding"]),
    ]
    result = await gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", county_officer(hub), ids=ids
    )
    assert result["data"]["nodes"] == [{"id": ids[0]}, None]
    assert codes(result) == ["NOT_FOUND"]
    assert result["errors"][0]["path"] == ["nodes", 1]


async def test_nested_relations_stop_at_the_jurisdiction_edge(gql: GraphQL, hub: Hub, world: World):
    token = county_officer(hub, "640104001000")  # the township
    query = """query($id: ID!) { case(id: $id) { caseNumber status applicant { name }
      household { size members { relation resident { name } } }
      approvalTasks { department kind status } events { kind toStatus actor { subject } } } }"""
    result = await gql(query, token, id=to_global_id("Case", world.cases["zhang_db"]))
    case = result["data"]["case"]
    assert case["applicant"] == {"name": "张伟"}
    assert case["household"]["size"] == 2
    assert {m["resident"]["name"] for m in case["household"]["members"]} == {"张伟", "李秀英"}
    assert {t["department"] for t in case["approvalTasks"]} == {
        "PUBLIC_SECURITY",
        "HUMAN_RESOURCES",
        "HOUSING",
        "MEDICAL_SECURITY",
        "DISABLED_FEDERATION",
    }
    assert case["events"][0]["kind"] == "SUBMITTED"
    other = await gql(query, token, id=to_global_id("Case", world.cases["ding_tekun"]))
    assert other["data"]["case"] is None and codes(other) == ["NOT_FOUND"]


async def test_keyset_pagination_walks_every_row_once(gql: GraphQL, hub: Hub, world: World):
    token = county_officer(hub)
    seen: list[str] = []
    after = None
    while True:
        page = (
            await gql(
                "query($after: String) { residents(first: 2, after: $after) { "
                "edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }",
                token,
                after=after,
            )
        )["data"]["residents"]
        seen += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["张伟", "李秀英", "马晓燕"]


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ("first: 101", "first"),
        ("first: -1", "first"),
        ('after: "not-a-cursor"', "after"),
        ('filter: {divisionCode: "64010"}', "filter.divisionCode"),
        ('filter: {idNumber: "640104197003150011"}', "filter.idNumber"),
        ('filter: {itemCode: "NOPE"}', "filter.itemCode"),
    ],
)
async def test_bad_arguments_are_bad_user_input_naming_the_argument(
    gql: GraphQL, hub: Hub, world: World, args: str, argument: str
):
    result = await gql("{ residents(%s) { totalCount } }" % args, county_officer(hub))
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["extensions"]["argument"] == argument


@pytest.mark.parametrize("bad_id", ["!!!", to_global_id("Case", 1), "UmVzaWRlbnQ6"])
async def test_malformed_global_ids_are_bad_user_input(
    gql: GraphQL, hub: Hub, world: World, bad_id: str
):
    result = await gql(
        "query($id: ID!) { resident(id: $id) { name } }", county_officer(hub), id=bad_id
    )
    assert codes(result) == ["BAD_USER_INPUT"]


async def test_filters_narrow_the_page(gql: GraphQL, hub: Hub, world: World):
    token = hub.token("civil_affairs", "640100000000", ("reviewer",))

    async def names(flt: str) -> list[str]:
        r = await gql("{ residents(filter: {%s}) { edges { node { name } } } }" % flt, token)
        assert "errors" not in r, r
        return [e["node"]["name"] for e in r["data"]["residents"]["edges"]]

    assert await names('divisionCode: "640104001002"') == ["马晓燕"]
    assert await names('divisionCode: "640105000000"') == ["丁海军"]
    assert await names('nameContains: "秀"') == ["李秀英"]
    assert await names('nameContains: "%"') == []
    assert await names('itemCode: "DB_URBAN"') == ["张伟"]
    assert await names("hasActiveEntitlement: true") == ["李秀英", "丁海军"]
    assert await names("hasActiveEntitlement: false") == ["张伟", "马晓燕"]


async def test_case_and_payment_filters(gql: GraphQL, hub: Hub, world: World):
    token = hub.token("finance", "640100000000", ("finance",))
    paid = await gql(
        '{ payments(filter: {period: "2026-02", status: PAID}) { totalCount '
        "edges { node { period amount bankAccount } } } }",
        token,
    )
    assert paid["data"]["payments"]["totalCount"] == 1
    assert paid["data"]["payments"]["edges"][0]["node"] == {
        "period": "2026-02",
        "amount": "1250.00",
        "bankAccount": "6228480012345670003",
    }
    bad = await gql('{ payments(filter: {period: "2026-13"}) { totalCount } }', token)
    assert codes(bad) == ["BAD_USER_INPUT"]
    cases = await gql(
        '{ cases(filter: {status: VERIFYING, itemCode: "DB_URBAN"}) '
        "{ edges { node { caseNumber } } } }",
        county_officer(hub),
    )
    assert [e["node"]["caseNumber"] for e in cases["data"]["cases"]["edges"]] == [
        "MZ20261101640104001000001"
    ]
    overdue = await gql("{ cases(filter: {overdue: true}) { totalCount } }", county_officer(hub))
    assert overdue["data"]["cases"]["totalCount"] == 0


async def test_health_readiness_and_metrics(client: Any, world: World):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "reachable"
    await client.post("/graphql", json={"query": "{ residents { totalCount } }"})
    metrics = (await client.get("/metrics")).text
    assert 'mzhub_graphql_errors_total{code="UNAUTHENTICATED"} 1.0' in metrics
    assert "mzhub_http_request_duration_seconds_bucket" in metrics


PAGE_QUERY = """query($n: Int) { residents(first: $n) { totalCount edges { node {
  name idNumber household { size members { relation resident { name } } }
  cases { caseNumber approvalTasks { status } entitlement { payments(last: 12) { amount } } }
  entitlements { monthlyAmount payments { period amount } } } } } }"""


async def test_page_statement_count_does_not_grow_with_page_size(
    gql: GraphQL, hub: Hub, world: World
):
    token = hub.token("civil_affairs", "640000000000", ("supervisor",))
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    await gql("{ divisions { code } }")  # the division directory loads once per process
    await gql("{ me { subject } }", token)  # and the token's revocation check is remembered
    event.listen(hub.services.engine.sync_engine, "before_cursor_execute", count)
    try:
        await gql(PAGE_QUERY, token, n=1)
        small = len(statements)
        statements.clear()
        result = await gql(PAGE_QUERY, token, n=50)
        large = len(statements)
    finally:
        event.remove(hub.services.engine.sync_engine, "before_cursor_execute", count)
    assert "errors" not in result
    assert len(result["data"]["residents"]["edges"]) == 4
    assert large == small


async def test_fifty_resident_page_runs_a_fixed_number_of_statements(db_url: str,
                                                                    keys_dir: Any) -> None:
    """On seeded data: a 50-resident page with households, members, cases, tasks,
    entitlements and payments costs the same statements as a 5-resident one, on the resolver
    path (the compiled path is one statement whatever the selection)."""
    from hub.seed import run_seed

    await run_seed(db_url, 400, 7)
    hub = Hub(db_url, keys_dir, compiled_reads=False)
    statements: list[str] = []
    try:
        transport = __import__("httpx").ASGITransport(app=hub.app)
        async with __import__("httpx").AsyncClient(transport=transport,
                                                   base_url="http://t") as http:
            token = hub.token("civil_affairs", "640000000000", ("supervisor",))

            async def page(n: int) -> dict[str, Any]:
                statements.clear()
                r = await http.post("/graphql", json={"query": PAGE_QUERY, "variables": {"n": n}},
                                    headers={"Authorization": f"Bearer {token}"})
                return r.json()

            await page(1)  # the division directory loads once per process

            def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                statements.append(statement)

            event.listen(hub.services.engine.sync_engine, "before_cursor_execute", count)
            small = await page(5)
            five = len(statements)
            large = await page(50)
            fifty = len(statements)
    finally:
        event.remove(hub.services.engine.sync_engine, "before_cursor_execute", count)
        await hub.services.engine.dispose()
    assert "errors" not in large and "errors" not in small
    assert len(large["data"]["residents"]["edges"]) == 50
    # One statement per relation however many rows the page has: the residents page and its
    # count, households, members, the members' residents, cases, tasks, entitlements (by case
    # and by resident), payments; plus the token's revocation check and the audit write
    # (lock, head, insert, checkpoint). An N+1 would show as dozens.
    selects = [s.split(" FROM ")[0] for s in statements if s.startswith("SELECT")]
    assert fifty <= 16, "\n".join(s[:90] for s in statements)
    assert max(selects.count(s) for s in selects) <= 2
    assert five <= 16


async def test_a_failing_field_does_not_fail_siblings_waiting_on_the_same_rows(
    gql: GraphQL, hub: Hub, world: World
):
    """A bad argument nulls its object and cancels sibling resolvers; residents of one household
    share the household's load, and the others must still get it: an error, not a failed
    request."""
    query = """{ residents { edges { node { name
      household { registrationType members { relation resident { name } } }
      entitlements { payments(last: 101) { period } } } } } }"""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = await gql(query, county_officer(hub))
        gc.collect()
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result["data"] is None  # `residents` is non-null: the error nulls the whole answer
    # The cancelled siblings' connection went back to the pool (invalidated when its query was
    # still running), not left checked out for the collector to find.
    assert not [w for w in caught if "non-checked-in connection" in str(w.message)]
    assert hub.services.engine.sync_engine.pool.checkedout() == 0


async def test_a_repeated_page_answers_the_same_on_either_engine(
    gql: GraphQL, hub: Hub, world: World, engine_name: str
) -> None:
    """The same page asked three times gives the same answer. On PostgreSQL the second and
    third are prepared reads (hub/compiled/prepared.py); SQLite has no compiled path, so it
    never prepares one and every request resolves field by field."""
    query = """query Page($division: String!) {
      residents(first: 5, filter: {divisionCode: $division}) {
        edges { node { name idNumber cases { caseNumber status } } }
      }
    }"""
    token = hub.token("civil_affairs", "640104000000")
    answers = [await gql(query, token, division="640104001000") for _ in range(3)]
    assert "errors" not in answers[0] and answers[0]["data"]["residents"]["edges"]
    assert answers[1] == answers[0] and answers[2] == answers[0]
    prepared = hub.app.state.schema.prepared
    expected = 2 if engine_name == "postgres" else 0
    assert prepared.served == expected
