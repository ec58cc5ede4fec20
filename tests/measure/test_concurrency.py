"""Open, awaiting, held and active threads: exact spans and conservation of time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from measure_builders import build_events

from asyncwfm.config import PlanningConfig, SimulationConfig
from asyncwfm.measure import Measurement, measure
from asyncwfm.measure.concurrency import Spans, mean_level, peak_level

SECOND = 10**9
MINUTE = 60 * SECOND


def spans(*pairs: tuple[float, float]) -> Spans:
    start = np.array([round(a * SECOND) for a, _ in pairs], dtype=np.int64)
    end = np.array([round(b * SECOND) for _, b in pairs], dtype=np.int64)
    return Spans(key=np.zeros(len(pairs), dtype=np.int64), start_ns=start, end_ns=end)


def test_mean_level_counts_partial_minutes() -> None:
    level = mean_level(spans((30, 150)), 1, 0, MINUTE, 3)

    assert level[0].tolist() == pytest.approx([0.5, 1.0, 0.5])


def test_mean_level_clips_to_bins() -> None:
    level = mean_level(spans((-100, 30), (170, 400)), 1, 0, MINUTE, 3)

    assert level[0].tolist() == pytest.approx([0.5, 0.0, 1 / 6])


def test_peak_ignores_back_to_back_spans() -> None:
    peak = peak_level(spans((0, 60), (60, 120)), 1, 0, MINUTE, 2)

    assert peak[0].tolist() == [1, 1]


def test_peak_counts_overlap_and_carries_over() -> None:
    peak = peak_level(spans((0, 300), (30, 90)), 1, 0, MINUTE, 5)

    assert peak[0].tolist() == [2, 2, 1, 1, 1]


def test_peak_separates_keys() -> None:
    two_keys = Spans(
        key=np.array([0, 1]),
        start_ns=np.array([0, 0]) * SECOND,
        end_ns=np.array([60, 60]) * SECOND,
    )

    peak = peak_level(two_keys, 2, 0, MINUTE, 1)

    assert peak.tolist() == [[1], [1]]


def mixed_log() -> Measurement:
    rows: list[tuple[object, ...]] = [
        ("c1", 0, "customer", None, 10),
        ("c1", 400, "agent", "a1", 120),
        ("c1", 5000, "customer", None, 10),
        ("c1", 5100, "agent", "a2", 300),
        ("c2", 1000, "customer", None, 10),
        ("c2", 1003, "bot", None, 100),
        ("c2", 1200, "agent", "a1", 100),
        ("c3", 2000, "customer", None, 10),
        ("c3", 2100, "customer", None, 10),
        ("c4", 3000, "agent", "a2", 200),
    ]
    config = PlanningConfig(simulation=SimulationConfig(idle_timeout_seconds=600))
    return measure(build_events(rows), config, start="2024-03-04", end="2024-03-05")


def test_workload_conserves_time() -> None:
    result = mixed_log()
    workload = result.workload
    interval_seconds = 30 * 60

    open_seconds = (workload["open_threads"] * interval_seconds).sum()
    held_seconds = (workload["held_threads"] * interval_seconds).sum()
    assert open_seconds == pytest.approx(result.conversations["session_seconds"].sum())
    assert workload["active_seconds"].sum() == pytest.approx(result.work["seconds"].sum())
    assert held_seconds == pytest.approx(result.conversations["thread_hold_seconds"].sum())


def test_awaiting_ends_at_reply_or_last_event() -> None:
    result = mixed_log()
    awaiting_seconds = (result.workload["awaiting_threads"] * 30 * 60).sum()

    # Replies after 400, 100 and 3 seconds; c3's unanswered turn waits 100 s until
    # the conversation's last event.
    assert awaiting_seconds == pytest.approx(400 + 100 + 3 + 100)


def test_minute_table_matches_workload() -> None:
    result = mixed_log()
    minutes = result.concurrency

    assert minutes["active_threads"].sum() * 60 == pytest.approx(result.work["seconds"].sum())
    assert minutes["turn_arrivals"].sum() == result.workload["turns"].sum()
    counted = [
        "open_threads",
        "awaiting_threads",
        "held_threads",
        "active_threads",
        "turn_arrivals",
    ]
    assert (minutes[counted].sum(axis=1) > 0).all()
    assert str(minutes["minute_start"].dt.tz) == "UTC"


def test_peak_active_threads_in_interval() -> None:
    # Two agents working at once in the first interval.
    rows: list[tuple[object, ...]] = [
        ("c1", 0, "customer", None, 10),
        ("c2", 0, "customer", None, 10),
        ("c1", 300, "agent", "a1", 120),
        ("c2", 330, "agent", "a2", 120),
    ]
    result = measure(build_events(rows), start="2024-03-04 09:00", end="2024-03-04 10:00")

    assert result.workload["peak_active_threads"].tolist() == [2, 0]
    assert result.workload.loc[0, "active_threads"] == pytest.approx(240 / 1800)


def test_open_threads_follow_littles_law() -> None:
    # Poisson starts at 2 per minute, each thread open exactly 10 minutes: the
    # time-average open count is rate x duration = 20 when measured away from the edges.
    rng = np.random.default_rng(11)
    hours = 12
    starts = np.sort(rng.uniform(0, hours * 3600, rng.poisson(2 * 60 * hours)))
    rows: list[tuple[object, ...]] = []
    for number, start in enumerate(starts):
        rows += [
            (f"c{number}", start, "customer", None, 10),
            (f"c{number}", start + 600, "bot", None, 10),
        ]
    base = pd.Timestamp("2024-03-04 09:00", tz="UTC")

    result = measure(build_events(rows), start=base, end=base + pd.Timedelta(hours=hours))
    middle = result.workload.iloc[2:-2]
    exact = (result.conversations["session_seconds"] == 600).all()

    assert exact
    # For an M/D/inf count the time average over T has variance about rate * D^2 / T
    # (0.42 here, T = 8 hours), so 2.5 is about four standard deviations.
    assert middle["open_threads"].mean() == pytest.approx(20, abs=2.5)
