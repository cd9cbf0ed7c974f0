"""Places a planned case life (hub.seed.lifecycle) on the working-day calendar before the as-of
date and turns the part that has happened by then into case, approval-task and event rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.domain import workflow as wf
from hub.domain.catalogue import ServiceItemDef
from hub.domain.clock import CHINA_TZ
from hub.domain.divisions import PREFIX_LENGTH, ancestor_code
from hub.seed import opinions
from hub.seed.context import SeedContext, china_instant
from hub.seed.lifecycle import Step

CASE_COLUMNS = (
    "id", "case_number", "item_code", "applicant_id", "household_id", "division_code",
    "channel", "proxy_agent", "submitted_by", "status", "consent", "declared_monthly_income",
    "submitted_at", "accepted_at", "due_date", "decided_at", "notice_ends_at",
    "in_person_visit_required", "certificate_number", "version",
)  # fmt: skip
TASK_COLUMNS = (
    "id", "case_id", "department", "kind", "status", "round", "division_code",
    "assignee_division_code", "decided_by", "decided_at", "opinion", "findings", "due_date",
    "created_at", "version",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "case_id", "at", "actor_subject", "actor_department", "actor_division", "kind",
    "from_status", "to_status", "opinion", "task_id",
)  # fmt: skip
# Working days a department, the township reviewer or the certifier has to answer a task: the
# hub's own figures (hub.resolvers.transitions.TASK_WORKING_DAYS), repeated to keep the seed
# free of resolver imports; both belong in hub.domain.workflow.
_TASK_DAYS = {wf.TaskKind.VERIFY: 5, wf.TaskKind.REVIEW: 3, wf.TaskKind.CERTIFY: 5}
WINDOW_DAYS = 548  # cases are submitted over the 18 months before the as-of date
Actor = tuple[str, str, str]  # subject, department token, division code


class Workdays:
    """The working days before the as-of date, oldest first, for O(1) placement."""

    def __init__(self, ctx: SeedContext) -> None:
        first = ctx.as_of - timedelta(days=WINDOW_DAYS + 60)
        span = (ctx.as_of - first).days
        days = (first + timedelta(days=n) for n in range(span))
        self.days = [d for d in days if ctx.calendar.is_working_day(d)]
        self.last = len(self.days) - 1
        start = ctx.as_of - timedelta(days=WINDOW_DAYS)
        self.window_start = next(i for i, d in enumerate(self.days) if d >= start)

    def place(
        self, rng: random.Random, steps: list[Step], target: wf.CaseStatus | None
    ) -> tuple[int, int] | None:
        """(i0, n): the submission day's index and how many steps had happened by the as-of
        date; with a `target`, a placement where the case is in that status, or None."""
        k_max = self.last - self.window_start
        if target is None:
            i0 = rng.randint(self.window_start, self.last)
            return i0, sum(1 for s in steps if s.wd <= self.last - i0)
        for n, step in enumerate(steps, start=1):
            if step.status is not target:
                continue
            low = step.wd
            high = steps[n].wd - 1 if n < len(steps) else low + rng.randint(0, 250)
            high = min(high, k_max)
            if low <= high:
                k = rng.randint(low, high)
                return self.last - k, n
        return None


@dataclass(frozen=True)
class CaseMeta:
    """The facts of a case that do not come from its life."""

    id: int
    item: ServiceItemDef
    division: str  # the applicant's village
    channel: wf.Channel
    submitter: Actor
    head: tuple[object, ...]  # the case row's columns from id to submitted_by
    declared_income: object


@dataclass
class Materialized:
    case: tuple[object, ...]
    tasks: list[tuple[object, ...]]
    events: list[tuple[object, ...]]
    status: wf.CaseStatus
    decided_at: datetime | None


@dataclass
class _Task:
    """An approval task while its case's history is replayed (fields named as its columns)."""

    id: int
    case_id: int
    department: str
    kind: wf.TaskKind
    round: int
    division_code: str
    assignee_division_code: str
    due_date: date
    created_at: datetime
    status: wf.TaskStatus = wf.TaskStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    opinion: str | None = None
    findings: str | None = None
    version: int = 1

    def row(self) -> tuple[object, ...]:
        values = (getattr(self, column) for column in TASK_COLUMNS)
        return tuple(v.value if isinstance(v, wf.TaskStatus | wf.TaskKind) else v for v in values)


def materialize(
    rng: random.Random, meta: CaseMeta, steps: list[Step], i0: int, workdays: Workdays,
    ctx: SeedContext, task_base: int, event_base: int, certificate: str | None,
) -> Materialized:  # fmt: skip
    """The rows of a case whose first `len(steps)` steps have happened, submitted on day i0."""
    item, division = meta.item, meta.division
    tasks: dict[int, _Task] = {}
    events: list[tuple[object, ...]] = []
    accepted_at: datetime | None = None
    due: date | None = None
    decided_at: datetime | None = None
    notice_ends: datetime | None = None
    for step in steps:
        at = china_instant(workdays.days[i0 + step.wd], step.minute)
        subject, department, actor_division = _actor(step.actor, meta)
        transition = step.transition
        opinion: str | None = None
        if step.decided_task is not None and step.decision is not None:
            task = tasks[step.decided_task]
            opinion, findings = opinions.decision_text(rng, task.kind, task.department,
                                                       step.decision)  # fmt: skip
            assert transition.decided_task_status is not None
            task.status, task.decided_by, task.decided_at = (
                transition.decided_task_status,
                subject,
                at,
            )
            task.opinion, task.findings, task.version = opinion, findings, 2
        if transition.cancel_pending_tasks:
            for task in tasks.values():
                if task.status is wf.TaskStatus.PENDING:
                    task.status, task.decided_at, task.version = wf.TaskStatus.CANCELLED, at, 2
        for event in transition.events:
            if event.kind is wf.EventKind.ACCEPTED:
                accepted_at, opinion = at, opinions.ACCEPTED
                due = wf.due_date(item, at.astimezone(CHINA_TZ).date(), ctx.calendar)
            elif event.kind is wf.EventKind.WITHDRAWN:
                opinion = opinions.WITHDRAWN
            elif event.kind is wf.EventKind.NOTICE_STARTED:
                notice_ends = at + timedelta(days=wf.notice_length(item))
            if event.to_status in (wf.CaseStatus.APPROVED, wf.CaseStatus.REJECTED):
                decided_at = at
            task_id = task_base + step.decided_task - 1 if step.decided_task else None
            events.append((event_base + len(events), meta.id, at, subject, department,
                           actor_division, event.kind.value,
                           event.from_status.value if event.from_status else None,
                           event.to_status.value, opinion, task_id))  # fmt: skip
            opinion = None
        for local, spec in step.opened:
            start = max(at, notice_ends) if spec.kind is wf.TaskKind.CERTIFY and notice_ends else at
            task_due = ctx.calendar.add_working_days(
                start.astimezone(CHINA_TZ).date(), _TASK_DAYS[spec.kind]
            )
            tasks[local] = _Task(
                task_base + local - 1, meta.id, spec.department.value, spec.kind, spec.round,
                division, ancestor_code(division, spec.assignee_level), task_due, at,
            )  # fmt: skip
    status = steps[-1].status
    submitted_at = events[0][2]
    case = (*meta.head, status.value, True, meta.declared_income, submitted_at, accepted_at,
            due, decided_at, notice_ends, meta.channel is wf.Channel.WINDOW,
            certificate if status is wf.CaseStatus.APPROVED else None, len(steps))  # fmt: skip
    return Materialized(case, [t.row() for t in tasks.values()], events, status, decided_at)


def _actor(role: str, meta: CaseMeta) -> Actor:
    """Who performed a step: the submitter, the township, the county or a partner bureau."""
    township, county = meta.division[:9], meta.division[:6]
    if role == "submitter":
        return meta.submitter
    if role == "clerk":
        return f"clerk-{township}", "civil_affairs", township + "000"
    if role == "reviewer":
        return f"reviewer-{township}", "civil_affairs", township + "000"
    if role == "certifier":
        level = meta.item.certifying_level
        return (
            f"approver-{meta.division[: PREFIX_LENGTH[level]]}",
            "civil_affairs",
            ancestor_code(meta.division, level),
        )
    return f"{role}-{county}", role, county + "000000"
