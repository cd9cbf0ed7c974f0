"""The injectable clock: UTC instants, China dates, a fixed clock for tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from hub.domain.clock import CHINA_TZ, Clock, FixedClock, SystemClock, china_date


def test_china_time_is_a_fixed_utc_plus_8_offset() -> None:
    assert CHINA_TZ.utcoffset(None) == timedelta(hours=8)


def test_system_clock_now_is_timezone_aware_utc() -> None:
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_system_clock_today_is_the_date_in_china() -> None:
    clock = SystemClock()
    assert clock.today() in {china_date(clock.now()), china_date(clock.now() - timedelta(1))}


def test_both_clocks_satisfy_the_clock_protocol() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(FixedClock(datetime(2026, 1, 1, tzinfo=UTC)), Clock)


def test_fixed_clock_stands_still() -> None:
    clock = FixedClock(datetime(2026, 3, 15, 2, 30, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 3, 15, 2, 30, tzinfo=UTC)


def test_fixed_clock_reports_instants_in_utc() -> None:
    clock = FixedClock(datetime(2026, 3, 15, 9, 0, tzinfo=CHINA_TZ))
    assert clock.now() == datetime(2026, 3, 15, 1, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fixed_clock_advance_moves_forward_and_back() -> None:
    clock = FixedClock(datetime(2026, 3, 15, tzinfo=UTC))
    assert clock.advance(timedelta(days=7)) == datetime(2026, 3, 22, tzinfo=UTC)
    assert clock.now() == datetime(2026, 3, 22, tzinfo=UTC)
    clock.advance(timedelta(hours=-1))
    assert clock.now() == datetime(2026, 3, 21, 23, tzinfo=UTC)


def test_fixed_clock_set_jumps_to_an_instant() -> None:
    clock = FixedClock(datetime(2026, 3, 15, tzinfo=UTC))
    clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2027, 1, 1, tzinfo=UTC)


def test_today_turns_over_at_midnight_china_time_not_utc() -> None:
    clock = FixedClock(datetime(2026, 3, 15, 15, 59, 59, tzinfo=UTC))
    assert clock.today() == date(2026, 3, 15)
    clock.advance(timedelta(seconds=1))
    assert clock.today() == date(2026, 3, 16)


def test_china_date_converts_other_offsets() -> None:
    new_york_evening = datetime(2026, 3, 15, 20, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert china_date(new_york_evening) == date(2026, 3, 16)


def test_naive_instants_are_refused() -> None:
    naive = datetime(2026, 3, 15, 12, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        china_date(naive)
    clock = FixedClock(datetime(2026, 3, 15, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(naive)
