"""The case state machine: every item end to end, every illegal transition, the numbers."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from hub.domain.calendar import WorkingCalendar
from hub.domain.catalogue import ServiceItemDef, load_catalogue
from hub.domain.workflow import (
    CASE_NUMBER_PATTERN,
    CERTIFICATE_NUMBER_PATTERN,
    FINAL_STATUSES,
    Action,
    CaseState,
    CaseStatus,
    Channel,
    ChannelNotOffered,
    Decision,
    EventKind,
    EventStep,
    IllegalTransition,
    TaskKind,
    TaskState,
    TaskStatus,
    TaskToOpen,
    Transition,
    accept,
    allowed_actions,
    case_number,
    certificate_number,
    certify,
    current_round,
    decide_task,
    due_date,
    notice_length,
    resubmit,
    return_case,
    review,
    submit,
    verification_complete,
    withdraw,
)
from hub.errors import BadUserInput, Conflict
from hub.types import Department, Level

CATALOGUE = load_catalogue()
DB_URBAN = CATALOGUE.get("DB_URBAN")
SENIOR_CARD = CATALOGUE.get("SENIOR_CARD")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
S = CaseStatus
PS, HR, HOUSING, MEDICAL = (
    Department.PUBLIC_SECURITY,
    Department.HUMAN_RESOURCES,
    Department.HOUSING,
    Department.MEDICAL_SECURITY,
)
DECIDED = {
    Decision.APPROVE: TaskStatus.APPROVED,
    Decision.REJECT: TaskStatus.REJECTED,
    Decision.RETURN: TaskStatus.RETURNED,
}
# An item verified one department after another, and one the township need not review.
SEQUENTIAL = dataclasses.replace(DB_URBAN, code="SEQ", verify_parallel=False)
NO_REVIEW = dataclasses.replace(
    SENIOR_CARD, code="NO_REVIEW", review_required=False, verify_departments=(PS,)
)


class Driver:
    """Applies transitions the way the hub's resolvers must: tasks, cancellations, notice."""

    def __init__(self, item: ServiceItemDef, now: datetime = T0) -> None:
        self.item = item
        self.now = now
        self.ids = itertools.count(1)
        self.events: list[EventStep] = []
        self.transitions: list[Transition] = []
        self.case = CaseState(S.SUBMITTED)
        self.apply(submit(item))

    def apply(self, transition: Transition) -> Transition:
        tasks = []
        for task in self.case.tasks:
            if task.id == transition.decided_task_id:
                assert transition.decided_task_status is not None
                task = dataclasses.replace(task, status=transition.decided_task_status)
            elif transition.cancel_pending_tasks and task.status is TaskStatus.PENDING:
                task = dataclasses.replace(task, status=TaskStatus.CANCELLED)
            tasks.append(task)
        for opened in transition.open_tasks:
            task_id = f"t{next(self.ids)}"
            tasks.append(
                TaskState(task_id, opened.kind, opened.department, TaskStatus.PENDING, opened.round)
            )
        notice = transition.notice_ends_at
        if notice is None and transition.status is S.IN_PUBLIC_NOTICE:
            notice = self.case.notice_ends_at
        self.case = CaseState(transition.status, tuple(tasks), notice)
        self.events.extend(transition.events)
        self.transitions.append(transition)
        return transition

    def pending(self, kind: TaskKind | None = None) -> list[TaskState]:
        return [
            t
            for t in self.case.tasks
            if t.status is TaskStatus.PENDING and (kind is None or t.kind is kind)
        ]

    def accept(self) -> Transition:
        return self.apply(accept(self.case, self.item))

    def decide(self, task: TaskState, decision: Decision = Decision.APPROVE) -> Transition:
        return self.apply(decide_task(self.case, self.item, task.id, decision, now=self.now))

    def verify_all(self) -> None:
        while self.pending(TaskKind.VERIFY):
            self.decide(self.pending(TaskKind.VERIFY)[0])

    def review(self, decision: Decision = Decision.APPROVE, **kw: int | None) -> Transition:
        return self.apply(review(self.case, self.item, decision, now=self.now, **kw))

    def certify(self, decision: Decision = Decision.APPROVE) -> Transition:
        return self.apply(certify(self.case, self.item, decision, now=self.now))

    def wait_out_notice(self) -> None:
        if self.case.status is S.IN_PUBLIC_NOTICE:
            assert self.case.notice_ends_at is not None
            self.now = self.case.notice_ends_at

    def step(self) -> Transition:
        """One step along the approving path."""
        if self.case.status is S.SUBMITTED:
            return self.accept()
        if self.case.status in {S.ACCEPTED, S.VERIFYING}:
            if self.pending(TaskKind.VERIFY):
                return self.decide(self.pending(TaskKind.VERIFY)[0])
            return self.review() if self.item.review_required else self.certify()
        self.wait_out_notice()
        return self.certify()

    def run_to(self, status: CaseStatus) -> Driver:
        """Drive the case along the approving path until it reaches `status`."""
        while self.case.status is not status:
            assert self.case.status not in FINAL_STATUSES, self.case.status
            self.step()
        return self


def kinds(events: list[EventStep]) -> list[EventKind]:
    return [event.kind for event in events]


# --- every item end to end -------------------------------------------------------------------

ALL_ITEMS = [*CATALOGUE, SEQUENTIAL, NO_REVIEW]


@pytest.mark.parametrize("item", ALL_ITEMS, ids=lambda item: item.code)
def test_every_item_runs_from_submission_to_approval(item: ServiceItemDef) -> None:
    case = Driver(item)
    case.accept()
    case.verify_all()
    if item.review_required:
        case.review()
    case.wait_out_notice()
    final = case.certify()
    assert case.case.status is S.APPROVED
    assert final.create_certificate
    assert final.create_entitlement is item.money_item
    assert final.final
    expected = [EventKind.SUBMITTED, EventKind.ACCEPTED]
    expected += [EventKind.TASK_DECIDED] * len(item.verify_departments)
    expected += [EventKind.REVIEWED] if item.review_required else []
    expected += [EventKind.NOTICE_STARTED] if item.public_notice_days else []
    assert kinds(case.events) == [*expected, EventKind.CERTIFIED]
    assert not case.pending()


@pytest.mark.parametrize("item", ALL_ITEMS, ids=lambda item: item.code)
def test_every_items_events_chain_from_status_to_status(item: ServiceItemDef) -> None:
    case = Driver(item)
    case.run_to(S.APPROVED)
    assert case.events[0].from_status is None
    for earlier, later in itertools.pairwise(case.events):
        assert later.from_status is earlier.to_status
    assert case.events[-1].to_status is S.APPROVED


@pytest.mark.parametrize("item", ALL_ITEMS, ids=lambda item: item.code)
def test_every_item_opens_one_task_per_department_then_review_then_certify(
    item: ServiceItemDef,
) -> None:
    case = Driver(item).run_to(S.APPROVED)
    opened = [task for transition in case.transitions for task in transition.open_tasks]
    verify = [t for t in opened if t.kind is TaskKind.VERIFY]
    assert [t.department for t in verify] == list(item.verify_departments)
    assert all(t.assignee_level is Level.COUNTY and t.round == 1 for t in verify)
    later = [t for t in opened if t.kind is not TaskKind.VERIFY]
    certify_task = TaskToOpen(TaskKind.CERTIFY, Department.CIVIL_AFFAIRS, item.certifying_level, 1)
    if item.review_required:
        review_task = TaskToOpen(TaskKind.REVIEW, Department.CIVIL_AFFAIRS, item.handling_level, 1)
        assert later == [review_task, certify_task]
    else:
        assert later == [certify_task]


@pytest.mark.parametrize(
    "item", [i for i in CATALOGUE if i.verify_departments], ids=lambda item: item.code
)
def test_every_item_is_rejected_by_a_rejected_verification(item: ServiceItemDef) -> None:
    case = Driver(item)
    case.accept()
    transition = case.decide(case.pending(TaskKind.VERIFY)[-1], Decision.REJECT)
    assert transition.status is S.REJECTED
    assert transition.events == (EventStep(EventKind.TASK_DECIDED, S.ACCEPTED, S.REJECTED),)
    assert transition.decided_task_status is TaskStatus.REJECTED
    assert transition.cancel_pending_tasks
    assert not case.pending()
    assert not transition.create_certificate and not transition.create_entitlement


@pytest.mark.parametrize("item", CATALOGUE, ids=lambda item: item.code)
def test_every_item_can_be_rejected_at_review_and_at_certification(item: ServiceItemDef) -> None:
    at_review = Driver(item)
    at_review.accept()
    at_review.verify_all()
    assert at_review.review(Decision.REJECT).events[-1].kind is EventKind.REJECTED
    assert at_review.case.status is S.REJECTED
    at_certify = Driver(item)
    at_certify.accept()
    at_certify.verify_all()
    at_certify.review()
    at_certify.wait_out_notice()
    rejected = at_certify.certify(Decision.REJECT)
    assert rejected.status is S.REJECTED
    assert not rejected.create_certificate and not rejected.create_entitlement


@pytest.mark.parametrize("item", CATALOGUE, ids=lambda item: item.code)
def test_every_item_can_be_returned_corrected_and_approved(item: ServiceItemDef) -> None:
    case = Driver(item)
    case.accept()
    case.verify_all()
    case.review()
    case.apply(return_case(case.case, item))
    assert case.case.status is S.RETURNED
    assert not case.pending()
    case.apply(resubmit(case.case, item))
    case.run_to(S.APPROVED)
    assert current_round(case.case.tasks) == 2
    assert kinds(case.events).count(EventKind.ACCEPTED) == 2


# --- the transition table, exhaustively --------------------------------------------------------

CASE_ACTIONS = [
    Action.RESUBMIT,
    Action.ACCEPT,
    Action.REVIEW,
    Action.CERTIFY,
    Action.RETURN,
    Action.WITHDRAW,
]
LEGAL: dict[CaseStatus, set[Action]] = {
    S.SUBMITTED: {Action.ACCEPT, Action.WITHDRAW},
    S.ACCEPTED: {Action.RETURN, Action.WITHDRAW},
    S.VERIFYING: {Action.REVIEW, Action.RETURN, Action.WITHDRAW},
    S.REVIEWED: {Action.CERTIFY, Action.RETURN, Action.WITHDRAW},
    S.IN_PUBLIC_NOTICE: {Action.CERTIFY, Action.RETURN, Action.WITHDRAW},
    S.APPROVED: set(),
    S.REJECTED: set(),
    S.WITHDRAWN: set(),
    S.RETURNED: {Action.RESUBMIT, Action.ACCEPT, Action.WITHDRAW},
}


def driver_in(status: CaseStatus) -> Driver:
    """A DB_URBAN case in `status`, as ripe as that status allows (verification done, notice
    over), so that only the status decides what is legal."""
    case = Driver(DB_URBAN)
    if status is S.SUBMITTED:
        return case
    if status is S.WITHDRAWN:
        case.apply(withdraw(case.case, DB_URBAN))
        return case
    case.accept()
    if status is S.RETURNED:
        case.apply(return_case(case.case, DB_URBAN))
    elif status is S.REJECTED:
        case.decide(case.pending()[0], Decision.REJECT)
    elif status is S.VERIFYING:
        case.verify_all()
    elif status is S.REVIEWED:
        case.verify_all()
        case.review(notice_days=0)
    elif status is S.IN_PUBLIC_NOTICE:
        case.verify_all()
        case.review()
        case.wait_out_notice()
    elif status is S.APPROVED:
        case.run_to(S.APPROVED)
    assert case.case.status is status
    return case


def attempt(case: Driver, action: Action) -> Transition:
    item, state, now = case.item, case.case, case.now
    calls: dict[Action, Callable[[], Transition]] = {
        Action.RESUBMIT: lambda: resubmit(state, item),
        Action.ACCEPT: lambda: accept(state, item),
        Action.REVIEW: lambda: review(state, item, Decision.APPROVE, now=now),
        Action.CERTIFY: lambda: certify(state, item, Decision.APPROVE, now=now),
        Action.RETURN: lambda: return_case(state, item),
        Action.WITHDRAW: lambda: withdraw(state, item),
    }
    return calls[action]()


@pytest.mark.parametrize("action", CASE_ACTIONS, ids=str)
@pytest.mark.parametrize("status", list(CaseStatus), ids=str)
def test_every_action_in_every_status_is_allowed_or_refused_naming_the_status(
    status: CaseStatus, action: Action
) -> None:
    case = driver_in(status)
    if action in LEGAL[status]:
        assert isinstance(attempt(case, action), Transition)
        return
    with pytest.raises(IllegalTransition, match=f"in status {status.value}") as caught:
        attempt(case, action)
    assert caught.value.current_status is status
    assert caught.value.action is action


@pytest.mark.parametrize("status", list(CaseStatus), ids=str)
def test_allowed_actions_lists_exactly_the_legal_ones(status: CaseStatus) -> None:
    case = driver_in(status)
    assert allowed_actions(case.case, DB_URBAN, now=case.now) == LEGAL[status]


@pytest.mark.parametrize("decision", list(Decision), ids=str)
@pytest.mark.parametrize("status", list(CaseStatus), ids=str)
def test_a_verification_decision_counts_only_while_accepted_or_verifying(
    status: CaseStatus, decision: Decision
) -> None:
    task = TaskState("v1", TaskKind.VERIFY, PS, TaskStatus.PENDING)
    state = CaseState(status, (task,))
    if status in {S.ACCEPTED, S.VERIFYING}:
        assert decide_task(state, CATALOGUE.get("ORPHAN"), "v1", decision, now=T0).events
        return
    with pytest.raises(IllegalTransition, match=f"decide a task of a case in status {status}"):
        decide_task(state, CATALOGUE.get("ORPHAN"), "v1", decision, now=T0)


@pytest.mark.parametrize("status", list(CaseStatus), ids=str)
def test_decided_tasks_cannot_be_decided_again_in_any_status(status: CaseStatus) -> None:
    for task_status in set(TaskStatus) - {TaskStatus.PENDING}:
        task = TaskState("v1", TaskKind.VERIFY, PS, task_status)
        with pytest.raises(IllegalTransition, match=f"already {task_status.value}") as caught:
            decide_task(CaseState(status, (task,)), DB_URBAN, "v1", Decision.APPROVE, now=T0)
        assert str(status.value) in str(caught.value)


def test_a_task_of_another_case_cannot_be_decided() -> None:
    case = driver_in(S.ACCEPTED)
    with pytest.raises(IllegalTransition, match="task nope is not its task"):
        decide_task(case.case, DB_URBAN, "nope", Decision.APPROVE, now=T0)


def test_illegal_transition_is_a_conflict_with_the_status_in_its_extensions() -> None:
    with pytest.raises(Conflict) as caught:
        certify(CaseState(S.SUBMITTED), DB_URBAN, Decision.APPROVE, now=T0)
    assert caught.value.code == "CONFLICT"
    assert caught.value.extensions["currentStatus"] == "SUBMITTED"
    assert caught.value.extensions["action"] == "CERTIFY"
    assert caught.value.message == (
        "cannot certify a case in status SUBMITTED: allowed only from REVIEWED"
    )


# --- the rules one by one ---------------------------------------------------------------------


def test_submit_starts_a_case_submitted() -> None:
    transition = submit(DB_URBAN)
    assert transition.status is S.SUBMITTED
    assert transition.events == (EventStep(EventKind.SUBMITTED, None, S.SUBMITTED),)
    assert transition.open_tasks == ()


@pytest.mark.parametrize("channel", list(Channel), ids=str)
def test_submit_accepts_every_channel_for_an_online_capable_item(channel: Channel) -> None:
    assert submit(DB_URBAN, channel).status is S.SUBMITTED


def test_submit_refuses_an_online_application_for_an_offline_item() -> None:
    orphan = CATALOGUE.get("ORPHAN")
    with pytest.raises(ChannelNotOffered, match="ORPHAN cannot be applied for online") as caught:
        submit(orphan, Channel.ONLINE)
    assert isinstance(caught.value, BadUserInput)
    assert caught.value.extensions["argument"] == "channel"
    assert submit(orphan, Channel.PROXY).status is S.SUBMITTED


def test_accept_opens_one_verification_task_per_department_in_parallel() -> None:
    transition = accept(CaseState(S.SUBMITTED), DB_URBAN)
    assert transition.status is S.ACCEPTED
    assert transition.events == (EventStep(EventKind.ACCEPTED, S.SUBMITTED, S.ACCEPTED),)
    assert transition.open_tasks == tuple(
        TaskToOpen(TaskKind.VERIFY, d, Level.COUNTY, 1) for d in (PS, HR, HOUSING, MEDICAL)
    )


def test_accept_of_an_item_without_verification_opens_the_review_at_once() -> None:
    transition = accept(CaseState(S.SUBMITTED), SENIOR_CARD)
    assert transition.status is S.ACCEPTED
    assert transition.open_tasks == (
        TaskToOpen(TaskKind.REVIEW, Department.CIVIL_AFFAIRS, Level.TOWNSHIP, 1),
    )
    assert verification_complete(SENIOR_CARD, ())
    assert Action.REVIEW in allowed_actions(CaseState(S.ACCEPTED), SENIOR_CARD, now=T0)


def test_the_first_approval_moves_the_case_to_verifying() -> None:
    case = Driver(DB_URBAN)
    case.accept()
    first = case.pending()[0]
    transition = case.decide(first)
    assert transition.status is S.VERIFYING
    assert transition.events == (EventStep(EventKind.TASK_DECIDED, S.ACCEPTED, S.VERIFYING),)
    assert (transition.decided_task_id, transition.decided_task_status) == (
        first.id,
        TaskStatus.APPROVED,
    )
    assert transition.open_tasks == ()


def test_a_later_approval_keeps_the_case_verifying_with_equal_from_and_to() -> None:
    case = Driver(DB_URBAN)
    case.accept()
    case.decide(case.pending()[0])
    transition = case.decide(case.pending()[0])
    assert transition.events == (EventStep(EventKind.TASK_DECIDED, S.VERIFYING, S.VERIFYING),)


def test_the_last_approval_opens_the_township_review() -> None:
    case = Driver(DB_URBAN)
    case.accept()
    for task in case.pending()[:-1]:
        assert case.decide(task).open_tasks == ()
    last = case.decide(case.pending()[0])
    assert last.status is S.VERIFYING
    assert last.open_tasks == (
        TaskToOpen(TaskKind.REVIEW, Department.CIVIL_AFFAIRS, Level.TOWNSHIP, 1),
    )


def test_review_waits_for_every_department_and_names_those_still_checking() -> None:
    case = Driver(DB_URBAN)
    case.accept()
    case.decide(case.pending()[0])
    case.decide(case.pending()[0])
    with pytest.raises(IllegalTransition, match=r"not complete \(housing, medical_security\)"):
        review(case.case, DB_URBAN, Decision.APPROVE, now=T0)


def test_a_returned_verification_sends_the_case_back_for_correction() -> None:
    case = Driver(DB_URBAN)
    case.accept()
    case.decide(case.pending()[0])
    transition = case.decide(case.pending()[0], Decision.RETURN)
    assert transition.status is S.RETURNED
    assert transition.events == (EventStep(EventKind.TASK_DECIDED, S.VERIFYING, S.RETURNED),)
    assert transition.decided_task_status is TaskStatus.RETURNED
    statuses = sorted(t.status.value for t in case.case.tasks)
    assert statuses == ["APPROVED", "CANCELLED", "CANCELLED", "RETURNED"]


def test_a_new_acceptance_opens_a_new_round_and_ignores_the_old_one() -> None:
    case = Driver(DB_URBAN)
    case.accept()
    case.decide(case.pending()[0], Decision.RETURN)
    reaccepted = case.accept()
    assert reaccepted.events == (EventStep(EventKind.ACCEPTED, S.RETURNED, S.ACCEPTED),)
    assert {t.round for t in reaccepted.open_tasks} == {2}
    assert len(reaccepted.open_tasks) == 4
    case.verify_all()
    assert verification_complete(DB_URBAN, case.case.tasks)
    assert case.review().status is S.IN_PUBLIC_NOTICE


def test_an_approval_from_an_old_round_does_not_count() -> None:
    old = TaskState("a", TaskKind.VERIFY, PS, TaskStatus.APPROVED, round=1)
    new = TaskState("b", TaskKind.VERIFY, PS, TaskStatus.PENDING, round=2)
    assert not verification_complete(CATALOGUE.get("ORPHAN"), (old, new))
    assert verification_complete(CATALOGUE.get("ORPHAN"), (old,))


def test_resubmission_moves_a_returned_case_back_to_submitted() -> None:
    transition = resubmit(CaseState(S.RETURNED), DB_URBAN)
    assert transition.status is S.SUBMITTED
    assert transition.events == (EventStep(EventKind.SUBMITTED, S.RETURNED, S.SUBMITTED),)


def test_review_starts_the_seven_day_public_notice_in_the_same_transition() -> None:
    case = driver_in(S.VERIFYING)
    review_task = case.pending(TaskKind.REVIEW)[0]
    transition = case.review()
    assert transition.status is S.IN_PUBLIC_NOTICE
    assert transition.events == (
        EventStep(EventKind.REVIEWED, S.VERIFYING, S.REVIEWED),
        EventStep(EventKind.NOTICE_STARTED, S.REVIEWED, S.IN_PUBLIC_NOTICE),
    )
    assert transition.notice_ends_at == T0 + timedelta(days=7)
    assert transition.decided_task_id == review_task.id
    assert transition.decided_task_status is TaskStatus.APPROVED
    assert transition.open_tasks == (
        TaskToOpen(TaskKind.CERTIFY, Department.CIVIL_AFFAIRS, Level.COUNTY, 1),
    )


def test_the_notice_length_can_be_overridden_for_items_that_have_one() -> None:
    case = driver_in(S.VERIFYING)
    shorter = review(case.case, DB_URBAN, Decision.APPROVE, now=T0, notice_days=3)
    assert shorter.notice_ends_at == T0 + timedelta(days=3)
    none = review(case.case, DB_URBAN, Decision.APPROVE, now=T0, notice_days=0)
    assert none.status is S.REVIEWED
    assert none.events == (EventStep(EventKind.REVIEWED, S.VERIFYING, S.REVIEWED),)
    assert none.notice_ends_at is None


def test_the_override_never_puts_an_item_without_notice_on_notice() -> None:
    temporary = CATALOGUE.get("TEMPORARY")
    assert notice_length(temporary, 7) == 0
    assert notice_length(DB_URBAN, None) == 7
    assert notice_length(DB_URBAN, 0) == 0
    assert notice_length(DB_URBAN, 10) == 10
    with pytest.raises(ValueError, match="negative"):
        notice_length(DB_URBAN, -1)


def test_certification_waits_for_the_end_of_the_public_notice() -> None:
    case = driver_in(S.VERIFYING)
    case.review()
    ends = T0 + timedelta(days=7)
    with pytest.raises(IllegalTransition, match=re.escape(f"runs until {ends.isoformat()}")):
        certify(case.case, DB_URBAN, Decision.APPROVE, now=ends - timedelta(seconds=1))
    assert certify(case.case, DB_URBAN, Decision.APPROVE, now=ends).status is S.APPROVED
    assert Action.CERTIFY not in allowed_actions(case.case, DB_URBAN, now=T0)


def test_a_notice_without_an_end_time_blocks_certification() -> None:
    with pytest.raises(IllegalTransition, match="an unknown time"):
        certify(CaseState(S.IN_PUBLIC_NOTICE), DB_URBAN, Decision.APPROVE, now=T0)


def test_certification_approves_with_certificate_and_entitlement_for_money_items() -> None:
    case = driver_in(S.REVIEWED)
    certify_task = case.pending(TaskKind.CERTIFY)[0]
    transition = case.certify()
    assert transition.status is S.APPROVED
    assert transition.events == (EventStep(EventKind.CERTIFIED, S.REVIEWED, S.APPROVED),)
    assert transition.create_certificate and transition.create_entitlement
    assert (transition.decided_task_id, transition.decided_task_status) == (
        certify_task.id,
        TaskStatus.APPROVED,
    )


@pytest.mark.parametrize("code", ["LOW_INCOME", "SENIOR_CARD"])
def test_items_that_pay_nothing_get_a_certificate_and_no_entitlement(code: str) -> None:
    case = Driver(CATALOGUE.get(code)).run_to(S.APPROVED)
    assert case.transitions[-1].create_certificate
    assert not case.transitions[-1].create_entitlement


@pytest.mark.parametrize(
    ("decision", "status", "kind"),
    [
        (Decision.REJECT, S.REJECTED, EventKind.REJECTED),
        (Decision.RETURN, S.RETURNED, EventKind.RETURNED),
    ],
)
def test_review_and_certification_can_reject_or_return(
    decision: Decision, status: CaseStatus, kind: EventKind
) -> None:
    at_review = driver_in(S.VERIFYING)
    reviewed = at_review.review(decision)
    assert (reviewed.status, reviewed.events[0].kind) == (status, kind)
    assert reviewed.decided_task_status is DECIDED[decision]
    at_certify = driver_in(S.IN_PUBLIC_NOTICE)
    certified = at_certify.certify(decision)
    assert certified.events == (EventStep(kind, S.IN_PUBLIC_NOTICE, status),)
    assert certified.cancel_pending_tasks


def test_decided_task_status_matches_the_decision() -> None:
    for decision, task_status in DECIDED.items():
        case = driver_in(S.ACCEPTED)
        assert case.decide(case.pending()[0], decision).decided_task_status is task_status


def test_deciding_the_review_task_is_the_review() -> None:
    case = driver_in(S.VERIFYING)
    task = case.pending(TaskKind.REVIEW)[0]
    by_task = decide_task(case.case, DB_URBAN, task.id, Decision.APPROVE, now=T0, notice_days=2)
    assert by_task == review(case.case, DB_URBAN, Decision.APPROVE, now=T0, notice_days=2)


def test_deciding_the_certify_task_is_the_certification() -> None:
    case = driver_in(S.REVIEWED)
    task = case.pending(TaskKind.CERTIFY)[0]
    by_task = decide_task(case.case, DB_URBAN, task.id, Decision.REJECT, now=T0)
    assert by_task == certify(case.case, DB_URBAN, Decision.REJECT, now=T0)
    assert by_task.status is S.REJECTED


def test_returning_a_case_on_notice_cancels_the_certification() -> None:
    # 公示有异议: the township investigates again.
    case = driver_in(S.IN_PUBLIC_NOTICE)
    transition = case.apply(return_case(case.case, DB_URBAN))
    assert transition.events == (EventStep(EventKind.RETURNED, S.IN_PUBLIC_NOTICE, S.RETURNED),)
    assert [t.status for t in case.case.tasks if t.kind is TaskKind.CERTIFY] == [
        TaskStatus.CANCELLED
    ]


WITHDRAWABLE = [status for status in CaseStatus if Action.WITHDRAW in LEGAL[status]]


@pytest.mark.parametrize("status", WITHDRAWABLE, ids=str)
def test_withdrawal_cancels_every_open_task(status: CaseStatus) -> None:
    case = driver_in(status)
    transition = case.apply(withdraw(case.case, DB_URBAN))
    assert transition.events == (EventStep(EventKind.WITHDRAWN, status, S.WITHDRAWN),)
    assert transition.final
    assert not case.pending()


def test_sequential_verification_opens_the_departments_one_after_another() -> None:
    case = Driver(SEQUENTIAL)
    assert [t.department for t in case.accept().open_tasks] == [PS]
    assert [t.department for t in case.decide(case.pending()[0]).open_tasks] == [HR]
    assert [t.department for t in case.decide(case.pending()[0]).open_tasks] == [HOUSING]
    assert [t.department for t in case.decide(case.pending()[0]).open_tasks] == [MEDICAL]
    assert [t.kind for t in case.decide(case.pending()[0]).open_tasks] == [TaskKind.REVIEW]


def test_an_item_without_review_goes_from_verification_to_certification() -> None:
    case = Driver(NO_REVIEW)
    case.accept()
    with pytest.raises(IllegalTransition, match="verification is not complete"):
        certify(case.case, NO_REVIEW, Decision.APPROVE, now=T0)
    last = case.decide(case.pending()[0])
    assert last.open_tasks == (
        TaskToOpen(TaskKind.CERTIFY, Department.CIVIL_AFFAIRS, Level.TOWNSHIP, 1),
    )
    with pytest.raises(IllegalTransition, match="NO_REVIEW has no review step"):
        review(case.case, NO_REVIEW, Decision.APPROVE, now=T0)
    assert case.certify().events == (EventStep(EventKind.CERTIFIED, S.VERIFYING, S.APPROVED),)


def test_an_item_without_review_or_verification_is_certified_straight_after_acceptance() -> None:
    bare = dataclasses.replace(NO_REVIEW, verify_departments=())
    case = Driver(bare)
    assert [t.kind for t in case.accept().open_tasks] == [TaskKind.CERTIFY]
    assert allowed_actions(case.case, bare, now=T0) == {
        Action.CERTIFY,
        Action.RETURN,
        Action.WITHDRAW,
    }
    assert case.certify().status is S.APPROVED


def test_instants_must_be_timezone_aware() -> None:
    naive = datetime(2026, 3, 2, 9, 0)
    case = driver_in(S.VERIFYING)
    with pytest.raises(ValueError, match="timezone-aware"):
        review(case.case, DB_URBAN, Decision.APPROVE, now=naive)
    on_notice = driver_in(S.IN_PUBLIC_NOTICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        certify(on_notice.case, DB_URBAN, Decision.APPROVE, now=naive)


def test_current_round_is_zero_before_the_first_acceptance() -> None:
    assert current_round(()) == 0


# --- deadlines and numbers -------------------------------------------------------------------


def test_the_due_date_counts_the_items_working_days_from_acceptance() -> None:
    calendar = WorkingCalendar.default()
    assert due_date(DB_URBAN, date(2026, 2, 6), calendar) == date(2026, 3, 26)
    # Golden Week 2025: 10/1-10/8 off, Saturday 10/11 worked.
    assert due_date(SENIOR_CARD, date(2025, 9, 30), calendar) == date(2025, 10, 14)


def test_case_number_joins_date_township_and_sequence() -> None:
    number = case_number("640104001001", date(2026, 3, 15), 123)
    assert number == "MZ20260315640104001000123"
    assert CASE_NUMBER_PATTERN.fullmatch(number)
    assert case_number("640104001000", date(2026, 3, 15), 1) == "MZ20260315640104001000001"
    assert case_number("640104001", date(2026, 3, 15), 999_999).endswith("999999")


@pytest.mark.parametrize("code", ["640104000000", "640100000000", "64010400100", "abc"])
def test_case_number_needs_a_township_or_village(code: str) -> None:
    with pytest.raises(ValueError):
        case_number(code, date(2026, 3, 15), 1)


@pytest.mark.parametrize("seq", [0, -1, 1_000_000])
def test_numbers_refuse_a_sequence_outside_1_to_999999(seq: int) -> None:
    with pytest.raises(ValueError, match="sequence"):
        case_number("640104001001", date(2026, 3, 15), seq)
    with pytest.raises(ValueError, match="sequence"):
        certificate_number("640104001001", 2026, seq)


def test_certificate_number_names_the_county_and_year() -> None:
    number = certificate_number("640104001001", 2026, 123)
    assert number == "ZS-640104-2026-000123"
    assert CERTIFICATE_NUMBER_PATTERN.fullmatch(number)
    assert certificate_number("640104000000", 2027, 1) == "ZS-640104-2027-000001"


def test_certificate_number_refuses_a_city_and_a_short_year() -> None:
    with pytest.raises(ValueError, match="above the county level"):
        certificate_number("640100000000", 2026, 1)
    with pytest.raises(ValueError, match="four digits"):
        certificate_number("640104000000", 26, 1)
