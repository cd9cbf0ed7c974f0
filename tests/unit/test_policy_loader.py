"""The policy loader accepts the packaged policy and refuses every mistake with a precise line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.auth.principal import Principal
from hub.errors import ConfigError
from hub.policy.evaluator import PolicyEvaluator
from hub.policy.grants import Grant
from hub.policy.loader import PolicyError, load_policy
from hub.policy.model import DOMAIN_FIELDS
from hub.types import Department, Level

BASE = """\
version: "test-1"
callers:
  partners: {departments: [public_security, housing]}
  county_civil_affairs: {departments: [civil_affairs], levels: [REGION, COUNTY]}
masks:
  Resident.idNumber: id_number
rules:
  - rule: civil_affairs_id
    field: Resident.idNumber
    who: county_civil_affairs
    grant: FULL
  - rule: ps_id_need_to_know
    field: Resident.idNumber
    who: {departments: [public_security]}
    grant: FULL
    need_to_know: true
  - rule: partners_id_masked
    fields: [Resident.idNumber]
    who: [partners]
    grant: MASKED
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _error(tmp_path: Path, text: str, **kwargs: object) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path, **kwargs)  # type: ignore[arg-type]
    return str(info.value)


def _principal(dept: Department, code: str = "640104000000", *roles: str) -> Principal:
    return Principal("tester", dept, code, frozenset(roles))


def test_packaged_policy_loads_with_version_and_sensitive_fields() -> None:
    policy = load_policy(known_fields=DOMAIN_FIELDS)
    assert policy.version == "2024.1"
    assert policy.source == "policy.yaml"
    assert "idNumber" in policy.sensitive_fields()["Resident"]


def test_a_valid_file_loads_with_its_rules_in_order(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, BASE), known_fields=DOMAIN_FIELDS)
    assert policy.version == "test-1"
    assert [r.name for r in policy.rules] == [
        "civil_affairs_id",
        "ps_id_need_to_know",
        "partners_id_masked",
    ]
    assert policy.rules[0].who.matchers[0].levels == (Level.REGION, Level.COUNTY)


def test_policy_error_is_a_config_error() -> None:
    assert issubclass(PolicyError, ConfigError)


def test_unknown_department_names_file_line_rule_field_and_value(tmp_path: Path) -> None:
    text = BASE.replace("departments: [public_security]}", "departments: [publc_security]}")
    message = _error(tmp_path, text)
    line = _line(text, "publc_security")
    assert message == (
        f"{tmp_path / 'policy.yaml'}:{line}: rule 'ps_id_need_to_know' (Resident.idNumber): "
        "unknown department 'publc_security'"
    )


def test_unknown_department_in_a_caller_group_names_the_group(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("public_security, housing", "public_security, housin"))
    assert message.endswith(":3: callers 'partners': unknown department 'housin'")


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE + "rulez: []\n")
    assert message.endswith("top level: unknown key 'rulez'")


def test_missing_version_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace('version: "test-1"\n', ""))
    assert message.endswith("top level: missing 'version'")


def test_unquoted_numeric_version_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace('"test-1"', "1.10"))
    assert message.endswith("version: must be a non-empty quoted string")


def test_unknown_type_is_refused_against_known_fields(tmp_path: Path) -> None:
    text = BASE.replace("field: Resident.idNumber", "field: Resdent.idNumber", 1)
    message = _error(tmp_path, text, known_fields=DOMAIN_FIELDS)
    assert "rule 'civil_affairs_id' (Resdent.idNumber): unknown type 'Resdent'" in message


def test_unknown_field_is_refused_against_known_fields(tmp_path: Path) -> None:
    text = BASE.replace("Resident.idNumber: id_number", "Resident.idNumbr: id_number")
    message = _error(tmp_path, text, known_fields=DOMAIN_FIELDS)
    assert message.endswith(
        ":6: masks 'Resident.idNumbr': unknown field 'idNumbr' of type Resident"
    )


def test_field_not_written_type_dot_field_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("fields: [Resident.idNumber]", "fields: [idNumber]"))
    assert "rule 'partners_id_masked' (idNumber): field must be written Type.field" in message


def test_unknown_level_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("[REGION, COUNTY]", "[REGION, CONTY]"))
    assert message.endswith("callers 'county_civil_affairs': unknown level 'CONTY'")


def test_upside_down_level_range_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("[REGION, COUNTY]", "[COUNTY, REGION]"))
    assert "level range runs from COUNTY down, not up" in message


def test_unknown_role_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("levels: [REGION, COUNTY]}", "levels: [REGION, COUNTY], roles: [clrk]}")
    assert _error(tmp_path, text).endswith("callers 'county_civil_affairs': unknown role 'clrk'")


def test_unknown_mask_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace(": id_number", ": id_numbr"))
    assert ":6: masks 'Resident.idNumber': unknown mask 'id_numbr'" in message


def test_bad_grant_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("grant: MASKED", "grant: MASK"))
    assert "rule 'partners_id_masked' (Resident.idNumber): bad grant 'MASK'" in message


def test_masked_grant_on_a_field_without_a_mask_is_refused(tmp_path: Path) -> None:
    message = _error(
        tmp_path, BASE.replace("fields: [Resident.idNumber]", "fields: [Resident.phone]")
    )
    assert message.endswith("Resident.phone can be MASKED but has no mask in 'masks'")


def test_need_to_know_on_a_field_without_a_mask_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("  Resident.idNumber: id_number\n", "").replace(
        "  - rule: partners_id_masked\n    fields: [Resident.idNumber]\n    who: [partners]\n"
        "    grant: MASKED\n",
        "",
    )
    message = _error(tmp_path, text)
    assert "rule 'ps_id_need_to_know'" in message
    assert message.endswith("Resident.idNumber can be MASKED but has no mask in 'masks'")


def test_need_to_know_on_a_grant_other_than_full_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("grant: MASKED", "grant: MASKED\n    need_to_know: true")
    assert "need_to_know is true or false, and only qualifies FULL" in _error(tmp_path, text)


def test_duplicate_rule_names_are_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("rule: partners_id_masked", "rule: civil_affairs_id"))
    line = _line(BASE, "rule: partners_id_masked")
    assert message.endswith(f":{line}: rule 'civil_affairs_id': duplicate rule name")


def test_unknown_caller_group_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("who: [partners]", "who: [partner]"))
    assert message.endswith(
        "rule 'partners_id_masked' (Resident.idNumber): unknown caller group 'partner'"
    )


def test_unknown_rule_key_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("need_to_know: true", "need_to_knw: true"))
    assert message.endswith(
        "rule 'ps_id_need_to_know' (Resident.idNumber): unknown key 'need_to_knw'"
    )


def test_unknown_caller_key_is_refused(tmp_path: Path) -> None:
    message = _error(
        tmp_path,
        BASE.replace("{departments: [public_security, housing]}", "{department: [housing]}"),
    )
    assert "callers 'partners': unknown key 'department'" in message


def test_rule_without_who_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("    who: [partners]\n", ""))
    assert message.endswith("rule 'partners_id_masked' (Resident.idNumber): missing 'who'")


def test_duplicate_yaml_key_is_refused_not_silently_overwritten(tmp_path: Path) -> None:
    text = BASE.replace("grant: MASKED", "grant: MASKED\n    grant: FULL")
    message = _error(tmp_path, text)
    line = _line(text, "grant: MASKED") + 1
    assert message == f"{tmp_path / 'policy.yaml'}:{line}: invalid YAML: duplicate key 'grant'"


def test_invalid_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE + "  - rule: [unclosed\n")
    assert "invalid YAML" in message


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "nope.yaml")


def test_a_typo_in_the_last_rule_never_half_loads(tmp_path: Path) -> None:
    good = load_policy(_write(tmp_path, BASE))
    evaluator = PolicyEvaluator(good)
    with pytest.raises(PolicyError):
        load_policy(_write(tmp_path, BASE.replace("grant: MASKED", "grant: MASKD")))
    # The evaluator still answers from the complete previous policy, never from a partial one.
    decision = evaluator.decide(_principal(Department.HOUSING), "Resident", "idNumber")
    assert (decision.grant, decision.rule) == (Grant.MASKED, "partners_id_masked")


def test_an_override_file_replaces_the_packaged_policy(tmp_path: Path) -> None:
    # HUB_POLICY_FILE names such a file; the config hands its path to load_policy.
    packaged = PolicyEvaluator(load_policy())
    override = PolicyEvaluator(load_policy(_write(tmp_path, BASE)))
    housing = _principal(Department.HOUSING)
    assert packaged.decide(housing, "Resident", "phone").grant is Grant.MASKED
    assert override.decide(housing, "Resident", "phone").rule == "not_sensitive"
    assert override.version == "test-1"


def test_first_matching_rule_wins(tmp_path: Path) -> None:
    evaluator = PolicyEvaluator(load_policy(_write(tmp_path, BASE)))
    decision = evaluator.decide(_principal(Department.PUBLIC_SECURITY), "Resident", "idNumber")
    assert (decision.grant, decision.need_to_know) == (Grant.FULL, True)
    assert decision.rule == "ps_id_need_to_know"


def test_named_field_with_no_matching_rule_is_denied(tmp_path: Path) -> None:
    evaluator = PolicyEvaluator(load_policy(_write(tmp_path, BASE)))
    village = _principal(Department.CIVIL_AFFAIRS, "640104001001")
    decision = evaluator.decide(village, "Resident", "idNumber")
    assert (decision.grant, decision.rule) == (Grant.DENIED, "default_deny")


def test_level_range_is_inclusive_at_both_ends(tmp_path: Path) -> None:
    evaluator = PolicyEvaluator(load_policy(_write(tmp_path, BASE)))
    grants = {
        code: evaluator.decide(
            _principal(Department.CIVIL_AFFAIRS, code), "Resident", "idNumber"
        ).grant
        for code in ("640000000000", "640100000000", "640104000000", "640104001000")
    }
    assert grants == {
        "640000000000": Grant.FULL,
        "640100000000": Grant.FULL,
        "640104000000": Grant.FULL,
        "640104001000": Grant.DENIED,
    }
