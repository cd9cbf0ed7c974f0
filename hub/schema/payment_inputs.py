"""Inputs, enums and payloads of the payment mutations (社会化发放)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import strawberry

from hub.schema.payments import Entitlement, Payment


@strawberry.enum(description="What the bank answered for a payment.")
class PaymentResult(enum.Enum):
    PAID = "PAID"
    FAILED = "FAILED"
    RETURNED = "RETURNED"


@strawberry.enum(description="Why an entitlement ends.")
class TerminationReason(enum.Enum):
    DEATH = "DEATH"
    REVIEW = "REVIEW"
    WITHDRAWAL = "WITHDRAWAL"


@strawberry.input(description="One cycle: a payment per active entitlement for the period.")
class RunPaymentCycleInput:
    period: str = strawberry.field(description="YYYY-MM, at most next month.")
    division_code: str | None = strawberry.field(
        default=None, description="12-digit code inside your jurisdiction; default your own."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key returns the first result."
    )


@strawberry.type(description="What a cycle did.")
class RunPaymentCyclePayload:
    created: int = strawberry.field(description="Payments this call created.")
    skipped: int = strawberry.field(
        description="Active entitlements that already had a payment for the period."
    )
    total_amount: Decimal = strawberry.field(description="Sum of the created amounts (yuan).")


@strawberry.input(description="FAILED and RETURNED need the bank's reason.")
class RecordPaymentResultInput:
    payment_id: strawberry.ID
    result: PaymentResult
    reason: str | None = None
    paid_at: datetime | None = strawberry.field(default=None, description="Default: now.")


@strawberry.input(description="Re-issue a FAILED or RETURNED payment to the corrected account.")
class ReissuePaymentInput:
    payment_id: strawberry.ID


@strawberry.type(description="The changed (or new) payment.")
class PaymentPayload:
    payment: Payment


@strawberry.input(description="suspendEntitlement needs a reason; resumeEntitlement not.")
class EntitlementStatusInput:
    entitlement_id: strawberry.ID
    reason: str | None = None
    expected_version: int


@strawberry.input(description="Ends the entitlement; later scheduled payments are cancelled.")
class TerminateEntitlementInput:
    entitlement_id: strawberry.ID
    reason: TerminationReason
    note: str = strawberry.field(description="What was found or reported.")
    last_period: str | None = strawberry.field(
        default=None, description="Last period paid; default the month of death, else this one."
    )
    died_on: date | None = None
    expected_version: int


@strawberry.type(description="The changed entitlement.")
class EntitlementPayload:
    entitlement: Entitlement


@strawberry.input(description="A standard (yuan) in force from a date, for new certifications.")
class SetAssistanceStandardInput:
    item_code: str
    component: str = strawberry.field(
        description="standard, floor, basic, care_FULL, care_PARTIAL, care_NONE, monthly, one_off"
    )
    division_code: str = strawberry.field(description="A county, city or the region.")
    effective_from: date
    amount: Decimal
    note: str | None = None


@strawberry.type(description="An assistance standard as stored.")
class AssistanceStandard:
    item_code: str
    component: str
    division_code: str
    effective_from: date
    amount: Decimal
    note: str | None
    set_by: str
    set_at: datetime


@strawberry.type
class AssistanceStandardPayload:
    standard: AssistanceStandard
