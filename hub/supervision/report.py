"""Assembles a division's supervision report and its children's from the grouped aggregates.

Every figure is a count that adds up, so the division's totals are the sums of its children's
groups: five statements answer a division and all of its children at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.db.directory import DivisionDirectory, DivisionInfo
from hub.domain.divisions import PREFIX_LENGTH, jurisdiction_prefix
from hub.supervision import queries
from hub.supervision.targets import IndicatorName as N
from hub.supervision.targets import Ratio, YearWindow, ratio, shortfall
from hub.types import Level

CENT = Decimal("0.01")
# The drill-down stops at the township: its villages are what the rates count.
LEAF_LEVEL = Level.TOWNSHIP


@dataclass
class TownshipFunding:
    division: DivisionInfo
    population: int
    floor: int
    amount: Decimal
    shortfall: Decimal
    met: bool


@dataclass
class HandlingTime:
    item_code: str
    decided_cases: int
    total_days: float

    @property
    def average_days(self) -> float:
        return self.total_days / self.decided_cases if self.decided_cases else 0.0


@dataclass
class Counts:
    """The raw counts of one division for one year; every indicator derives from these."""

    cases: int = 0
    no_visit: int = 0
    overdue: int = 0
    trainings: int = 0
    villages: int = 0
    villages_with_point: int = 0
    villages_with_assistant: int = 0
    villages_trained: int = 0
    townships: int = 0
    townships_with_post: int = 0
    townships_trained: int = 0
    townships_funded: int = 0
    funded_any: int = 0
    funding: list[TownshipFunding] = field(default_factory=list)
    handling: dict[str, HandlingTime] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.cases > 0 or self.trainings > 0 or self.funded_any > 0


@dataclass
class ReportData:
    division: DivisionInfo
    year: int
    counts: Counts
    # None: not computed yet (a child's own children are computed when asked for).
    children: list[ReportData] | None = None

    @property
    def has_data(self) -> bool:
        return self.counts.has_data

    def indicator(self, name: N) -> Ratio:
        c = self.counts if self.has_data else Counts()
        staff = ratio(N.TRAINING_COMPLIANCE_STAFF, c.townships_trained, c.townships)
        assistants = ratio(N.TRAINING_COMPLIANCE_ASSISTANTS, c.villages_trained, c.villages)
        parts = {
            N.NO_VISIT_RATE: (c.no_visit, c.cases),
            N.PROXY_POINT_COVERAGE: (c.villages_with_point, c.villages),
            N.ASSISTANT_COVERAGE: (c.villages_with_assistant, c.villages),
            N.POST_COVERAGE: (c.townships_with_post, c.townships),
            N.TRAINING_COMPLIANCE_STAFF: (staff.numerator, staff.denominator),
            N.TRAINING_COMPLIANCE_ASSISTANTS: (assistants.numerator, assistants.denominator),
            # Staff and assistants together: met exactly when both are (both targets are 100%).
            N.TRAINING_COMPLIANCE: ((staff + assistants).numerator,
                                    (staff + assistants).denominator),
            N.FUNDING_COMPLIANCE: (c.townships_funded, c.townships),
        }  # fmt: skip
        numerator, denominator = parts[name]
        return ratio(name, numerator, denominator)

    @property
    def overdue_cases(self) -> int:
        return self.counts.overdue if self.has_data else 0

    @property
    def funding(self) -> list[TownshipFunding]:
        return self.counts.funding if self.has_data else []

    @property
    def handling(self) -> list[HandlingTime]:
        return list(self.counts.handling.values()) if self.has_data else []


def _child_width(level: Level) -> int:
    return PREFIX_LENGTH[Level(level + 1)] if level < LEAF_LEVEL else PREFIX_LENGTH[level]


async def build_report(
    session: AsyncSession,
    principal: Principal,
    directory: DivisionDirectory,
    division: DivisionInfo,
    window: YearWindow,
) -> ReportData:
    """The report of `division` with its children's reports (each without grandchildren)."""
    level = Level(division.level)
    prefix, width = jurisdiction_prefix(division.code), _child_width(level)
    groups: dict[str, Counts] = defaultdict(Counts)
    dialect = session.get_bind().dialect.name

    for key, total, without_visit, overdue in await _rows(
        session, queries.case_counts(principal, prefix, width, window)
    ):
        c = groups[key]
        c.cases, c.no_visit, c.overdue = int(total), int(without_visit), int(overdue)
    for key, item, decided, days in await _rows(
        session, queries.handling_days(principal, prefix, width, window, dialect)
    ):
        groups[key].handling[item] = HandlingTime(item, int(decided), float(days or 0))
    for key, trainings in await _rows(session, queries.activity_counts(prefix, width, window)):
        groups[key].trainings = int(trainings)
    for key, villages, point, assistant, trained in await _rows(
        session, queries.village_counts(prefix, width, window)
    ):
        c = groups[key]
        c.villages, c.villages_with_point = int(villages), int(point)
        c.villages_with_assistant, c.villages_trained = int(assistant), int(trained)
    for row in await _rows(session, queries.township_rows(prefix, window)):
        _add_township(groups[row[0][:width]], row, directory)

    children = []
    if level < LEAF_LEVEL:
        for child in directory.children_of(division.code):
            counts = groups.get(jurisdiction_prefix(child.code), Counts())
            children.append(ReportData(child, window.year, counts, None))
    return ReportData(division, window.year, _total(groups.values()), children)


async def _rows(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.execute(statement)).all())


def _add_township(c: Counts, row: Any, directory: DivisionDirectory) -> None:
    code, name, has_post, trained, population, floor, amount = row
    info = directory.get(code) or DivisionInfo(code, name, name, Level.TOWNSHIP, "", None, None)
    funded = amount is not None and Decimal(amount) >= floor
    c.townships += 1
    c.townships_with_post += int(bool(has_post))
    c.townships_trained += int(bool(trained))
    c.townships_funded += int(funded)
    c.funded_any += int(amount is not None)
    given = (Decimal(amount) if amount is not None else Decimal(0)).quantize(CENT)
    c.funding.append(
        TownshipFunding(
            info, int(population), int(floor), given, shortfall(int(floor), given), funded
        )
    )


def _total(groups: Any) -> Counts:
    total = Counts()
    for c in groups:
        for name in (
            "cases", "no_visit", "overdue", "trainings", "villages", "villages_with_point",
            "villages_with_assistant", "villages_trained", "townships", "townships_with_post",
            "townships_trained", "townships_funded", "funded_any",
        ):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(c, name))
        total.funding.extend(c.funding)
        for item, h in c.handling.items():
            mine = total.handling.setdefault(item, HandlingTime(item, 0, 0.0))
            mine.decided_cases += h.decided_cases
            mine.total_days += h.total_days
    total.funding.sort(key=lambda f: f.division.code)
    return total


# The indicators a division can miss; the combined training rate is the two parts' union.
MISSABLE = (
    N.NO_VISIT_RATE, N.PROXY_POINT_COVERAGE, N.ASSISTANT_COVERAGE, N.POST_COVERAGE,
    N.TRAINING_COMPLIANCE_STAFF, N.TRAINING_COMPLIANCE_ASSISTANTS, N.FUNDING_COMPLIANCE,
)  # fmt: skip


def misses(report: ReportData) -> list[tuple[ReportData, N, Ratio]]:
    """(division, indicator, figure) for each child that misses a target, children in code
    order; a township (no children) lists its own misses. A rate of nothing (0 of 0: no cases,
    or no data for the year) is not a miss: there is nothing to measure."""
    units = report.children if report.children else [report]
    found = []
    for unit in units:
        for name in MISSABLE:
            figure = unit.indicator(name)
            if figure.denominator and not figure.met:
                found.append((unit, name, figure))
    return found
