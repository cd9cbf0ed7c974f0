"""The hub's one clock: every "now" and "today" comes from a `Clock` so tests can fix time.

Instants are tz-aware UTC; calendar dates (deadlines, case numbers) are China dates (UTC+8).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

# A fixed offset, not zoneinfo: China has had no daylight saving since 1991, and this keeps
# the hub independent of the tzdata package on slim images.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


@runtime_checkable
class Clock(Protocol):
    """Source of the current instant (UTC) and the current date in China."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


def china_date(at: datetime) -> date:
    """The calendar date in China (Asia/Shanghai, UTC+8) at the instant `at`."""
    return _require_aware(at).astimezone(CHINA_TZ).date()


def _require_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a clock instant must be timezone-aware, got naive {at.isoformat()}")
    return at


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return china_date(self.now())


class FixedClock:
    """A clock that stands still until told to move; for tests and deterministic seeding."""

    def __init__(self, at: datetime) -> None:
        self._at = _require_aware(at).astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return china_date(self._at)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by `delta` (negative moves it back); returns the new instant."""
        self._at = self._at + delta
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to the instant `at` (tz-aware)."""
        self._at = _require_aware(at).astimezone(UTC)
