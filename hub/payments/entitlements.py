"""Stopping and restarting an entitlement: suspend (暂停), resume (恢复), terminate (终止).

A termination sets the last period paid (`endPeriod`) and marks every SCHEDULED payment of a
later period CANCELLED: kept for the record, never exported to the bank. A suspension stops
new payments only; resuming lets the next cycle pay again (missed months are not back-paid).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from hub.auth.principal import Principal
from hub.db.models import Entitlement, Payment, Resident
from hub.domain import payment_rules as rules
from hub.domain.periods import InvalidPeriod, parse_period, period_of, shift
from hub.errors import BadUserInput, Conflict, NotFound
from hub.policy.jurisdiction import visible
from hub.resolvers.command import Tx
from hub.resolvers.command_checks import require_version


@dataclass(frozen=True)
class Stop:
    """What a termination says: why, the last period to pay, the date of death if any."""

    reason: rules.TerminationReason
    last_period: str | None = None
    died_on: date | None = None


async def _locked(tx: Tx, principal: Principal, entitlement_id: int) -> Entitlement:
    stmt = (
        select(Entitlement)
        .where(Entitlement.id == entitlement_id, visible(principal, Entitlement))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = (await tx.session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NotFound("entitlement not found")
    return found


async def change_status(
    tx: Tx,
    entitlement_id: int,
    action: str,
    reason: str | None,
    expected_version: int,
    stop: Stop | None = None,
) -> Entitlement:
    entitlement = await _locked(tx, tx.principal, entitlement_id)
    require_version("entitlement", entitlement.version, expected_version, entitlement.status)
    try:
        entitlement.status = rules.entitlement_change(entitlement.status, action)
    except rules.RuleViolation as exc:
        raise Conflict(str(exc), currentStatus=entitlement.status) from None
    entitlement.status_reason = reason
    entitlement.version += 1
    tx.touch("Entitlement", entitlement.id, entitlement.division_code)
    if stop is not None:
        await _terminate(tx, entitlement, stop)
    return entitlement


async def _terminate(tx: Tx, entitlement: Entitlement, stop: Stop) -> None:
    last = _last_period(tx, entitlement, stop)
    if entitlement.end_period is None or last < entitlement.end_period:
        entitlement.end_period = last
    if stop.reason is rules.TerminationReason.DEATH and stop.died_on is not None:
        resident = await tx.session.get(Resident, entitlement.resident_id)
        if resident is not None and resident.deceased_on is None:
            resident.deceased_on = stop.died_on
            tx.touch("Resident", resident.id, resident.division_code)
    cancelled = await tx.session.execute(
        update(Payment)
        .where(
            Payment.entitlement_id == entitlement.id,
            Payment.status == "SCHEDULED",
            Payment.period > entitlement.end_period,
        )
        .values(status="CANCELLED", failure_reason=f"终止发放: {stop.reason.value}")
        .returning(Payment.id, Payment.division_code)
    )
    for pk, division in cancelled.all():
        tx.touch("Payment", pk, division)


def _last_period(tx: Tx, entitlement: Entitlement, stop: Stop) -> str:
    """Paid up to the month of death, or the given last period, or the current month."""
    if stop.last_period is not None:
        try:
            last = parse_period(stop.last_period)
        except InvalidPeriod as exc:
            raise BadUserInput(str(exc), argument="lastPeriod") from None
    elif stop.died_on is not None:
        last = period_of(stop.died_on)
    else:
        last = period_of(tx.services.clock.today())
    if stop.died_on is not None and stop.died_on > tx.services.clock.today():
        raise BadUserInput("`diedOn` cannot be in the future", argument="diedOn")
    if last < shift(entitlement.start_period, -1):
        raise BadUserInput(
            f"the last period cannot be before {entitlement.start_period}", argument="lastPeriod"
        )
    return max(last, shift(entitlement.start_period, -1))
