"""The loaded field policy: caller matchers, rules and masks, immutable once built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hub.policy.grants import Grant
from hub.types import Department, Level

FieldRef = tuple[str, str]
"""A (GraphQL type, field) pair, e.g. ("Resident", "idNumber")."""

# The types and fields of DESIGN.md §2 a policy may name; the schema may pass its own instead.
DOMAIN_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "Division": frozenset("code name level parent children".split()),
        "Resident": frozenset(
            "id idNumber name gender birthDate ethnicity phone address division household"
            " disabilityLevel healthCondition bankAccount monthlyIncome flags cases"
            " entitlements".split()
        ),
        "Household": frozenset(
            "id division head members size registrationType declaredMonthlyIncome"
            " verifiedMonthlyIncome".split()
        ),
        "Case": frozenset(
            "id caseNumber item applicant household division channel proxyAgent status"
            " submittedAt acceptedAt dueDate decidedAt inPersonVisitRequired approvalTasks"
            " events certificate entitlement version".split()
        ),
        "ApprovalTask": frozenset(
            "id case department kind status assigneeDivision decidedBy decidedAt opinion"
            " findings dueDate version".split()
        ),
        "Entitlement": frozenset(
            "id case resident household item monthlyAmount startPeriod endPeriod status".split()
        ),
        "Payment": frozenset(
            "id entitlement period amount status bankAccount batch paidAt".split()
        ),
    }
)


@dataclass(frozen=True, slots=True)
class CallerMatcher:
    """Who a rule is for; an absent criterion matches anyone. `levels` is an inclusive range."""

    departments: frozenset[Department] | None = None
    levels: tuple[Level, Level] | None = None
    roles: frozenset[str] | None = None

    def matches(self, department: Department, level: Level, roles: frozenset[str]) -> bool:
        if self.departments is not None and department not in self.departments:
            return False
        if self.levels is not None and not self.levels[0] <= level <= self.levels[1]:
            return False
        return self.roles is None or not self.roles.isdisjoint(roles)

    def describe(self) -> str:
        parts: list[str] = []
        if self.departments is not None:
            parts.append(" or ".join(sorted(d.value for d in self.departments)))
        if self.levels is not None:
            high, low = self.levels
            parts.append(high.name if high == low else f"{high.name}..{low.name}")
        if self.roles is not None:
            parts.append("role " + " or ".join(sorted(self.roles)))
        return ", ".join(parts) or "anyone"


@dataclass(frozen=True, slots=True)
class Caller:
    """A named caller group (or an inline matcher, whose label is generated)."""

    label: str
    matchers: tuple[CallerMatcher, ...]
    # The plain groups (or inline matcher descriptions) this caller unites, for summaries.
    members: tuple[str, ...] = ()

    def matches(self, department: Department, level: Level, roles: frozenset[str]) -> bool:
        return any(m.matches(department, level, roles) for m in self.matchers)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    fields: tuple[FieldRef, ...]
    who: Caller
    grant: Grant
    need_to_know: bool = False
    note: str | None = None
    index: int = 0
    line: int | None = None


@dataclass(frozen=True)
class Policy:
    """A validated policy; build it only through `hub.policy.loader.load_policy`."""

    version: str
    source: str
    rules: tuple[Rule, ...]
    masks: Mapping[FieldRef, str]
    callers: Mapping[str, Caller] = field(default_factory=dict)
    _by_field: dict[FieldRef, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_field: dict[FieldRef, list[Rule]] = {ref: [] for ref in self.masks}
        for rule in self.rules:
            for ref in rule.fields:
                by_field.setdefault(ref, []).append(rule)
        object.__setattr__(self, "_by_field", {k: tuple(v) for k, v in by_field.items()})

    def is_sensitive(self, type_name: str, field_name: str) -> bool:
        return (type_name, field_name) in self._by_field

    def rules_for(self, type_name: str, field_name: str) -> tuple[Rule, ...]:
        """The rules of one field in file order (the first that matches decides)."""
        return self._by_field.get((type_name, field_name), ())

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def mask_for(self, type_name: str, field_name: str) -> str | None:
        return self.masks.get((type_name, field_name))

    def sensitive_fields(self) -> dict[str, set[str]]:
        """Every field the policy lists (in a rule or a mask), by type; all others are FULL."""
        result: dict[str, set[str]] = {}
        for type_name, field_name in self._by_field:
            result.setdefault(type_name, set()).add(field_name)
        return result

    def roles_used(self) -> frozenset[str]:
        """Roles any rule looks at; other roles cannot change a decision."""
        return frozenset(
            role for rule in self.rules for m in rule.who.matchers for role in (m.roles or ())
        )
