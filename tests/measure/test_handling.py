"""Active handling time: estimator bounds, handle_seconds, bursts and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from measure_builders import build_events

from asyncwfm.config import HandlingConfig, PlanningConfig
from asyncwfm.measure import Measurement, measure, reply_allowance_seconds

HOUR = 3600
DAY = 24 * HOUR
# read 60 s + 0.5 s per character: a reply of 120 characters has a 120 s allowance.
HANDLING = HandlingConfig(
    read_seconds=60.0,
    seconds_per_character=0.5,
    min_reply_seconds=10.0,
    max_reply_seconds=600.0,
    burst_gap_seconds=300.0,
)


def measured(rows: list[tuple[object, ...]], handling: HandlingConfig = HANDLING) -> Measurement:
    config = PlanningConfig(handling=handling)
    return measure(build_events(rows), config, start="2024-03-01", end="2024-03-15")


def test_thread_open_48_hours_costs_six_minutes() -> None:
    # Three bursts, one a day: the customer writes, the agent replies 60 s and 120 s
    # later with 120-character messages, so each burst is 2 minutes of work.
    rows: list[tuple[object, ...]] = []
    for day in range(3):
        start = day * DAY
        rows += [
            ("c1", start, "customer", None, 40),
            ("c1", start + 60, "agent", "a1", 120),
            ("c1", start + 120, "agent", "a1", 120),
        ]
    result = measured(rows)

    conversation = result.conversations.iloc[0]
    assert conversation["active_seconds"] == 360.0
    assert conversation["session_seconds"] == 2 * DAY + 120
    assert result.bursts["active_seconds"].tolist() == [120.0, 120.0, 120.0]
    assert result.work["burst_id"].tolist() == [0, 0, 1, 1, 2, 2]


def test_two_threads_in_one_minute_not_counted_twice() -> None:
    # One agent answers two threads 20 s apart; both customers wrote long before.
    result = measured(
        [
            ("c1", 0, "customer", None, 10),
            ("c2", 0, "customer", None, 10),
            ("c1", 600, "agent", "a1", 120),
            ("c2", 620, "agent", "a1", 120),
        ]
    )

    work = result.work.set_index("conversation_id")
    assert work.loc["c1", "seconds"] == 120.0
    assert work.loc["c2", "seconds"] == 20.0
    assert work.loc["c2", "limited_by"] == "previous_work"
    assert result.work["seconds"].sum() <= 620 - (600 - 120)


def test_customer_message_bounds_work() -> None:
    result = measured([("c1", 0, "customer", None, 10), ("c1", 30, "agent", "a1", 500)])

    assert result.work.loc[0, "seconds"] == 30.0
    assert result.work.loc[0, "limited_by"] == "customer_message"


def test_allowance_caps_long_gap() -> None:
    result = measured([("c1", 0, "customer", None, 10), ("c1", 5000, "agent", "a1", 100)])

    assert result.work.loc[0, "seconds"] == 60.0 + 0.5 * 100
    assert result.work.loc[0, "limited_by"] == "allowance"


def test_allowance_clipped_to_bounds() -> None:
    allowance = reply_allowance_seconds(np.array([0.0, 10_000.0, np.nan]), HANDLING)
    tight = HandlingConfig(read_seconds=2.0, seconds_per_character=0.0, min_reply_seconds=15.0)

    assert allowance.tolist() == [60.0, 600.0, 60.0]
    assert reply_allowance_seconds(np.array([50.0]), tight).tolist() == [15.0]


def test_handle_seconds_from_log() -> None:
    rows: list[tuple[object, ...]] = [
        ("c1", 0, "customer", None, 10),
        ("c1", 900, "agent", "a1", 20, {"handle_seconds": 400.0}),
        ("c1", 2000, "agent", "a1", None, {"event_type": "work", "handle_seconds": 90.0}),
    ]
    result = measured(rows)

    assert result.work["seconds"].tolist() == [400.0, 90.0]
    assert result.work["method"].tolist() == ["handle_seconds", "handle_seconds"]
    assert result.conversations.loc[0, "active_seconds"] == 490.0


def test_handle_seconds_never_overlap_for_one_agent() -> None:
    rows: list[tuple[object, ...]] = [
        ("c1", 0, "customer", None, 10),
        ("c2", 0, "customer", None, 10),
        ("c1", 1000, "agent", "a1", 20, {"handle_seconds": 300.0}),
        ("c2", 1100, "agent", "a1", 20, {"handle_seconds": 300.0}),
    ]
    result = measured(rows)

    assert result.work["seconds"].tolist() == [300.0, 100.0]


def test_zero_handle_seconds_bounds_no_work() -> None:
    # a1 answers c2 (handle time 0) at 1100 while c1's 300 s of work runs to 1200,
    # as a call-centre log books an answer at service start and the work at its end.
    rows: list[tuple[object, ...]] = [
        ("c1", 0, "customer", None, 10),
        ("c2", 0, "customer", None, 10),
        ("c1", 900, "agent", "a1", None, {"handle_seconds": 0.0}),
        ("c2", 1100, "agent", "a1", None, {"handle_seconds": 0.0}),
        ("c1", 1200, "agent", "a1", None, {"event_type": "work", "handle_seconds": 300.0}),
        ("c2", 1500, "agent", "a1", None, {"event_type": "work", "handle_seconds": 300.0}),
    ]
    result = measured(rows)

    work = result.work.set_index("event_key")
    assert work.loc["e4", "seconds"] == 300.0
    assert work.loc["e4", "limited_by"] == "handle_seconds"
    assert work.loc["e5", "seconds"] == 300.0
    assert work.loc[["e2", "e3"], "seconds"].tolist() == [0.0, 0.0]
    assert result.turns["active_seconds"].tolist() == [300.0, 300.0]


def test_bot_costs_no_agent_time() -> None:
    result = measured(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 3, "bot", None, 200),
            ("c1", 60, "customer", None, 10),
            ("c1", 65, "bot", None, 200),
        ]
    )

    assert result.work.empty
    assert result.conversations.loc[0, "active_seconds"] == 0.0
    assert bool(result.conversations.loc[0, "contained"])


def test_unknown_agent_timeline_per_conversation() -> None:
    # Without agent ids, replies in different threads do not bound each other,
    # but two replies in one thread do.
    result = measured(
        [
            ("c1", 0, "customer", None, 10),
            ("c2", 0, "customer", None, 10),
            ("c1", 600, "agent", None, 120),
            ("c2", 610, "agent", None, 120),
            ("c2", 640, "agent", None, 120),
        ]
    )

    assert result.work["seconds"].tolist() == [120.0, 120.0, 30.0]


def test_note_is_work_but_assignment_is_not() -> None:
    result = measured(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 500, "agent", "a1", None, {"event_type": "assignment"}),
            ("c1", 1000, "agent", "a1", 40, {"event_type": "note"}),
            ("c1", 2000, "agent", "a1", 40),
        ]
    )

    assert result.work["event_type"].tolist() == ["note", "message"]


def test_work_split_across_intervals() -> None:
    # A 2-minute reply ending one minute into an interval is split 60/60.
    result = measured(
        [("c1", 29 * 60 - 3000, "customer", None, 10), ("c1", 31 * 60, "agent", "a1", 120)]
    )

    workload = result.workload.set_index("interval_start")
    start = result.work.loc[0, "start"]
    first = workload.loc[start.floor("30min"), "active_seconds"]
    second = workload.loc[start.floor("30min") + pd.Timedelta(minutes=30), "active_seconds"]
    assert first == pytest.approx(60.0)
    assert second == pytest.approx(60.0)


def test_work_before_first_turn_counts_for_conversation() -> None:
    result = measured(
        [
            ("c1", 0, "agent", "a1", 120),
            ("c1", 600, "customer", None, 10),
            ("c1", 900, "agent", "a1", 120),
        ]
    )

    assert pd.isna(result.work.loc[0, "turn_index"])
    assert result.turns.loc[0, "active_seconds"] == 120.0
    assert result.conversations.loc[0, "active_seconds"] == 240.0


reply_offsets = st.lists(
    st.tuples(
        st.integers(0, 5),  # conversation
        st.integers(0, 3),  # agent
        st.integers(0, 20_000),  # seconds
        st.integers(0, 2000),  # text length
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(replies=reply_offsets)
def test_agent_work_never_overlaps(replies: list[tuple[int, int, int, int]]) -> None:
    rows: list[tuple[object, ...]] = [(f"c{c}", 0, "customer", None, 10) for c in range(6)]
    rows += [(f"c{c}", t, "agent", f"a{a}", n) for c, a, t, n in replies]
    work = measured(rows).work

    for _, stretches in work.groupby("agent_id"):
        ordered = stretches.sort_values(["end", "start"])
        assert (ordered["start"].iloc[1:].to_numpy() >= ordered["end"].iloc[:-1].to_numpy()).all()
        span = (ordered["end"].max() - ordered["start"].min()).total_seconds()
        assert ordered["seconds"].sum() <= span + 1e-6
    assert (work["seconds"] >= 0).all()
    assert (work["seconds"] <= HANDLING.max_reply_seconds).all()
