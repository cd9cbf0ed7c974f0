"""Statements the resolvers run: every one takes the principal's visibility predicate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from hub.db.models import ApprovalTask, Case, HouseholdMember


def keyset_page(stmt: Select[Any], id_column: Any, after: int | None, first: int) -> Select[Any]:
    """One page in id order after the cursor; one extra row tells whether there is a next."""
    if after is not None:
        stmt = stmt.where(id_column > after)
    return stmt.order_by(id_column).limit(first + 1)


def count_of(stmt: Select[Any]) -> Select[Any]:
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def open_tasks(department: str) -> Select[int, int | None]:
    """Cases on which `department` holds a PENDING task: the one definition of need to know."""
    return (
        select(Case.applicant_id, Case.household_id)
        .join(ApprovalTask, ApprovalTask.case_id == Case.id)
        .where(ApprovalTask.department == department, ApprovalTask.status == "PENDING")
    )


def open_task_subjects(
    department: str, resident_ids: Sequence[int], household_ids: Sequence[int]
) -> Select[int, int | None]:
    """Applicants and households on whose cases `department` holds a PENDING task."""
    matches: list[ColumnElement[bool]] = []
    if resident_ids:
        matches.append(Case.applicant_id.in_(resident_ids))
    if household_ids:
        matches.append(Case.household_id.in_(household_ids))
    return open_tasks(department).where(or_(*matches)).distinct()


def open_task_applicants(department: str) -> Select[Any]:
    """Residents who applied in a case on which `department` holds a PENDING task."""
    return open_tasks(department).with_only_columns(Case.applicant_id)


def holds_open_task(
    department: str, resident_id: Any | None, household_id: Any
) -> ColumnElement[bool]:
    """Whether `department` holds an open task on a case of this resident or household (the
    SQL form of `NeedToKnow.holds`, for the compiled read path); a household has no resident."""
    # Two EXISTS rather than one with OR, so each can use its index (applicant, household).
    # OFFSET 0 keeps each a probe per row: without it PostgreSQL may hash the department's
    # every open task on every statement, which costs more for a page of 50 residents (0.4 ms
    # on the benchmark data) and grows with the open tasks of the whole region.
    by_household = (
        open_tasks(department).where(Case.household_id == household_id).offset(0).exists()
    )
    if resident_id is None:
        return by_household
    by_applicant = open_tasks(department).where(Case.applicant_id == resident_id).offset(0).exists()
    return or_(by_applicant, by_household)


def members_of(household_ids: Sequence[int]) -> Select[Any]:
    return (
        select(HouseholdMember)
        .where(HouseholdMember.household_id.in_(household_ids))
        .order_by(HouseholdMember.household_id, HouseholdMember.id)
    )
