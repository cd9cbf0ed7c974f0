"""The case state machine (联动审批): pure functions from a case's state and an action to a
`Transition`, driven by the catalogue's data with no branch per service item.

Statuses, as implemented:
- SUBMITTED: applied for (window, online or by a proxy agent), not yet accepted.
- ACCEPTED: the township accepted it; the VERIFY tasks of the item's departments are open (for
  an item that verifies nothing, the REVIEW task, or the CERTIFY task if it has no review).
- VERIFYING: at least one department has approved its check; review may start once every
  department of the item has an APPROVED VERIFY task in the current round.
- REVIEWED: the township approved it; the certifying level's CERTIFY task is open.
- IN_PUBLIC_NOTICE: reviewed and on public notice (公示) until `notice_ends_at`; certification
  waits for the end. Review moves straight here when the item has a notice.
- APPROVED, REJECTED, WITHDRAWN: final. RETURNED: sent back for correction (补正); a new
  acceptance starts a new round of tasks.
Each acceptance opens a round of tasks; only the latest round counts, so the tasks of a returned
round keep their history without blocking the next one.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from hub.domain.calendar import WorkingCalendar
from hub.domain.catalogue import ServiceItemDef
from hub.domain.divisions import level_of, normalize_prefix_or_code
from hub.errors import BadUserInput, Conflict
from hub.types import Department, Level


class CaseStatus(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    VERIFYING = "VERIFYING"
    REVIEWED = "REVIEWED"
    IN_PUBLIC_NOTICE = "IN_PUBLIC_NOTICE"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    WITHDRAWN = "WITHDRAWN"


class TaskKind(enum.StrEnum):
    VERIFY = "VERIFY"
    REVIEW = "REVIEW"
    CERTIFY = "CERTIFY"


class TaskStatus(enum.StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    # Closed undecided because the case ended or went back (withdrawn, rejected, returned):
    # it must stop being PENDING, or its department would keep need-to-know access.
    CANCELLED = "CANCELLED"


class Decision(enum.StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    RETURN = "RETURN"


class EventKind(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    TASK_DECIDED = "TASK_DECIDED"
    REVIEWED = "REVIEWED"
    NOTICE_STARTED = "NOTICE_STARTED"
    CERTIFIED = "CERTIFIED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    WITHDRAWN = "WITHDRAWN"


class Channel(enum.StrEnum):
    WINDOW = "WINDOW"
    ONLINE = "ONLINE"
    PROXY = "PROXY"


class Action(enum.StrEnum):
    SUBMIT = "SUBMIT"
    RESUBMIT = "RESUBMIT"
    ACCEPT = "ACCEPT"
    DECIDE_TASK = "DECIDE_TASK"
    REVIEW = "REVIEW"
    CERTIFY = "CERTIFY"
    RETURN = "RETURN"
    WITHDRAW = "WITHDRAW"

    @property
    def verb(self) -> str:
        """How an error message says it: "cannot <verb> a case in status ..."."""
        return "decide a task of" if self is Action.DECIDE_TASK else self.value.lower()


FINAL_STATUSES = frozenset({CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN})
RETURNABLE = frozenset(
    {CaseStatus.ACCEPTED, CaseStatus.VERIFYING, CaseStatus.REVIEWED, CaseStatus.IN_PUBLIC_NOTICE}
)
WITHDRAWABLE = frozenset(CaseStatus) - FINAL_STATUSES
# Partner departments answer verification tasks through their county-level bureaus.
VERIFY_LEVEL = Level.COUNTY
_DECIDED = {
    Decision.APPROVE: TaskStatus.APPROVED,
    Decision.REJECT: TaskStatus.REJECTED,
    Decision.RETURN: TaskStatus.RETURNED,
}

TaskId = int | str
_Decided = tuple[TaskId, TaskStatus] | None


class IllegalTransition(Conflict):
    """The action is not allowed in the case's current status (GraphQL code CONFLICT)."""

    def __init__(self, current_status: CaseStatus, action: Action, reason: str = "") -> None:
        message = f"cannot {action.verb} a case in status {current_status.value}"
        super().__init__(
            f"{message}: {reason}" if reason else message,
            currentStatus=current_status.value,
            action=action.value,
        )
        self.current_status = current_status
        self.action = action


class ChannelNotOffered(BadUserInput):
    """The item cannot be applied for through this channel (GraphQL code BAD_USER_INPUT)."""


@dataclass(frozen=True)
class TaskState:
    """An approval task as the state machine needs to see it."""

    id: TaskId
    kind: TaskKind
    department: Department
    status: TaskStatus
    round: int = 1


@dataclass(frozen=True)
class CaseState:
    """A case as the state machine needs to see it: its status, tasks and notice end."""

    status: CaseStatus
    tasks: tuple[TaskState, ...] = ()
    notice_ends_at: datetime | None = None


@dataclass(frozen=True)
class TaskToOpen:
    """A task the transition opens, assigned to `department` at `assignee_level` above the case."""

    kind: TaskKind
    department: Department
    assignee_level: Level
    round: int


@dataclass(frozen=True)
class EventStep:
    """One case event the transition records (review plus notice start records two)."""

    kind: EventKind
    from_status: CaseStatus | None
    to_status: CaseStatus


@dataclass(frozen=True)
class Transition:
    """What an action does to a case; the caller persists it and records its events."""

    status: CaseStatus
    events: tuple[EventStep, ...]
    open_tasks: tuple[TaskToOpen, ...] = ()
    decided_task_id: TaskId | None = None
    decided_task_status: TaskStatus | None = None
    cancel_pending_tasks: bool = False
    notice_ends_at: datetime | None = None
    create_certificate: bool = False
    create_entitlement: bool = False

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


# --- actions -------------------------------------------------------------------------------


def submit(item: ServiceItemDef, channel: Channel = Channel.WINDOW) -> Transition:
    """A new application (一号申请): the case starts SUBMITTED.

    Online applications are refused for an item that is not online-capable.
    """
    if channel is Channel.ONLINE and not item.online_capable:
        raise ChannelNotOffered(
            f"{item.code} cannot be applied for online; apply at the township window or through "
            "a proxy agent",
            argument="channel",
        )
    return Transition(CaseStatus.SUBMITTED, (_step(EventKind.SUBMITTED, None, "SUBMITTED"),))


def resubmit(case: CaseState, item: ServiceItemDef) -> Transition:
    """The applicant hands in the corrected application: RETURNED → SUBMITTED."""
    _require(case, Action.RESUBMIT, {CaseStatus.RETURNED})
    return _move(case, CaseStatus.SUBMITTED, EventKind.SUBMITTED)


def accept(case: CaseState, item: ServiceItemDef) -> Transition:
    """The township accepts (一窗受理): SUBMITTED or RETURNED → ACCEPTED, opening a new round."""
    _require(case, Action.ACCEPT, {CaseStatus.SUBMITTED, CaseStatus.RETURNED})
    next_round = current_round(case.tasks) + 1
    departments = item.verify_departments if item.verify_parallel else item.verify_departments[:1]
    opened = tuple(
        TaskToOpen(TaskKind.VERIFY, department, VERIFY_LEVEL, next_round)
        for department in departments
    )
    if not departments:
        opened = (_next_stage_task(item, next_round),)
    return _move(case, CaseStatus.ACCEPTED, EventKind.ACCEPTED, open_tasks=opened)


def decide_task(
    case: CaseState,
    item: ServiceItemDef,
    task_id: TaskId,
    decision: Decision,
    *,
    now: datetime,
    notice_days: int | None = None,
) -> Transition:
    """A decision on one open task. REVIEW and CERTIFY tasks act as `review` and `certify`."""
    task = next((t for t in case.tasks if t.id == task_id), None)
    if task is None:
        raise IllegalTransition(case.status, Action.DECIDE_TASK, f"task {task_id} is not its task")
    if task.status is not TaskStatus.PENDING:
        raise IllegalTransition(
            case.status, Action.DECIDE_TASK, f"task {task_id} is already {task.status.value}"
        )
    if task.kind is TaskKind.REVIEW:
        return review(case, item, decision, now=now, notice_days=notice_days)
    if task.kind is TaskKind.CERTIFY:
        return certify(case, item, decision, now=now)
    _require(case, Action.DECIDE_TASK, {CaseStatus.ACCEPTED, CaseStatus.VERIFYING})
    decided = (task.id, _DECIDED[decision])
    if decision is not Decision.APPROVE:
        ends = CaseStatus.REJECTED if decision is Decision.REJECT else CaseStatus.RETURNED
        return _move(case, ends, EventKind.TASK_DECIDED, cancel=True, decided=decided)
    after = tuple(replace(t, status=TaskStatus.APPROVED) if t is task else t for t in case.tasks)
    opened: tuple[TaskToOpen, ...] = ()
    if verification_complete(item, after):
        opened = (_next_stage_task(item, task.round),)
    elif not any(t.status is TaskStatus.PENDING for t in _current(after)):
        opened = (_next_verify_task(item, after),)
    return _move(
        case, CaseStatus.VERIFYING, EventKind.TASK_DECIDED, open_tasks=opened, decided=decided
    )


def review(
    case: CaseState,
    item: ServiceItemDef,
    decision: Decision,
    *,
    now: datetime,
    notice_days: int | None = None,
) -> Transition:
    """The township's review (审核) once verification is complete.

    APPROVE opens the CERTIFY task and, when the item has a notice, starts it at once;
    `notice_days` is the hub-wide override (HUB_PUBLIC_NOTICE_DAYS).
    """
    _require(case, Action.REVIEW, {CaseStatus.ACCEPTED, CaseStatus.VERIFYING})
    if not item.review_required:
        raise IllegalTransition(case.status, Action.REVIEW, f"{item.code} has no review step")
    _require_verified(case, item, Action.REVIEW)
    decided = _decided_task(case, TaskKind.REVIEW, decision)
    if decision is not Decision.APPROVE:
        return _close(case, decision, decided)
    certify_task = (_certify_task(item, current_round(case.tasks)),)
    days = notice_length(item, notice_days)
    reviewed = _step(EventKind.REVIEWED, case.status, "REVIEWED")
    if days == 0:
        return _with_decided(Transition(CaseStatus.REVIEWED, (reviewed,), certify_task), decided)
    notice = _step(EventKind.NOTICE_STARTED, CaseStatus.REVIEWED, "IN_PUBLIC_NOTICE")
    noticed = Transition(
        CaseStatus.IN_PUBLIC_NOTICE,
        (reviewed, notice),
        certify_task,
        notice_ends_at=_aware(now) + timedelta(days=days),
    )
    return _with_decided(noticed, decided)


def certify(
    case: CaseState, item: ServiceItemDef, decision: Decision, *, now: datetime
) -> Transition:
    """The certifying level's decision (县证乡制: the county certifies, the township hands out).

    Allowed after review once any public notice has ended, or after complete verification for
    an item without a review step. APPROVE creates the certificate and, for a money item, the
    entitlement.
    """
    if case.status is CaseStatus.IN_PUBLIC_NOTICE:
        if case.notice_ends_at is None or _aware(now) < case.notice_ends_at:
            until = case.notice_ends_at.isoformat() if case.notice_ends_at else "an unknown time"
            raise IllegalTransition(
                case.status, Action.CERTIFY, f"the public notice runs until {until}"
            )
    elif not item.review_required and case.status in {CaseStatus.ACCEPTED, CaseStatus.VERIFYING}:
        _require_verified(case, item, Action.CERTIFY)
    else:
        _require(case, Action.CERTIFY, {CaseStatus.REVIEWED})
    decided = _decided_task(case, TaskKind.CERTIFY, decision)
    if decision is not Decision.APPROVE:
        return _close(case, decision, decided)
    approved = Transition(
        CaseStatus.APPROVED,
        (_step(EventKind.CERTIFIED, case.status, "APPROVED"),),
        create_certificate=True,
        create_entitlement=item.money_item,
    )
    return _with_decided(approved, decided)


def return_case(case: CaseState, item: ServiceItemDef) -> Transition:
    """The township sends the case back for correction (补正), e.g. after an objection to the
    public notice; open tasks are cancelled."""
    _require(case, Action.RETURN, RETURNABLE)
    return _move(case, CaseStatus.RETURNED, EventKind.RETURNED, cancel=True)


def withdraw(case: CaseState, item: ServiceItemDef) -> Transition:
    """The applicant or proxy withdraws before a final decision; open tasks are cancelled."""
    _require(case, Action.WITHDRAW, WITHDRAWABLE)
    return _move(case, CaseStatus.WITHDRAWN, EventKind.WITHDRAWN, cancel=True)


def allowed_actions(case: CaseState, item: ServiceItemDef, *, now: datetime) -> frozenset[Action]:
    """The case-level actions the machine would accept now (for portals showing buttons)."""
    attempts: dict[Action, Callable[[], Transition]] = {
        Action.RESUBMIT: lambda: resubmit(case, item),
        Action.ACCEPT: lambda: accept(case, item),
        Action.REVIEW: lambda: review(case, item, Decision.APPROVE, now=now),
        Action.CERTIFY: lambda: certify(case, item, Decision.APPROVE, now=now),
        Action.RETURN: lambda: return_case(case, item),
        Action.WITHDRAW: lambda: withdraw(case, item),
    }
    allowed: set[Action] = set()
    for action, attempt in attempts.items():
        try:
            attempt()
        except IllegalTransition:
            continue
        allowed.add(action)
    return frozenset(allowed)


# --- rules shared by the actions -----------------------------------------------------------


def notice_length(item: ServiceItemDef, override: int | None = None) -> int:
    """Days of public notice: 0 when the item has none, else the override or the item's own."""
    if item.public_notice_days == 0:
        return 0
    if override is None:
        return item.public_notice_days
    if override < 0:
        raise ValueError(f"the public notice length must not be negative, got {override}")
    return override


def current_round(tasks: Sequence[TaskState]) -> int:
    """The round of the latest acceptance (0 before the first)."""
    return max((t.round for t in tasks), default=0)


def verification_complete(item: ServiceItemDef, tasks: Sequence[TaskState]) -> bool:
    """Every department of the item has an APPROVED VERIFY task in the current round."""
    approved = {
        t.department
        for t in _current(tasks)
        if t.kind is TaskKind.VERIFY and t.status is TaskStatus.APPROVED
    }
    return approved.issuperset(item.verify_departments)


def due_date(item: ServiceItemDef, accepted_on: date, calendar: WorkingCalendar) -> date:
    """The statutory deadline: the item's time limit in working days after acceptance."""
    return calendar.add_working_days(accepted_on, item.time_limit_working_days)


def _current(tasks: Sequence[TaskState]) -> list[TaskState]:
    latest = current_round(tasks)
    return [t for t in tasks if t.round == latest]


def _require(case: CaseState, action: Action, allowed: Set[CaseStatus]) -> None:
    if case.status not in allowed:
        expected = ", ".join(sorted(s.value for s in allowed))
        raise IllegalTransition(case.status, action, f"allowed only from {expected}")


def _require_verified(case: CaseState, item: ServiceItemDef, action: Action) -> None:
    if verification_complete(item, case.tasks):
        return
    approved = {
        t.department
        for t in _current(case.tasks)
        if t.kind is TaskKind.VERIFY and t.status is TaskStatus.APPROVED
    }
    waiting = ", ".join(d.value for d in item.verify_departments if d not in approved)
    raise IllegalTransition(case.status, action, f"verification is not complete ({waiting})")


def _decided_task(case: CaseState, kind: TaskKind, decision: Decision) -> _Decided:
    """The open task of `kind` this case-level decision closes, if the caller keeps one."""
    task = next(
        (t for t in _current(case.tasks) if t.kind is kind and t.status is TaskStatus.PENDING),
        None,
    )
    return (task.id, _DECIDED[decision]) if task is not None else None


def _close(case: CaseState, decision: Decision, decided: _Decided) -> Transition:
    if decision is Decision.REJECT:
        return _move(case, CaseStatus.REJECTED, EventKind.REJECTED, cancel=True, decided=decided)
    return _move(case, CaseStatus.RETURNED, EventKind.RETURNED, cancel=True, decided=decided)


def _with_decided(transition: Transition, decided: _Decided) -> Transition:
    if decided is None:
        return transition
    return replace(transition, decided_task_id=decided[0], decided_task_status=decided[1])


def _next_stage_task(item: ServiceItemDef, round_: int) -> TaskToOpen:
    if item.review_required:
        return TaskToOpen(TaskKind.REVIEW, Department.CIVIL_AFFAIRS, item.handling_level, round_)
    return _certify_task(item, round_)


def _certify_task(item: ServiceItemDef, round_: int) -> TaskToOpen:
    return TaskToOpen(TaskKind.CERTIFY, Department.CIVIL_AFFAIRS, item.certifying_level, round_)


def _next_verify_task(item: ServiceItemDef, tasks: Sequence[TaskState]) -> TaskToOpen:
    current = _current(tasks)
    asked = {t.department for t in current if t.kind is TaskKind.VERIFY}
    department = next(d for d in item.verify_departments if d not in asked)
    return TaskToOpen(TaskKind.VERIFY, department, VERIFY_LEVEL, current_round(tasks))


def _move(
    case: CaseState,
    to: CaseStatus,
    kind: EventKind,
    *,
    open_tasks: tuple[TaskToOpen, ...] = (),
    cancel: bool = False,
    decided: _Decided = None,
) -> Transition:
    moved = Transition(
        to, (EventStep(kind, case.status, to),), open_tasks, cancel_pending_tasks=cancel
    )
    return _with_decided(moved, decided)


def _step(kind: EventKind, from_status: CaseStatus | None, to: str) -> EventStep:
    return EventStep(kind, from_status, CaseStatus(to))


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be timezone-aware (take it from the hub's Clock)")
    return now


# --- numbers -------------------------------------------------------------------------------

CASE_NUMBER_PATTERN = re.compile(r"MZ\d{8}\d{9}\d{6}")
CERTIFICATE_NUMBER_PATTERN = re.compile(r"ZS-\d{6}-\d{4}-\d{6}")
MAX_SEQUENCE = 999_999


def case_number(division_code: str, on: date, seq: int) -> str:
    """The one number of an application (一号申请): MZ, China date, township code, sequence.

    e.g. MZ20260315640104001000123 for the 123rd application of 2026-03-15 in township
    640104001; `division_code` is the applicant's village or township.
    """
    code = _division_at_or_below(division_code, Level.TOWNSHIP)
    _check_sequence(seq)
    return f"MZ{on:%Y%m%d}{code[:9]}{seq:06d}"


def certificate_number(division_code: str, year: int, seq: int) -> str:
    """A certificate's number: ZS-<county code>-<year>-<sequence>, e.g. ZS-640104-2026-000123."""
    code = _division_at_or_below(division_code, Level.COUNTY)
    _check_sequence(seq)
    if not 1900 <= year <= 9999:
        raise ValueError(f"year must have four digits, got {year}")
    return f"ZS-{code[:6]}-{year:04d}-{seq:06d}"


def _division_at_or_below(division_code: str, level: Level) -> str:
    code = normalize_prefix_or_code(division_code)
    if level_of(code) < level:
        raise ValueError(f"division {division_code} is above the {level.name.lower()} level")
    return code


def _check_sequence(seq: int) -> None:
    if not 1 <= seq <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be 1..{MAX_SEQUENCE}, got {seq}")
