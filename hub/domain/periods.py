"""Payment periods (`YYYY-MM`, China months): parsing, order and the months around a date."""

from __future__ import annotations

import re
from datetime import date

PERIOD_PATTERN = re.compile(r"(\d{4})-(\d{2})")


class InvalidPeriod(ValueError):
    """Not a `YYYY-MM` period with a month 01..12."""


def parse_period(value: str) -> str:
    """The period itself when it is a real `YYYY-MM` month; InvalidPeriod otherwise."""
    match = PERIOD_PATTERN.fullmatch(value or "")
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise InvalidPeriod(f"{value!r} is not a period YYYY-MM (month 01..12)")
    return value


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift(period: str, months: int) -> str:
    """The period `months` later (earlier when negative)."""
    year, month = int(period[:4]), int(period[5:])
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def first_day(period: str) -> date:
    return date(int(period[:4]), int(period[5:]), 1)
