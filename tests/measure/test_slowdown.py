"""Slow-down curve: work per reply against the threads an agent holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from asyncwfm.measure.slowdown import estimate_slowdown, held_threads_at_start

BASE = pd.Timestamp("2024-03-04 09:00", tz="UTC")


def _work(rows: list[tuple[str, str, float, float, str]]) -> pd.DataFrame:
    """Build a work table from (agent, conversation, start minute, seconds, method) rows."""
    starts = [BASE + pd.Timedelta(minutes=row[2]) for row in rows]
    return pd.DataFrame(
        {
            "agent_id": [row[0] for row in rows],
            "conversation_id": [row[1] for row in rows],
            "use_case": "sms",
            "start": starts,
            "end": [
                start + pd.Timedelta(seconds=row[3])
                for start, row in zip(starts, rows, strict=True)
            ],
            "seconds": [row[3] for row in rows],
            "method": [row[4] for row in rows],
        }
    )


def test_held_threads_count_open_conversations() -> None:
    # Agent a works c1 at minute 0, c2 at 1 and c3 at 2; with a 10-minute idle
    # timeout all three are still held at minute 2, and only c4 at minute 30.
    work = _work(
        [
            ("a", "c1", 0, 30, "handle_seconds"),
            ("a", "c2", 1, 30, "handle_seconds"),
            ("a", "c3", 2, 30, "handle_seconds"),
            ("a", "c4", 30, 30, "handle_seconds"),
        ]
    )

    held = held_threads_at_start(work, idle_timeout_seconds=600)

    assert held.tolist() == [1, 2, 3, 1]


def test_slowdown_factor_from_handle_times() -> None:
    rows = []
    for block in range(40):
        start = block * 60.0
        # Alone: one thread, 60 s per reply.
        rows.append(("a", f"solo{block}", start, 60.0, "handle_seconds"))
        # Then three threads at once, 90 s per reply on the third.
        rows.append(("b", f"x{block}", start, 60.0, "handle_seconds"))
        rows.append(("b", f"y{block}", start + 2, 60.0, "handle_seconds"))
        rows.append(("b", f"z{block}", start + 4, 90.0, "handle_seconds"))
    estimate = estimate_slowdown(_work(rows), idle_timeout_seconds=600, min_items=30)["sms"]

    assert estimate.status == "ok"
    table = estimate.table.set_index("threads")
    assert table.at[1.0, "mean_seconds"] == pytest.approx(60.0)
    assert table.at[3.0, "factor"] == pytest.approx(1.5)
    threads, factors = estimate.curve_points()
    assert threads[0] == 1.0
    assert np.all(np.diff(factors) >= 0)


def test_slowdown_ignores_estimated_work() -> None:
    rows = [("a", f"c{index}", index * 60.0, 60.0, "estimator") for index in range(50)]

    estimate = estimate_slowdown(_work(rows), idle_timeout_seconds=600)["sms"]

    assert estimate.status == "no_handle_times"
    assert estimate.table.empty
