"""Federation `_entities` and `node`/`nodes` are no way around jurisdiction or the field policy:
an entity is masked exactly as its root field masks it, and guessing IDs tells a caller nothing
(out of jurisdiction and non-existent look the same; malformed input is BAD_USER_INPUT)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.schema.ids import to_global_id
from tests.factories import Hub, World
from tests.security.hardening_support import codes

FIELDS = "id name idNumber phone address bankAccount monthlyIncome healthCondition disabilityLevel"
CALLERS = [
    pytest.param("civil_affairs", "640104000000", ("approver",), id="county-civil-affairs"),
    pytest.param("civil_affairs", "640104001001", ("proxy_agent",), id="village-proxy-agent"),
    pytest.param("public_security", "640104000000", ("partner",), id="public-security"),
    pytest.param("finance", "640104000000", ("finance",), id="finance"),
    pytest.param("audit", "640104000000", ("auditor",), id="audit"),
    pytest.param("civil_affairs", "640105000000", ("clerk",), id="other-county"),
]
ROOT_FIELD = {"Resident": "resident", "Household": "household", "Case": "case"}
TYPE_FIELDS = {
    "Resident": FIELDS,
    "Household": "id declaredMonthlyIncome verifiedMonthlyIncome registrationType size",
    "Case": "id caseNumber status applicant { %s }" % FIELDS,
}


def by_field(result: dict[str, Any], root: str) -> dict[tuple[Any, ...], tuple[str, str]]:
    """Errors keyed by their path below the root object (root name and index dropped)."""
    found = {}
    for error in result.get("errors", []):
        path = error.get("path") or []
        rest = path[2:] if path[:1] == ["_entities"] else path[1:]
        found[tuple(rest)] = (error["extensions"]["code"], error["message"])
    return found


@pytest.mark.parametrize(("department", "division", "roles"), CALLERS)
@pytest.mark.parametrize("type_name", ["Resident", "Household", "Case"])
async def test_entities_are_masked_exactly_as_their_root_field(
    gql: Any, hub: Hub, world: World, department: str, division: str, roles: tuple[str, ...],
    type_name: str,
) -> None:
    token = hub.token(department, division, roles)
    keys = {"Resident": world.residents, "Household": world.households, "Case": world.cases}
    for pk in keys[type_name].values():
        gid = to_global_id(type_name, pk)
        fields = TYPE_FIELDS[type_name]
        direct = await gql(
            "query($id: ID!) { %s(id: $id) { %s } }" % (ROOT_FIELD[type_name], fields), token,
            id=gid,
        )
        entity = await gql(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on %s { %s } } }"
            % (type_name, fields), token, r=[{"__typename": type_name, "id": gid}],
        )
        assert entity["data"]["_entities"] == [direct["data"][ROOT_FIELD[type_name]]], gid
        assert by_field(entity, "_entities") == by_field(direct, ROOT_FIELD[type_name]), gid
        if direct["data"][ROOT_FIELD[type_name]] is None:
            assert codes(entity) == codes(direct) == ["NOT_FOUND"]


async def test_entities_need_a_token_except_public_divisions(gql: Any, world: World) -> None:
    resident = {"__typename": "Resident", "id": to_global_id("Resident", world.residents["zhang"])}
    division = {"__typename": "Division", "code": "640104000000"}
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Resident { name } ... on Division { code fullName } } }"""
    result = await gql(query, None, r=[resident, division])
    assert result["data"]["_entities"] == [None, {"code": "640104000000", "fullName": "宁夏回族自治区银川市兴庆区"}]
    assert codes(result) == ["UNAUTHENTICATED"]


async def test_guessing_ids_tells_nothing(gql: Any, hub: Hub, world: World) -> None:
    """From 西夏区, residents of 兴庆区 and IDs that exist nowhere answer the same way on every
    path: `node`, `nodes`, `_entities`, `resident`."""
    token = hub.token("civil_affairs", "640105000000", ("clerk",))
    hidden = [world.residents[k] for k in ("zhang", "li", "ma")]
    missing = [9_999, 123_456, 2**31 - 1]
    seen: dict[str, set[tuple[Any, ...]]] = {}
    for pk in hidden + missing:
        gid = to_global_id("Resident", pk)
        answers = {
            "node": await gql("query($id: ID!) { node(id: $id) { id } }", token, id=gid),
            "nodes": await gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", token,
                               ids=[gid]),
            "resident": await gql("query($id: ID!) { resident(id: $id) { id } }", token, id=gid),
            "_entities": await gql(
                "query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { id } } }",
                token, r=[{"__typename": "Resident", "id": gid, "divisionCode": "640105002001"}]),
        }
        for path, result in answers.items():
            value = result["data"][path] if result["data"] else None
            assert value in (None, [None]), (path, pk)
            shape = tuple((e["extensions"]["code"], e["message"]) for e in result["errors"])
            seen.setdefault(path, set()).add(shape)
    assert all(len(shapes) == 1 for shapes in seen.values()), seen
    assert all(next(iter(s))[0][0] == "NOT_FOUND" for s in seen.values())


@pytest.mark.parametrize(
    "representation",
    [
        {"__typename": "Resident", "id": "not-a-global-id"},
        {"__typename": "Resident", "id": to_global_id("Case", 1)},
        {"__typename": "Resident", "id": 1},
        {"__typename": "Resident"},
        {"__typename": "ApprovalTask", "id": to_global_id("ApprovalTask", 1)},
        {"__typename": "__Schema"},
        {"__typename": "Division", "code": "64' OR 1=1 --"},
        {"id": to_global_id("Resident", 1)},
        "Resident:1",
        [1, 2],
    ],
)
async def test_malformed_representations_are_bad_user_input(
    gql: Any, hub: Hub, world: World, representation: Any
) -> None:
    token = hub.token("civil_affairs", "640104000000", ("approver",))
    result = await gql(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { name } } }",
        token, r=[representation],
    )
    assert result["data"] == {"_entities": [None]}
    assert codes(result) == ["BAD_USER_INPUT"], result
