"""The wall-clock grid: DST days map to and from fixed slots without gaps or repeats."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncwfm.errors import InputError
from asyncwfm.forecast.grid import WallClockGrid, from_wall_clock, to_wall_clock

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")

# Europe/London changed clocks on 2024-03-31 (01:00 -> 02:00) and 2024-10-27
# (02:00 -> 01:00), per the IANA tz database shipped with Python.
SPRING_FORWARD = date(2024, 3, 31)
FALL_BACK = date(2024, 10, 27)


def test_spring_forward_day_has_92_quarter_hours() -> None:
    grid = WallClockGrid(SPRING_FORWARD, 1, 15, LONDON)

    starts = grid.interval_starts()

    assert len(starts) == 92
    assert starts.is_unique
    assert (starts.hour == 1).sum() == 0


def test_fall_back_day_has_100_quarter_hours() -> None:
    grid = WallClockGrid(FALL_BACK, 1, 15, LONDON)

    starts = grid.interval_starts()

    assert len(starts) == 100
    assert starts.is_unique
    assert (starts.hour == 1).sum() == 8


def test_repeated_hour_shares_slots() -> None:
    grid = WallClockGrid(FALL_BACK, 1, 60, LONDON)
    starts = grid.interval_starts()

    positions = grid.positions(starts)

    assert len(starts) == 25
    assert list(positions[:3]) == [0, 1, 1]
    assert sorted(set(positions.tolist())) == list(range(24))


def test_to_wall_clock_averages_repeated_hour() -> None:
    grid = WallClockGrid(FALL_BACK, 1, 60, LONDON)
    starts = grid.interval_starts()
    values = np.arange(25, dtype=float)

    wall = to_wall_clock(starts, values, grid)

    assert wall[1] == pytest.approx((1 + 2) / 2)
    assert wall[2] == 3
    assert len(wall) == 24


def test_to_wall_clock_leaves_skipped_hour_empty() -> None:
    grid = WallClockGrid(SPRING_FORWARD, 1, 60, LONDON)
    starts = grid.interval_starts()

    wall = to_wall_clock(starts, np.ones(len(starts)), grid)

    assert np.isnan(wall[1])
    assert np.count_nonzero(np.isnan(wall)) == 1


def test_from_wall_clock_covers_every_real_interval_once() -> None:
    grid = WallClockGrid(date(2024, 10, 21), 14, 30, LONDON)

    mapping = from_wall_clock(np.zeros(grid.size), grid)

    assert mapping["interval_start"].is_unique
    assert len(mapping) == 14 * 48 + 2
    assert (mapping["position"] >= 0).all()


def test_positions_reject_naive_starts() -> None:
    grid = WallClockGrid(FALL_BACK, 1, 60, LONDON)

    with pytest.raises(InputError, match="timezone-aware"):
        grid.positions(pd.DatetimeIndex(["2024-10-27 03:00"]))


def test_grid_rejects_interval_not_dividing_day() -> None:
    with pytest.raises(InputError, match="does not divide a day"):
        WallClockGrid(FALL_BACK, 1, 7, LONDON)


@settings(max_examples=40, deadline=None)
@given(
    day_offset=st.integers(min_value=0, max_value=3 * 365),
    interval_minutes=st.sampled_from([15, 30, 60]),
    zone=st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
)
def test_day_length_matches_utc_offsets(day_offset: int, interval_minutes: int, zone: str) -> None:
    timezone = ZoneInfo(zone)
    day = date(2023, 1, 1) + timedelta(days=day_offset)
    grid = WallClockGrid(day, 1, interval_minutes, timezone)

    starts = grid.interval_starts()

    midnight = pd.Timestamp(day).tz_localize(timezone)
    next_midnight = pd.Timestamp(day + timedelta(days=1)).tz_localize(timezone)
    day_minutes = (next_midnight - midnight) / pd.Timedelta(minutes=1)
    assert len(starts) == day_minutes / interval_minutes
    assert starts.is_unique
    assert ((starts.minute % interval_minutes) == 0).all()
