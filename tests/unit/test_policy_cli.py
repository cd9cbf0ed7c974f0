"""`mzhub policy check|explain` validate files and explain decisions with clear exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.policy.cli import policy_app

runner = CliRunner()
PS_COUNTY = ["--department", "public_security", "--division", "640104000000", "--roles", "partner"]


def _write_typo_policy(tmp_path: Path) -> Path:
    text = (Path(__file__).parents[2] / "hub" / "policy" / "policy.yaml").read_text("utf-8")
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace("[public_security]}", "[publc_security]}"), encoding="utf-8")
    return path


def test_check_prints_version_and_rule_count_of_the_packaged_policy() -> None:
    result = runner.invoke(policy_app, ["check"], env={"HUB_POLICY_FILE": None})
    assert result.exit_code == 0, result.output
    assert "version 2024.1" in result.stdout
    assert "27 rules" in result.stdout


def test_check_json_reports_version_and_rules() -> None:
    result = runner.invoke(policy_app, ["check", "--json"], env={"HUB_POLICY_FILE": None})
    assert json.loads(result.stdout) == {
        "file": "policy.yaml",
        "version": "2024.1",
        "rules": 27,
        "sensitiveFields": 13,
    }


def test_check_exits_1_with_the_error_for_a_file_with_a_typo(tmp_path: Path) -> None:
    path = _write_typo_policy(tmp_path)
    result = runner.invoke(policy_app, ["check", str(path)])
    assert result.exit_code == 1
    assert "callers 'public_security': unknown department 'publc_security'" in result.stderr
    assert result.stdout == ""


def test_check_reads_the_file_named_by_hub_policy_file(tmp_path: Path) -> None:
    path = _write_typo_policy(tmp_path)
    result = runner.invoke(policy_app, ["check"], env={"HUB_POLICY_FILE": str(path)})
    assert result.exit_code == 1
    assert str(path) in result.stderr


def test_explain_names_the_decision_and_the_rule() -> None:
    result = runner.invoke(
        policy_app, ["explain", *PS_COUNTY, "Resident.idNumber"], env={"HUB_POLICY_FILE": None}
    )
    assert result.exit_code == 0, result.output
    assert "decision: FULL with need to know (mask id_number)" in result.stdout
    assert "with an open task: FULL" in result.stdout
    assert "without an open task: MASKED" in result.stdout
    assert "rule: id_number_verifying_partners" in result.stdout
    assert "policy: version 2024.1" in result.stdout


def test_explain_with_task_on_shows_only_the_open_task_grant() -> None:
    args = ["explain", *PS_COUNTY, "--task-on", "Resident.address"]
    result = runner.invoke(policy_app, args, env={"HUB_POLICY_FILE": None})
    assert result.exit_code == 0, result.output
    assert "with an open task: FULL" in result.stdout
    assert "without an open task" not in result.stdout
    assert "rule: address_need_to_know" in result.stdout


def test_explain_json_gives_the_policy_decision_shape() -> None:
    args = ["explain", "--department", "civil_affairs", "--division", "640104001001"]
    result = runner.invoke(
        policy_app, [*args, "--json", "Resident.idNumber"], env={"HUB_POLICY_FILE": None}
    )
    payload = json.loads(result.stdout)
    assert payload["grant"] == "MASKED"
    assert payload["needToKnow"] is False
    assert payload["rule"] == "id_number_masked_village"
    assert payload["mask"] == "id_number"


def test_explain_a_field_the_policy_does_not_name_is_full() -> None:
    result = runner.invoke(
        policy_app, ["explain", *PS_COUNTY, "Resident.gender"], env={"HUB_POLICY_FILE": None}
    )
    assert result.exit_code == 0
    assert "decision: FULL" in result.stdout
    assert "rule: not_sensitive" in result.stdout


def test_explain_uses_the_file_option(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(
        'version: "small-1"\nrules:\n  - rule: nobody_sees_gender\n    field: Resident.gender\n'
        "    who: {roles: [citizen]}\n    grant: FULL\n",
        encoding="utf-8",
    )
    args = ["explain", *PS_COUNTY, "--file", str(path), "Resident.gender"]
    result = runner.invoke(policy_app, args)
    assert result.exit_code == 0, result.output
    assert "decision: DENIED" in result.stdout
    assert "rule: default_deny" in result.stdout
    assert "version small-1" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--department", "publc_security", "--division", "640104000000"],
            "unknown department 'publc_security'",
        ),
        (
            ["--department", "housing", "--division", "6401040000"],
            "division code must be 12 digits",
        ),
        (
            ["--department", "housing", "--division", "640104000000", "--roles", "partner,clrk"],
            "unknown role 'clrk'",
        ),
    ],
    ids=["department", "division", "roles"],
)
def test_explain_exits_2_for_a_bad_caller(args: list[str], message: str) -> None:
    result = runner.invoke(policy_app, ["explain", *args, "Resident.idNumber"])
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("Resident.idNumbr", "unknown field 'Resident.idNumbr'"),
        ("Resdent.idNumber", "unknown field 'Resdent.idNumber'"),
        ("idNumber", "give the field as Type.field"),
    ],
)
def test_explain_exits_2_for_a_bad_field(target: str, message: str) -> None:
    result = runner.invoke(
        policy_app, ["explain", *PS_COUNTY, target], env={"HUB_POLICY_FILE": None}
    )
    assert result.exit_code == 2
    assert message in result.stderr


def test_explain_exits_1_when_the_policy_file_is_invalid(tmp_path: Path) -> None:
    path = _write_typo_policy(tmp_path)
    args = ["explain", *PS_COUNTY, "--file", str(path), "Resident.idNumber"]
    result = runner.invoke(policy_app, args)
    assert result.exit_code == 1
    assert "unknown department 'publc_security'" in result.stderr
