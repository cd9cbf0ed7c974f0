"""One case's whole life, played through the hub's own state machine (hub.domain.workflow).

Time is counted in working days after submission (`wd`) plus a minute of the day, so a life
can be planned first and placed on the calendar afterwards (see hub.seed.history). Every step
is a `Transition` the workflow itself produced, so seeded histories are legal by construction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hub.domain import workflow as wf
from hub.domain.catalogue import ServiceItemDef
from hub.domain.workflow import CaseState, CaseStatus, Decision, TaskKind, TaskState, TaskStatus

# How a case will end if nothing cuts it short; the as-of date usually cuts recent ones.
OUTCOMES = (
    "approve",
    "return_resubmit",
    "reject_verify",
    "reject_review",
    "reject_certify",
    "withdraw_early",
    "withdraw_late",
    "return_abandon",
    "stall",
)
OUTCOME_WEIGHTS = (70, 7, 6, 3, 1, 2, 2, 3, 4)
_WORK_START, _WORK_END = 8 * 60 + 30, 17 * 60 + 30
# A synthetic clock for the state machine's own checks (the notice must have ended).
_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)


@dataclass(frozen=True)
class Step:
    """One action: when (working day, minute), who, and what the workflow made of it."""

    wd: int
    minute: int
    actor: str  # "submitter", "clerk", "reviewer", "certifier" or a department token
    transition: wf.Transition
    opened: tuple[tuple[int, wf.TaskToOpen], ...] = ()
    decided_task: int | None = None
    decision: Decision | None = None

    @property
    def status(self) -> CaseStatus:
        return self.transition.status


@dataclass
class _Life:
    item: ServiceItemDef
    outcome: str
    rng: random.Random
    state: CaseState = field(default_factory=lambda: CaseState(CaseStatus.SUBMITTED))
    steps: list[Step] = field(default_factory=list)
    due: dict[int, tuple[int, int]] = field(default_factory=dict)  # task -> (wd, minute)
    next_task: int = 1
    returns: int = 0

    def record(
        self,
        wd: int,
        minute: int,
        actor: str,
        transition: wf.Transition,
        decided: int | None = None,
        decision: Decision | None = None,
    ) -> None:
        opened = []
        tasks = list(self.state.tasks)
        if transition.decided_task_id is not None and transition.decided_task_status is not None:
            tasks = [
                TaskState(t.id, t.kind, t.department, transition.decided_task_status, t.round)
                if t.id == transition.decided_task_id
                else t
                for t in tasks
            ]
        if transition.cancel_pending_tasks:
            tasks = [
                TaskState(t.id, t.kind, t.department, TaskStatus.CANCELLED, t.round)
                if t.status is TaskStatus.PENDING
                else t
                for t in tasks
            ]
        for spec in transition.open_tasks:
            local = self.next_task
            self.next_task += 1
            opened.append((local, spec))
            tasks.append(
                TaskState(local, spec.kind, spec.department, TaskStatus.PENDING, spec.round)
            )
            self.due[local] = self._answer_time(wd, spec.kind)
        self.state = CaseState(transition.status, tuple(tasks), transition.notice_ends_at)
        self.steps.append(Step(wd, minute, actor, transition, tuple(opened), decided, decision))

    def _answer_time(self, wd: int, kind: TaskKind) -> tuple[int, int]:
        """When an opened task will be decided: quick for items with short time limits, now
        and then slow enough to break the deadline, and never for a stalled case's checks."""
        rng = self.rng
        limit = self.item.time_limit_working_days
        if kind is TaskKind.VERIFY:
            fast = rng.random() < 0.95
            days = (
                rng.randint(1, max(1, min(6, limit // 3)))
                if fast
                else rng.randint(limit // 2, limit)
            )
            if self.outcome == "stall" and not any(s.decided_task for s in self.steps):
                days = rng.randint(40, 200)
        elif kind is TaskKind.CERTIFY and wf.notice_length(self.item):
            days = rng.randint(8, 10)  # n working days span at least n calendar days
        else:
            days = rng.randint(1, max(1, limit // 10))
        return wd + days, rng.randrange(_WORK_START, _WORK_END)


def live(rng: random.Random, item: ServiceItemDef, outcome: str, channel: wf.Channel) -> list[Step]:
    """The full planned life of a case with this outcome, one `Step` per action."""
    life = _Life(item, outcome, rng)
    start = (
        rng.randrange(420, 1380)
        if channel is wf.Channel.ONLINE
        else rng.randrange(_WORK_START, _WORK_END - 60)
    )
    life.record(0, start, "submitter", wf.submit(item, channel))
    wd, minute = 0, start
    withdraw_at: tuple[int, int] | None = None
    while life.state.status not in wf.FINAL_STATUSES:
        status = life.state.status
        if status is CaseStatus.SUBMITTED:
            if outcome == "withdraw_early":
                wd, minute = wd + rng.randint(1, 3), rng.randrange(_WORK_START, _WORK_END)
                life.record(wd, minute, "submitter", wf.withdraw(life.state, item))
                break
            if channel is wf.Channel.WINDOW and rng.random() < 0.8 and minute < _WORK_END - 60:
                minute += rng.randint(5, 50)
            else:
                wd, minute = wd + rng.randint(1, 2), rng.randrange(_WORK_START, _WORK_END)
            life.record(wd, minute, "clerk", wf.accept(life.state, item))
            if outcome == "withdraw_late":
                withdraw_at = (wd + rng.randint(1, 4), rng.randrange(_WORK_START, _WORK_END))
            continue
        if status is CaseStatus.RETURNED:
            life.returns += 1
            if outcome != "return_resubmit" or life.returns > 1:
                break
            wd, minute = wd + rng.randint(3, 15), rng.randrange(_WORK_START, _WORK_END)
            life.record(wd, minute, "submitter", wf.resubmit(life.state, item))
            continue
        pending = [t for t in life.state.tasks if t.status is TaskStatus.PENDING]
        task = min(pending, key=lambda t: life.due[int(t.id)])
        wd, minute = life.due[int(task.id)]
        if withdraw_at is not None and withdraw_at < (wd, minute):
            wd, minute = withdraw_at
            life.record(wd, minute, "submitter", wf.withdraw(life.state, item))
            break
        decision = _decision(life, task)
        now = _EPOCH + timedelta(days=wd, minutes=minute)
        transition = wf.decide_task(life.state, item, task.id, decision, now=now)
        actor = {TaskKind.VERIFY: task.department.value, TaskKind.REVIEW: "reviewer"}.get(
            task.kind, "certifier"
        )
        life.record(wd, minute, actor, transition, int(task.id), decision)
    return life.steps


def _decision(life: _Life, task: TaskState) -> Decision:
    """APPROVE, unless this is the step where the planned outcome turns the case."""
    outcome, item = life.outcome, life.item
    first_verify = not any(s.decided_task for s in life.steps)
    at_verify = bool(item.verify_departments) and life.rng.random() < 0.7
    if task.kind is TaskKind.VERIFY and first_verify:
        if outcome == "reject_verify":
            return Decision.REJECT
        if outcome in ("return_resubmit", "return_abandon") and life.returns == 0 and at_verify:
            return Decision.RETURN
    if task.kind is TaskKind.REVIEW:
        if outcome == "reject_review" or (
            outcome == "reject_verify" and not item.verify_departments
        ):
            return Decision.REJECT
        if outcome in ("return_resubmit", "return_abandon") and life.returns == 0:
            return Decision.RETURN
    if task.kind is TaskKind.CERTIFY and outcome == "reject_certify":
        return Decision.REJECT
    return Decision.APPROVE
