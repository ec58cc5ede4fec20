"""Thread hold time: pick-up to last work plus the idle timeout, merged across turns."""

from __future__ import annotations

import pytest
from measure_builders import build_events

from asyncwfm.config import HandlingConfig, PlanningConfig, SimulationConfig
from asyncwfm.measure import Measurement, measure

TIMEOUT = 1800.0
CONFIG = PlanningConfig(
    simulation=SimulationConfig(idle_timeout_seconds=TIMEOUT),
    handling=HandlingConfig(read_seconds=60.0, seconds_per_character=0.0),
)


def measured(rows: list[tuple[object, ...]]) -> Measurement:
    return measure(build_events(rows), CONFIG, start="2024-03-04", end="2024-03-06")


def test_single_turn_hold() -> None:
    # Work 540-600 s, then the thread stays with the agent for the timeout.
    result = measured([("c1", 0, "customer", None, 10), ("c1", 600, "agent", "a1", 10)])

    assert result.turns.loc[0, "thread_hold_seconds"] == 60 + TIMEOUT
    assert result.conversations.loc[0, "thread_hold_seconds"] == 60 + TIMEOUT


def test_turn_within_timeout_continues_hold() -> None:
    # Turn 1 arrives 1000 s after the reply, inside the timeout: no release.
    result = measured(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 600, "agent", "a1", 10),
            ("c1", 1600, "customer", None, 10),
            ("c1", 2000, "agent", "a1", 10),
        ]
    )

    assert result.turns["thread_hold_seconds"].tolist() == [60 + TIMEOUT, 1400.0]
    assert result.conversations.loc[0, "thread_hold_seconds"] == (2000 + TIMEOUT) - 540


def test_turn_after_timeout_starts_new_hold() -> None:
    result = measured(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 600, "agent", "a1", 10),
            ("c1", 10_000, "customer", None, 10),
            ("c1", 10_300, "agent", "a1", 10),
        ]
    )

    assert result.turns["thread_hold_seconds"].tolist() == [60 + TIMEOUT, 60 + TIMEOUT]


def test_bot_and_unanswered_turns_add_no_hold() -> None:
    result = measured(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 2, "bot", None, 10),
            ("c2", 0, "customer", None, 10),
        ]
    )

    assert result.turns["thread_hold_seconds"].tolist() == [0.0, 0.0]


def test_hold_shorter_than_session() -> None:
    day = 86_400
    result = measured(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 600, "agent", "a1", 10),
            ("c1", day, "customer", None, 10),
            ("c1", day + 600, "agent", "a1", 10),
        ]
    )
    conversation = result.conversations.iloc[0]

    assert conversation["thread_hold_seconds"] == pytest.approx(2 * (60 + TIMEOUT))
    assert conversation["session_seconds"] == day + 600
    assert conversation["active_seconds"] == 120.0
