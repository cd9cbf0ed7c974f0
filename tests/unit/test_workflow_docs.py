"""docs/workflows.md shows a diagram per catalogue item and the command rules, generated from
the same data the hub runs on; this test fails when they drift.

Regenerate with: .venv/bin/python -m tests.unit.test_workflow_docs
"""

from __future__ import annotations

import re
from pathlib import Path

from hub.domain.catalogue import ServiceItemDef, load_catalogue
from hub.resolvers.case_access import CHANNEL_ROLES, RULES
from hub.resolvers.transitions import TASK_WORKING_DAYS

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflows.md"
BEGIN = "<!-- BEGIN GENERATED {name} (python -m tests.unit.test_workflow_docs) -->"
END = "<!-- END GENERATED {name} -->"


def mermaid(item: ServiceItemDef) -> str:
    """The item's path through the one state machine, with what differs per item."""
    channels = [c.value for c in CHANNEL_ROLES if c.value != "ONLINE" or item.online_capable]
    certifier = item.certifying_level.name.lower()
    lines = [
        "stateDiagram-v2",
        f"    [*] --> SUBMITTED: submitCase ({' / '.join(channels)})",
        "    SUBMITTED --> ACCEPTED: acceptCase (township clerk)",
    ]
    departments = [d.value for d in item.verify_departments]
    last = "ACCEPTED"
    if departments:
        how = "in parallel" if item.verify_parallel else "one after another"
        lines.append(
            f"    ACCEPTED --> VERIFYING: decideApprovalTask, county {', '.join(departments)} ({how})"
        )
        lines.append("    VERIFYING --> REJECTED: a department REJECTs")
        lines.append("    VERIFYING --> RETURNED: a department RETURNs (补正)")
        last = "VERIFYING"
    lines.append(f"    {last} --> REVIEWED: reviewCase (township reviewer)")
    before_certify = "REVIEWED"
    if item.public_notice_days:
        lines.append(
            f"    REVIEWED --> IN_PUBLIC_NOTICE: {item.public_notice_days}-day public notice (公示)"
        )
        before_certify = "IN_PUBLIC_NOTICE"
    outcome = "certificate"
    if item.money_item:
        outcome += ", one-off entitlement" if item.one_off else ", monthly entitlement"
    lines.append(
        f"    {before_certify} --> APPROVED: certifyCase ({certifier} approver) → {outcome}"
    )
    lines.append(f"    {before_certify} --> REJECTED: certifyCase REJECT")
    lines.append(f"    {before_certify} --> RETURNED: returnCase (补正)")
    lines.append("    RETURNED --> SUBMITTED: resubmitCase")
    lines.append("    RETURNED --> ACCEPTED: acceptCase (new round)")
    lines.append("    APPROVED --> [*]")
    lines.append("    REJECTED --> [*]")
    return "\n".join(lines)


def items_section() -> str:
    parts = []
    for item in load_catalogue():
        notice = f"{item.public_notice_days}-day notice" if item.public_notice_days else "no notice"
        parts.append(
            f"### {item.code} {item.name}\n\n"
            f"{item.time_limit_working_days} working days; {notice}; certified at the "
            f"{item.certifying_level.name.lower()} level; "
            f"{'online, ' if item.online_capable else 'not online, '}"
            f"{'money item' if item.money_item else 'no payment'}.\n\n"
            f"```mermaid\n{mermaid(item)}\n```\n"
        )
    return "\n".join(parts)


def rules_section() -> str:
    rows = [
        "| mutation | scope | roles | department |",
        "|---|---|---|---|",
    ]
    for command, rule in RULES.items():
        department = rule.department.value if rule.department else "any (see below)"
        roles = ", ".join(sorted(rule.roles))
        rows.append(f"| `{command}` | `{rule.scope}` | {roles} | {department} |")
    rows.append("")
    rows.append("| channel | who submits |")
    rows.append("|---|---|")
    for channel, role in CHANNEL_ROLES.items():
        rows.append(f"| `{channel.value}` | role `{role}` |")
    rows.append("")
    days = ", ".join(f"{kind.value} {n}" for kind, n in TASK_WORKING_DAYS.items())
    rows.append(f"Task deadlines in working days from opening: {days}.")
    return "\n".join(rows) + "\n"


SECTIONS = {"items": items_section, "rules": rules_section}


def _region(name: str) -> re.Pattern[str]:
    return re.compile(
        re.escape(BEGIN.format(name=name)) + r"\n(.*?)" + re.escape(END.format(name=name)),
        re.DOTALL,
    )


def regenerate(text: str) -> str:
    for name, build in SECTIONS.items():
        block = f"{BEGIN.format(name=name)}\n{build()}{END.format(name=name)}"
        text = _region(name).sub(lambda _m, block=block: block, text)
    return text


def test_workflows_doc_matches_the_catalogue_and_the_rules() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in SECTIONS:
        assert _region(name).search(text), f"docs/workflows.md lacks the {name} region"
    assert regenerate(text) == text, "run: .venv/bin/python -m tests.unit.test_workflow_docs"


def test_every_item_has_a_diagram_naming_its_departments() -> None:
    for item in load_catalogue():
        diagram = mermaid(item)
        assert all(d.value in diagram for d in item.verify_departments)
        assert ("IN_PUBLIC_NOTICE" in diagram) == bool(item.public_notice_days)


if __name__ == "__main__":
    DOC.write_text(regenerate(DOC.read_text(encoding="utf-8")), encoding="utf-8")
