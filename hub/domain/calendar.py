"""Working days (工作日) for statutory time limits: weekends and public holidays are off,
make-up weekend days (调休上班) are on. The national table is packaged data (holidays.yaml).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from hub.domain.datafile import DataFileError, LineIndex, parse_yaml, read_packaged

HOLIDAYS_FILE = "holidays.yaml"
_MAX_HOLIDAY_SPAN = timedelta(days=14)


@dataclass(frozen=True)
class HolidayYear:
    """One year of the national table, as the State Council's notice sets it."""

    year: int
    source: str
    provisional: bool
    holidays: frozenset[date]
    workdays: frozenset[date]


class WorkingCalendar:
    """Which days count as working days, and deadline arithmetic over them."""

    def __init__(self, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        both = self.holidays & self.workdays
        if both:
            days = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"a day cannot be both a holiday and a make-up working day: {days}")

    @classmethod
    def default(
        cls, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
    ) -> WorkingCalendar:
        """The packaged national table, plus extra local days off or on (e.g. 开斋节, 古尔邦节)."""
        holidays: set[date] = set()
        workdays: set[date] = set()
        for entry in holiday_table():
            holidays |= entry.holidays
            workdays |= entry.workdays
        return cls(holidays, workdays).with_days(extra_holidays, extra_workdays)

    def with_days(
        self, holidays: Iterable[date] = (), workdays: Iterable[date] = ()
    ) -> WorkingCalendar:
        """A calendar with these days added; an added day overrides this calendar's own entry."""
        extra_off = frozenset(holidays)
        extra_on = frozenset(workdays)
        return WorkingCalendar(
            (self.holidays - extra_on) | extra_off, (self.workdays - extra_off) | extra_on
        )

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The due date n working days after `start` (start itself is not counted; n=0 → start)."""
        if n < 0:
            raise ValueError(f"the number of working days must not be negative, got {n}")
        due = start
        for _ in range(n):
            due = self.next_working_day(due)
        return due

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: the n with add_working_days(a, n) == b when b is one.

        Negative when b is before a.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count


@cache
def holiday_table() -> tuple[HolidayYear, ...]:
    """The packaged national table, validated, oldest year first."""
    return parse_holiday_table(read_packaged(HOLIDAYS_FILE), HOLIDAYS_FILE)


def parse_holiday_table(text: str, source: str) -> tuple[HolidayYear, ...]:
    """Validate a holidays.yaml document; errors name the file, line, year and key."""
    data, lines = parse_yaml(text, source)
    if not isinstance(data, dict) or set(data) != {"years"} or not isinstance(data["years"], dict):
        raise DataFileError(source, lines.line(()), "document", "must be a mapping with `years`")
    return tuple(
        _parse_year(year, entry, source, lines) for year, entry in sorted(data["years"].items())
    )


def _parse_year(year: Any, entry: Any, source: str, lines: LineIndex) -> HolidayYear:
    path: tuple[str | int, ...] = ("years", str(year))

    def fail(key: str, problem: str, *more: str | int) -> DataFileError:
        return DataFileError(
            source, lines.line((*path, key, *more)), f"year {year}, {key}", problem
        )

    if not isinstance(year, int) or isinstance(year, bool):
        raise DataFileError(source, lines.line(path), f"year {year!r}", "must be a year number")
    if not isinstance(entry, dict):
        raise DataFileError(source, lines.line(path), f"year {year}", "must be a mapping")
    expected = {"source", "provisional", "holidays", "workdays"}
    unknown = sorted(str(key) for key in set(entry) - expected)
    if unknown:
        raise fail(unknown[0], "unknown key")
    missing = sorted(expected - set(entry))
    if missing:
        raise fail(missing[0], "missing key")
    if not isinstance(entry["source"], str) or not entry["source"].strip():
        raise fail("source", "must be a non-empty string")
    if not isinstance(entry["provisional"], bool):
        raise fail("provisional", "must be true or false")
    holidays: set[date] = set()
    if not isinstance(entry["holidays"], list):
        raise fail("holidays", "must be a list")
    for position, span in enumerate(entry["holidays"]):
        if not isinstance(span, dict) or set(span) != {"name", "from", "to"}:
            raise fail("holidays", "each holiday needs exactly name, from and to", position)
        first, last = span["from"], span["to"]
        if not _is_date(first) or not _is_date(last):
            raise fail("holidays", "from and to must be dates (YYYY-MM-DD)", position)
        if first.year != year or last < first or last - first > _MAX_HOLIDAY_SPAN:
            raise fail("holidays", f"{first} to {last} is not a holiday span of {year}", position)
        holidays.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    workdays: set[date] = set()
    if not isinstance(entry["workdays"], list):
        raise fail("workdays", "must be a list")
    for position, day in enumerate(entry["workdays"]):
        if not _is_date(day) or day.year != year:
            raise fail("workdays", f"{day!r} is not a date of {year}", position)
        if day.weekday() < 5:
            raise fail(
                "workdays", f"{day} is a weekday; only weekend days can be made up", position
            )
        if day in holidays:
            raise fail("workdays", f"{day} is also listed as a holiday", position)
        workdays.add(day)
    return HolidayYear(
        year, entry["source"], entry["provisional"], frozenset(holidays), frozenset(workdays)
    )


def _is_date(value: Any) -> bool:
    return isinstance(value, date) and not hasattr(value, "hour")
