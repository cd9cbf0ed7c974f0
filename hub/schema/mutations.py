"""The case mutations (联动审批): one `input` each, a payload with the changed objects.

Inputs carry only what a caller may choose: no status, amount, decidedBy or version to set
(mass assignment is impossible by construction). Resolvers parse ids and call
hub.resolvers.workflow, which checks the caller and runs one audited transaction.
"""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from hub.domain import workflow as wf
from hub.resolvers import workflow
from hub.resolvers.case_access import describe
from hub.resolvers.command import Effect
from hub.resolvers.mutation_audit import OperationMeta
from hub.schema.cases import ApprovalTask, Case
from hub.schema.enums import Channel, Decision
from hub.schema.ids import int_pk_of
from hub.schema.payment_mutations import PaymentMutations
from hub.schema.supervision_mutations import SupervisionMutation


@strawberry.input(description="A new application (一号申请). `consent` must be true.")
class SubmitCaseInput:
    item_code: str
    applicant_id: strawberry.ID = strawberry.field(description="The resident's global ID.")
    channel: Channel = strawberry.field(
        description="WINDOW (township clerk), PROXY (village proxy agent), ONLINE (the resident)."
    )
    consent: bool = strawberry.field(
        description="The household's signed authorization to verify its finances (先授权后核对)."
    )
    declared_monthly_income: Decimal | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.input
class AcceptCaseInput:
    case_id: strawberry.ID
    expected_version: int


@strawberry.input(description="REJECT and RETURN need an opinion giving the reasons.")
class DecideApprovalTaskInput:
    task_id: strawberry.ID
    decision: Decision
    opinion: str | None = None
    findings: str | None = None
    expected_version: int = strawberry.field(description="The task's version.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.input(description="reviewCase and certifyCase; REJECT and RETURN need an opinion.")
class CaseDecisionInput:
    case_id: strawberry.ID
    decision: Decision
    opinion: str | None = None
    expected_version: int


@strawberry.input(description="returnCase needs a reason (what to correct); withdrawCase not.")
class CaseReasonInput:
    case_id: strawberry.ID
    reason: str | None = None
    expected_version: int


@strawberry.input(description="The corrected application after 补正 (RETURNED → SUBMITTED).")
class ResubmitCaseInput:
    case_id: strawberry.ID
    note: str | None = None
    expected_version: int


@strawberry.type(description="The changed case.")
class CasePayload:
    case: Case


@strawberry.type(description="The decided task and its case.")
class DecideApprovalTaskPayload:
    task: ApprovalTask
    case: Case


def _case_id(value: strawberry.ID) -> int:
    return int_pk_of(value, "Case", "input.caseId")


def _decision(value: Decision) -> wf.Decision:
    return wf.Decision(value.value)


def _payload(info: Info, effect: Effect) -> CasePayload:
    return CasePayload(case=Case.of(info, effect.case))


@strawberry.type
class CaseMutations:
    @strawberry.mutation(
        description="Apply (一号申请): WINDOW by a clerk, PROXY by a proxy agent, ONLINE by "
        "the resident. " + describe("submitCase")
    )
    async def submit_case(self, info: Info, input: SubmitCaseInput) -> CasePayload:
        effect = await workflow.submit_case(
            info.context,
            OperationMeta.from_info(info, "submitCase"),
            item_code=input.item_code,
            applicant_id=int_pk_of(input.applicant_id, "Resident", "input.applicantId"),
            channel=wf.Channel(input.channel.value),
            consent=input.consent,
            declared_monthly_income=input.declared_monthly_income,
            idempotency_key=input.idempotency_key,
        )
        return _payload(info, effect)

    @strawberry.mutation(
        description="一窗受理: accept; opens the VERIFY tasks. " + describe("acceptCase")
    )
    async def accept_case(self, info: Info, input: AcceptCaseInput) -> CasePayload:
        meta = OperationMeta.from_info(info, "acceptCase")
        effect = await workflow.accept_case(
            info.context, meta, _case_id(input.case_id), input.expected_version
        )
        return _payload(info, effect)

    @strawberry.mutation(
        description="A department decides its own VERIFY task. " + describe("decideApprovalTask")
    )
    async def decide_approval_task(
        self, info: Info, input: DecideApprovalTaskInput
    ) -> DecideApprovalTaskPayload:
        effect = await workflow.decide_approval_task(
            info.context,
            OperationMeta.from_info(info, "decideApprovalTask"),
            task_id=int_pk_of(input.task_id, "ApprovalTask", "input.taskId"),
            decision=_decision(input.decision),
            opinion=input.opinion,
            findings=input.findings,
            expected_version=input.expected_version,
            idempotency_key=input.idempotency_key,
        )
        assert effect.task is not None
        return DecideApprovalTaskPayload(
            task=ApprovalTask.of(effect.task), case=Case.of(info, effect.case)
        )

    @strawberry.mutation(
        description="审核: the township reviews once every department approved. "
        + describe("reviewCase")
    )
    async def review_case(self, info: Info, input: CaseDecisionInput) -> CasePayload:
        effect = await workflow.review_case(
            info.context,
            OperationMeta.from_info(info, "reviewCase"),
            _case_id(input.case_id),
            _decision(input.decision),
            input.opinion,
            input.expected_version,
        )
        return _payload(info, effect)

    @strawberry.mutation(
        description="确认 (县证乡制): the certifying level decides. " + describe("certifyCase")
    )
    async def certify_case(self, info: Info, input: CaseDecisionInput) -> CasePayload:
        effect = await workflow.certify_case(
            info.context,
            OperationMeta.from_info(info, "certifyCase"),
            _case_id(input.case_id),
            _decision(input.decision),
            input.opinion,
            input.expected_version,
        )
        return _payload(info, effect)

    @strawberry.mutation(
        description="补正: send the case back for correction. " + describe("returnCase")
    )
    async def return_case(self, info: Info, input: CaseReasonInput) -> CasePayload:
        meta = OperationMeta.from_info(info, "returnCase")
        effect = await workflow.return_case(
            info.context, meta, _case_id(input.case_id), input.reason, input.expected_version
        )
        return _payload(info, effect)

    @strawberry.mutation(
        description="Withdraw before a decision (the applicant, their proxy agent or a clerk). "
        + describe("withdrawCase")
    )
    async def withdraw_case(self, info: Info, input: CaseReasonInput) -> CasePayload:
        meta = OperationMeta.from_info(info, "withdrawCase")
        effect = await workflow.withdraw_case(
            info.context, meta, _case_id(input.case_id), input.reason, input.expected_version
        )
        return _payload(info, effect)

    @strawberry.mutation(
        description="Hand in the corrected application after 补正 (RETURNED → SUBMITTED). "
        + describe("resubmitCase")
    )
    async def resubmit_case(self, info: Info, input: ResubmitCaseInput) -> CasePayload:
        meta = OperationMeta.from_info(info, "resubmitCase")
        effect = await workflow.resubmit_case(
            info.context, meta, _case_id(input.case_id), input.note, input.expected_version
        )
        return _payload(info, effect)


@strawberry.type
class Mutation(CaseMutations, SupervisionMutation, PaymentMutations):
    """The mutation root, composed from one class per area (payments add theirs)."""
