"""Statements the resolvers run: every one takes the principal's visibility predicate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from hub.db.models import ApprovalTask, Case, HouseholdMember


def keyset_page(stmt: Select[Any], id_column: Any, after: int | None, first: int) -> Select[Any]:
    """One page in id order after the cursor; one extra row tells whether there is a next."""
    if after is not None:
        stmt = stmt.where(id_column > after)
    return stmt.order_by(id_column).limit(first + 1)


def count_of(stmt: Select[Any]) -> Select[Any]:
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def open_task_subjects(
    department: str, resident_ids: Sequence[int], household_ids: Sequence[int]
) -> Select[Any]:
    """Applicants and households on whose cases `department` holds a PENDING task."""
    matches: list[ColumnElement[bool]] = []
    if resident_ids:
        matches.append(Case.applicant_id.in_(resident_ids))
    if household_ids:
        matches.append(Case.household_id.in_(household_ids))
    return (
        select(Case.applicant_id, Case.household_id)
        .join(ApprovalTask, ApprovalTask.case_id == Case.id)
        .where(
            and_(
                ApprovalTask.department == department,
                ApprovalTask.status == "PENDING",
                or_(*matches),
            )
        )
        .distinct()
    )


def members_of(household_ids: Sequence[int]) -> Select[Any]:
    return (
        select(HouseholdMember)
        .where(HouseholdMember.household_id.in_(household_ids))
        .order_by(HouseholdMember.household_id, HouseholdMember.id)
    )
