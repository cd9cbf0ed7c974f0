"""The one field-policy evaluator: a pure, cached function of (department, level, roles, field)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from hub.auth.principal import Principal
from hub.policy.grants import Grant
from hub.policy.model import FieldRef, Policy
from hub.types import Department, Level

NOT_SENSITIVE = "not_sensitive"
"""Rule name of a decision on a field the policy does not name (FULL)."""
DEFAULT_DENY = "default_deny"
"""Rule name of a decision on a named field no rule matches for the caller (DENIED)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy gives one caller shape on one field, and which rule said so."""

    type: str
    field: str
    grant: Grant
    need_to_know: bool
    rule: str
    mask: str | None

    def effective(self, has_open_task: bool) -> Grant:
        """The grant for one row: a need-to-know FULL is MASKED without an open task."""
        if self.need_to_know and not has_open_task:
            return Grant.MASKED
        return self.grant


class PolicyEvaluator:
    """Decides per caller shape; decisions are cached, so call it freely per request."""

    def __init__(self, policy: Policy, cache_size: int = 16384) -> None:
        self.policy = policy
        self._roles_used = policy.roles_used()
        self._sensitive = tuple(
            (type_name, field_name)
            for type_name, fields in sorted(policy.sensitive_fields().items())
            for field_name in sorted(fields)
        )
        self._decide = lru_cache(maxsize=cache_size)(self._decide_uncached)

    @property
    def version(self) -> str:
        return self.policy.version

    def decide(self, principal: Principal, type_name: str, field_name: str) -> Decision:
        return self.decide_for(
            principal.department, principal.level, principal.roles, type_name, field_name
        )

    def decide_for(
        self,
        department: Department,
        level: Level,
        roles: frozenset[str],
        type_name: str,
        field_name: str,
    ) -> Decision:
        """`decide` for a bare caller shape, e.g. for the compiled SQL read path."""
        # Roles no rule mentions cannot change a decision; dropping them keeps the cache small.
        relevant = roles & self._roles_used
        return self._decide(department, level, relevant, type_name, field_name)

    def decide_all(self, principal: Principal) -> dict[FieldRef, Decision]:
        """Decisions on every sensitive field, e.g. once per request for a whole query plan."""
        department, level = principal.department, principal.level
        roles = principal.roles & self._roles_used
        return {ref: self._decide(department, level, roles, *ref) for ref in self._sensitive}

    @staticmethod
    def effective(decision: Decision, has_open_task: bool) -> Grant:
        return decision.effective(has_open_task)

    def _decide_uncached(
        self,
        department: Department,
        level: Level,
        roles: frozenset[str],
        type_name: str,
        field_name: str,
    ) -> Decision:
        if not self.policy.is_sensitive(type_name, field_name):
            return Decision(type_name, field_name, Grant.FULL, False, NOT_SENSITIVE, None)
        for rule in self.policy.rules_for(type_name, field_name):
            if rule.who.matches(department, level, roles):
                masked = rule.grant is Grant.MASKED or rule.need_to_know
                mask = self.policy.mask_for(type_name, field_name) if masked else None
                return Decision(
                    type_name, field_name, rule.grant, rule.need_to_know, rule.name, mask
                )
        return Decision(type_name, field_name, Grant.DENIED, False, DEFAULT_DENY, None)

    def describe(self, type_name: str, field_name: str) -> str:
        """One line for the SDL field description, generated from the rules so it cannot drift."""
        if not self.policy.is_sensitive(type_name, field_name):
            return "Not sensitive: FULL for anyone who may see the row."
        mask = self.policy.mask_for(type_name, field_name)
        groups: dict[tuple[Grant, bool], dict[str, None]] = {}
        for rule in self.policy.rules_for(type_name, field_name):
            members = groups.setdefault((rule.grant, rule.need_to_know), {})
            members.update(dict.fromkeys(m.replace("_", " ") for m in rule.who.members))
        denied = groups.pop((Grant.DENIED, False), {})
        parts = []
        for (grant, need_to_know), members in groups.items():
            if need_to_know:
                what = f"FULL with need to know, else MASKED ({mask}),"
            else:
                what = f"MASKED ({mask})" if grant is Grant.MASKED else grant.value
            parts.append(f"{what} for {', '.join(members)}")
        parts.append("DENIED for " + ", ".join([*denied, "anyone else"]))
        return "Field policy: " + "; ".join(parts) + "."

    def explain(
        self,
        principal: Principal,
        type_name: str,
        field_name: str,
        has_open_task: bool | None = None,
    ) -> str:
        """Several lines naming the caller, the decision, the rule that made it and why."""
        decision = self.decide(principal, type_name, field_name)
        roles = ", ".join(sorted(principal.roles)) or "none"
        lines = [
            f"{type_name}.{field_name} for department {principal.department.value}, "
            f"level {principal.level.name} (division {principal.division_code}), roles {roles}",
            f"decision: {decision.grant.value}"
            + (" with need to know" if decision.need_to_know else "")
            + (f" (mask {decision.mask})" if decision.mask else ""),
        ]
        if decision.need_to_know:
            lines.append(
                "  FULL only while the department holds an open (PENDING) approval task on one"
                " of the resident's cases; MASKED otherwise"
            )
            tasks = (True, False) if has_open_task is None else (has_open_task,)
            for task in tasks:
                with_or_without = "with an open task" if task else "without an open task"
                lines.append(f"  {with_or_without}: {decision.effective(task).value}")
        lines.append(f"rule: {decision.rule}")
        rule = self.policy.rule(decision.rule)
        if rule is not None:
            where = f" (line {rule.line})" if rule.line else ""
            lines.append(f"  rule #{rule.index}{where}, who: {rule.who.label}")
            if rule.note:
                lines.append(f"  note: {rule.note}")
        elif decision.rule == NOT_SENSITIVE:
            lines.append("  the policy names no rule for this field: it is not sensitive")
        else:
            lines.append("  no rule for this field matches the caller: denied (fail closed)")
        lines.append(f"policy: version {self.policy.version} ({self.policy.source})")
        return "\n".join(lines)
