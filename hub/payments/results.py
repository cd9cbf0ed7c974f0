"""Bank results on payments (PAID, FAILED with the bank's reason, RETURNED) and re-issue of a
failed payment as the next attempt, once the beneficiary's account has been corrected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.db.models import Entitlement, Payment, Resident
from hub.domain import payment_rules as rules
from hub.errors import BadUserInput, Conflict
from hub.policy.jurisdiction import visible
from hub.resolvers.command import Tx
from hub.resolvers.command_checks import note


async def locked_payment(
    session: AsyncSession, principal: Principal | None, payment_id: int
) -> Payment | None:
    """The payment if visible (None: unknown or outside the area), locked for update."""
    stmt = select(Payment).where(Payment.id == payment_id).with_for_update()
    if principal is not None:
        stmt = stmt.where(visible(principal, Payment))
    found = await session.execute(stmt.execution_options(populate_existing=True))
    return found.scalar_one_or_none()


def apply_result(
    payment: Payment, result: str, reason: str | None, paid_at: datetime | None, now: datetime
) -> bool:
    """Set the result on `payment`; False when it already had it. ValueError for bad input,
    RuleViolation when the status does not allow it."""
    if paid_at is not None and paid_at > now:
        raise ValueError("`paidAt` cannot be in the future")
    if not rules.result_changes(payment.status, result, reason):
        return False
    payment.status = result
    if result == "PAID":
        payment.paid_at = paid_at or now
        payment.failure_reason = None
    else:
        payment.failure_reason = reason.strip() if reason else None
    return True


async def record_result(
    tx: Tx, payment_id: int, result: str, reason: str | None, paid_at: datetime | None
) -> Payment:
    reason = note(reason, "reason")
    payment = await locked_payment(tx.session, tx.principal, payment_id)
    if payment is None:
        raise BadUserInput("no such payment in your jurisdiction", argument="paymentId")
    try:
        apply_result(payment, result, reason, paid_at, tx.now)
    except rules.RuleViolation as exc:
        raise Conflict(str(exc), currentStatus=payment.status) from None
    except ValueError as exc:
        argument = "reason" if "reason" in str(exc) else "paidAt"
        raise BadUserInput(str(exc), argument=argument) from None
    tx.touch("Payment", payment.id, payment.division_code)
    return payment


async def reissue(tx: Tx, payment_id: int) -> Payment:
    """补发: a FAILED or RETURNED payment, the latest attempt of its period, goes out again to
    the account the beneficiary has now, which must differ from the one that failed."""
    failed = await locked_payment(tx.session, tx.principal, payment_id)
    if failed is None:
        raise BadUserInput("no such payment in your jurisdiction", argument="paymentId")
    if failed.status not in rules.REISSUABLE:
        raise Conflict(f"a {failed.status} payment is not re-issued", currentStatus=failed.status)
    latest = await tx.session.scalar(
        select(func.max(Payment.attempt)).where(
            Payment.entitlement_id == failed.entitlement_id, Payment.period == failed.period
        )
    )
    if latest != failed.attempt:
        raise Conflict(f"attempt {latest} already re-issued this payment", currentStatus="")
    entitlement = await tx.session.get(Entitlement, failed.entitlement_id)
    if entitlement is None or entitlement.status != "ACTIVE":
        status = entitlement.status if entitlement else "missing"
        raise Conflict(f"the entitlement is {status}; nothing is re-issued", currentStatus=status)
    resident = await tx.session.get(Resident, entitlement.resident_id)
    account = resident.bank_account if resident is not None else None
    if not account or account == failed.bank_account:
        raise BadUserInput(
            "the beneficiary's bank account has not been corrected since the payment failed",
            argument="paymentId",
        )
    again = Payment(
        entitlement_id=failed.entitlement_id,
        division_code=failed.division_code,
        period=failed.period,
        attempt=failed.attempt + 1,
        amount=failed.amount,
        status="SCHEDULED",
        bank_account=account,
        batch=failed.batch,
        created_at=tx.now,
    )
    tx.session.add(again)
    await tx.session.flush()
    tx.touch("Payment", failed.id, failed.division_code)
    tx.touch("Payment", again.id, again.division_code)
    return again
