"""Who may run which case command (DESIGN.md §3, gate 3): scope, role and department as data,
plus the row-level checks a command makes once it holds the case or task.

Rows outside the caller's jurisdiction never reach these checks: the loaders return nothing
and the command answers NOT_FOUND, exactly as for a row that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.auth.principal import Principal
from hub.db.models import ApprovalTask, Case
from hub.domain.catalogue import ServiceItemDef
from hub.domain.workflow import Channel, TaskKind
from hub.errors import BadUserInput, Forbidden
from hub.types import Department

STAFF_ROLES = frozenset({"partner", "clerk", "reviewer", "approver"})


@dataclass(frozen=True)
class CommandRule:
    """What a command needs: one scope, one of `roles`, and `department` when given."""

    scope: str
    roles: frozenset[str]
    department: Department | None = None


RULES: dict[str, CommandRule] = {
    "submitCase": CommandRule("cases:write", frozenset({"clerk", "proxy_agent", "citizen"})),
    "resubmitCase": CommandRule("cases:write", frozenset({"clerk", "proxy_agent", "citizen"})),
    "acceptCase": CommandRule("cases:write", frozenset({"clerk"}), Department.CIVIL_AFFAIRS),
    "reviewCase": CommandRule("cases:write", frozenset({"reviewer"}), Department.CIVIL_AFFAIRS),
    "certifyCase": CommandRule("cases:certify", frozenset({"approver"}), Department.CIVIL_AFFAIRS),
    "returnCase": CommandRule("cases:write", frozenset({"clerk"}), Department.CIVIL_AFFAIRS),
    "withdrawCase": CommandRule("cases:write", frozenset({"clerk", "proxy_agent", "citizen"})),
    # The task's own department is checked against the task (`require_task_decider`).
    "decideApprovalTask": CommandRule("approvals:decide", STAFF_ROLES),
}

# Who hands in an application through which channel (一窗受理 / 代办 / 一网通办).
CHANNEL_ROLES = {Channel.WINDOW: "clerk", Channel.PROXY: "proxy_agent", Channel.ONLINE: "citizen"}


def describe(command: str) -> str:
    """What `command` needs, for its schema description (generated, so it cannot drift)."""
    rule = RULES[command]
    roles = " or ".join(sorted(rule.roles))
    department = f", department {rule.department.value}" if rule.department else ""
    return f"Needs scope {rule.scope}, role {roles}{department}."


def require_command(principal: Principal, command: str) -> None:
    """The scope, role and department `command` needs; FORBIDDEN naming what is missing."""
    rule = RULES[command]
    if not principal.has_scope(rule.scope):
        raise Forbidden(f"{command} needs the scope {rule.scope}", required=rule.scope)
    if not principal.has_role(*rule.roles):
        roles = ", ".join(sorted(rule.roles))
        raise Forbidden(f"{command} needs one of the roles {roles}")
    if rule.department is not None and principal.department is not rule.department:
        raise Forbidden(f"{command} is for the {rule.department.value} department")


def require_channel(principal: Principal, channel: Channel) -> None:
    """Clerks take WINDOW, proxy agents PROXY and residents ONLINE applications."""
    role = CHANNEL_ROLES[channel]
    if not principal.has_role(role):
        raise Forbidden(f"channel {channel.value} is for the role {role}")
    if role != "citizen" and principal.department is not Department.CIVIL_AFFAIRS:
        raise Forbidden(f"channel {channel.value} is for the civil_affairs department")


def require_applicant_side(principal: Principal, case: Case, command: str) -> None:
    """Withdrawal and resubmission: the resident (own case, already scoped by jurisdiction),
    the proxy agent who handed it in, or a civil-affairs clerk of the area."""
    if principal.is_citizen:
        return
    if principal.has_role("clerk") and principal.department is Department.CIVIL_AFFAIRS:
        return
    if principal.has_role("proxy_agent") and case.proxy_agent == principal.subject:
        return
    raise Forbidden(f"{command}: only the applicant, their proxy agent or a clerk may do this")


def require_certifier(principal: Principal, item: ServiceItemDef) -> None:
    """县证乡制: the item's certifying level (the county for most items) certifies."""
    if principal.level != item.certifying_level:
        level = item.certifying_level.name
        raise Forbidden(f"{item.code} is certified at the {level} level")


def require_assignee(principal: Principal, task: ApprovalTask | None) -> None:
    """The office a task is assigned to must lie inside the caller's jurisdiction."""
    if task is not None and not task.assignee_division_code.startswith(
        principal.jurisdiction_prefix
    ):
        raise Forbidden(f"this task is assigned to division {task.assignee_division_code}")


def require_task_decider(principal: Principal, task: ApprovalTask) -> None:
    """A department decides only its own VERIFY tasks (FORBIDDEN, not NOT_FOUND: every office
    of the area can list the case's tasks anyway). REVIEW and CERTIFY have their mutations."""
    if task.kind == TaskKind.REVIEW.value:
        raise BadUserInput("a REVIEW task is decided with reviewCase", argument="taskId")
    if task.kind == TaskKind.CERTIFY.value:
        raise BadUserInput("a CERTIFY task is decided with certifyCase", argument="taskId")
    if task.department != principal.department.value:
        raise Forbidden(f"this task belongs to the {task.department} department")
    require_assignee(principal, task)
