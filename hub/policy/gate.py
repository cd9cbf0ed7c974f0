"""The one field gate every sensitive value passes through, on every path.

Sync by design: decisions are computed once per request per (type, field), and need-to-know
facts are loaded in bulk before values are resolved (see `NeedToKnow`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.auth.principal import Principal
from hub.errors import Forbidden, ForbiddenField
from hub.policy.evaluator import Decision, PolicyEvaluator
from hub.policy.grants import Grant
from hub.policy.masks import MASKS


@dataclass
class NeedToKnow:
    """Residents and households on whose cases the caller's department holds an open task."""

    residents: set[int] = field(default_factory=set)
    households: set[int] = field(default_factory=set)
    checked_residents: set[int] = field(default_factory=set)
    checked_households: set[int] = field(default_factory=set)

    def holds(self, resident_id: int | None, household_id: int | None) -> bool:
        return (resident_id is not None and resident_id in self.residents) or (
            household_id is not None and household_id in self.households
        )


@dataclass(frozen=True, slots=True)
class GuardedRow:
    """What the gate needs to know about the row a value belongs to."""

    type_name: str
    global_id: str
    division_code: str
    resident_id: int | None = None
    household_id: int | None = None


Touch = Callable[[GuardedRow, str, Grant], None]


class FieldGate:
    """Applies the policy to one value: FULL passes, MASKED masks, DENIED raises."""

    def __init__(
        self,
        evaluator: PolicyEvaluator,
        principal: Principal | None,
        touch: Touch,
    ) -> None:
        self.evaluator = evaluator
        self.principal = principal
        self.need_to_know = NeedToKnow()
        self._touch = touch
        self._decisions: dict[tuple[str, str], Decision] = {}

    def decision(self, type_name: str, field_name: str) -> Decision:
        key = (type_name, field_name)
        found = self._decisions.get(key)
        if found is None:
            if self.principal is None:
                raise ForbiddenField(f"{type_name}.{field_name} needs an authenticated caller")
            found = self.evaluator.decide(self.principal, type_name, field_name)
            self._decisions[key] = found
        return found

    def needs_open_task_facts(self) -> bool:
        """Whether any decision of this caller depends on open tasks (else skip the query)."""
        if self.principal is None:
            return False
        return any(d.need_to_know for d in self.evaluator.decide_all(self.principal).values())

    def grant(self, row: GuardedRow, field_name: str) -> Grant:
        decision = self.decision(row.type_name, field_name)
        if not decision.need_to_know:
            return decision.grant
        return decision.effective(self.need_to_know.holds(row.resident_id, row.household_id))

    def apply(self, row: GuardedRow, field_name: str, value: Any, **mask_context: Any) -> Any:
        decision = self.decision(row.type_name, field_name)
        grant = self.grant(row, field_name)
        self._touch(row, field_name, grant)
        if grant is Grant.FULL:
            return value
        if grant is Grant.MASKED and decision.mask is not None:
            mask = MASKS[decision.mask]
            extra = [mask_context.get(name) for name in mask.context]
            return mask.python(value, *extra)
        raise ForbiddenField(
            f"not permitted to read {row.type_name}.{field_name}",
            field=f"{row.type_name}.{field_name}",
        )

    def require_full(self, type_name: str, field_name: str, argument: str) -> Decision:
        """Filtering or searching on a field needs FULL on it: no oracles through filters."""

        decision = self.decision(type_name, field_name)
        if decision.grant is not Grant.FULL:
            raise Forbidden(
                f"filtering by `{argument}` needs full access to {type_name}.{field_name}",
                argument=argument,
            )
        return decision
