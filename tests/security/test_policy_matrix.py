"""The DESIGN.md §3 table, cell by cell, through every path a client can take to a field.

For each column's callers and each row's fields, one query reads the field directly, by
alias, through a fragment, through `node`, and nested (case → applicant → household → members);
every path must give the same grant: the value, its mask, or null with FORBIDDEN_FIELD.
Need-to-know cells are checked with and without an open task of the caller's department.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.policy.grants import Grant
from hub.policy.loader import load_policy
from hub.policy.masks import MASKS
from hub.schema.ids import to_global_id
from hub.types import Department
from tests.factories import Hub, World, set_task_status
from tests.helpers import GraphQL
from tests.unit.test_policy_table import CELLS, COLUMN_CALLERS, OTHER_DEPARTMENTS, ROW_FIELDS

RESIDENT_FIELDS = [
    "name",
    "idNumber",
    "phone",
    "address",
    "bankAccount",
    "monthlyIncome",
    "healthCondition",
    "disabilityLevel",
]
ATTRS = {
    "name": "name",
    "idNumber": "id_number",
    "phone": "phone",
    "address": "address",
    "bankAccount": "bank_account",
    "monthlyIncome": "monthly_income",
    "healthCondition": "health_condition",
    "disabilityLevel": "disability_level",
    "declaredMonthlyIncome": "declared_monthly_income",
    "verifiedMonthlyIncome": "verified_monthly_income",
    "amount": "amount",
    "monthlyAmount": "monthly_amount",
}
FIELDS = " ".join(RESIDENT_FIELDS)

QUERY = f"""
fragment F on Resident {{ {FIELDS} }}
query($id: ID!, $case: ID!, $li: ID!) {{
  direct: resident(id: $id) {{ {FIELDS} }}
  aliased: resident(id: $id) {{ {" ".join(f"a_{f}: {f}" for f in RESIDENT_FIELDS)} }}
  fragment: resident(id: $id) {{ ...F }}
  inline: node(id: $id) {{ ... on Resident {{ {FIELDS} }} }}
  nested: case(id: $case) {{ applicant {{ ...F }}
    household {{ declaredMonthlyIncome verifiedMonthlyIncome
      members {{ relation resident {{ ...F }} }} }} }}
  money: resident(id: $li) {{ entitlements {{ monthlyAmount payments {{ amount bankAccount }} }} }}
}}
"""

COLUMN_DEPARTMENT = {
    "public_security": "public_security",
    "human_resources": "human_resources",
    "housing": "housing",
    "medical_security": "medical_security",
    "disabled_federation": "disabled_federation",
}

_callers = [
    (column, dept.value, code, tuple(sorted(roles)), f"{column}-{code}")
    for column, callers in COLUMN_CALLERS.items()
    for dept, code, roles in callers
] + [
    (f"other:{dept.value}", dept.value, "640104000000", (), f"other-{dept.value}")
    for dept in OTHER_DEPARTMENTS
]
# Every caller without an open task; the departments that verify cases also with one.
CALLERS = [
    pytest.param(column, dept, code, roles, open_task, id=f"{ident}-{state}")
    for column, dept, code, roles, ident in _callers
    for open_task, state in ((False, "no-open-task"), (True, "open-task"))
    if not open_task or dept in COLUMN_DEPARTMENT.values()
]


def expected_cell(column: str, row: str, open_task: bool) -> Grant:
    if column.startswith("other:"):
        grant, ntk = CELLS[row, "public_security"]
        return Grant.MASKED if ntk else grant
    grant, ntk = CELLS[row, column]
    return Grant.MASKED if ntk and not open_task else grant


def row_of(type_name: str, field: str) -> str:
    return next(r for r, fields in ROW_FIELDS.items() if (type_name, field) in fields)


def render(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return str(value)


def expected_value(grant: Grant, type_name: str, field: str, raw: Any, township: str) -> Any:
    if grant is Grant.FULL:
        return render(raw)
    if grant is Grant.DENIED:
        return None
    mask = MASKS[load_policy().mask_for(type_name, field)]  # type: ignore[index]
    extra = [township] if mask.context else []
    return render(mask.python(raw, *extra))


def errors_at(result: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {
        tuple(e["path"])
        for e in result.get("errors", [])
        if e["extensions"]["code"] == "FORBIDDEN_FIELD"
    }


async def raw_rows(hub: Hub, world: World) -> dict[str, Any]:
    from hub.db.models import Entitlement, Household, Payment, Resident

    async with hub.services.sessions() as s:
        return {
            "zhang": await s.get(Resident, world.residents["zhang"]),
            "li": await s.get(Resident, world.residents["li"]),
            "h1": await s.get(Household, world.households["h1"]),
            "ent": await s.get(Entitlement, world.entitlements["li"]),
            "pay": await s.get(Payment, world.payments["li_10"]),
        }


@pytest.mark.parametrize(("column", "department", "division", "roles", "open_task"), CALLERS)
async def test_every_path_gives_the_table_grant(
    gql: GraphQL,
    hub: Hub,
    world: World,
    column: str,
    department: str,
    division: str,
    roles: tuple[str, ...],
    open_task: bool,
) -> None:
    if open_task:
        async with hub.services.sessions() as session:
            await set_task_status(session, world.tasks[department], "PENDING")
    token = hub.token(department, division, roles)
    result = await gql(
        QUERY,
        token,
        id=to_global_id("Resident", world.residents["zhang"]),
        case=to_global_id("Case", world.cases["zhang_db"]),
        li=to_global_id("Resident", world.residents["li"]),
    )
    rows = await raw_rows(hub, world)
    township = "宁夏回族自治区银川市兴庆区凤凰北街街道"
    forbidden = errors_at(result)
    data = result["data"]
    zhang = rows["zhang"]

    def check(
        path: tuple[Any, ...],
        obj: dict[str, Any],
        key: str,
        type_name: str,
        field: str,
        raw: Any,
        need_open: bool = open_task,
    ) -> None:
        grant = expected_cell(column, row_of(type_name, field), need_open)
        want = expected_value(grant, type_name, field, raw, township)
        assert obj[key] == want, (path, key, grant)
        assert ((*path, key) in forbidden) == (grant is Grant.DENIED), (path, key, grant)

    for field in RESIDENT_FIELDS:
        raw = getattr(zhang, ATTRS[field])
        check(("direct",), data["direct"], field, "Resident", field, raw)
        check(("aliased",), data["aliased"], f"a_{field}", "Resident", field, raw)
        check(("fragment",), data["fragment"], field, "Resident", field, raw)
        check(("inline",), data["inline"], field, "Resident", field, raw)
        check(("nested", "applicant"), data["nested"]["applicant"], field, "Resident", field, raw)
    members = data["nested"]["household"]["members"]
    for i, member in enumerate(members):
        resident = rows["zhang"] if member["relation"] == "SELF" else rows["li"]
        for field in RESIDENT_FIELDS:
            check(
                ("nested", "household", "members", i, "resident"),
                member["resident"],
                field,
                "Resident",
                field,
                getattr(resident, ATTRS[field]),
            )
    household = data["nested"]["household"]
    for field in ("declaredMonthlyIncome", "verifiedMonthlyIncome"):
        check(
            ("nested", "household"),
            household,
            field,
            "Household",
            field,
            getattr(rows["h1"], ATTRS[field]),
        )
    entitlement = data["money"]["entitlements"][0]
    check(
        ("money", "entitlements", 0),
        entitlement,
        "monthlyAmount",
        "Entitlement",
        "monthlyAmount",
        rows["ent"].monthly_amount,
    )
    payment = entitlement["payments"][0]
    for field in ("amount", "bankAccount"):
        check(
            ("money", "entitlements", 0, "payments", 0),
            payment,
            field,
            "Payment",
            field,
            getattr(rows["pay"], ATTRS[field]),
        )


async def test_need_to_know_switches_to_full_while_the_task_is_open_and_back(
    gql: GraphQL, hub: Hub, world: World
) -> None:
    token = hub.token("public_security", "640104000000", ("partner",))
    query = "query($id: ID!) { resident(id: $id) { idNumber address } }"
    rid = to_global_id("Resident", world.residents["zhang"])

    async def read() -> dict[str, Any]:
        return (await gql(query, token, id=rid))["data"]["resident"]

    closed = await read()
    assert closed["idNumber"].count("*") == 8
    async with hub.services.sessions() as session:
        await set_task_status(session, world.tasks["public_security"], "PENDING")
    opened = await read()
    assert "*" not in opened["idNumber"] and "*" not in opened["address"]
    async with hub.services.sessions() as session:
        await set_task_status(session, world.tasks["public_security"], "APPROVED")
    assert await read() == closed


async def test_policy_decision_reports_the_callers_own_grant(
    gql: GraphQL, hub: Hub, world: World
) -> None:
    query = '{ policyDecision(type: "Resident", field: "idNumber") { grant needToKnow rule } }'
    ps = await gql(query, hub.token("public_security", "640104000000", ("partner",)))
    assert ps["data"]["policyDecision"]["grant"] == "FULL"
    assert ps["data"]["policyDecision"]["needToKnow"] is True
    village = await gql(query, hub.token("civil_affairs", "640104001001", ("proxy_agent",)))
    assert village["data"]["policyDecision"]["grant"] == "MASKED"
    bad = await gql(
        '{ policyDecision(type: "Resident", field: "secret") { grant } }',
        hub.token("civil_affairs", "640104001001"),
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "department",
    [
        d.value
        for d in Department
        if d.value
        not in (
            "civil_affairs",
            "public_security",
            "human_resources",
            "housing",
            "medical_security",
            "disabled_federation",
        )
    ],
)
async def test_search_by_id_number_needs_full_access(
    gql: GraphQL, hub: Hub, world: World, department: str
) -> None:
    from hub.db.models import Resident

    async with hub.services.sessions() as s:
        id_number = (await s.get(Resident, world.residents["zhang"])).id_number
    token = hub.token(department, "640104000000")
    for query in (
        "query($n: String!) { residentByIdNumber(idNumber: $n) { name } }",
        "query($n: String) { residents(filter: {idNumber: $n}) { totalCount } }",
    ):
        result = await gql(query, token, n=id_number)
        assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
