"""The plan's funding floors (乡镇民政工作经费), their SQL twin, and the indicator arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import create_engine, literal, select

from hub.supervision.kinds import KINDS
from hub.supervision.targets import (
    IndicatorName,
    Ratio,
    YearWindow,
    funding_floor,
    funding_floor_sql,
    ratio,
    shortfall,
)

CASES = [
    (0, 40_000),
    (1, 40_000),
    (29_999, 40_000),
    (30_000, 70_000),  # "3万至5万人口": 30,000 belongs to the middle band
    (30_001, 70_000),
    (49_999, 70_000),
    (50_000, 70_000),  # ... and so does 50,000
    (50_001, 100_000),
    (1_000_000, 100_000),
]


@pytest.mark.parametrize(("population", "floor"), CASES)
def test_funding_floor_follows_the_plan_at_its_boundaries(population: int, floor: int) -> None:
    assert funding_floor(population) == floor


@pytest.mark.parametrize(("population", "floor"), CASES)
def test_sql_floor_agrees_with_the_python_floor(population: int, floor: int) -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(select(funding_floor_sql(literal(population)))).scalar() == floor


def test_shortfall_is_what_is_missing_and_never_negative() -> None:
    assert shortfall(70_000, Decimal("46000.00")) == Decimal("24000.00")
    assert shortfall(70_000, Decimal("70000.00")) == 0
    assert shortfall(40_000, Decimal("90000")) == 0
    assert shortfall(100_000, None) == Decimal(100_000)


def test_no_visit_target_is_met_at_exactly_eighty_percent() -> None:
    assert ratio(IndicatorName.NO_VISIT_RATE, 4, 5).met
    assert ratio(IndicatorName.NO_VISIT_RATE, 12, 15).met
    assert not ratio(IndicatorName.NO_VISIT_RATE, 79, 99).met


def test_coverage_needs_every_unit() -> None:
    figure = ratio(IndicatorName.PROXY_POINT_COVERAGE, 2999, 3000)
    assert not figure.met and figure.value == pytest.approx(0.99967, abs=1e-5)
    assert ratio(IndicatorName.PROXY_POINT_COVERAGE, 3, 3).met


def test_zero_of_zero_is_zero_and_not_met() -> None:
    figure = ratio(IndicatorName.POST_COVERAGE, 0, 0)
    assert figure.value == 0.0 and not figure.met


def test_combined_training_is_met_only_when_both_parts_are() -> None:
    staff = Ratio(3, 3, Fraction(1))
    assistants = Ratio(9, 10, Fraction(1))
    assert not (staff + assistants).met
    assert (staff + Ratio(10, 10, Fraction(1))).met


def test_year_window_runs_in_china_time_and_measures_coverage_on_the_right_day() -> None:
    window = YearWindow(2026, date(2026, 11, 20))
    assert window.start == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert window.reference_day == date(2026, 11, 20)  # the year is still running
    assert YearWindow(2025, date(2026, 11, 20)).reference_day == date(2025, 12, 31)


def test_record_kinds_check_levels_and_dates() -> None:
    kind = KINDS["proxy-points"]
    _, problems = kind.parse(
        {"village_code": "640104001000", "agent_name": "王芳", "active_from": "2026-01-01"}
    )
    assert [p.column for p in problems] == ["village_code"]  # a township, not a village
    _, problems = kind.parse(
        {"village_code": "640104001001", "agent_name": "王芳", "active_from": "2026-03-01",
         "active_to": "2026-02-01"}
    )  # fmt: skip
    assert [(p.column, p.message) for p in problems] == [
        ("active_to", "must not be before active_from")
    ]
    values, problems = KINDS["training"].parse(
        {"division_code": "640104001000", "person_kind": "staff", "person_name": "李强",
         "held_on": "2026-04-02", "kind": "rotation"}
    )  # fmt: skip
    assert not problems and values["person_kind"] == "STAFF" and values["kind"] == "ROTATION"


def test_funding_amounts_are_yuan_with_at_most_two_decimals() -> None:
    base = {"township_code": "640104001000", "year": "2026", "population": "31000",
            "source": "县级预算"}  # fmt: skip
    values, problems = KINDS["funding"].parse(base | {"amount": "70000.5"})
    assert not problems and values["amount"] == Decimal("70000.50")
    for bad in ("-1", "12.345", "七万", "NaN"):
        _, problems = KINDS["funding"].parse(base | {"amount": bad})
        assert [p.column for p in problems] == ["amount"], bad
