"""The case commands of 联动审批 (DESIGN.md §2, §4): each checks the caller, locks the case,
checks `expectedVersion`, asks the pure state machine (hub.domain.workflow) for the
transition and persists it, all in one audited transaction (hub.resolvers.command).

submitCase lives in hub.resolvers.submission, decideApprovalTask in hub.resolvers.task_decisions.
"""

from __future__ import annotations

from collections.abc import Callable

from hub.auth.principal import Principal
from hub.db.models import ApprovalTask, Case
from hub.domain import workflow as wf
from hub.domain.catalogue import ServiceItemDef, load_catalogue
from hub.errors import NotFound
from hub.resolvers import case_access, case_store
from hub.resolvers.command import Body, Effect, Tx, run_command
from hub.resolvers.command_checks import Note, note, require_version
from hub.resolvers.context import HubContext
from hub.resolvers.mutation_audit import OperationMeta
from hub.resolvers.submission import submit_case
from hub.resolvers.task_decisions import decide_approval_task
from hub.resolvers.transitions import apply_transition

__all__ = [
    "accept_case", "certify_case", "decide_approval_task", "resubmit_case", "return_case",
    "review_case", "submit_case", "withdraw_case",
]  # fmt: skip

Tasks = list[ApprovalTask]
Step = Callable[[Tx, wf.CaseState, ServiceItemDef, Tasks], wf.Transition]
Check = Callable[[Principal, Case, ServiceItemDef], None]


def _pending(tasks: list[ApprovalTask], kind: wf.TaskKind) -> ApprovalTask | None:
    latest = max((t.round for t in tasks), default=0)
    return next(
        (t for t in tasks if t.kind == kind.value and t.status == "PENDING" and t.round == latest),
        None,
    )


async def _on_case(
    ctx: HubContext,
    meta: OperationMeta,
    operation: str,
    case_id: int,
    expected_version: int,
    step: Step,
    note_: Note = Note(),
    check: Check | None = None,
) -> Effect:
    """The shape of every case-level command."""

    def plan(principal: Principal) -> Body:
        case_access.require_command(principal, operation)

        async def body(tx: Tx) -> Effect:
            case = await case_store.visible_case(tx.session, principal, case_id)
            if case is None:
                raise NotFound("case not found")
            item = load_catalogue().get(case.item_code)
            if check is not None:
                check(principal, case, item)
            require_version("case", case.version, expected_version, case.status)
            tasks = await case_store.locked_tasks(tx.session, case.id)
            transition = step(tx, case_store.case_state(case, tasks), item, tasks)
            await apply_transition(tx, case, tasks, item, transition, opinion=note_.text)
            return Effect(case)

        return body

    return await run_command(ctx, meta, plan)


async def accept_case(
    ctx: HubContext, meta: OperationMeta, case_id: int, expected_version: int
) -> Effect:
    """一窗受理: the township accepts; the item's VERIFY tasks open at the county bureaus."""
    return await _on_case(
        ctx, meta, "acceptCase", case_id, expected_version,
        lambda tx, state, item, tasks: wf.accept(state, item),
    )  # fmt: skip


async def review_case(
    ctx: HubContext,
    meta: OperationMeta,
    case_id: int,
    decision: wf.Decision,
    opinion: str | None,
    expected_version: int,
) -> Effect:
    """审核: the township reviews once every department approved; may start the notice."""
    text = note(opinion, "opinion", required=decision is not wf.Decision.APPROVE)

    def step(tx: Tx, state: wf.CaseState, item: ServiceItemDef, tasks: Tasks) -> wf.Transition:
        case_access.require_assignee(tx.principal, _pending(tasks, wf.TaskKind.REVIEW))
        days = tx.services.settings.public_notice_days
        return wf.review(state, item, decision, now=tx.now, notice_days=days)

    return await _on_case(ctx, meta, "reviewCase", case_id, expected_version, step, Note(text))


async def certify_case(
    ctx: HubContext,
    meta: OperationMeta,
    case_id: int,
    decision: wf.Decision,
    opinion: str | None,
    expected_version: int,
) -> Effect:
    """确认 (县证乡制): the certifying level decides; APPROVE issues the certificate number and,
    for a money item, the entitlement."""
    text = note(opinion, "opinion", required=decision is not wf.Decision.APPROVE)

    def step(tx: Tx, state: wf.CaseState, item: ServiceItemDef, tasks: Tasks) -> wf.Transition:
        case_access.require_assignee(tx.principal, _pending(tasks, wf.TaskKind.CERTIFY))
        return wf.certify(state, item, decision, now=tx.now)

    def check(principal: Principal, case: Case, item: ServiceItemDef) -> None:
        case_access.require_certifier(principal, item)

    return await _on_case(
        ctx, meta, "certifyCase", case_id, expected_version, step, Note(text), check
    )


async def return_case(
    ctx: HubContext, meta: OperationMeta, case_id: int, reason: str | None, expected_version: int
) -> Effect:
    """补正: the township sends the case back for correction; open tasks are cancelled."""
    text = note(reason, "reason", required=True)
    return await _on_case(
        ctx, meta, "returnCase", case_id, expected_version,
        lambda tx, state, item, tasks: wf.return_case(state, item), Note(text),
    )  # fmt: skip


async def withdraw_case(
    ctx: HubContext, meta: OperationMeta, case_id: int, reason: str | None, expected_version: int
) -> Effect:
    """The applicant (or their proxy agent, or a clerk for them) withdraws before a decision."""
    text = note(reason, "reason")
    return await _on_case(
        ctx, meta, "withdrawCase", case_id, expected_version,
        lambda tx, state, item, tasks: wf.withdraw(state, item), Note(text),
        lambda principal, case, item: case_access.require_applicant_side(
            principal, case, "withdrawCase"
        ),
    )  # fmt: skip


async def resubmit_case(
    ctx: HubContext, meta: OperationMeta, case_id: int, note_: str | None, expected_version: int
) -> Effect:
    """The corrected application is handed in again after 补正: RETURNED → SUBMITTED."""
    text = note(note_, "note")
    return await _on_case(
        ctx, meta, "resubmitCase", case_id, expected_version,
        lambda tx, state, item, tasks: wf.resubmit(state, item), Note(text),
        lambda principal, case, item: case_access.require_applicant_side(
            principal, case, "resubmitCase"
        ),
    )  # fmt: skip
