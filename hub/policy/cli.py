"""`mzhub policy check|explain`: validate a policy file, or show why a caller gets a grant."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from hub.auth.principal import Principal
from hub.domain.divisions import InvalidDivisionCode, level_of
from hub.policy.evaluator import PolicyEvaluator
from hub.policy.loader import PolicyError, load_policy
from hub.policy.model import DOMAIN_FIELDS, Policy
from hub.types import ROLES, Department

policy_app = typer.Typer(
    help="Check the field policy file and explain its decisions.", no_args_is_help=True
)

# What a policy may name; replace with the schema's own type map once it exists.
KNOWN_FIELDS = DOMAIN_FIELDS
FIELD = re.compile(r"^([A-Z][A-Za-z0-9]*)\.([a-z][A-Za-z0-9]*)$")
PolicyFile = Annotated[
    Path | None,
    typer.Option("--file", envvar="HUB_POLICY_FILE", help="Policy file (default: packaged)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _bad_input(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _load(file: Path | None) -> Policy:
    try:
        return load_policy(file, known_fields=KNOWN_FIELDS)
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@policy_app.command()
def check(
    file: Annotated[
        Path | None,
        typer.Argument(envvar="HUB_POLICY_FILE", help="Policy file (default: packaged)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Validate a policy file; print its version and rule count, or the first error (exit 1)."""
    policy = _load(file)
    fields = sum(len(f) for f in policy.sensitive_fields().values())
    if as_json:
        summary = {"file": policy.source, "version": policy.version, "rules": len(policy.rules)}
        typer.echo(json.dumps({**summary, "sensitiveFields": fields}))
        return
    typer.echo(
        f"{policy.source}: valid, version {policy.version}, "
        f"{len(policy.rules)} rules over {fields} sensitive fields"
    )


@policy_app.command()
def explain(
    target: Annotated[str, typer.Argument(metavar="Type.field", help="e.g. Resident.idNumber")],
    department: Annotated[str, typer.Option(help="Department token, e.g. public_security.")],
    division: Annotated[str, typer.Option(help="12-digit division code of the caller.")],
    roles: Annotated[str, typer.Option(help="Comma-separated roles, e.g. clerk,reviewer.")] = "",
    task_on: Annotated[
        bool | None,
        typer.Option(
            "--task-on/--task-off",
            help="Whether the department holds an open task on the resident (default: both).",
        ),
    ] = None,
    file: PolicyFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the grant a caller gets on Type.field and the rule that decided it."""
    if department not in Department._value2member_map_:
        known = ", ".join(d.value for d in Department)
        raise _bad_input(f"unknown department {department!r} (known: {known})")
    try:
        level_of(division)
    except InvalidDivisionCode as exc:
        raise _bad_input(str(exc)) from exc
    role_set = frozenset(r.strip() for r in roles.split(",") if r.strip())
    if unknown := sorted(role_set - ROLES):
        raise _bad_input(f"unknown role {unknown[0]!r} (known: {', '.join(sorted(ROLES))})")
    match = FIELD.match(target)
    if match is None:
        raise _bad_input(f"give the field as Type.field, e.g. Resident.idNumber, not {target!r}")
    type_name, field_name = match.groups()
    policy = _load(file)
    named = policy.sensitive_fields().get(type_name, set())
    if field_name not in KNOWN_FIELDS.get(type_name, ()) and field_name not in named:
        raise _bad_input(f"unknown field {target!r}")
    principal = Principal("policy-explain", Department(department), division, role_set)
    evaluator = PolicyEvaluator(policy)
    if as_json:
        decision = evaluator.decide(principal, type_name, field_name)
        tasks = (True, False) if task_on is None else (task_on,)
        effective = {
            "withOpenTask" if t else "withoutOpenTask": decision.effective(t).value for t in tasks
        }
        payload = {
            "type": type_name,
            "field": field_name,
            "grant": decision.grant.value,
            "needToKnow": decision.need_to_know,
            "rule": decision.rule,
            "mask": decision.mask,
            "effective": effective,
            "policyVersion": policy.version,
        }
        typer.echo(json.dumps(payload))
        return
    typer.echo(evaluator.explain(principal, type_name, field_name, task_on))
