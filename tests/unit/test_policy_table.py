"""Every cell of the DESIGN.md §3 default policy table, checked against the packaged policy.

The table is copied here as literal data, independent of policy.yaml, so that a change to the
YAML that drifts from the design fails here.
"""

from __future__ import annotations

import pytest

from hub.auth.principal import Principal
from hub.policy.evaluator import PolicyEvaluator
from hub.policy.grants import Grant
from hub.policy.loader import load_policy
from hub.policy.model import DOMAIN_FIELDS
from hub.types import Department

COLUMNS = (
    "civil_affairs_county_and_above",
    "civil_affairs_township",
    "civil_affairs_village",
    "public_security",
    "human_resources",
    "housing",
    "medical_security",
    "disabled_federation",
    "finance",
    "audit",
)

# DESIGN.md §3, row by row, columns in the order of COLUMNS: civil affairs county and above,
# township, village, public security, human resources, housing, medical security, disabled
# federation, finance, audit. "*" = need to know.
TABLE = """
name            | FULL   FULL   FULL   FULL   FULL   FULL   FULL   FULL   MASKED MASKED
idNumber        | FULL   FULL   MASKED FULL*  FULL*  FULL*  FULL*  FULL*  MASKED MASKED
phone           | FULL   FULL   FULL   MASKED MASKED MASKED MASKED MASKED DENIED DENIED
address         | FULL   FULL   FULL   FULL*  MASKED FULL*  MASKED MASKED DENIED DENIED
bankAccount     | MASKED MASKED DENIED DENIED DENIED DENIED DENIED DENIED FULL   DENIED
monthlyIncome   | FULL   FULL   DENIED DENIED FULL*  DENIED DENIED DENIED DENIED DENIED
healthCondition | FULL   FULL   DENIED DENIED DENIED DENIED FULL*  FULL*  DENIED DENIED
disabilityLevel | FULL   FULL   FULL   DENIED DENIED DENIED FULL   FULL   DENIED DENIED
amount          | FULL   FULL   FULL   DENIED FULL   DENIED DENIED DENIED FULL   FULL
"""

# Which (type, field) pairs each table row governs, including the fields that follow a row.
ROW_FIELDS = {
    "name": [("Resident", "name")],
    "idNumber": [("Resident", "idNumber")],
    "phone": [("Resident", "phone")],
    "address": [("Resident", "address")],
    "bankAccount": [("Resident", "bankAccount"), ("Payment", "bankAccount")],
    "monthlyIncome": [
        ("Resident", "monthlyIncome"),
        ("Household", "declaredMonthlyIncome"),
        ("Household", "verifiedMonthlyIncome"),
    ],
    "healthCondition": [("Resident", "healthCondition")],
    "disabilityLevel": [("Resident", "disabilityLevel")],
    "amount": [("Payment", "amount"), ("Entitlement", "monthlyAmount")],
}

REGION, CITY, COUNTY = "640000000000", "640100000000", "640104000000"
TOWNSHIP, VILLAGE = "640104001000", "640104001001"

# Callers standing for each column; civil affairs county-and-above is tried at every level.
COLUMN_CALLERS: dict[str, list[tuple[Department, str, frozenset[str]]]] = {
    "civil_affairs_county_and_above": [
        (Department.CIVIL_AFFAIRS, REGION, frozenset({"supervisor"})),
        (Department.CIVIL_AFFAIRS, CITY, frozenset({"reviewer"})),
        (Department.CIVIL_AFFAIRS, COUNTY, frozenset({"approver"})),
    ],
    "civil_affairs_township": [(Department.CIVIL_AFFAIRS, TOWNSHIP, frozenset({"clerk"}))],
    "civil_affairs_village": [
        (Department.CIVIL_AFFAIRS, VILLAGE, frozenset({"proxy_agent"})),
        (Department.CIVIL_AFFAIRS, VILLAGE, frozenset()),
    ],
    "public_security": [(Department.PUBLIC_SECURITY, COUNTY, frozenset({"partner"}))],
    "human_resources": [(Department.HUMAN_RESOURCES, CITY, frozenset({"partner"}))],
    "housing": [(Department.HOUSING, COUNTY, frozenset({"partner"}))],
    "medical_security": [(Department.MEDICAL_SECURITY, REGION, frozenset({"partner"}))],
    "disabled_federation": [(Department.DISABLED_FEDERATION, TOWNSHIP, frozenset({"partner"}))],
    "finance": [(Department.FINANCE, COUNTY, frozenset({"finance"}))],
    "audit": [(Department.AUDIT, REGION, frozenset({"auditor"}))],
}
OTHER_DEPARTMENTS = (
    Department.HEALTH,
    Department.MARKET_REGULATION,
    Department.TAXATION,
    Department.EDUCATION,
)


def _parse_table() -> dict[tuple[str, str], tuple[Grant, bool]]:
    cells: dict[tuple[str, str], tuple[Grant, bool]] = {}
    for line in TABLE.strip().splitlines():
        row, cells_text = (part.strip() for part in line.split("|"))
        values = cells_text.split()
        assert len(values) == len(COLUMNS), row
        for column, value in zip(COLUMNS, values, strict=True):
            cells[row, column] = (Grant(value.rstrip("*")), value.endswith("*"))
    return cells


CELLS = _parse_table()
CASES = [
    pytest.param(type_name, field_name, dept, code, roles, grant, ntk, id=f"{row}-{col}-{code}")
    for (row, col), (grant, ntk) in CELLS.items()
    for type_name, field_name in ROW_FIELDS[row]
    for dept, code, roles in COLUMN_CALLERS[col]
]


@pytest.fixture(scope="module")
def evaluator() -> PolicyEvaluator:
    return PolicyEvaluator(load_policy(known_fields=DOMAIN_FIELDS))


def _principal(dept: Department, code: str, roles: frozenset[str]) -> Principal:
    return Principal("tester", dept, code, roles)


def test_table_has_nine_rows_and_ten_columns() -> None:
    assert len(CELLS) == 9 * 10
    assert len({row for row, _ in CELLS}) == 9


@pytest.mark.parametrize(
    ("type_name", "field_name", "dept", "code", "roles", "grant", "ntk"), CASES
)
def test_each_table_cell_gives_its_grant_and_need_to_know(
    evaluator: PolicyEvaluator,
    type_name: str,
    field_name: str,
    dept: Department,
    code: str,
    roles: frozenset[str],
    grant: Grant,
    ntk: bool,
) -> None:
    decision = evaluator.decide(_principal(dept, code, roles), type_name, field_name)
    assert (decision.grant, decision.need_to_know) == (grant, ntk)
    assert decision.rule not in ("default_deny", "not_sensitive")


@pytest.mark.parametrize(
    ("type_name", "field_name", "dept", "code", "roles", "grant", "ntk"), CASES
)
def test_need_to_know_full_is_full_only_with_an_open_task(
    evaluator: PolicyEvaluator,
    type_name: str,
    field_name: str,
    dept: Department,
    code: str,
    roles: frozenset[str],
    grant: Grant,
    ntk: bool,
) -> None:
    decision = evaluator.decide(_principal(dept, code, roles), type_name, field_name)
    assert evaluator.effective(decision, has_open_task=True) is grant
    assert evaluator.effective(decision, has_open_task=False) is (Grant.MASKED if ntk else grant)
    if ntk or grant is Grant.MASKED:
        assert decision.mask is not None


@pytest.mark.parametrize("dept", OTHER_DEPARTMENTS, ids=str)
@pytest.mark.parametrize("row", list(ROW_FIELDS))
def test_other_departments_get_public_security_column_without_need_to_know(
    evaluator: PolicyEvaluator, dept: Department, row: str
) -> None:
    ps_grant, ps_ntk = CELLS[row, "public_security"]
    expected = Grant.MASKED if ps_ntk else ps_grant
    for type_name, field_name in ROW_FIELDS[row]:
        decision = evaluator.decide(_principal(dept, COUNTY, frozenset()), type_name, field_name)
        assert (decision.grant, decision.need_to_know) == (expected, False)
        assert evaluator.effective(decision, has_open_task=True) is expected


@pytest.mark.parametrize(
    ("dept", "code"),
    [
        (Department.CIVIL_AFFAIRS, VILLAGE),
        (Department.FINANCE, COUNTY),
        (Department.AUDIT, REGION),
        (Department.HEALTH, TOWNSHIP),
    ],
)
@pytest.mark.parametrize("row", list(ROW_FIELDS))
def test_citizens_see_their_own_record_in_full_whatever_their_department(
    evaluator: PolicyEvaluator, dept: Department, code: str, row: str
) -> None:
    citizen = _principal(dept, code, frozenset({"citizen"}))
    for type_name, field_name in ROW_FIELDS[row]:
        decision = evaluator.decide(citizen, type_name, field_name)
        assert (decision.grant, decision.need_to_know) == (Grant.FULL, False)
        assert decision.rule == "citizen_own_record"


@pytest.mark.parametrize(
    ("code", "column"),
    [
        (REGION, "civil_affairs_county_and_above"),
        (CITY, "civil_affairs_county_and_above"),
        (COUNTY, "civil_affairs_county_and_above"),
        (TOWNSHIP, "civil_affairs_township"),
        (VILLAGE, "civil_affairs_village"),
    ],
)
def test_civil_affairs_column_follows_the_callers_level(
    evaluator: PolicyEvaluator, code: str, column: str
) -> None:
    clerk = _principal(Department.CIVIL_AFFAIRS, code, frozenset({"clerk"}))
    for row, fields in ROW_FIELDS.items():
        for type_name, field_name in fields:
            decision = evaluator.decide(clerk, type_name, field_name)
            assert (decision.grant, decision.need_to_know) == CELLS[row, column], (row, code)


def test_fields_the_policy_does_not_name_are_full_for_anyone(evaluator: PolicyEvaluator) -> None:
    for dept in Department:
        decision = evaluator.decide(_principal(dept, VILLAGE, frozenset()), "Resident", "gender")
        assert (decision.grant, decision.rule) == (Grant.FULL, "not_sensitive")


def test_sensitive_fields_are_exactly_the_table_fields(evaluator: PolicyEvaluator) -> None:
    expected: dict[str, set[str]] = {}
    for fields in ROW_FIELDS.values():
        for type_name, field_name in fields:
            expected.setdefault(type_name, set()).add(field_name)
    assert evaluator.policy.sensitive_fields() == expected


def test_admin_and_supervisor_roles_add_nothing_to_their_departments_column(
    evaluator: PolicyEvaluator,
) -> None:
    plain = _principal(Department.FINANCE, COUNTY, frozenset({"finance"}))
    admin = _principal(Department.FINANCE, COUNTY, frozenset({"finance", "admin", "supervisor"}))
    for fields in ROW_FIELDS.values():
        for type_name, field_name in fields:
            assert evaluator.decide(admin, type_name, field_name) == evaluator.decide(
                plain, type_name, field_name
            )
