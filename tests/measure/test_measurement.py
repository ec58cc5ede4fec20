"""The measure() entry point: tables, workload columns, summary and edge cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from measure_builders import build_events

from asyncwfm.config import PlanningConfig, UseCaseConfig
from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.measure import SUMMARY_COLUMNS, Measurement, measure
from asyncwfm.schema import empty_events

ROWS: list[tuple[object, ...]] = [
    ("c1", 0, "customer", None, 10, {"use_case": "sms"}),
    ("c1", 200, "agent", "a1", 120, {"use_case": "sms"}),
    ("c1", 4000, "customer", None, 10, {"use_case": "sms"}),
    ("c2", 10, "customer", None, 10, {"use_case": "app"}),
    ("c2", 12, "bot", None, 80, {"use_case": "app"}),
    ("c2", 300, "agent", "a2", 60, {"use_case": "app"}),
    ("c3", 20, "customer", None, 10, {"use_case": "app"}),
    ("c3", 22, "bot", None, 80, {"use_case": "app"}),
]


def measured() -> Measurement:
    return measure(build_events(ROWS), start="2024-03-04", end="2024-03-05")


def test_turn_flags() -> None:
    turns = measured().turns.set_index(["conversation_id", "turn_index"])

    assert turns.loc[("c1", 0), "needs_agent"]
    assert turns.loc[("c1", 1), "needs_agent"]
    assert turns.loc[("c2", 0), "handoff"]
    assert turns.loc[("c2", 0), "needs_agent"]
    assert not turns.loc[("c3", 0), "needs_agent"]


def test_workload_counts_per_use_case() -> None:
    workload = measured().workload
    totals = workload.groupby("use_case")[
        ["turns", "customer_turns", "agent_turns", "bot_turns", "handoff_turns", "unanswered_turns"]
    ].sum()

    assert totals.loc["app"].tolist() == [1, 2, 0, 2, 1, 0]
    assert totals.loc["sms"].tolist() == [2, 2, 1, 0, 0, 1]
    assert workload.groupby("use_case")["new_conversations"].sum().to_dict() == {"app": 2, "sms": 1}
    assert len(workload) == 2 * 48


def test_workload_columns_present() -> None:
    columns = set(measured().workload.columns)

    assert {
        "interval_start",
        "use_case",
        "turns",
        "agent_turns",
        "bot_turns",
        "new_conversations",
        "active_seconds",
        "active_seconds_per_turn",
        "response_seconds_p50",
        "response_seconds_p90",
        "open_threads",
        "active_threads",
        "peak_active_threads",
        "peakedness",
        "thread_hold_seconds",
    } <= columns


def test_active_seconds_per_turn_over_handled_turns() -> None:
    workload = measured().workload.set_index(["use_case", "interval_start"])
    first = pd.Timestamp("2024-03-04 09:00", tz="UTC")

    # c1's reply: 60 + 0.5 * 120 = 120 s of work; its unanswered turn arrives later.
    assert workload.loc[("sms", first), "active_seconds_per_turn"] == 120.0
    # c2 handed off: 60 + 0.5 * 60 = 90 s; c3 was contained and is not a turn needing agent.
    assert workload.loc[("app", first), "active_seconds_per_turn"] == 90.0


def test_unanswered_turn_does_not_lower_aht() -> None:
    rows = [
        ("c1", 0, "customer", None, 10),
        ("c1", 200, "agent", "a1", 120),
        ("c2", 30, "customer", None, 10),
    ]
    result = measure(build_events(rows, use_case="sms"), start="2024-03-04", end="2024-03-05")
    first = result.workload.set_index("interval_start").loc[
        pd.Timestamp("2024-03-04 09:00", tz="UTC")
    ]

    # Two turns need an agent, one was handled with 120 s of work: the AHT is that
    # handled turn's 120 s, not 60 s, so planning both turns costs 240 s.
    assert first["turns"] == 2
    assert first["handled_turns"] == 1
    assert first["active_seconds_per_turn"] == 120.0


def test_summary_columns_and_values() -> None:
    summary = measured().summary().set_index("use_case")

    assert tuple(summary.reset_index().columns) == SUMMARY_COLUMNS
    assert summary.loc["sms", "conversations"] == 1
    assert summary.loc["sms", "customer_turns"] == 2
    assert summary.loc["sms", "answered_turns"] == 1
    assert summary.loc["sms", "response_seconds_p50"] == 200.0
    assert summary.loc["app", "contained_conversations"] == 1
    assert summary.loc["app", "bot_turns"] == 2
    assert summary.loc["app", "active_seconds_per_conversation"] == 90.0


def test_summary_records_are_json_ready() -> None:
    records = measured().summary_records()

    assert [record["use_case"] for record in records] == ["app", "sms"]
    assert all(
        type(value) is not float or not math.isnan(value) for r in records for value in r.values()
    )
    assert isinstance(records[0]["conversations"], int)


def test_no_events_status() -> None:
    result = measure(empty_events())

    assert result.status == "no_events"
    assert result.summary().empty
    assert tuple(result.summary().columns) == SUMMARY_COLUMNS


def test_all_dropped_counts_events() -> None:
    config = PlanningConfig(unmatched="drop", use_cases=[UseCaseConfig(name="other")])

    result = measure(build_events(ROWS), config)

    assert result.status == "no_events"
    assert result.events_dropped == len(ROWS)


def test_stray_event_outside_default_window() -> None:
    rows = [*ROWS, ("c9", -400 * 86_400, "customer", None, 10)]

    with pytest.warns(DataQualityWarning, match="1 of 9 events outside it"):
        result = measure(build_events(rows))

    assert result.events_outside_window == 1
    assert len(result.conversations) == 4
    assert result.window_start == pd.Timestamp("2024-03-04 09:00", tz="UTC")


def test_invalid_events_rejected() -> None:
    events = build_events(ROWS).drop(columns="sender")

    with pytest.raises(InputError, match="missing columns"):
        measure(events)


def test_first_turns_count_first_turns_needing_agent() -> None:
    workload = measured().workload
    first_turns = workload.groupby("use_case")["first_turns"].sum().to_dict()

    # sms: c1's first turn; app: c2's handed-off first turn (c3 was contained).
    assert first_turns == {"app": 1, "sms": 1}


def test_window_start_after_log_is_clear() -> None:
    with pytest.raises(InputError, match="after the last event"):
        measure(build_events(ROWS), start="2030-01-01")


def test_window_start_after_end_is_clear() -> None:
    with pytest.raises(InputError, match="swap --start and --end"):
        measure(build_events(ROWS), start="2024-03-05", end="2024-03-04")
