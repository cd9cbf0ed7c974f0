"""Persisting a `Transition` of the pure state machine: the decided and cancelled tasks, the
tasks it opens, one CaseEvent per step, the case's own fields, certificate and entitlement.

Task deadlines (working days from opening; CERTIFY from the end of any public notice):
VERIFY 5, REVIEW 3, CERTIFY 5 — the same figures the seed uses. The case's deadline is the
item's statutory time limit from acceptance.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from hub.db.models import ApprovalTask, Case, CaseEvent, Household
from hub.domain.calendar import WorkingCalendar
from hub.domain.catalogue import ServiceItemDef
from hub.domain.clock import china_date
from hub.domain.divisions import ancestor_code
from hub.domain.workflow import (
    CaseStatus,
    EventKind,
    TaskKind,
    TaskStatus,
    TaskToOpen,
    Transition,
    certificate_number,
    due_date,
)
from hub.events.channels import (
    case_channel,
    case_events_payload,
    task_opened_payload,
    tasks_channel,
)
from hub.resolvers.case_store import household_size, next_number
from hub.resolvers.command import Tx
from hub.resolvers.entitlements import case_amount, new_entitlement

TASK_WORKING_DAYS = {TaskKind.VERIFY: 5, TaskKind.REVIEW: 3, TaskKind.CERTIFY: 5}
DECIDED_CASE = frozenset({CaseStatus.APPROVED, CaseStatus.REJECTED})


@cache
def working_calendar() -> WorkingCalendar:
    """The packaged national holiday table (weekends off, 调休 make-up days on)."""
    return WorkingCalendar.default()


async def apply_transition(
    tx: Tx,
    case: Case,
    tasks: list[ApprovalTask],
    item: ServiceItemDef,
    transition: Transition,
    *,
    opinion: str | None = None,
    findings: str | None = None,
) -> ApprovalTask | None:
    """Write everything `transition` says; returns the task it decided, if any."""
    decided = _decide_task(tx, tasks, transition, opinion, findings)
    if transition.cancel_pending_tasks:
        for task in tasks:
            if task.status == TaskStatus.PENDING.value:
                task.status = TaskStatus.CANCELLED.value
                task.decided_at = tx.now
                task.version += 1
                tx.touch("ApprovalTask", task.id, task.division_code)
    _update_case(tx, case, item, transition)
    if transition.create_certificate:
        await _certify(tx, case)
    if transition.create_entitlement:
        await _entitle(tx, case, item)
    opened = [_new_task(tx, case, spec) for spec in transition.open_tasks]
    tx.session.add_all(opened)
    events = [
        CaseEvent(
            case_id=case.id,
            at=tx.now,
            actor_subject=tx.principal.subject,
            actor_department=tx.principal.department.value,
            actor_division=tx.principal.division_code,
            kind=step.kind.value,
            from_status=step.from_status.value if step.from_status else None,
            to_status=step.to_status.value,
            opinion=opinion if n == 0 else None,
            task_id=decided.id if decided is not None and n == 0 else None,
        )
        for n, step in enumerate(transition.events)
    ]
    tx.session.add_all(events)
    await tx.session.flush()
    tx.touch("Case", case.id, case.division_code)
    event_ids = [e.id for e in events]
    tx.publish_after_commit(case_channel(case.id), case_events_payload(case.id, event_ids))
    for task in opened:
        tx.touch("ApprovalTask", task.id, task.division_code)
        tx.publish_after_commit(
            tasks_channel(task.department),
            task_opened_payload(task.id, case.id, task.division_code, task.assignee_division_code),
        )
    return decided


def _decide_task(
    tx: Tx,
    tasks: list[ApprovalTask],
    transition: Transition,
    opinion: str | None,
    findings: str | None,
) -> ApprovalTask | None:
    if transition.decided_task_id is None or transition.decided_task_status is None:
        return None
    task = next(t for t in tasks if t.id == transition.decided_task_id)
    task.status = transition.decided_task_status.value
    task.decided_by = tx.principal.subject
    task.decided_at = tx.now
    task.opinion = opinion
    task.findings = findings
    task.version += 1
    tx.touch("ApprovalTask", task.id, task.division_code)
    return task


def _update_case(tx: Tx, case: Case, item: ServiceItemDef, transition: Transition) -> None:
    if any(step.kind is EventKind.ACCEPTED for step in transition.events):
        case.accepted_at = tx.now
        case.due_date = due_date(item, china_date(tx.now), working_calendar())
    if transition.notice_ends_at is not None:
        case.notice_ends_at = transition.notice_ends_at
    if transition.status in DECIDED_CASE:
        case.decided_at = tx.now
    case.status = transition.status.value
    case.version += 1


def _new_task(tx: Tx, case: Case, spec: TaskToOpen) -> ApprovalTask:
    return ApprovalTask(
        case_id=case.id,
        department=spec.department.value,
        kind=spec.kind.value,
        status=TaskStatus.PENDING.value,
        round=spec.round,
        division_code=case.division_code,
        assignee_division_code=ancestor_code(case.division_code, spec.assignee_level),
        due_date=_task_due(tx, case, spec.kind),
        created_at=tx.now,
        version=1,
    )


def _task_due(tx: Tx, case: Case, kind: TaskKind) -> date:
    start = tx.now
    if kind is TaskKind.CERTIFY and case.notice_ends_at is not None:
        start = max(start, case.notice_ends_at)
    return working_calendar().add_working_days(china_date(start), TASK_WORKING_DAYS[kind])


async def _certify(tx: Tx, case: Case) -> None:
    """县证乡制: the number names the county that certifies; one sequence per county and year."""
    year = china_date(tx.now).year
    prefix = f"ZS-{case.division_code[:6]}-{year:04d}-"
    seq = await next_number(tx.session, Case.certificate_number, prefix)
    case.certificate_number = certificate_number(case.division_code, year, seq)


async def _entitle(tx: Tx, case: Case, item: ServiceItemDef) -> None:
    income = case.declared_monthly_income
    if income is None and case.household_id is not None:
        household = await tx.session.get(Household, case.household_id)
        income = household.declared_monthly_income if household is not None else None
    size = await household_size(tx.session, case.household_id)
    amount = await case_amount(tx.session, case, income, size, tx.now)
    entitlement = new_entitlement(case, item, amount, tx.now)
    tx.session.add(entitlement)
    await tx.session.flush()
    tx.touch("Entitlement", entitlement.id, entitlement.division_code)
