"""The compiled read path's planner: what compiles, what falls back, and how the caller's rights
and the request's values reach the statement (pure: no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse

from hub.auth.principal import Principal
from hub.compiled.plan import Planner
from hub.compiled.reader import CompiledReads, _child_type
from hub.compiled.selection import Selected, Unsupported, collect
from hub.policy.evaluator import PolicyEvaluator
from hub.policy.loader import DEFAULT_POLICY_PATH, load_policy
from hub.types import Department

EVALUATOR = PolicyEvaluator(load_policy(None))
PAGE = """{ residents { edges { cursor node { id name idNumber phone address
  cases { caseNumber entitlement { monthlyAmount payments(last: 3) { period amount } } } } } } }"""


def selection(query: str, variables: dict[str, object] | None = None) -> tuple[Selected, ...]:
    document = parse(query)
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    root = operation.selection_set.selections[0]
    return collect(
        [root.selection_set], "ResidentConnection", _child_type, fragments, variables or {}
    )


def caller(department: str, division: str = "640104000000", **extra: object) -> Principal:
    return Principal(
        subject="t", department=Department(department), division_code=division, **extra
    )  # type: ignore[arg-type]


def plan(query: str, who: Principal, *, after: bool = False, division: bool = False):  # type: ignore[no-untyped-def]
    return Planner(EVALUATOR, who).connection(
        "Resident", selection(query), after=after, division=division
    )


def test_request_values_are_parameters_and_jurisdiction_is_the_callers() -> None:
    built = plan(PAGE, caller("civil_affairs"), after=True, division=True)
    assert set(built.params) == {"division_low", "division_high", "after", "first", "limit"}
    # The caller's area is part of the plan (plans are cached per caller shape)...
    assert "'640104000000' AND '640104999999'" in built.sql
    # ...while the other county's rows cannot appear: its prefix is nowhere.
    assert "640105" not in built.sql


def test_masks_and_need_to_know_come_from_the_policy() -> None:
    full = plan(PAGE, caller("civil_affairs")).sql
    partner = plan(PAGE, caller("human_resources")).sql
    assert "approval_tasks" not in full  # civil affairs sees idNumber FULL without a task
    assert "approval_tasks.department = 'human_resources'" in partner  # need to know
    assert "****" in partner and "'**** **** **** '" not in partner  # phone masked, no bank field


def test_denied_fields_become_null_with_one_error_per_object() -> None:
    built = plan(PAGE, caller("public_security"))
    denied = {(d.type_name, d.field_name, d.route) for d in built.denials}
    # Amounts are denied to public security, on entitlements and on each payment.
    assert (
        "Entitlement",
        "monthlyAmount",
        ("edges", None, "node", "cases", None, "entitlement"),
    ) in denied
    assert (
        "Payment",
        "amount",
        ("edges", None, "node", "cases", None, "entitlement", "payments", None),
    ) in denied


def test_every_audited_row_set_writes_its_resource_documents() -> None:
    built = plan(PAGE, caller("human_resources"))
    for type_name in ("Resident", "Case", "Entitlement", "Payment"):
        assert f'"type":"{type_name}"' in built.sql
    # idNumber is need to know for human resources: FULL with an open task, MASKED without.
    assert (
        'CASE WHEN p._task THEN \'[{"field":"address","grant":"MASKED"},{"field":"idNumber","grant":"FULL"}'
        in built.sql
    )
    assert '{"field":"idNumber","grant":"MASKED"}' in built.sql
    assert built.unique_resources
    assert built.audits == ()  # row lists with paths only for denied fields


def test_a_type_reached_twice_may_repeat_a_resource() -> None:
    query = "{ residents { edges { node { a: cases { id } b: cases { caseNumber } } } } }"
    assert not plan(query, caller("civil_affairs")).unique_resources


@pytest.mark.parametrize(
    "query",
    [
        "{ residents { edges { node { household { division { name } } } } } }",
        "{ residents { edges { node { cases { approvalTasks { assigneeDivision { code } } } } } } }",
        "{ residents { edges { node { division { name } } } } }",
    ],
)
def test_fields_outside_the_compiled_shapes_fall_back(query: str) -> None:
    with pytest.raises(Unsupported):
        selection(query)


def test_an_out_of_range_argument_falls_back_so_the_resolver_reports_it() -> None:
    query = "{ residents { edges { node { entitlements { payments(last: 101) { period } } } } } }"
    with pytest.raises(Unsupported):
        plan(query, caller("civil_affairs"))


def test_fragments_aliases_and_directives_fold_into_one_selection() -> None:
    query = """query($with: Boolean!) { residents { edges { node { ...F a: name b: name @include(if: $with) } } } }
    fragment F on Resident { id ... on Resident { ethnicity } }"""
    document = parse(query)
    fragments = {"F": document.definitions[1]}
    root = document.definitions[0].selection_set.selections[0]
    shown = collect(
        [root.selection_set], "ResidentConnection", _child_type, fragments, {"with": False}
    )
    node = shown[0].children[0]
    assert [s.key for s in node.children] == ["id", "ethnicity", "a"]


def test_plans_are_cached_per_selection_and_caller_shape() -> None:
    reads = CompiledReads(EVALUATOR)
    builds: list[int] = []

    def build() -> object:
        builds.append(1)
        return plan(PAGE, caller("civil_affairs"))

    key = ("residents", selection(PAGE), ("civil_affairs",))
    first = reads.plan_for(key, build)
    assert reads.plan_for(("residents", selection(PAGE), ("civil_affairs",)), build) is first
    assert len(builds) == 1


def test_one_object_by_id_keeps_the_id_a_parameter_and_the_area_the_callers() -> None:
    document = parse('{ resident(id: "x") { name idNumber cases { caseNumber } } }')
    root = document.definitions[0].selection_set.selections[0]
    chosen = collect([root.selection_set], "Resident", _child_type, {}, {})
    built = Planner(EVALUATOR, caller("human_resources")).one("Resident", chosen)
    assert built.params == ("key",)
    assert "residents.id = $1" in built.sql
    assert "'640104000000' AND '640104999999'" in built.sql
    assert '"type":"Case"' in built.sql and built.unique_resources


def test_rows_reached_many_to_one_may_repeat() -> None:
    # Two residents of one household reach the same household row.
    query = "{ residents { edges { node { household { declaredMonthlyIncome } } } } }"
    assert not plan(query, caller("human_resources")).unique_resources
    one_to_many = "{ residents { edges { node { cases { caseNumber } } } } }"
    assert plan(one_to_many, caller("human_resources")).unique_resources


def test_a_case_by_number_takes_the_lowest_id_among_the_visible() -> None:
    document = parse('{ caseByNumber(caseNumber: "x") { status approvalTasks { department } } }')
    root = document.definitions[0].selection_set.selections[0]
    chosen = collect([root.selection_set], "Case", _child_type, {}, {})
    built = Planner(EVALUATOR, caller("civil_affairs")).one("Case", chosen, "case_number")
    assert built.params == ("key",)
    assert "cases.case_number = $1" in built.sql and "ORDER BY cases.id LIMIT 1" in built.sql
    assert "upper(" in built.sql  # departments are enum names in GraphQL, lower case in rows


def test_root_payments_leave_need_to_know_to_the_resolvers(tmp_path: Path) -> None:
    """A payment's need to know comes from its entitlement: below an entitlement the statement
    has it, at the root it does not, so such a page is resolved."""
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8").replace(
        "rules:\n",
        "rules:\n  - rule: account_need_to_know\n    field: Payment.bankAccount\n"
        "    who: verifying_partners\n    grant: FULL\n    need_to_know: true\n",
        1,
    )
    custom = tmp_path / "policy.yaml"
    custom.write_text(text, encoding="utf-8")
    evaluator = PolicyEvaluator(load_policy(custom))
    who = caller("human_resources")
    root = "{ payments { edges { node { period bankAccount } } } }"
    document = parse(root)
    chosen = collect(
        [document.definitions[0].selection_set.selections[0].selection_set],
        "PaymentConnection",
        _child_type,
        {},
        {},
    )
    with pytest.raises(Unsupported):
        Planner(evaluator, who).connection("Payment", chosen, after=False, division=False)
    nested = "{ residents { edges { node { entitlements { payments { bankAccount } } } } } }"
    built = Planner(evaluator, who).connection(
        "Resident", selection(nested), after=False, division=False
    )
    assert "approval_tasks" in built.sql  # the entitlement's open task decides


def test_filters_of_a_root_page_are_parameters() -> None:
    document = parse("{ approvalTasks { edges { node { status case { caseNumber } } } } }")
    chosen = collect(
        [document.definitions[0].selection_set.selections[0].selection_set],
        "ApprovalTaskConnection",
        _child_type,
        {},
        {},
    )
    built = Planner(EVALUATOR, caller("civil_affairs")).connection(
        "ApprovalTask", chosen, after=True, division=False, equals=("department", "status")
    )
    assert {"department", "status", "after", "first", "limit"} == set(built.params)
    assert "approval_tasks.status = $" in built.sql
    assert not built.unique_resources  # two tasks of one case reach the same case


def test_township_and_village_pages_read_their_own_indexes() -> None:
    """A township's page reads the (township, id) index in id order; a village's takes its ids
    from the (division_code, id) index; a county's is read in id order."""
    who = caller("civil_affairs")

    def page(**shape: bool):  # type: ignore[no-untyped-def]
        return Planner(EVALUATOR, who).connection(
            "Resident", selection(PAGE), after=True, division=True, **shape
        )

    township, village, county = page(narrow=True, township=True), page(narrow=True), page()
    assert "substr(residents.division_code, 1, 9) = $" in township.sql
    assert "residents.id IN (SELECT" not in township.sql
    assert "township" in township.params and "division_low" not in township.params
    assert "WHERE residents.id IN (SELECT residents.id FROM residents WHERE" in village.sql
    assert "residents.id IN (SELECT" not in county.sql and "substr(residents" not in county.sql
    assert set(village.params) == set(county.params)


def test_a_township_name_is_read_once_per_page_and_a_global_id_once_per_row() -> None:
    """A partner's masked address shows the township's name: on a township's or a village's
    page every row lies in one township, read once from `$township_code`; on a county's page
    each row's own. Each row's global id is written twice (the JSON, the audit document) but
    computed once (`_gid`)."""
    who = caller("human_resources")

    def page(**shape: bool):  # type: ignore[no-untyped-def]
        return Planner(EVALUATOR, who).connection(
            "Resident", selection(PAGE), after=False, division=True, **shape
        )

    township, village, county = page(narrow=True, township=True), page(narrow=True), page()
    for narrow in (township, village):
        assert "township_code" in narrow.params
        code = f"${narrow.params.index('township_code') + 1}"
        assert f"WHERE d.code = {code}) AS _township" in narrow.sql
        assert "substr(s.division_code, 1, 9) || '000'" not in narrow.sql
    assert "township_code" not in county.params
    assert "WHERE d.code = substr(s.division_code, 1, 9) || '000') AS _township" in county.sql
    for built in (township, county):
        for type_name in ("Resident", "Case", "Entitlement", "Payment"):
            assert built.sql.count(f"convert_to('{type_name}:'") == 1, type_name
        assert "p._gid" in built.sql and "r3._gid" in built.sql
