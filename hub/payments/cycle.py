"""The monthly payment cycle (月度发放): one SCHEDULED payment per ACTIVE entitlement in the
division for the period, with the bank account as it is now. Idempotent per (entitlement,
period) even when two runs overlap: the insert skips rows the unique key already holds
(INSERT ... ON CONFLICT DO NOTHING on both engines), so a late twin counts them as skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.db.models import Entitlement, Payment, Resident
from hub.domain.divisions import is_division_code, jurisdiction_prefix
from hub.domain.periods import InvalidPeriod, parse_period, period_of, shift
from hub.errors import BadUserInput
from hub.policy.jurisdiction import division_in_jurisdiction, in_prefix, visible
from hub.resolvers.command import Tx

CHUNK = 500  # rows per INSERT (SQLite's bound-parameter limit)


@dataclass(frozen=True)
class CycleInput:
    period: str
    division_code: str


def check_cycle_input(
    principal: Principal, period: str, division_code: str | None, today_period: str
) -> CycleInput:
    """BAD_USER_INPUT for a malformed period, one beyond next month, or a foreign division."""
    try:
        parse_period(period)
    except InvalidPeriod as exc:
        raise BadUserInput(str(exc), argument="period") from None
    if period > shift(today_period, 1):
        raise BadUserInput(
            f"period {period} is more than one month ahead of {today_period}", argument="period"
        )
    code = division_code or principal.division_code
    if not is_division_code(code) or not division_in_jurisdiction(principal, code):
        raise BadUserInput(
            f"division {code!r} is not a division inside your jurisdiction",
            argument="divisionCode",
        )
    return CycleInput(period, code)


def batch_name(division_code: str, period: str) -> str:
    """One bank batch per county and period (县级财政 sends one file per month)."""
    return f"PAY-{division_code[:6]}-{period.replace('-', '')}"


async def run_cycle(tx: Tx, cycle: CycleInput) -> dict[str, Any]:
    """Create the period's payments; returns {created, skipped, totalAmount} (total as text)."""
    due = await _due_entitlements(tx.session, tx.principal, cycle)
    rows = [
        {
            "entitlement_id": ent_id,
            "division_code": division,
            "period": cycle.period,
            "attempt": 1,
            "amount": amount,
            "status": "SCHEDULED",
            "bank_account": account,
            "batch": batch_name(division, cycle.period),
            "created_at": tx.now,
        }
        for ent_id, division, amount, account in due
    ]
    created: list[tuple[int, str, Decimal]] = []
    insert = pg_insert if tx.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), CHUNK):
        stmt = (
            insert(Payment)
            .values(rows[start : start + CHUNK])
            .on_conflict_do_nothing(index_elements=["entitlement_id", "period", "attempt"])
            .returning(Payment.id, Payment.division_code, Payment.amount)
        )
        created.extend((row[0], row[1], row[2]) for row in (await tx.session.execute(stmt)).all())
    for pk, division, _amount in created:
        tx.touch("Payment", pk, division)
    total = sum((amount for _pk, _div, amount in created), Decimal("0.00"))
    return {"created": len(created), "skipped": len(rows) - len(created), "totalAmount": str(total)}


async def _due_entitlements(
    session: AsyncSession, principal: Principal, cycle: CycleInput
) -> list[tuple[int, str, Decimal, str | None]]:
    stmt = (
        select(
            Entitlement.id,
            Entitlement.division_code,
            Entitlement.monthly_amount,
            Resident.bank_account,
        )
        .join(Resident, Resident.id == Entitlement.resident_id)
        .where(
            Entitlement.status == "ACTIVE",
            Entitlement.start_period <= cycle.period,
            or_(Entitlement.end_period.is_(None), Entitlement.end_period >= cycle.period),
            in_prefix(Entitlement.division_code, jurisdiction_prefix(cycle.division_code)),
            visible(principal, Entitlement),
        )
        .order_by(Entitlement.id)
    )
    return [tuple(row) for row in (await session.execute(stmt)).all()]  # type: ignore[misc]


def today_period(tx: Tx) -> str:
    return period_of(tx.services.clock.today())
