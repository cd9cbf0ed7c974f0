"""Assistance standards as the hub knows them now: the packaged baseline plus the rows finance
or civil affairs set later (`setAssistanceStandard`), and the entitlement amount they give."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.db.models import AssistanceStandard, Case, Resident
from hub.domain.amounts import AmountError, AmountFacts, Standard, StandardBook, monthly_amount
from hub.domain.clock import china_date
from hub.domain.divisions import is_division_code, level_of
from hub.domain.standards import packaged_standards
from hub.errors import BadUserInput
from hub.policy.jurisdiction import division_in_jurisdiction
from hub.types import Level


async def current_book(session: AsyncSession) -> StandardBook:
    """Packaged standards, overridden by stored ones with the same item, place and date."""
    keyed = {(s.item_code, s.component, s.division_code, s.effective_from): s
             for s in packaged_standards()}  # fmt: skip
    for row in (await session.execute(select(AssistanceStandard))).scalars():
        standard = Standard(
            row.item_code, row.component, row.division_code, row.effective_from, row.amount
        )
        keyed[(row.item_code, row.component, row.division_code, row.effective_from)] = standard
    return StandardBook(keyed.values())


async def case_amount(
    session: AsyncSession, case: Case, income: Decimal | None, household_size: int, at: datetime
) -> Decimal:
    """The entitlement's monthly amount under the standards in force on the decision day."""
    applicant = await session.get(Resident, case.applicant_id)
    facts = AmountFacts(
        division_code=case.division_code,
        household_size=household_size,
        household_monthly_income=income,
        self_care_level=applicant.self_care_level if applicant is not None else None,
    )
    return monthly_amount(case.item_code, facts, await current_book(session), china_date(at))


async def store_standard(
    session: AsyncSession, standard: Standard, note: str | None, set_by: str, now: datetime
) -> AssistanceStandard:
    """Insert or replace the figure for (item, component, division, effective date)."""
    values = {
        "item_code": standard.item_code,
        "component": standard.component,
        "division_code": standard.division_code,
        "effective_from": standard.effective_from,
        "amount": standard.amount,
        "note": note,
        "set_by": set_by,
        "set_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(AssistanceStandard).values(**values)
    keys = ["item_code", "component", "division_code", "effective_from"]
    changed = {k: stmt.excluded[k] for k in ("amount", "note", "set_by", "set_at")}
    await session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changed))
    found = await session.execute(
        select(AssistanceStandard)
        .where(*(getattr(AssistanceStandard, k) == values[k] for k in keys))
        .execution_options(populate_existing=True)
    )
    return found.scalar_one()


def check_standard(
    principal: Principal,
    item_code: str,
    component: str,
    division_code: str,
    effective_from: date,
    amount: Decimal,
    today: date,
) -> Standard:
    """BAD_USER_INPUT for an unknown component, a negative amount, a division outside the
    caller's area or below the county, or a date before the current month (no retroactive
    change: amounts already certified stay as they were)."""
    if not is_division_code(division_code) or not division_in_jurisdiction(
        principal, division_code
    ):
        raise BadUserInput(
            f"division {division_code!r} is not inside your jurisdiction", argument="divisionCode"
        )
    if level_of(division_code) > Level.COUNTY:
        raise BadUserInput("standards are set for a county, city or the region",
                           argument="divisionCode")  # fmt: skip
    if effective_from < today.replace(day=1):
        raise BadUserInput("`effectiveFrom` cannot be before this month", argument="effectiveFrom")
    if amount < 0:
        raise BadUserInput("`amount` cannot be negative", argument="amount")
    try:
        return Standard(item_code, component, division_code, effective_from, amount)
    except AmountError as exc:
        raise BadUserInput(str(exc), argument="component") from None
