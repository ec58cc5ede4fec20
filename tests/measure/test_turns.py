"""Customer turns and response times on hand-built conversations."""

from __future__ import annotations

import math

import pandas as pd
from measure_builders import BASE_TIME, build_events

from asyncwfm.config import PlanningConfig
from asyncwfm.measure import assign_use_cases, customer_turns


def turns_of(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    events = assign_use_cases(build_events(rows), PlanningConfig())
    return customer_turns(events)


def test_customer_run_is_one_turn() -> None:
    turns = turns_of(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 30, "customer", None, 10),
            ("c1", 50, "customer", None, 10),
            ("c1", 200, "agent", "a1", 80),
        ]
    )

    assert len(turns) == 1
    assert turns.loc[0, "customer_messages"] == 3
    assert turns.loc[0, "first_message_at"] == BASE_TIME
    assert turns.loc[0, "last_message_at"] == BASE_TIME + pd.Timedelta(seconds=50)


def test_response_time_runs_from_first_message() -> None:
    turns = turns_of(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 50, "customer", None, 10),
            ("c1", 200, "agent", "a1", 80),
        ]
    )

    assert turns.loc[0, "response_seconds"] == 200.0
    assert turns.loc[0, "responder"] == "agent"
    assert turns.loc[0, "agent_id"] == "a1"


def test_every_and_first_turn() -> None:
    turns = turns_of(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 60, "agent", "a1", 80),
            ("c1", 70, "agent", "a1", 80),
            ("c1", 3600, "customer", None, 10),
            ("c1", 3900, "agent", "a2", 80),
        ]
    )

    assert turns["turn_index"].tolist() == [0, 1]
    assert turns["is_first_turn"].tolist() == [True, False]
    assert turns["response_seconds"].tolist() == [60.0, 300.0]
    assert turns["agent_id"].tolist() == ["a1", "a2"]


def test_unanswered_turn_is_kept_apart() -> None:
    turns = turns_of(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 60, "agent", "a1", 80),
            ("c1", 120, "customer", None, 10),
        ]
    )

    assert len(turns) == 2
    last = turns.iloc[1]
    assert not last["answered"]
    assert pd.isna(last["answered_at"])
    assert math.isnan(last["response_seconds"])
    assert pd.isna(last["responder"])


def test_bot_reply_answers_turn() -> None:
    turns = turns_of([("c1", 0, "customer", None, 10), ("c1", 5, "bot", None, 40)])

    assert turns.loc[0, "responder"] == "bot"
    assert turns.loc[0, "response_seconds"] == 5.0


def test_system_note_and_routing_do_not_answer() -> None:
    turns = turns_of(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 10, "system", None, 20),
            ("c1", 20, "agent", "a1", None, {"event_type": "assignment"}),
            ("c1", 30, "agent", "a1", 50, {"event_type": "note"}),
            ("c1", 40, "customer", None, 10),
            ("c1", 100, "agent", "a1", 80),
        ]
    )

    assert len(turns) == 1
    assert turns.loc[0, "customer_messages"] == 2
    assert turns.loc[0, "response_seconds"] == 100.0


def test_agent_message_before_customer_starts_no_turn() -> None:
    turns = turns_of(
        [
            ("c1", 0, "agent", "a1", 80),
            ("c1", 600, "customer", None, 10),
            ("c1", 700, "agent", "a1", 80),
        ]
    )

    assert len(turns) == 1
    assert turns.loc[0, "turn_index"] == 0
    assert turns.loc[0, "response_seconds"] == 100.0


def test_turns_stay_within_conversation() -> None:
    turns = turns_of(
        [
            ("c1", 0, "customer", None, 10),
            ("c2", 10, "agent", "a1", 80),
            ("c2", 20, "customer", None, 10),
            ("c1", 30, "agent", "a1", 80),
        ]
    )

    by_conversation = turns.set_index("conversation_id")
    assert by_conversation.loc["c1", "response_seconds"] == 30.0
    assert not by_conversation.loc["c2", "answered"]


def test_input_order_does_not_matter() -> None:
    rows = [
        ("c1", 0, "customer", None, 10),
        ("c1", 60, "agent", "a1", 80),
        ("c1", 120, "customer", None, 10),
        ("c1", 150, "agent", "a1", 80),
    ]
    forward = turns_of(rows)
    backward = turns_of(rows[::-1])

    pd.testing.assert_series_equal(forward["response_seconds"], backward["response_seconds"])
