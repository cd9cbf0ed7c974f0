"""Who may run which payment command (DESIGN.md §3, gate 3), as data.

Finance runs cycles and records bank results; civil affairs at the certifying level suspends,
resumes and terminates entitlements and sets standards (finance may set standards too); public
security may terminate only for a death it reports (死亡信息比对).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.auth.principal import Principal
from hub.errors import Forbidden
from hub.types import Department, Level


@dataclass(frozen=True)
class Grant:
    """One way to be allowed: a scope, one of `roles`, a department, and optional limits."""

    scope: str
    roles: frozenset[str]
    department: Department
    reasons: frozenset[str] | None = None  # termination reasons this grant allows
    max_level: Level = Level.COUNTY  # the caller's level must be this or higher (smaller)


FINANCE = Grant("payments:write", frozenset({"finance"}), Department.FINANCE)
CIVIL = Grant("cases:certify", frozenset({"approver"}), Department.CIVIL_AFFAIRS)
DEATH = Grant(
    "approvals:decide", frozenset({"partner"}), Department.PUBLIC_SECURITY, frozenset({"DEATH"})
)
RULES: dict[str, tuple[Grant, ...]] = {
    "runPaymentCycle": (FINANCE,),
    "recordPaymentResult": (FINANCE,),
    "reissuePayment": (FINANCE,),
    "suspendEntitlement": (CIVIL,),
    "resumeEntitlement": (CIVIL,),
    "terminateEntitlement": (CIVIL, DEATH),
    "setAssistanceStandard": (CIVIL, FINANCE),
}


def describe(command: str) -> str:
    """What `command` needs, for its schema description (generated, so it cannot drift)."""
    ways = [
        f"scope {g.scope}, role {' or '.join(sorted(g.roles))}, department {g.department.value}"
        + (f" (reason {', '.join(sorted(g.reasons))} only)" if g.reasons else "")
        for g in RULES[command]
    ]
    return "Needs " + "; or ".join(ways) + "; county level or above."


def _allows(grant: Grant, principal: Principal, reason: str | None) -> bool:
    return (
        principal.has_scope(grant.scope)
        and principal.has_role(*grant.roles)
        and principal.department is grant.department
        and principal.level <= grant.max_level
        and (grant.reasons is None or reason in grant.reasons)
    )


def require(principal: Principal, command: str, reason: str | None = None) -> None:
    """FORBIDDEN unless one of the command's grants fits the caller (and the reason)."""
    if any(_allows(g, principal, reason) for g in RULES[command]):
        return
    raise Forbidden(f"{command}: {describe(command)}")
