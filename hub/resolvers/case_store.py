"""Rows of the write transaction: the writer lock, locked case and tasks, numbering.

PostgreSQL: the case row is locked (`FOR UPDATE`), then its tasks, so decisions on one case
run one after another; numbers are drawn under a transaction-scoped advisory lock. SQLite
ignores `FOR UPDATE`, so every command takes the database write lock before its first read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.db.models import ApprovalTask, Case, HouseholdMember, Resident
from hub.domain.workflow import (
    FINAL_STATUSES,
    CaseState,
    CaseStatus,
    TaskKind,
    TaskState,
    TaskStatus,
)
from hub.policy.jurisdiction import visible
from hub.types import Department


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def begin_write(session: AsyncSession) -> None:
    """SQLite: take the write lock now (an UPDATE matching no row still takes RESERVED), so no
    two commands read the same state and both write; the busy timeout queues the others."""
    if _dialect(session) == "sqlite":
        await session.execute(update(Case).where(false()).values(version=Case.version))


async def visible_case(session: AsyncSession, principal: Principal, case_id: int) -> Case | None:
    """The case if the caller may see it, locked for update (None: missing or out of area)."""
    stmt = (
        select(Case)
        .where(Case.id == case_id, visible(principal, Case))
        .with_for_update(of=Case)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def visible_task(
    session: AsyncSession, principal: Principal, task_id: int
) -> ApprovalTask | None:
    stmt = select(ApprovalTask).where(ApprovalTask.id == task_id, visible(principal, ApprovalTask))
    return (await session.execute(stmt)).scalar_one_or_none()


async def locked_tasks(session: AsyncSession, case_id: int) -> list[ApprovalTask]:
    """Every task of the case, oldest first, locked (after the case: one lock order)."""
    stmt = (
        select(ApprovalTask)
        .where(ApprovalTask.case_id == case_id)
        .order_by(ApprovalTask.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def visible_resident(
    session: AsyncSession, principal: Principal, resident_id: int
) -> Resident | None:
    """The applicant if visible, locked so two submissions for one person run in turn."""
    stmt = (
        select(Resident)
        .where(Resident.id == resident_id, visible(principal, Resident))
        .with_for_update(of=Resident)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_case_of(session: AsyncSession, applicant_id: int, item_code: str) -> Case | None:
    stmt = select(Case).where(
        Case.applicant_id == applicant_id,
        Case.item_code == item_code,
        Case.status.not_in([s.value for s in FINAL_STATUSES]),
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def household_size(session: AsyncSession, household_id: int | None) -> int:
    if household_id is None:
        return 1
    stmt = select(func.count()).where(HouseholdMember.household_id == household_id)
    return max(1, int((await session.execute(stmt)).scalar_one()))


async def next_number(session: AsyncSession, column: Any, prefix: str, width: int = 6) -> int:
    """The next sequence after the highest `prefix` + zero-padded number in `column`."""
    if _dialect(session) == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(prefix))))
    stmt = select(func.max(column)).where(column.like(f"{prefix}%"))
    highest = (await session.execute(stmt)).scalar_one_or_none()
    return int(highest[-width:]) + 1 if highest else 1


def case_state(case: Case, tasks: Sequence[ApprovalTask]) -> CaseState:
    """The case as the pure state machine sees it."""
    return CaseState(
        status=CaseStatus(case.status),
        tasks=tuple(
            TaskState(
                t.id, TaskKind(t.kind), Department(t.department), TaskStatus(t.status), t.round
            )
            for t in tasks
        ),
        notice_ends_at=case.notice_ends_at,
    )
