"""Mapping the hub in production: introspection, `_service { sdl }`, "Did you mean" suggestions,
GraphiQL and internal error details are closed to callers without `schema:introspect`; the
standard introspection query still passes for those who hold it, in both modes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import build_client_schema, get_introspection_query

from hub.resolvers import records
from tests.factories import Hub, World
from tests.security.hardening_support import app_with, clerk, codes, messages, poster

FULL_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)
SCHEMA_READS = [
    "{ __schema { types { name } } }",
    '{ __type(name: "Resident") { fields { name } } }',
    "{ x: __schema { queryType { name } } }",
    "query IntrospectionQuery { __schema { queryType { name } } }",
    "fragment F on Query { __schema { types { name } } } { ...F }",
    "{ ... on Query { __type(name: \"Case\") { name } } }",
    "{ _service { sdl } }",
]


@pytest.mark.parametrize("query", SCHEMA_READS)
async def test_production_refuses_schema_reads_without_the_scope(
    hub: Hub, world: World, db_url: str, keys_dir: Path, query: str
) -> None:
    async with app_with(db_url, keys_dir, env="production") as (prod, client):
        post = poster(client)
        for token in (None, clerk(prod)):
            result = await post(query, token)
            assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"], result
            assert result["data"] is None
            # No schema detail in the refusal: no type or field names.
            assert messages(result) == "introspection is not allowed for this client"


async def test_typename_stays_available_in_production(
    hub: Hub, world: World, db_url: str, keys_dir: Path
) -> None:
    async with app_with(db_url, keys_dir, env="production") as (prod, client):
        result = await poster(client)("{ __typename me { __typename subject } }", clerk(prod))
        assert result["data"] == {"__typename": "Query", "me": {"__typename": "Me", "subject": "tester"}}


@pytest.mark.parametrize("env", ["production", "development"])
async def test_standard_introspection_query_passes_with_schema_introspect(
    hub: Hub, world: World, db_url: str, keys_dir: Path, env: str
) -> None:
    async with app_with(db_url, keys_dir, env=env) as (other, client):
        token = clerk(other, "640104000000", "schema:introspect")
        for query in (get_introspection_query(), FULL_INTROSPECTION):
            result = await poster(client)(query, token)
            assert "errors" not in result, result.get("errors")
            schema = build_client_schema(result["data"])
            assert {"Resident", "Household", "Case", "Division"} <= set(schema.type_map)
        sdl = await poster(client)("{ _service { sdl } }", token)
        assert '@key(fields: "id")' in sdl["data"]["_service"]["sdl"]


async def test_development_lets_anyone_introspect(hub: Hub, world: World, client: Any) -> None:
    result = await poster(client)(get_introspection_query())
    assert "errors" not in result
    assert result["extensions"]["cost"]["introspection"] > 0


async def test_introspection_budget_goes_by_the_resolved_field_not_a_name(
    hub: Hub, world: World, client: Any
) -> None:
    """A deep data query named or aliased like introspection gets the ordinary limits."""
    deep = "children { " * 10 + "code" + " }" * 10
    for query in (
        "query IntrospectionQuery { division(code: \"640000000000\") { %s } }" % deep,
        "{ __schema: division(code: \"640000000000\") { %s } }" % deep,
    ):
        result = await poster(client)(query, clerk(hub))
        assert codes(result) == ["QUERY_TOO_COMPLEX"], query
        assert "depth" in messages(result)


async def test_introspection_bombs_are_refused(hub: Hub, world: World, client: Any) -> None:
    """Cycles through `fields { type { fields ...` (graphql-core's own rule refuses them), an
    `ofType` chain past the introspection depth, and the full query three times over."""
    cycling = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    too_deep = "{ __schema { types { " + "ofType { " * 20 + "name" + " }" * 20 + " } } }"
    body = FULL_INTROSPECTION[FULL_INTROSPECTION.index("__schema") :]
    body = body[: body.index("fragment FullType")].strip().rstrip("}")
    fragments = FULL_INTROSPECTION[FULL_INTROSPECTION.index("fragment FullType") :]
    wide = "query { a: %s b: %s c: %s }\n%s" % (body, body, body, fragments)
    for query, expected in (
        (cycling, {"GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COMPLEX"}),
        (too_deep, {"QUERY_TOO_COMPLEX"}),
        (wide, {"QUERY_TOO_COMPLEX"}),
    ):
        result = await poster(client)(query, clerk(hub))
        assert result["data"] is None, query[:60]
        assert set(codes(result)) <= expected and codes(result), result
    single = await poster(client)(FULL_INTROSPECTION, clerk(hub))
    assert "errors" not in single  # one full introspection fits its budget


@pytest.mark.parametrize(
    ("query", "variables", "leak"),
    [
        ("{ me { subjekt } }", {}, "subject"),
        ('{ resident(idd: "x") { name } }', {}, "'id'"),
        ("{ cases(filter: { statu: SUBMITTED }) { totalCount } }", {}, "status"),
        ("{ cases(filter: { status: SUBMITED }) { totalCount } }", {}, "SUBMITTED"),
        ("query($f: CaseFilter) { cases(filter: $f) { totalCount } }", {"f": {"status": "SUBMITED"}},
         "SUBMITTED"),
        ("query($f: CaseFiltr) { cases(filter: $f) { totalCount } }", {}, "CaseFilter"),
        ("{ residnts { totalCount } }", {}, "residents"),
    ],
)
async def test_production_gives_no_suggestions(
    hub: Hub, world: World, db_url: str, keys_dir: Path, query: str, variables: dict[str, Any],
    leak: str,
) -> None:
    dev = await poster_for(hub)(query, clerk(hub), **variables)
    assert "Did you mean" in messages(dev)  # the hint exists: production must remove it
    async with app_with(db_url, keys_dir, env="production") as (prod, client):
        result = await poster(client)(query, clerk(prod), **variables)
        assert result.get("errors"), result
        assert "Did you mean" not in messages(result)
        assert leak not in messages(result)
        assert set(codes(result)) <= {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}


async def test_production_masks_unexpected_errors_with_a_request_id(
    hub: Hub, world: World, db_url: str, keys_dir: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(ctx: Any, stmt: Any) -> int:
        raise RuntimeError('relation "residents" SELECT secret_column FROM ...')

    monkeypatch.setattr(records, "count", broken)
    # `division` is not compiled: the page is resolved field by field, through records.count.
    query = "{ residents { totalCount edges { node { division { code } } } } }"
    async with app_with(db_url, keys_dir, env="production") as (prod, client):
        result = await poster(client)(query, clerk(prod))
    error = result["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL"
    request_id = error["extensions"]["requestId"]
    assert request_id and request_id in error["message"]
    assert "secret_column" not in str(result) and "Traceback" not in str(result)
    assert any("secret_column" in str(r.exc_info) for r in caplog.records if r.exc_info)


async def test_production_masks_errors_of_the_compiled_read_path_too(
    hub: Hub, world: World, db_url: str, keys_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.compiled.reader import CompiledReads

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError('relation "residents" SELECT secret_column FROM ...')

    monkeypatch.setattr(CompiledReads, "connection", broken)
    async with app_with(db_url, keys_dir, env="production") as (prod, client):
        if prod.services.compiled_reads is None:
            pytest.skip("SQLite serves reads through the resolvers only")
        result = await poster(client)("{ residents { totalCount } }", clerk(prod))
    assert [e["extensions"]["code"] for e in result["errors"]] == ["INTERNAL"]
    assert "secret_column" not in str(result) and result["data"] is None


async def test_production_serves_no_graphiql(
    hub: Hub, world: World, db_url: str, keys_dir: Path, client: Any
) -> None:
    html = {"Accept": "text/html"}
    assert (await client.get("/graphql", headers=html)).status_code == 200  # development
    async with app_with(db_url, keys_dir, env="production") as (_prod, prod_client):
        response = await prod_client.get("/graphql", headers=html)
        assert response.status_code == 404
        assert "graphiql" not in response.text.lower()


def poster_for(hub: Hub) -> Any:
    import httpx

    async def post(query: str, token: str, **variables: Any) -> dict[str, Any]:
        transport = httpx.ASGITransport(app=hub.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
            return await poster(c)(query, token, **variables)

    return post
