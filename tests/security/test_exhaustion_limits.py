"""Exhausting the hub with one document: deep nesting, fragment cycles, alias, token and directive
bombs, huge `first` and wide cost bombs are refused before execution with QUERY_TOO_COMPLEX
(or a validation error), counted after flattening fragments, without limit values in production."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from hub.auth.tokens import issue_access_token
from hub.config import ClientLimits
from hub.schema.ids import to_global_id
from tests.factories import Hub, World
from tests.security.hardening_support import (
    app_with,
    clerk,
    codes,
    messages,
    nested,
    poster,
)

ROOT = 'division(code: "640000000000")'
# 1 + 100 × (node 1 + 3 cases × (1 + 5 tasks + 8 events) + 2 entitlements × (1 + 12 payments))
HEAVY_PAGE = (
    "residents(first: 100) { edges { node { cases { approvalTasks { id } events { kind } } "
    "entitlements { payments { amount } } } } }"
)


def too_complex(result: dict[str, Any]) -> bool:
    return codes(result) == ["QUERY_TOO_COMPLEX"] and result.get("data") is None


def household_chain(levels: int) -> str:
    """`household { head { household { ... id } } }`: `levels` fields, each costing 1."""
    names = ["household" if i % 2 == 0 else "head" for i in range(levels)]
    return "".join(f"{n} {{ " for n in names) + "id" + " }" * levels


async def test_depth_ten_passes_and_eleven_is_refused(hub: Hub, world: World, client: Any) -> None:
    post = poster(client)
    zhang = to_global_id("Resident", world.residents["zhang"])
    query = "query($id: ID!) { resident(id: $id) { %s } }"
    ok = await post(query % household_chain(8), clerk(hub), id=zhang)
    assert "errors" not in ok  # resident + 8 + id = 10 levels
    deep = await post(query % household_chain(9), clerk(hub), id=zhang)
    assert too_complex(deep)
    assert "depth" in messages(deep) and "11 > 10" in messages(deep)


async def test_depth_counts_through_fragments(hub: Hub, world: World, client: Any) -> None:
    query = """
      fragment L4 on Household { head { household { head { id } } } }
      fragment L7 on Resident { household { head { household { ...L4 } } } }
      query($id: ID!) { resident(id: $id) { household { head { household { head { ...L7 } } } } } }
    """
    zhang = to_global_id("Resident", world.residents["zhang"])
    result = await poster(client)(query, clerk(hub), id=zhang)
    assert too_complex(result) and "depth" in messages(result)


@pytest.mark.parametrize(
    "query",
    [
        "fragment A on Query { ...A } { ...A }",
        "fragment A on Query { ...B } fragment B on Query { ...C } "
        "fragment C on Query { ...A } { ...A }",
        "fragment A on Division { children { ...A } } { %s { ...A } }" % ROOT,
        # A long chain that ends in a cycle: no recursion limit is reached on the way.
        " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(200))
        + " fragment F200 on Query { ...F0 } { ...F0 }",
    ],
)
async def test_fragment_cycles_are_validation_errors_and_do_not_hang(
    hub: Hub, world: World, client: Any, query: str
) -> None:
    started = time.monotonic()
    result = await poster(client)(query, clerk(hub))
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"], result
    assert "within itself" in messages(result)
    assert time.monotonic() - started < 5


async def test_exponential_fragment_expansion_is_counted_flattened(
    hub: Hub, world: World, client: Any
) -> None:
    """Each fragment spreads the next twice: 2^20 aliases once flattened, from 100 tokens."""
    chain = " ".join(
        f"fragment F{i} on Division {{ ...F{i + 1} ...F{i + 1} }}" for i in range(20)
    )
    query = "%s fragment F20 on Division { a: code } { %s { ...F0 } }" % (chain, ROOT)
    result = await poster(client)(query, clerk(hub))
    assert too_complex(result) and "aliases" in messages(result)


async def test_exponential_fragments_at_the_root_finish_quickly(
    hub: Hub, world: World, client: Any
) -> None:
    """No aliases to count: 2^60 root selections once flattened must still be measured, scored
    and executed in linear time (each fragment once)."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(60))
    query = "%s fragment F60 on Query { me { subject } } { ...F0 }" % chain
    started = time.monotonic()
    result = await poster(client)(query, clerk(hub))
    assert time.monotonic() - started < 5
    assert result.get("data") == {"me": {"subject": "tester"}} or codes(result), result


async def test_alias_bombs(hub: Hub, world: World, client: Any) -> None:
    post = poster(client)
    fifteen = " ".join(f"a{i}: me {{ subject }}" for i in range(15))
    assert "errors" not in await post("{ %s }" % fifteen, clerk(hub))
    sixteen = " ".join(f"a{i}: me {{ subject }}" for i in range(16))
    assert too_complex(await post("{ %s }" % sixteen, clerk(hub)))
    # Aliases inside a fragment count once per spread.
    fragment = "fragment M on Query { %s }" % " ".join(f"b{i}: me {{ subject }}" for i in range(8))
    assert too_complex(await post("%s { ...M ... on Query { ...M } }" % fragment, clerk(hub)))


async def test_token_bombs(hub: Hub, world: World, client: Any) -> None:
    post = poster(client)
    ids = ", ".join(['"x"'] * 1985)  # about 1,995 tokens: not too complex (too many ids)
    assert codes(await post("{ nodes(ids: [%s]) { id } }" % ids, clerk(hub))) == ["BAD_USER_INPUT"]
    for query in (
        "{ %s }" % " ".join(["__typename"] * 2100),
        "{ me { subject } }" + "\n#" * 5000,  # comment padding counts too
        "{ me(" + "a: 1 " * 1500 + ") { subject } }",
        "{" + "me {" * 600 + "}" * 600 + "}",  # nesting past what the parser accepts
    ):
        started = time.monotonic()
        result = await post(query, clerk(hub))
        assert too_complex(result), result
        assert time.monotonic() - started < 5


async def test_directive_bombs(hub: Hub, world: World, client: Any) -> None:
    post = poster(client)
    fifty = " ".join(f"a{i}: __typename @include(if: true)" for i in range(15)) + " " + " ".join(
        "__typename @skip(if: false)" for _ in range(35)
    )
    assert "errors" not in await post("{ %s }" % fifty, clerk(hub))
    repeated = "{ me %s { subject } }" % " ".join(["@include(if: true)"] * 60)
    assert too_complex(await post(repeated, clerk(hub)))
    unknown = "{ me { subject %s } }" % " ".join(f"@d{i}" for i in range(51))
    assert too_complex(await post(unknown, clerk(hub)))


async def test_huge_first_is_refused_before_any_database_work(
    hub: Hub, world: World, client: Any
) -> None:
    statements: list[str] = []
    engine = hub.services.engine.sync_engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        post = poster(client)
        for query, variables in (
            ("{ residents(first: 1000000) { edges { node { id } } } }", {}),
            ("query($n: Int) { cases(first: $n) { edges { node { id } } } }", {"n": 99999}),
        ):
            statements.clear()
            result = await post(query, clerk(hub), **variables)
            assert too_complex(result), result
            assert not any("residents" in s or "cases" in s for s in statements)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    over_int = await poster(client)("{ residents(first: 4294967296) { totalCount } }", clerk(hub))
    assert codes(over_int) == ["GRAPHQL_VALIDATION_FAILED"]
    over_page = await poster(client)("{ residents(first: 101) { totalCount } }", clerk(hub))
    assert codes(over_page) == ["BAD_USER_INPUT"]  # within budget, but over the page cap


async def test_wide_cost_bombs(hub: Hub, world: World, client: Any) -> None:
    post = poster(client)
    assert too_complex(await post("{ %s }" % HEAVY_PAGE, clerk(hub)))
    aliased = " ".join(f"r{i}: residents(first: 100) {{ edges {{ node {{ cases {{ id }} }} }} }}"
                       for i in range(15))
    assert too_complex(await post("{ %s }" % aliased, clerk(hub)))
    ids = [f"id{i}" for i in range(100)]
    nodes = "query($ids: [ID!]!) { a: nodes(ids: $ids) { id } b: nodes(ids: $ids) { ... on Resident { household { members { resident { cases { events { kind } } } } } } } }"
    assert too_complex(await post(nodes, clerk(hub), ids=ids))


async def test_cost_is_reported_in_development_only(
    hub: Hub, world: World, client: Any, db_url: str, keys_dir: Path
) -> None:
    query = "{ residents(first: 10) { totalCount edges { node { household { members { relation } } } } } }"
    dev = await poster(client)(query, clerk(hub))
    # residents 1 + totalCount 10 + 10 edges × (node 1 + household 1 + members 5 × 1)
    assert dev["extensions"]["cost"] == {"requested": 1 + 10 + 10 * 7, "budget": 5000,
                                         "introspection": 0}
    async with app_with(db_url, keys_dir, env="production") as (prod, prod_client):
        result = await poster(prod_client)(query, clerk(prod))
        assert "errors" not in result and "extensions" not in result


async def test_production_refusals_do_not_disclose_limit_values(
    hub: Hub, world: World, db_url: str, keys_dir: Path
) -> None:
    async with app_with(db_url, keys_dir, env="production") as (prod, client):
        post = poster(client)
        for query in (
            "{ %s { %s } }" % (ROOT, nested("children", 12)),
            "{ %s }" % " ".join(f"a{i}: me {{ subject }}" for i in range(20)),
            "{ residents(first: 100000) { edges { node { id } } } }",
            "{ %s }" % " ".join(["__typename"] * 2500),
        ):
            result = await post(query, clerk(prod))
            assert too_complex(result), result
            text = messages(result)
            assert not any(ch.isdigit() for ch in text), text


async def test_per_client_budget_override(
    hub: Hub, world: World, db_url: str, keys_dir: Path
) -> None:
    query = "{ %s }" % HEAVY_PAGE
    async with app_with(
        db_url, keys_dir, clients={"batch-client": ClientLimits(cost_budget=20_000)}
    ) as (other, client):
        post = poster(client)
        assert too_complex(await post(query, clerk(other)))
        # Test tokens carry client_id "test-client"; this one is the batch client's.
        batch, _ = issue_access_token(
            other.services.keys, other.settings, other.services.clock, subject="batch",
            client_id="batch-client", department="civil_affairs", division="640104000000",
            roles=["clerk"], scopes=[],
        )
        result = await post(query, batch)
        assert "errors" not in result
        assert result["extensions"]["cost"]["budget"] == 20_000


async def test_refused_operations_are_audited(hub: Hub, world: World, client: Any) -> None:
    from sqlalchemy import select

    from hub.db.models import AuditEvent

    query = "query TooWide { %s }" % HEAVY_PAGE
    assert too_complex(await poster(client)(query, clerk(hub)))
    async with hub.services.sessions() as session:
        rows = list((await session.execute(
            select(AuditEvent).where(AuditEvent.operation_name == "TooWide"))).scalars())
    assert [(r.outcome, r.actor_subject, r.resources) for r in rows] == [("ERROR", "tester", [])]
