"""The evaluator decides per caller shape, caches, and explains itself from the same rules."""

from __future__ import annotations

import dataclasses

import pytest

from hub.auth.principal import Principal
from hub.policy.evaluator import Decision, PolicyEvaluator
from hub.policy.grants import Grant
from hub.policy.loader import load_policy
from hub.types import Department, Level


@pytest.fixture(scope="module")
def evaluator() -> PolicyEvaluator:
    return PolicyEvaluator(load_policy())


def _partner(subject: str = "ps-system", *roles: str) -> Principal:
    return Principal(subject, Department.PUBLIC_SECURITY, "640104000000", frozenset(roles))


def test_decision_is_frozen_and_carries_rule_and_mask(evaluator: PolicyEvaluator) -> None:
    decision = evaluator.decide(_partner(), "Resident", "idNumber")
    assert decision == Decision(
        "Resident", "idNumber", Grant.FULL, True, "id_number_verifying_partners", "id_number"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.grant = Grant.DENIED  # type: ignore[misc]


def test_full_grant_without_need_to_know_carries_no_mask(evaluator: PolicyEvaluator) -> None:
    assert evaluator.decide(_partner(), "Resident", "name").mask is None


def test_callers_of_the_same_shape_share_one_cached_decision(evaluator: PolicyEvaluator) -> None:
    first = evaluator.decide(_partner("a", "partner"), "Resident", "phone")
    second = evaluator.decide(_partner("b", "partner"), "Resident", "phone")
    assert first is second


def test_roles_no_rule_mentions_do_not_split_the_cache(evaluator: PolicyEvaluator) -> None:
    plain = evaluator.decide(_partner("a"), "Resident", "address")
    with_roles = evaluator.decide(
        _partner("b", "partner", "admin", "unknown"), "Resident", "address"
    )
    assert plain is with_roles


def test_decide_for_a_bare_shape_matches_decide(evaluator: PolicyEvaluator) -> None:
    shaped = evaluator.decide_for(
        Department.PUBLIC_SECURITY, Level.COUNTY, frozenset(), "Resident", "idNumber"
    )
    assert shaped == evaluator.decide(_partner(), "Resident", "idNumber")


def test_decide_all_covers_every_sensitive_field(evaluator: PolicyEvaluator) -> None:
    decisions = evaluator.decide_all(_partner())
    assert len(decisions) == 13
    assert decisions["Payment", "bankAccount"].grant is Grant.DENIED


def test_describe_summarises_every_grant_for_the_sdl(evaluator: PolicyEvaluator) -> None:
    assert evaluator.describe("Resident", "address") == (
        "Field policy: FULL for citizens, civil affairs county and above, civil affairs township,"
        " civil affairs village; FULL with need to know, else MASKED (address), for public"
        " security, housing; MASKED (address) for human resources, medical security, disabled"
        " federation, other departments; DENIED for finance, audit, anyone else."
    )


def test_describe_a_field_the_policy_does_not_name(evaluator: PolicyEvaluator) -> None:
    assert evaluator.describe("Resident", "gender").startswith("Not sensitive: FULL")


def test_explain_names_the_caller_decision_rule_and_version(evaluator: PolicyEvaluator) -> None:
    text = evaluator.explain(_partner("x", "partner"), "Resident", "idNumber", has_open_task=False)
    lines = text.splitlines()
    assert lines[0] == (
        "Resident.idNumber for department public_security, level COUNTY"
        " (division 640104000000), roles partner"
    )
    assert lines[1] == "decision: FULL with need to know (mask id_number)"
    assert "  without an open task: MASKED" in lines
    assert "  with an open task: FULL" not in lines
    assert "rule: id_number_verifying_partners" in lines
    assert lines[-1] == "policy: version 2024.1 (policy.yaml)"


def test_explain_shows_the_rule_note(evaluator: PolicyEvaluator) -> None:
    village = Principal("v", Department.CIVIL_AFFAIRS, "640104001001", frozenset({"proxy_agent"}))
    text = evaluator.explain(village, "Resident", "idNumber")
    assert "rule: id_number_masked_village" in text
    assert "note: village proxy agents" in text
