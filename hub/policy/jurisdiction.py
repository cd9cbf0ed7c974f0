"""The one row filter: what a principal may see is a division-code prefix (or, for citizens,
their own record). Every root field, relation, `node` and export builds its WHERE from here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select, true

from hub.audit.store import touches_division
from hub.auth.principal import Principal
from hub.db.models import (
    ApprovalTask,
    AuditEvent,
    Case,
    Entitlement,
    Household,
    HouseholdMember,
    Payment,
    Resident,
)
from hub.domain.divisions import prefix_range
from hub.types import Level


def in_prefix(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, written as a range so the B-tree index serves it."""
    low, high = prefix_range(prefix)
    return column.between(low, high)


def _own_resident_ids(principal: Principal) -> Any:
    return select(Resident.id).where(Resident.id_number == (principal.id_number or ""))


def _own_household_ids(principal: Principal) -> Any:
    return select(HouseholdMember.household_id).where(
        HouseholdMember.resident_id.in_(_own_resident_ids(principal))
    )


def visible(principal: Principal | None, entity: type) -> ColumnElement[bool]:
    """The predicate a row of `entity` must meet to be visible to `principal`.

    Rows outside it are treated exactly like rows that do not exist.
    """
    if principal is None:
        return false()
    if principal.is_citizen:
        return _citizen_scope(principal, entity)
    prefix = principal.jurisdiction_prefix
    if entity is AuditEvent:
        # Events by an actor inside the area, or touching a resident/case inside it; the
        # region also sees events with no division (anonymous reads, token endpoint).
        return true() if principal.level == Level.REGION else touches_division(prefix)
    columns: dict[type, Any] = {
        Resident: Resident.division_code,
        Household: Household.division_code,
        Case: Case.division_code,
        ApprovalTask: ApprovalTask.division_code,
        Entitlement: Entitlement.division_code,
        Payment: Payment.division_code,
    }
    column = columns.get(entity)
    if column is None:
        raise LookupError(f"no jurisdiction rule for {entity.__name__}")
    return in_prefix(column, prefix)


def _citizen_scope(principal: Principal, entity: type) -> ColumnElement[bool]:
    if not principal.id_number:
        return false()
    own = _own_resident_ids(principal)
    if entity is Resident:
        return Resident.id_number == principal.id_number
    if entity is Household:
        return Household.id.in_(_own_household_ids(principal))
    if entity is Case:
        return Case.applicant_id.in_(own)
    if entity is Entitlement:
        return Entitlement.resident_id.in_(own)
    if entity is Payment:
        return Payment.entitlement_id.in_(
            select(Entitlement.id).where(Entitlement.resident_id.in_(own))
        )
    if entity is ApprovalTask:
        return ApprovalTask.case_id.in_(select(Case.id).where(Case.applicant_id.in_(own)))
    return true() if entity is None else false()


def division_in_jurisdiction(principal: Principal, code: str) -> bool:
    """Whether an explicitly named division (e.g. a filter argument) lies in the caller's area."""
    return code.startswith(principal.jurisdiction_prefix) and not principal.is_citizen
