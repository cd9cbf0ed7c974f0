"""What the plan's supervision targets are measured on: proxy points (代办点) and civil-affairs
assistants (协理员) in the villages, staff posts (一人一岗), training and working funds of the
townships. Most divisions meet the targets; a few fall short, so the dashboard has work to show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from hub.seed.context import SeedContext
from hub.seed.divisions import DivisionPlan, Township
from hub.seed.names import person_name
from hub.supervision.targets import funding_floor

PROXY_POINT_COLUMNS = ("id", "village_code", "agent_name", "active_from", "active_to")
ASSISTANT_COLUMNS = ("id", "village_code", "name", "appointed_on", "left_on")
STAFF_POST_COLUMNS = ("id", "township_code", "title", "holder_name", "kind")
TRAINING_COLUMNS = ("id", "division_code", "person_kind", "person_name", "held_on", "kind")
FUNDING_COLUMNS = ("id", "township_code", "year", "population", "amount", "source")
FUNDING_SOURCE = "COUNTY_BUDGET"
_TRAINING_KINDS = ("ROTATION", "MEETING", "VISIT")
_FIRST_DAY = date(2016, 1, 1)


@dataclass
class SupervisionPlan:
    proxy_points: list[tuple[object, ...]] = field(default_factory=list)
    assistants: list[tuple[object, ...]] = field(default_factory=list)
    staff_posts: list[tuple[object, ...]] = field(default_factory=list)
    trainings: list[tuple[object, ...]] = field(default_factory=list)
    funding: list[tuple[object, ...]] = field(default_factory=list)
    active_proxy_villages: set[str] = field(default_factory=set)


def _date_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _name(rng: random.Random, code: str) -> str:
    hui = rng.random() < (0.5 if code[:4] in ("6403", "6404") else 0.25)
    return person_name(
        rng, hui, "MALE" if rng.random() < 0.55 else "FEMALE", rng.randint(1965, 1998)
    )


def build_supervision(
    rng: random.Random, divisions: DivisionPlan, ctx: SeedContext
) -> SupervisionPlan:
    plan = SupervisionPlan()
    last_day = ctx.as_of - timedelta(days=1)
    years = (ctx.as_of.year - 1, ctx.as_of.year)
    for village in divisions.villages:
        if rng.random() < 0.93:
            start = _date_between(rng, date(2017, 3, 1), last_day - timedelta(days=60))
            end = _date_between(rng, start, last_day) if rng.random() < 0.05 else None
            if end is None:
                plan.active_proxy_villages.add(village.code)
            plan.proxy_points.append(
                (len(plan.proxy_points) + 1, village.code, _name(rng, village.code), start, end)
            )
        if rng.random() < 0.95:
            appointed = _date_between(rng, _FIRST_DAY, last_day - timedelta(days=400))
            name = _name(rng, village.code)
            if rng.random() < 0.08:
                left = _date_between(rng, appointed, last_day - timedelta(days=30))
                plan.assistants.append((len(plan.assistants) + 1, village.code, name, appointed,
                                        left))  # fmt: skip
                if rng.random() < 0.7:
                    appointed, name = (
                        left + timedelta(days=rng.randint(5, 25)),
                        _name(rng, village.code),
                    )
                else:
                    continue
            plan.assistants.append((len(plan.assistants) + 1, village.code, name, appointed, None))
            sessions = (0, 1) if rng.random() < 0.12 else (2, 3)
            _train(rng, plan, village.code, "ASSISTANT", name, years, sessions, appointed, ctx)
    for township in divisions.townships:
        _staff(rng, plan, township, years, ctx)
        _fund(rng, plan, township, years)
    return plan


def _staff(
    rng: random.Random, plan: SupervisionPlan, township: Township, years: tuple[int, int],
    ctx: SeedContext,
) -> None:  # fmt: skip
    posts = 1 if township.population < 15_000 else 2 if township.population < 50_000 else 3
    lagging = rng.random() < 0.1
    for index in range(posts):
        kind = "ESTABLISHED" if index == 0 or rng.random() < 0.5 else "PUBLIC_WELFARE"
        title = "民政专干" if kind == "ESTABLISHED" else "民政公益性岗位"
        holder = None if rng.random() < 0.06 else _name(rng, township.code)
        plan.staff_posts.append((len(plan.staff_posts) + 1, township.code, title, holder, kind))
        if holder is not None:
            sessions = (1, 2) if lagging else (3, 4)
            _train(rng, plan, township.code, "STAFF", holder, years, sessions, _FIRST_DAY, ctx)


def _train(
    rng: random.Random, plan: SupervisionPlan, division: str, person_kind: str, name: str,
    years: tuple[int, int], sessions: tuple[int, int], since: date, ctx: SeedContext,
) -> None:  # fmt: skip
    """Training sessions per year: staff need 3 a year, assistants 2 (the plan's minimums)."""
    for year in years:
        first = max(date(year, 1, 1), since)
        last = min(date(year, 12, 31), ctx.as_of - timedelta(days=1))
        if first > last:
            continue
        held = sorted(_date_between(rng, first, last) for _ in range(rng.randint(*sessions)))
        for number, day in enumerate(held):
            onboarding = number == 0 and day.year == since.year and since != _FIRST_DAY
            kind = "ONBOARDING" if onboarding else rng.choice(_TRAINING_KINDS)
            plan.trainings.append((len(plan.trainings) + 1, division, person_kind, name, day, kind))


def _fund(
    rng: random.Random, plan: SupervisionPlan, township: Township, years: tuple[int, int]
) -> None:
    for year in years:
        population = round(township.population * (0.99 if year < years[-1] else 1.0))
        floor = funding_floor(population)
        if rng.random() < 0.07:
            amount = int(floor * rng.uniform(0.5, 0.95)) // 1000 * 1000
        else:
            amount = int(floor * rng.uniform(1.0, 1.6)) // 1000 * 1000 + 1000
        plan.funding.append(
            (len(plan.funding) + 1, township.code, year, population, Decimal(amount),
             FUNDING_SOURCE)
        )  # fmt: skip
