"""The interval grid: built in UTC, labelled in the business time zone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from measure_builders import build_events

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import InputError
from asyncwfm.measure import interval_grid, measure
from asyncwfm.measure.grid import densest_span_ns, trim_sparse_days

NEW_YORK = "America/New_York"


def local_day_grid(day: str, timezone: str, interval_minutes: int = 15) -> pd.DatetimeIndex:
    start = pd.Timestamp(day, tz=timezone)
    end = start + pd.DateOffset(days=1)
    return interval_grid(start, end, interval_minutes, timezone).starts_local()


def test_spring_forward_day_has_92_quarter_hours() -> None:
    starts = local_day_grid("2024-03-10", NEW_YORK)

    assert len(starts) == 92
    assert starts.is_unique
    assert (starts.hour == 2).sum() == 0
    assert (np.diff(starts.asi8) == 15 * 60 * 10**9).all()


def test_fall_back_day_has_100_quarter_hours() -> None:
    starts = local_day_grid("2024-11-03", NEW_YORK)

    assert len(starts) == 100
    assert starts.is_unique
    assert (starts.hour == 1).sum() == 8
    assert (np.diff(starts.asi8) == 15 * 60 * 10**9).all()


def test_starts_follow_local_clock() -> None:
    # India is UTC+05:30, so hourly intervals start at :30 UTC.
    starts = local_day_grid("2024-06-01", "Asia/Kolkata", interval_minutes=60)

    assert len(starts) == 24
    assert (starts.minute == 0).all()
    assert starts[0] == pd.Timestamp("2024-06-01 00:00", tz="Asia/Kolkata")


def test_grid_covers_partial_intervals() -> None:
    grid = interval_grid("2024-01-01 09:10", "2024-01-01 10:05", 30, "UTC")

    assert grid.starts_utc()[0] == pd.Timestamp("2024-01-01 09:00", tz="UTC")
    assert grid.count == 3


def test_grid_rejects_reversed_span() -> None:
    with pytest.raises(InputError, match="must be after"):
        interval_grid("2024-01-02", "2024-01-01", 30, "UTC")


def test_workload_on_dst_day() -> None:
    # Conversations every hour of the local fall-back day.
    day_start = pd.Timestamp("2024-11-03", tz=NEW_YORK)
    offsets = [(day_start + pd.Timedelta(hours=h)).tz_convert("UTC") for h in range(25)]
    base = pd.Timestamp("2024-03-04 09:00", tz="UTC")
    rows: list[tuple[object, ...]] = [
        (f"c{i}", (t - base).total_seconds(), "customer", None, 10) for i, t in enumerate(offsets)
    ]
    config = PlanningConfig(business_timezone=NEW_YORK, interval_minutes=15)

    workload = measure(
        build_events(rows), config, start=day_start, end=day_start + pd.DateOffset(days=1)
    ).workload

    assert len(workload) == 100
    assert workload["interval_start"].is_unique
    assert str(workload["interval_start"].dt.tz) == NEW_YORK
    assert workload["turns"].sum() == 25


def test_densest_span_skips_stray_events() -> None:
    day = 86_400 * 10**9
    times = np.r_[0, 400 * day, np.arange(1000, 1040) * day // 4]

    first, last = densest_span_ns(times, max_gap_seconds=7 * 86_400)

    assert first == 1000 * day // 4
    assert last == 1039 * day // 4


def test_trim_sparse_days_drops_thin_tail() -> None:
    day_ns = 86_400 * 1_000_000_000
    busy = [
        day * day_ns + offset
        for day in range(5)
        for offset in range(0, 100 * 60_000_000_000, 60_000_000_000)
    ]
    tail = [5 * day_ns + 1, 6 * day_ns + 1, 6 * day_ns + 2]
    times = np.array(busy + tail, dtype=np.int64)

    first, last = trim_sparse_days(times, int(times.min()), int(times.max()), 0.1)

    # Five days of 100 events each stay; the tail days of 1 and 2 events go.
    assert first == times.min()
    assert last == max(busy)


def test_trim_sparse_days_keeps_everything_when_off() -> None:
    times = np.array([0, 1, 10 * 86_400 * 1_000_000_000], dtype=np.int64)

    assert trim_sparse_days(times, 0, int(times.max()), 0.0) == (0, int(times.max()))
