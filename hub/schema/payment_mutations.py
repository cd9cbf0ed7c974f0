"""The payment mutations: cycles and bank results for finance, stops for civil affairs and
public security, standards. Thin: parse ids, call hub.payments.service, build the payload."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from hub.db.models import Entitlement as EntitlementRow
from hub.domain.payment_rules import TerminationReason as Reason
from hub.payments import service
from hub.payments.access import describe
from hub.resolvers.mutation_audit import OperationMeta
from hub.schema.ids import int_pk_of
from hub.schema.payment_inputs import (
    AssistanceStandard,
    AssistanceStandardPayload,
    EntitlementPayload,
    EntitlementStatusInput,
    PaymentPayload,
    RecordPaymentResultInput,
    ReissuePaymentInput,
    RunPaymentCycleInput,
    RunPaymentCyclePayload,
    SetAssistanceStandardInput,
    TerminateEntitlementInput,
)
from hub.schema.payments import Entitlement, Payment


def _meta(info: Info) -> OperationMeta:
    return OperationMeta.from_info(info, info.field_name)


async def _payment_payload(info: Info, row: object) -> PaymentPayload:
    entitlement = await info.context.loaders.entitlement.load(row.entitlement_id)  # type: ignore[attr-defined]
    return PaymentPayload(payment=Payment.of(info, row, entitlement))  # type: ignore[arg-type]


def _entitlement_payload(info: Info, row: EntitlementRow) -> EntitlementPayload:
    return EntitlementPayload(entitlement=Entitlement.of(info, row))


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(description="月度发放: " + describe("runPaymentCycle"))
    async def run_payment_cycle(
        self, info: Info, input: RunPaymentCycleInput
    ) -> RunPaymentCyclePayload:
        result = await service.run_payment_cycle(
            info.context, _meta(info), input.period, input.division_code, input.idempotency_key
        )
        return RunPaymentCyclePayload(
            created=result["created"],
            skipped=result["skipped"],
            total_amount=Decimal(result["totalAmount"]),
        )

    @strawberry.mutation(description="The bank's answer. " + describe("recordPaymentResult"))
    async def record_payment_result(
        self, info: Info, input: RecordPaymentResultInput
    ) -> PaymentPayload:
        row = await service.record_payment_result(
            info.context, _meta(info),
            int_pk_of(input.payment_id, "Payment", "input.paymentId"),
            input.result.value, input.reason, input.paid_at,
        )  # fmt: skip
        return await _payment_payload(info, row)

    @strawberry.mutation(description="补发 as the next attempt. " + describe("reissuePayment"))
    async def reissue_payment(self, info: Info, input: ReissuePaymentInput) -> PaymentPayload:
        pk = int_pk_of(input.payment_id, "Payment", "input.paymentId")
        row = await service.reissue_payment(info.context, _meta(info), pk)
        return await _payment_payload(info, row)

    @strawberry.mutation(description="暂停发放. " + describe("suspendEntitlement"))
    async def suspend_entitlement(
        self, info: Info, input: EntitlementStatusInput
    ) -> EntitlementPayload:
        return await _status(info, "suspend", input)

    @strawberry.mutation(description="恢复发放. " + describe("resumeEntitlement"))
    async def resume_entitlement(
        self, info: Info, input: EntitlementStatusInput
    ) -> EntitlementPayload:
        return await _status(info, "resume", input)

    @strawberry.mutation(
        description="终止: later scheduled payments become CANCELLED. "
        + describe("terminateEntitlement")
    )
    async def terminate_entitlement(
        self, info: Info, input: TerminateEntitlementInput
    ) -> EntitlementPayload:
        stop = service.termination(Reason(input.reason.value), input.last_period, input.died_on)
        row = await service.change_entitlement(
            info.context, _meta(info), "terminate",
            int_pk_of(input.entitlement_id, "Entitlement", "input.entitlementId"),
            input.note, input.expected_version, stop,
        )  # fmt: skip
        return _entitlement_payload(info, row)

    @strawberry.mutation(
        description="A new standard in force from a date. " + describe("setAssistanceStandard")
    )
    async def set_assistance_standard(
        self, info: Info, input: SetAssistanceStandardInput
    ) -> AssistanceStandardPayload:
        row = await service.set_assistance_standard(
            info.context, _meta(info), input.item_code, input.component, input.division_code,
            input.effective_from, input.amount, input.note,
        )  # fmt: skip
        return AssistanceStandardPayload(
            standard=AssistanceStandard(
                item_code=row.item_code,
                component=row.component,
                division_code=row.division_code,
                effective_from=row.effective_from,
                amount=row.amount,
                note=row.note,
                set_by=row.set_by,
                set_at=row.set_at,
            )  # fmt: skip
        )


async def _status(info: Info, action: str, input: EntitlementStatusInput) -> EntitlementPayload:
    row = await service.change_entitlement(
        info.context, _meta(info), action,
        int_pk_of(input.entitlement_id, "Entitlement", "input.entitlementId"),
        input.reason, input.expected_version,
    )  # fmt: skip
    return _entitlement_payload(info, row)
