"""The plan's targets and funding floors as data, with the pure rules derived from them.

Source: 关于进一步加强基层民政服务能力建设的实施方案 (see docs/supervision.md for the quotes).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, case, literal

from hub.domain.clock import CHINA_TZ


class IndicatorName(enum.StrEnum):
    NO_VISIT_RATE = "noVisitRate"
    PROXY_POINT_COVERAGE = "proxyPointCoverage"
    ASSISTANT_COVERAGE = "assistantCoverage"
    POST_COVERAGE = "postCoverage"
    TRAINING_COMPLIANCE = "trainingCompliance"
    TRAINING_COMPLIANCE_STAFF = "trainingComplianceStaff"
    TRAINING_COMPLIANCE_ASSISTANTS = "trainingComplianceAssistants"
    FUNDING_COMPLIANCE = "fundingCompliance"


TARGETS: dict[IndicatorName, Fraction] = {
    IndicatorName.NO_VISIT_RATE: Fraction(4, 5),  # 80% of items handled 不见面
    IndicatorName.PROXY_POINT_COVERAGE: Fraction(1),  # 代办点覆盖率 100%
    IndicatorName.ASSISTANT_COVERAGE: Fraction(1),  # a 协理员 in every village
    IndicatorName.POST_COVERAGE: Fraction(1),  # 一人一岗 in every township
    IndicatorName.TRAINING_COMPLIANCE: Fraction(1),
    IndicatorName.TRAINING_COMPLIANCE_STAFF: Fraction(1),
    IndicatorName.TRAINING_COMPLIANCE_ASSISTANTS: Fraction(1),
    IndicatorName.FUNDING_COMPLIANCE: Fraction(1),
}

LABELS: dict[IndicatorName, str] = {
    IndicatorName.NO_VISIT_RATE: "不见面办理率",
    IndicatorName.PROXY_POINT_COVERAGE: "代办点覆盖率",
    IndicatorName.ASSISTANT_COVERAGE: "协理员配备率",
    IndicatorName.POST_COVERAGE: "民政岗位配备率",
    IndicatorName.TRAINING_COMPLIANCE: "培训达标率",
    IndicatorName.TRAINING_COMPLIANCE_STAFF: "乡镇民政人员培训达标率",
    IndicatorName.TRAINING_COMPLIANCE_ASSISTANTS: "村级协理员培训达标率",
    IndicatorName.FUNDING_COMPLIANCE: "经费保障达标率",
}

# Trainings a year: township civil-affairs staff at least 3, village assistants at least 2.
STAFF_TRAININGS_PER_YEAR = 3
ASSISTANT_TRAININGS_PER_YEAR = 2

# Yearly working-funds floor by township population: (population below which, floor in yuan);
# the last band has no upper bound. 30,000 and 50,000 themselves fall in the middle band
# ("3万至5万人口 ... 不低于7万元").
FUNDING_BANDS: tuple[tuple[int | None, int], ...] = (
    (30_000, 40_000),
    (50_001, 70_000),
    (None, 100_000),
)


def funding_floor(population: int) -> int:
    """The plan's yearly minimum (yuan) for a township of `population` people."""
    for below, floor in FUNDING_BANDS:
        if below is None or population < below:
            return floor
    raise AssertionError("the last funding band is open-ended")


def funding_floor_sql(population: Any) -> ColumnElement[Any]:
    """The same rule as an SQL CASE over a population column (one definition, two forms)."""
    whens = [(population < below, literal(floor)) for below, floor in FUNDING_BANDS if below]
    return case(*whens, else_=literal(FUNDING_BANDS[-1][1]))


def shortfall(floor: int, amount: Decimal | None) -> Decimal:
    """How much is missing to reach the floor (0 when met; the floor when nothing was given)."""
    return max(Decimal(floor) - (amount or Decimal(0)), Decimal(0)).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class Ratio:
    """numerator / denominator against a target; 0 of 0 is 0 and does not meet a target > 0."""

    numerator: int
    denominator: int
    target: Fraction

    @property
    def exact(self) -> Fraction:
        return Fraction(self.numerator, self.denominator) if self.denominator else Fraction(0)

    @property
    def value(self) -> float:
        return float(self.exact)

    @property
    def met(self) -> bool:
        return self.exact >= self.target

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(
            self.numerator + other.numerator, self.denominator + other.denominator, self.target
        )


def ratio(name: IndicatorName, numerator: int, denominator: int) -> Ratio:
    return Ratio(numerator, denominator, TARGETS[name])


@dataclass(frozen=True, slots=True)
class YearWindow:
    """A calendar year in China time, and the day the year's coverage is measured on."""

    year: int
    today: date

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, 12, 31)

    @property
    def reference_day(self) -> date:
        """31 December, or today while the year is still running (coverage is a state)."""
        return min(self.last_day, self.today)

    @property
    def start(self) -> datetime:
        """1 January 00:00 China time, as a UTC instant (cases are stored in UTC)."""
        return datetime.combine(self.first_day, time(0), CHINA_TZ).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """1 January of the next year 00:00 China time (exclusive)."""
        return datetime.combine(date(self.year + 1, 1, 1), time(0), CHINA_TZ).astimezone(UTC)
