"""Working days: weekends, the national holiday table with its make-up days, deadline arithmetic."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.domain.calendar import WorkingCalendar, holiday_table, parse_holiday_table
from hub.domain.datafile import DataFileError

CAL = WorkingCalendar.default()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_plain_weekdays_are_working_days_and_weekends_are_not() -> None:
    # 2025-03-10 is a Monday in a week without holidays.
    week = _days(date(2025, 3, 10), date(2025, 3, 16))
    assert [CAL.is_working_day(d) for d in week] == [True] * 5 + [False] * 2


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2025, 1, 1), date(2025, 1, 1)),
        (date(2025, 1, 28), date(2025, 2, 4)),
        (date(2025, 4, 4), date(2025, 4, 6)),
        (date(2025, 5, 1), date(2025, 5, 5)),
        (date(2025, 5, 31), date(2025, 6, 2)),
        (date(2025, 10, 1), date(2025, 10, 8)),
        (date(2026, 1, 1), date(2026, 1, 3)),
        (date(2026, 2, 15), date(2026, 2, 23)),
        (date(2026, 4, 4), date(2026, 4, 6)),
        (date(2026, 5, 1), date(2026, 5, 5)),
        (date(2026, 6, 19), date(2026, 6, 21)),
        (date(2026, 9, 25), date(2026, 9, 27)),
        (date(2026, 10, 1), date(2026, 10, 7)),
    ],
)
def test_official_holidays_of_2025_and_2026_are_days_off(first: date, last: date) -> None:
    assert not any(CAL.is_working_day(d) for d in _days(first, last))


@pytest.mark.parametrize(
    "make_up_day",
    [
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ],
)
def test_make_up_weekend_days_are_working_days(make_up_day: date) -> None:
    assert make_up_day.weekday() >= 5
    assert CAL.is_working_day(make_up_day)


def test_2027_has_its_statutory_days_and_is_marked_provisional() -> None:
    year = {entry.year: entry for entry in holiday_table()}[2027]
    assert year.provisional
    assert date(2027, 2, 5) in year.holidays  # 除夕
    assert date(2027, 10, 1) in year.holidays
    assert not CAL.is_working_day(date(2027, 6, 9))  # 端午节, a Wednesday


def test_2025_and_2026_follow_the_published_notices() -> None:
    years = {entry.year: entry for entry in holiday_table()}
    assert not years[2025].provisional and not years[2026].provisional
    assert len(years[2025].workdays) == 5 and len(years[2026].workdays) == 6


def test_years_beyond_the_table_only_have_weekends_off() -> None:
    assert CAL.is_working_day(date(2030, 10, 1))  # a Tuesday, no table for 2030
    assert not CAL.is_working_day(date(2030, 10, 5))


def test_add_working_days_does_not_count_the_start_day() -> None:
    assert CAL.add_working_days(date(2025, 3, 10), 1) == date(2025, 3, 11)


def test_add_working_days_skips_a_weekend() -> None:
    assert CAL.add_working_days(date(2025, 3, 14), 1) == date(2025, 3, 17)


def test_add_working_days_zero_returns_the_start_day() -> None:
    assert CAL.add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 3)


def test_add_working_days_skips_golden_week_and_counts_its_make_up_saturday() -> None:
    # 9/30 (Tue) + 1 -> 10/9 (Thu): 10/1-10/8 off; then 10/10 (Fri), 10/11 (make-up Saturday).
    assert CAL.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert CAL.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert CAL.add_working_days(date(2025, 9, 30), 4) == date(2025, 10, 13)


def test_add_working_days_counts_the_make_up_sunday_before_golden_week() -> None:
    assert CAL.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)


def test_thirty_working_days_from_before_spring_festival_2026() -> None:
    # From Fri 2026-02-06: 2/9-2/13 (5), 2/14 make-up (6), 2/15-2/23 off, 2/24-2/27 (10),
    # 2/28 make-up (11), then 19 more weekdays in March: 3/2 ... 3/26.
    assert CAL.add_working_days(date(2026, 2, 6), 30) == date(2026, 3, 26)


def test_add_working_days_from_a_holiday_starts_after_it() -> None:
    assert CAL.add_working_days(date(2026, 10, 3), 1) == date(2026, 10, 8)


def test_add_working_days_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(date(2025, 1, 1), -1)


def test_next_working_day_is_strictly_after() -> None:
    assert CAL.next_working_day(date(2025, 3, 10)) == date(2025, 3, 11)
    assert CAL.next_working_day(date(2025, 1, 27)) == date(2025, 2, 5)


def test_working_days_between_counts_the_half_open_interval() -> None:
    assert CAL.working_days_between(date(2025, 3, 10), date(2025, 3, 10)) == 0
    assert CAL.working_days_between(date(2025, 3, 10), date(2025, 3, 17)) == 5
    assert CAL.working_days_between(date(2025, 9, 30), date(2025, 10, 13)) == 4


def test_working_days_between_is_negative_when_the_end_is_earlier() -> None:
    assert CAL.working_days_between(date(2025, 3, 17), date(2025, 3, 10)) == -5


@pytest.mark.parametrize("n", [0, 1, 5, 10, 20, 30, 45, 60])
@pytest.mark.parametrize(
    "start", [date(2025, 1, 20), date(2025, 9, 25), date(2026, 2, 10), date(2026, 12, 25)]
)
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


def test_default_takes_extra_local_holidays_and_workdays() -> None:
    # e.g. a regional 开斋节 day off on a Monday, and a local make-up Sunday.
    local = WorkingCalendar.default(
        extra_holidays={date(2026, 3, 23)}, extra_workdays={date(2026, 3, 29)}
    )
    assert not local.is_working_day(date(2026, 3, 23))
    assert local.is_working_day(date(2026, 3, 29))
    assert CAL.is_working_day(date(2026, 3, 23))


def test_an_extra_day_overrides_the_national_entry() -> None:
    local = CAL.with_days(holidays={date(2025, 1, 26)}, workdays={date(2025, 1, 28)})
    assert not local.is_working_day(date(2025, 1, 26))
    assert local.is_working_day(date(2025, 1, 28))


def test_a_calendar_refuses_a_day_that_is_both_off_and_on() -> None:
    with pytest.raises(ValueError, match="2025-05-01"):
        WorkingCalendar(holidays={date(2025, 5, 1)}, workdays={date(2025, 5, 1)})


def test_an_empty_calendar_has_only_weekends_off() -> None:
    plain = WorkingCalendar(set(), set())
    assert plain.is_working_day(date(2025, 10, 1))
    assert plain.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 1)


def test_the_holiday_table_is_loaded_once() -> None:
    assert holiday_table() is holiday_table()


GOOD_YEAR = """\
years:
  2025:
    source: test notice
    provisional: false
    holidays:
      - {name: 元旦, from: 2025-01-01, to: 2025-01-01}
    workdays: [2025-01-26]
"""


def test_a_valid_table_parses() -> None:
    (year,) = parse_holiday_table(GOOD_YEAR, "test.yaml")
    assert year.holidays == {date(2025, 1, 1)}
    assert year.workdays == {date(2025, 1, 26)}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    provisional: false\n", "", "test.yaml:2: year 2025, provisional: missing key"),
        (
            "    source: test notice\n",
            "    source: x\n    note: y\n",
            ":4: year 2025, note: unknown",
        ),
        ("[2025-01-26]", "[2025-01-27]", ":7: year 2025, workdays: 2025-01-27 is a weekday"),
        ("[2025-01-26]", "[2025-01-01]", "workdays: 2025-01-01 is a weekday"),
        ("[2025-01-26]", "[2026-01-04]", "is not a date of 2025"),
        ("[2025-01-26]", "[soon]", "is not a date of 2025"),
        ("from: 2025-01-01, to: 2025-01-01", "from: 2025-01-02, to: 2025-01-01", ":6: year 2025"),
        ("from: 2025-01-01", "from: 2024-12-31", "is not a holiday span of 2025"),
        ("to: 2025-01-01", "to: 2025-03-01", "is not a holiday span of 2025"),
        ("to: 2025-01-01", "to: later", "must be dates"),
        ("{name: 元旦, ", "{", "each holiday needs exactly name, from and to"),
        ("source: test notice", "source: ''", "source: must be a non-empty string"),
        ("provisional: false", "provisional: maybe", "provisional: must be true or false"),
        ("    workdays: [2025-01-26]", "    workdays: 2025-01-26", "workdays: must be a list"),
    ],
)
def test_table_errors_name_the_file_line_year_and_key(old: str, new: str, message: str) -> None:
    assert old in GOOD_YEAR
    with pytest.raises(DataFileError, match=message.replace("[", r"\[")):
        parse_holiday_table(GOOD_YEAR.replace(old, new), "test.yaml")


def test_a_make_up_day_that_is_also_a_holiday_is_refused() -> None:
    text = GOOD_YEAR.replace("from: 2025-01-01, to: 2025-01-01", "from: 2025-01-25, to: 2025-01-26")
    with pytest.raises(DataFileError, match="also listed as a holiday"):
        parse_holiday_table(text, "test.yaml")


def test_a_table_without_years_is_refused() -> None:
    with pytest.raises(DataFileError, match="must be a mapping with `years`"):
        parse_holiday_table("2025: {}", "test.yaml")


def test_a_table_that_is_not_yaml_names_the_line() -> None:
    with pytest.raises(DataFileError, match=r"test\.yaml:3: document: not valid YAML"):
        parse_holiday_table("years:\n  2025:\n    source: a: b\n", "test.yaml")
