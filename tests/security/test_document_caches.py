"""What is remembered per document text (parsing, validation, limits) and per variables (cost)
never lets a document through that would be refused when checked afresh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.factories import Hub, World
from tests.security.hardening_support import COUNTY, app_with, clerk, codes, poster

PAGE = "query($n: Int) { residents(first: $n) { edges { node { household { members { relation } } } } } }"


async def test_cost_follows_the_variables_of_a_remembered_document(
    hub: Hub, world: World, client: Any
) -> None:
    post = poster(client)
    small = await post(PAGE, clerk(hub), n=2)
    large = await post(PAGE, clerk(hub), n=20)
    again = await post(PAGE, clerk(hub), n=2)
    # 1 + n × (node 1 + household 1 + members 5 × 1)
    assert small["extensions"]["cost"]["requested"] == 1 + 2 * 7
    assert large["extensions"]["cost"]["requested"] == 1 + 20 * 7
    assert again["extensions"]["cost"] == small["extensions"]["cost"]


async def test_a_refused_document_is_refused_every_time(hub: Hub, world: World, client: Any) -> None:
    post = poster(client)
    invalid = "{ residents { edges { node { noSuchField } } } }"
    for _ in range(3):
        assert codes(await post(invalid, clerk(hub))) == ["GRAPHQL_VALIDATION_FAILED"]
    unparsable = "{ residents { edges "
    for _ in range(2):
        assert codes(await post(unparsable, clerk(hub))) == ["GRAPHQL_PARSE_FAILED"]


async def test_a_remembered_document_still_checks_nul_in_variables(
    hub: Hub, world: World, client: Any
) -> None:
    post = poster(client)
    query = 'query($code: String!) { residents(filter: {divisionCode: $code}) { edges { node { id } } } }'
    assert "errors" not in await post(query, clerk(hub), code="640104001000")
    refused = await post(query, clerk(hub), code="640104\x00001000")
    assert codes(refused) == ["BAD_USER_INPUT"]


async def test_reading_the_schema_is_decided_per_caller_for_the_same_text(
    hub: Hub, world: World, db_url: str, keys_dir: Path
) -> None:
    introspection = "{ __schema { queryType { name } } }"
    async with app_with(db_url, keys_dir, env="production") as (prod, prod_client):
        post = poster(prod_client)
        allowed = await post(introspection, clerk(prod, COUNTY, "schema:introspect"))
        assert allowed["data"] == {"__schema": {"queryType": {"name": "Query"}}}
        # The same text, passed a moment ago, is refused to a caller without the scope.
        assert codes(await post(introspection, clerk(prod))) == ["GRAPHQL_VALIDATION_FAILED"]
