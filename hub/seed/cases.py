"""Applications (申请件) for about 8% of households, across all 11 service items and every status
of the lifecycle, with their approval tasks and event history.

Applicants are drawn from plausible pools (the old for SENIOR_CARD, the disabled for DISABLED_*,
children raised by grandparents for ORPHAN, low-income urban or rural households for DB_*...).
The first cases are steered so that every item and every status appears even for a small seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from hub.domain import workflow as wf
from hub.domain.catalogue import ServiceItemDef, load_catalogue
from hub.domain.workflow import CaseStatus
from hub.seed.context import SeedContext
from hub.seed.history import (
    CASE_COLUMNS,
    EVENT_COLUMNS,
    TASK_COLUMNS,
    CaseMeta,
    Workdays,
    materialize,
)
from hub.seed.lifecycle import OUTCOME_WEIGHTS, OUTCOMES, live
from hub.seed.people import HouseholdInfo, PeoplePlan, Person
from hub.seed.pools import applicant_pools

__all__ = [
    "CASE_COLUMNS",
    "EVENT_COLUMNS",
    "TASK_COLUMNS",
    "ApprovedCase",
    "CasePlan",
    "build_cases",
]

SERVICE_ITEM_COLUMNS = ("code", "name", "position")
CASES_PER_HOUSEHOLD = 0.088  # with repeat applicants, about 8% of households have a case
MIN_CASES = 20
ITEM_WEIGHTS = {
    "DB_URBAN": 7, "DB_RURAL": 16, "TEKUN": 4, "TEMPORARY": 12, "MEDICAL": 9, "LOW_INCOME": 6,
    "DISABLED_LIVING": 7, "DISABLED_CARE": 5, "ORPHAN": 2, "SENIOR_CARD": 18,
    "ELDERLY_ALLOWANCE": 10,
}  # fmt: skip
MEANS_TESTED = frozenset({"DB_URBAN", "DB_RURAL", "TEKUN", "LOW_INCOME", "TEMPORARY", "MEDICAL"})
_FORCED_OUTCOME = {
    CaseStatus.REJECTED: ("reject_verify", "reject_review", "reject_certify"),
    CaseStatus.RETURNED: ("return_abandon",),
    CaseStatus.WITHDRAWN: ("withdraw_early", "withdraw_late"),
}


@dataclass(frozen=True)
class ApprovedCase:
    """An APPROVED case of a money item: what the entitlement and payments are built from."""

    case_id: int
    item: ServiceItemDef
    applicant: Person
    household: HouseholdInfo
    decided_at: datetime


@dataclass
class CasePlan:
    service_items: list[tuple[object, ...]] = field(default_factory=list)
    cases: list[tuple[object, ...]] = field(default_factory=list)
    tasks: list[tuple[object, ...]] = field(default_factory=list)
    events: list[tuple[object, ...]] = field(default_factory=list)
    approved_money: list[ApprovedCase] = field(default_factory=list)


def reachable(item: ServiceItemDef, status: CaseStatus) -> bool:
    """Whether a case of `item` can rest in `status` (some items skip a status)."""
    if status is CaseStatus.IN_PUBLIC_NOTICE:
        return wf.notice_length(item) > 0
    if status is CaseStatus.REVIEWED:
        return wf.notice_length(item) == 0
    if status is CaseStatus.VERIFYING:
        return bool(item.verify_departments)
    return True


def _steered(items: list[ServiceItemDef]) -> list[tuple[ServiceItemDef, CaseStatus | None]]:
    """The first cases: each status once, each item at least once, every pair reachable."""
    statuses = sorted(CaseStatus, key=lambda s: sum(reachable(i, s) for i in items))
    free = list(items)
    pairs: dict[CaseStatus, ServiceItemDef] = {}
    for status in statuses:
        item = next(i for i in free if reachable(i, status))
        free.remove(item)
        pairs[status] = item
    ordered: list[tuple[ServiceItemDef, CaseStatus | None]] = [(pairs[s], s) for s in CaseStatus]
    return ordered + [(item, None) for item in free]


def build_cases(
    rng: random.Random, people: PeoplePlan, proxy_villages: set[str], ctx: SeedContext
) -> CasePlan:
    catalogue = list(load_catalogue())
    plan = CasePlan(service_items=[(i.code, i.name, n) for n, i in enumerate(catalogue, 1)])
    pools = applicant_pools(people)
    households = {h.id: h for h in people.household_infos}
    counties = sorted({v.village.county6 for v in people.household_infos})
    no_visit_rate = {c: rng.uniform(0.72, 0.94) for c in counties}
    workdays = Workdays(ctx)
    weights = [ITEM_WEIGHTS.get(i.code, 5) for i in catalogue]
    total = max(round(CASES_PER_HOUSEHOLD * len(people.household_infos)), MIN_CASES)
    if not people.people:
        total = 0
    steered = _steered(catalogue)
    used: set[tuple[int, str]] = set()
    numbers: dict[tuple[str, str], int] = {}
    certificates: dict[tuple[str, int], int] = {}
    for index in range(total):
        item, target = steered[index] if index < len(steered) else (
            rng.choices(catalogue, weights=weights)[0], None)  # fmt: skip
        applicant = _pick(rng, pools[item.code], item.code, used)
        household = households[applicant.household_id]
        village = household.village
        channel = _channel(rng, item, applicant, no_visit_rate[village.county6], proxy_villages)
        for _attempt in range(20):
            choices = _FORCED_OUTCOME.get(target) if target else None
            outcome = (
                rng.choice(choices)
                if choices
                else ("approve" if target else rng.choices(OUTCOMES, weights=OUTCOME_WEIGHTS)[0])
            )
            steps = live(rng, item, outcome, channel)
            placed = workdays.place(rng, steps, target)
            if placed is not None:
                break
        else:  # cannot happen for a reachable pair; keep the case, unsteered
            placed = workdays.place(rng, steps, None)
        assert placed is not None
        i0, count = placed
        steps = steps[:count]
        case_id = len(plan.cases) + 1
        submitted_on = workdays.days[i0]
        key = (village.township_code, submitted_on.isoformat())
        numbers[key] = numbers.get(key, 0) + 1
        number = wf.case_number(village.code, submitted_on, numbers[key])
        certificate = None
        if steps[-1].status is CaseStatus.APPROVED:
            year = workdays.days[i0 + steps[-1].wd].year
            certificates[(village.county6, year)] = certificates.get((village.county6, year), 0) + 1
            certificate = wf.certificate_number(
                village.code, year, certificates[(village.county6, year)]
            )
        submitter = _submitter(channel, applicant, household)
        head = (case_id, number, item.code, applicant.id, household.id, village.code,
                channel.value, submitter[0] if channel is wf.Channel.PROXY else None,
                submitter[0])  # fmt: skip
        income = Decimal(household.declared_income) if item.code in MEANS_TESTED else None
        meta = CaseMeta(case_id, item, village.code, channel, submitter, head, income)
        rows = materialize(
            rng, meta, steps, i0, workdays, ctx,
            task_base=len(plan.tasks) + 1, event_base=len(plan.events) + 1,
            certificate=certificate,
        )  # fmt: skip
        plan.cases.append(rows.case)
        plan.tasks.extend(rows.tasks)
        plan.events.extend(rows.events)
        if rows.status is CaseStatus.APPROVED and item.money_item and rows.decided_at:
            plan.approved_money.append(
                ApprovedCase(case_id, item, applicant, household, rows.decided_at)
            )
    return plan


def _pick(rng: random.Random, pool: list[Person], item: str, used: set[tuple[int, str]]) -> Person:
    """An applicant from the pool who has no case of this item yet (the hub refuses a second
    open one); a repeat applicant only when a small pool has nobody left."""
    person = rng.choice(pool)
    for _ in range(20):
        if (person.id, item) not in used:
            break
        person = rng.choice(pool)
    else:
        person = next((p for p in pool if (p.id, item) not in used), person)
    used.add((person.id, item))
    return person


def _channel(
    rng: random.Random, item: ServiceItemDef, applicant: Person, no_visit: float,
    proxy_villages: set[str],
) -> wf.Channel:  # fmt: skip
    """WINDOW, or without a visit ONLINE (younger, urban) or through the village proxy agent."""
    if rng.random() >= no_visit:
        return wf.Channel.WINDOW
    online = 0.6 if applicant.village.urban else 0.3
    if applicant.age >= 70 or applicant.age < 16:
        online = 0.1
    has_agent = applicant.village.code in proxy_villages
    if item.online_capable and (rng.random() < online or not has_agent):
        return wf.Channel.ONLINE
    return wf.Channel.PROXY if has_agent else wf.Channel.WINDOW


def _submitter(
    channel: wf.Channel, applicant: Person, household: HouseholdInfo
) -> tuple[str, str, str]:
    """Who submitted: the applicant (a guardian for a child) online, the proxy agent, or the
    township clerk at the window. Subjects follow the development-token convention."""
    village = household.village
    if channel is wf.Channel.ONLINE:
        person = applicant if applicant.age >= 18 else household.head
        return f"citizen-{person.id}", "civil_affairs", village.code
    if channel is wf.Channel.PROXY:
        return f"proxy-{village.code}", "civil_affairs", village.code
    return f"clerk-{village.code[:9]}", "civil_affairs", village.township_code
