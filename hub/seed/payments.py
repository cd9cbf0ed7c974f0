"""Entitlements of APPROVED money items and their monthly payments (社会化发放).

As the hub's own certification does, an entitlement starts in the month of the decision and a
one-off item (临时救助, 医疗救助) ends in that month. Monthly items pay every month up to the
as-of period, whose payment is still SCHEDULED; the first payment follows the decision by a few
days, later ones go out on the 10th. A few entitlements are SUSPENDED or TERMINATED with a
reason (对象死亡 also sets the resident's deceased_on); a FAILED or RETURNED payment is
re-issued as attempt 2.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from hub.domain.clock import CHINA_TZ
from hub.seed.cases import ApprovedCase
from hub.seed.context import SeedContext, china_instant, next_period, period_of

ENTITLEMENT_COLUMNS = (
    "id", "case_id", "resident_id", "household_id", "item_code", "division_code",
    "monthly_amount", "start_period", "end_period", "status", "status_reason", "created_at",
    "version",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "id", "entitlement_id", "division_code", "period", "attempt", "amount", "status",
    "bank_account", "batch", "paid_at", "failure_reason", "created_at",
)  # fmt: skip
_SUSPEND_REASONS = ("年度复核期间暂停发放", "家庭收入变化待核实", "银行账户异常待核实")
_TERMINATE_REASONS = ("家庭收入超过保障标准", "户籍迁出本县", "本人申请退出", "对象死亡")
# Allowances that are not means-tested end only when the person moves away or dies.
_TERMINATE_UNTESTED = ("户籍迁出本县", "对象死亡")
_MEANS_TESTED = frozenset({"DB_URBAN", "DB_RURAL", "TEKUN"})
_FAILURES = ("账户已销户", "户名与账号不符", "账户冻结")
_RETURNED = "资金退回：账户状态异常"
DECEASED = "对象死亡"


@dataclass
class PaymentPlan:
    entitlements: list[tuple[object, ...]] = field(default_factory=list)
    payments: list[tuple[object, ...]] = field(default_factory=list)
    deceased: list[tuple[int, date]] = field(default_factory=list)  # resident id, date


def monthly_amount(rng: random.Random, approved: ApprovedCase) -> int:
    """Yuan per month (the whole sum for a one-off item), at Ningxia's usual levels."""
    person = approved.applicant
    code = approved.item.code
    if code == "DB_URBAN":
        return rng.randrange(300, 810, 10)
    if code == "DB_RURAL":
        return rng.randrange(250, 710, 10)
    if code == "TEKUN":  # basic living plus the care part by self-care ability
        care = {"NONE": 800, "PARTIAL": 300}.get(person.self_care or "FULL", 80)
        return 1040 + care
    if code == "DISABLED_LIVING":
        return 100 if (person.disability or 4) <= 2 else 80
    if code == "DISABLED_CARE":
        return 100 if person.disability == 1 else 80
    if code == "ORPHAN":
        return 1500
    if code == "ELDERLY_ALLOWANCE":
        return 200 if person.age >= 90 else 100
    if code == "TEMPORARY":
        return rng.randrange(500, 5001, 100)
    if code == "MEDICAL":
        return max(200, min(int(rng.lognormvariate(math.log(3000), 0.8)) // 10 * 10, 50_000))
    return rng.randrange(100, 1001, 10)


def _periods(first: str, last: str) -> list[str]:
    periods: list[str] = []
    period = first
    while period <= last:
        periods.append(period)
        period = next_period(period)
    return periods


def build_payments(
    rng: random.Random, approved_cases: list[ApprovedCase], ctx: SeedContext
) -> PaymentPlan:
    plan = PaymentPlan()
    current = ctx.current_period
    for approved in approved_cases:
        entitlement_id = len(plan.entitlements) + 1
        amount = monthly_amount(rng, approved)
        decided_on = approved.decided_at.astimezone(CHINA_TZ).date()
        account = approved.applicant.bank_account or approved.household.head.bank_account
        county = approved.household.village.county6
        division = approved.household.village.code
        # As the hub itself does: from the month of the decision; a one-off ends that month.
        start = period_of(decided_on)
        status, reason, end = "ACTIVE", None, start if approved.item.one_off else None
        periods = (
            _periods(start, current)[:1] if approved.item.one_off else _periods(start, current)
        )
        fate = rng.random()
        if not approved.item.one_off and len(periods) > 2 and fate < 0.09:
            periods = periods[: rng.randint(1, len(periods) - 1)]
            if fate < 0.06:
                tested = approved.item.code in _MEANS_TESTED
                status = "TERMINATED"
                reason = rng.choice(_TERMINATE_REASONS if tested else _TERMINATE_UNTESTED)
                end = periods[-1]
            else:
                status, reason = "SUSPENDED", rng.choice(_SUSPEND_REASONS)
        # The first payment follows the decision by a few days; later ones go out on the 10th.
        first = approved.decided_at + timedelta(days=rng.randint(2, 6), hours=1)
        suffix = "T" if approved.item.one_off else ""
        payments: list[tuple[str, datetime | None, str]] = []
        for period in periods:
            pay_at = max(_day_at(rng, period, 10), first)
            late = pay_at >= ctx.instant or (period == current and not approved.item.one_off)
            payments.append((period, None if late else pay_at, f"PAY-{county}-{period[:4]}"
                             f"{period[5:]}{suffix}"))  # fmt: skip
        if reason == DECEASED:
            last_paid = max(p[1] for p in payments if p[1] is not None)
            died = last_paid.astimezone(CHINA_TZ).date() + timedelta(days=rng.randint(1, 15))
            plan.deceased.append((approved.applicant.id, min(died, ctx.as_of - timedelta(days=1))))
        plan.entitlements.append((
            entitlement_id, approved.case_id, approved.applicant.id, approved.household.id,
            approved.item.code, division, Decimal(amount), start, end, status, reason,
            approved.decided_at, 1 if status == "ACTIVE" else 2,
        ))  # fmt: skip
        for period, when, batch in payments:
            created = max(_day_at(rng, _previous(period), 25), approved.decided_at)
            created = min(created + timedelta(minutes=10), ctx.instant - timedelta(minutes=1))
            for attempt, outcome, paid_at, why in _attempts(rng, when, ctx):
                plan.payments.append((
                    len(plan.payments) + 1, entitlement_id, division, period, attempt,
                    Decimal(amount), outcome, account, f"{batch}-{attempt:02d}", paid_at, why,
                    created,
                ))  # fmt: skip
    return plan


def _attempts(
    rng: random.Random, when: datetime | None, ctx: SeedContext
) -> list[tuple[int, str, datetime | None, str | None]]:
    """(attempt, status, paid_at, failure_reason) of one period's payment: SCHEDULED when it
    is not due yet, mostly PAID, else FAILED or RETURNED and re-issued a week later."""
    if when is None:
        return [(1, "SCHEDULED", None, None)]
    roll = rng.random()
    if roll >= 0.03:
        return [(1, "PAID", when, None)]
    first = (1, "FAILED", None, rng.choice(_FAILURES)) if roll < 0.02 else (
        1, "RETURNED", when, _RETURNED)  # fmt: skip
    reissued = min(when + timedelta(days=7), ctx.instant - timedelta(minutes=2))
    return [first, (2, "PAID", reissued, None)]


def _previous(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"


def _day_at(rng: random.Random, period: str, day: int) -> datetime:
    """An instant on `day` of the period's month, in office hours China time."""
    return china_instant(date(int(period[:4]), int(period[5:]), day), rng.randrange(540, 1020))
