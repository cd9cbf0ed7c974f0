"""The fixed point in time a seed is generated for, and the instants derived from it.

Everything time-dependent is computed from `as_of` (a China date), never from the clock, so
the same residents count and seed give byte-identical data on any day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from hub.domain.calendar import WorkingCalendar
from hub.domain.clock import CHINA_TZ

# The default "as of" date: a constant, so the default seed never changes from day to day.
DEFAULT_AS_OF = date(2026, 11, 1)


def china_instant(day: date, minute_of_day: int) -> datetime:
    """The UTC instant of `day` at `minute_of_day` (0..1439) China time."""
    hour, minute = divmod(minute_of_day, 60)
    return datetime.combine(day, time(hour, minute), CHINA_TZ).astimezone(UTC)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


@dataclass(frozen=True)
class SeedContext:
    """`as_of` is the China date the data describes the start of (00:00 China time)."""

    as_of: date
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar.default)

    @property
    def instant(self) -> datetime:
        """The UTC instant of `as_of` 00:00 China time: every seeded event happened before it."""
        return china_instant(self.as_of, 0)

    @property
    def current_period(self) -> str:
        """The payment period (YYYY-MM) that `as_of` falls in: its payments are SCHEDULED."""
        return period_of(self.as_of)

    @property
    def recorded_at(self) -> datetime:
        """created_at / updated_at of seeded registry rows (households, residents)."""
        return self.instant
