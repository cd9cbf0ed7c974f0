"""The payment commands as the schema calls them: check the caller and the input before the
database, then run one audited transaction (hub.payments.command)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hub.db.models import AssistanceStandard, Entitlement, Payment
from hub.domain.payment_rules import TerminationReason
from hub.domain.periods import period_of
from hub.payments import access, cycle, entitlements, results, standards
from hub.payments.command import idempotent, run_payment_command
from hub.resolvers.command import Tx
from hub.resolvers.command_checks import note
from hub.resolvers.context import HubContext
from hub.resolvers.idempotency import check_key
from hub.resolvers.mutation_audit import OperationMeta


async def run_payment_cycle(
    ctx: HubContext, meta: OperationMeta, period: str, division_code: str | None, key: str | None
) -> dict[str, Any]:
    principal = ctx.require_principal()
    access.require(principal, "runPaymentCycle")
    key = check_key(key)
    today = period_of(ctx.services.clock.today())
    plan = cycle.check_cycle_input(principal, period, division_code, today)

    async def body(tx: Tx) -> dict[str, Any]:
        return await cycle.run_cycle(tx, plan)

    inputs = {"period": plan.period, "division_code": plan.division_code}
    once = idempotent("runPaymentCycle", key, inputs, body)
    return await run_payment_command(ctx, meta, once)


async def record_payment_result(
    ctx: HubContext,
    meta: OperationMeta,
    payment_id: int,
    result: str,
    reason: str | None,
    paid_at: datetime | None,
) -> Payment:
    access.require(ctx.require_principal(), "recordPaymentResult")

    async def body(tx: Tx) -> Payment:
        return await results.record_result(tx, payment_id, result, reason, paid_at)

    return await run_payment_command(ctx, meta, body)


async def reissue_payment(ctx: HubContext, meta: OperationMeta, payment_id: int) -> Payment:
    access.require(ctx.require_principal(), "reissuePayment")

    async def body(tx: Tx) -> Payment:
        return await results.reissue(tx, payment_id)

    return await run_payment_command(ctx, meta, body)


async def change_entitlement(
    ctx: HubContext,
    meta: OperationMeta,
    action: str,
    entitlement_id: int,
    reason: str | None,
    expected_version: int,
    stop: entitlements.Stop | None = None,
) -> Entitlement:
    """suspend / resume / terminate; suspension and termination need a reason."""
    command = f"{action}Entitlement"
    access.require(ctx.require_principal(), command, stop.reason.value if stop else None)
    text = note(reason, "reason", required=action != "resume")
    if stop is not None:
        text = f"{stop.reason.value}: {text}"

    async def body(tx: Tx) -> Entitlement:
        return await entitlements.change_status(
            tx, entitlement_id, action, text, expected_version, stop
        )

    return await run_payment_command(ctx, meta, body)


def termination(
    reason: TerminationReason, last_period: str | None, died_on: date | None
) -> entitlements.Stop:
    return entitlements.Stop(reason, last_period, died_on)


async def set_assistance_standard(
    ctx: HubContext,
    meta: OperationMeta,
    item_code: str,
    component: str,
    division_code: str,
    effective_from: date,
    amount: Decimal,
    note_: str | None,
) -> AssistanceStandard:
    principal = ctx.require_principal()
    access.require(principal, "setAssistanceStandard")
    text = note(note_, "note")
    standard = standards.check_standard(
        principal, item_code, component, division_code, effective_from, amount,
        ctx.services.clock.today(),
    )  # fmt: skip

    async def body(tx: Tx) -> AssistanceStandard:
        row = await standards.store_standard(tx.session, standard, text, principal.subject, tx.now)
        tx.touch("AssistanceStandard", row.id, row.division_code)
        return row

    return await run_payment_command(ctx, meta, body)
