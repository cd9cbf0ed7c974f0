"""The cost rule: Saleor-style map with list multipliers; the five portal queries of
docs/security.md score what the document says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, GraphQLSchema, parse, validate

from hub.hardening.cost import Score, score_operation, standard_introspection_cost
from hub.hardening.limits import operation_of
from hub.policy.evaluator import PolicyEvaluator
from hub.policy.loader import load_policy
from hub.schema.build import build_schema
from tests.unit.portal_queries import PORTAL_QUERIES

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(PolicyEvaluator(load_policy()))._schema


def score(schema: GraphQLSchema, query: str, variables: dict[str, Any] | None = None) -> Score:
    document = parse(query)
    assert validate(schema, document) == []
    operation = operation_of(document, None)
    assert operation is not None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return score_operation(schema, fragments, operation, variables)


def test_leaves_are_free_and_objects_cost_one(schema: GraphQLSchema) -> None:
    assert score(schema, "{ me { subject roles } }").total == 0  # `me` is free by the map
    assert score(schema, '{ resident(id: "x") { name household { id } } }').total == 2


def test_first_multiplies_the_items_not_the_connection(schema: GraphQLSchema) -> None:
    one = score(schema, "{ residents(first: 1) { totalCount edges { node { id } } } }").total
    hundred = score(schema, "{ residents(first: 100) { totalCount edges { node { id } } } }")
    assert one == 1 + 10 + 1 and hundred.total == 1 + 10 + 100
    default = score(schema, "{ residents { edges { node { id } } } }").total
    assert default == 1 + 20
    by_variable = score(schema, "query($n: Int) { cases(first: $n) { edges { node { id } } } }",
                        {"n": 50})
    assert by_variable.total == 51
    with_default = score(schema, "query($n: Int = 7) { cases(first: $n) { edges { node { id } } } }")
    assert with_default.total == 8


def test_lists_multiply_by_length_or_typical_size(schema: GraphQLSchema) -> None:
    ids = score(schema, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 40})
    assert ids.total == 40
    members = score(schema, '{ household(id: "x") { members { resident { id } } } }').total
    assert members == 1 + 5 * (1 + 1)
    payments = score(schema, '{ resident(id: "x") { entitlements { payments(last: 3) { id } } } }')
    assert payments.total == 1 + 2 * (1 + 3 * 1)


def test_fragments_and_inline_fragments_cost_what_they_select(schema: GraphQLSchema) -> None:
    direct = score(schema, '{ case(id: "x") { applicant { household { id } } } }').total
    spread = score(schema, """fragment A on Case { applicant { ...H } }
        fragment H on Resident { household { id } } { case(id: "x") { ...A } }""").total
    inline = score(schema, '{ node(id: "x") { ... on Case { applicant { household { id } } } } }')
    assert direct == spread == 3 and inline.total == 1 + 2


def test_introspection_is_scored_apart(schema: GraphQLSchema) -> None:
    mixed = score(schema, "{ __schema { types { name } } me { subject } }")
    assert mixed.total == 0 and mixed.introspection == 1 + len(schema.type_map)
    assert standard_introspection_cost(schema) > 10_000


def test_the_five_portal_queries_score_as_documented(schema: GraphQLSchema) -> None:
    scores = {name: score(schema, q, v).total for name, (q, v) in PORTAL_QUERIES.items()}
    assert scores == {
        "TownshipQueue": 172,
        "ResidentFile": 70,
        "VerificationInbox": 761,
        "PaymentRun": 512,
        "Dashboard": 237,
    }
    documented = dict(re.findall(r"^\| `(\w+)` \|[^|]*\| (\d+) \|", DOC.read_text("utf-8"), re.M))
    assert {k: int(v) for k, v in documented.items()} == scores
