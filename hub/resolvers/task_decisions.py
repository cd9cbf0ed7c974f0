"""decideApprovalTask: a department answers its VERIFY task (联动审批), exactly once.

The task is found inside the caller's jurisdiction, then its case is locked (PostgreSQL
`FOR UPDATE`; SQLite holds the write lock already), then the idempotency key is looked up, so
twins with one key replay the first result and rivals with one `expectedVersion` see the
winner's version and get CONFLICT. The last approval opens the review exactly once.
"""

from __future__ import annotations

from hub.auth.principal import Principal
from hub.domain import workflow as wf
from hub.domain.catalogue import load_catalogue
from hub.errors import NotFound
from hub.resolvers import case_access, case_store, idempotency
from hub.resolvers.command import Body, Effect, Tx, run_command
from hub.resolvers.command_checks import note, require_version
from hub.resolvers.context import HubContext
from hub.resolvers.mutation_audit import OperationMeta
from hub.resolvers.transitions import apply_transition

OPERATION = "decideApprovalTask"


async def decide_approval_task(
    ctx: HubContext,
    meta: OperationMeta,
    *,
    task_id: int,
    decision: wf.Decision,
    opinion: str | None,
    findings: str | None,
    expected_version: int,
    idempotency_key: str | None,
) -> Effect:
    """A department's answer to its VERIFY task (联动审批); the last approval opens the review."""

    def plan(principal: Principal) -> Body:
        case_access.require_command(principal, OPERATION)
        key = idempotency.check_key(idempotency_key)
        text = note(opinion, "opinion", required=decision is not wf.Decision.APPROVE)
        found_text = note(findings, "findings")
        print_ = idempotency.fingerprint(
            {"task": task_id, "decision": decision, "opinion": text, "findings": found_text,
             "version": expected_version}
        )  # fmt: skip

        async def body(tx: Tx) -> Effect:
            task = await case_store.visible_task(tx.session, principal, task_id)
            case = None
            if task is not None:
                case = await case_store.visible_case(tx.session, principal, task.case_id)
            if task is None or case is None:
                raise NotFound("approval task not found")
            tasks = await case_store.locked_tasks(tx.session, case.id)
            task = next(t for t in tasks if t.id == task_id)
            if key is not None:
                first = await idempotency.replay(tx.session, principal, OPERATION, key, print_)
                if first is not None:
                    tx.touch("ApprovalTask", task.id, task.division_code)
                    tx.touch("Case", case.id, case.division_code)
                    return Effect(case, task)
            case_access.require_task_decider(principal, task)
            require_version(
                "task", task.version, expected_version, task.status, f"; case {case.status}"
            )
            item = load_catalogue().get(case.item_code)
            transition = wf.decide_task(
                case_store.case_state(case, tasks), item, task.id, decision, now=tx.now,
                notice_days=tx.services.settings.public_notice_days,
            )  # fmt: skip
            decided = await apply_transition(
                tx, case, tasks, item, transition, opinion=text, findings=found_text
            )
            if key is not None:
                result = {"task_id": task.id, "case_id": case.id}
                idempotency.remember(tx.session, principal, OPERATION, key, print_, result, tx.now)
            return Effect(case, decided or task)

        return body

    return await run_command(ctx, meta, plan)
