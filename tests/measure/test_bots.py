"""Tests of bot containment, handoff, residue uplift and re-contacts."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.measure import measure
from asyncwfm.measure.bots import BotMeasurement, measure_bots, wilson_interval
from asyncwfm.schema import EVENT_COLUMNS, with_event_dtypes
from asyncwfm.synthetic import GeneratedLog, generate_log, synthetic_config

START = pd.Timestamp("2024-03-04 09:00:00", tz="UTC")
DAY = 86_400.0
TOLERANCE_Z = 4.0
"""Normal quantile of the statistical checks: a false failure about once in 16,000 runs."""


def _event(
    conversation: str,
    seconds: float,
    sender: str,
    *,
    customer: str | None = None,
    agent: str | None = None,
    handle: float = math.nan,
    event_type: str = "message",
) -> dict[str, object]:
    return {
        "event_key": None,
        "conversation_id": conversation,
        "timestamp": START + pd.Timedelta(seconds=seconds),
        "sender": sender,
        "agent_id": agent,
        "customer_id": customer if sender == "customer" else None,
        "channel": "sms",
        "use_case": "support",
        "event_type": event_type,
        "text_length": 50,
        "handle_seconds": handle,
        "source_file": "built",
        "source_line": None,
    }


def _events(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    frame["event_key"] = [f"e{number}" for number in range(len(frame))]
    frame["source_line"] = range(1, len(frame) + 1)
    return with_event_dtypes(frame)


def _hand_built_events() -> pd.DataFrame:
    """Eight conversations whose bot outcome, turns and work are known by construction."""
    rows = [
        # contained: two bot turns; customer c1 returns two days later with E
        _event("A", 0, "customer", customer="c1"),
        _event("A", 3, "bot"),
        _event("A", 60, "customer", customer="c1"),
        _event("A", 63, "bot"),
        # handed off silently at turn 1, then two agent turns: 120 s + 60 s of work
        _event("B", 100, "customer", customer="c2"),
        _event("B", 103, "bot"),
        _event("B", 200, "customer", customer="c2"),
        _event("B", 203, "bot", event_type="transfer"),
        _event("B", 400, "agent", agent="ann", handle=120.0),
        _event("B", 900, "customer", customer="c2"),
        _event("B", 1000, "agent", agent="ann", handle=60.0),
        # agent-only: two turns of 100 s
        _event("C", 300, "customer", customer="c3"),
        _event("C", 500, "agent", agent="bob", handle=100.0),
        _event("C", 800, "customer", customer="c3"),
        _event("C", 1100, "agent", agent="bob", handle=100.0),
        # handed off after a bot message at turn 1: the agent follows up, 90 s of work
        _event("D", 2000, "customer", customer="c4"),
        _event("D", 2003, "bot"),
        _event("D", 2100, "customer", customer="c4"),
        _event("D", 2103, "bot"),
        _event("D", 2104, "bot", event_type="transfer"),
        _event("D", 2300, "agent", agent="ann", handle=90.0),
        # the re-contact of A: agent-only, one turn of 50 s
        _event("E", 63 + 2 * DAY, "customer", customer="c1"),
        _event("E", 63 + 2 * DAY + 120, "agent", agent="bob", handle=50.0),
        # contained, customer c5 never returns
        _event("F", 3000, "customer", customer="c5"),
        _event("F", 3003, "bot"),
        # contained near the end of the log: its re-contact window is incomplete
        _event("G", 9 * DAY, "customer", customer="c6"),
        _event("G", 9 * DAY + 3, "bot"),
        # agent-only, one handled turn of 30 s, then an unanswered turn: the log's end
        _event("H", 10 * DAY, "customer", customer="c7"),
        _event("H", 10 * DAY + 60, "agent", agent="bob", handle=30.0),
        _event("H", 10 * DAY + 120, "customer", customer="c7"),
    ]
    return _events(rows)


@pytest.fixture(scope="module")
def hand_built() -> BotMeasurement:
    events = _hand_built_events()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        measured = measure(events)
    return measure_bots(events, measured.turns, measured.conversations, recontact_days=7.0)


def test_hand_built_classification(hand_built: BotMeasurement) -> None:
    table = hand_built.conversations.set_index("conversation_id")
    assert sorted(table.index[table["contained"]]) == ["A", "F", "G"]
    assert sorted(table.index[table["handed_off"]]) == ["B", "D"]
    assert sorted(table.index[table["agent_only"]]) == ["C", "E", "H"]
    assert table.loc["B", "handoff_turn"] == 1
    assert table.loc["D", "handoff_turn"] == 1
    assert table.loc["C", "handoff_turn"] == -1


def test_hand_built_containment(hand_built: BotMeasurement) -> None:
    row = hand_built.for_use_case("support")
    assert hand_built.status == "ok"
    assert row["bot_conversations"] == 5
    assert row["contained_conversations"] == 3
    assert row["containment"] == pytest.approx(0.6)
    assert row["containment_of_all"] == pytest.approx(3 / 8)
    assert row["handoff_turn_mean"] == pytest.approx(1.0)


def test_hand_built_residue_uplift(hand_built: BotMeasurement) -> None:
    row = hand_built.for_use_case("support")
    # Handed off: B has 180 s over 2 agent turns, D 90 s over its handoff turn.
    assert row["handed_off_aht_seconds"] == pytest.approx(270.0 / 3)
    # Agent-only: C 200 s over 2 turns, E 50 s and H 30 s over one handled turn each;
    # H's unanswered turn needs an agent but is not a handled turn.
    assert row["agent_only_aht_seconds"] == pytest.approx(280.0 / 4)
    table = hand_built.conversations.set_index("conversation_id")
    assert table.loc["H", "turns_needing_agent"] == 2
    assert table.loc["H", "handled_turns"] == 1
    assert row["residue_uplift"] == pytest.approx((270.0 / 3) / (280.0 / 4) - 1)
    assert row["residue_uplift_se"] > 0


def test_hand_built_recontacts(hand_built: BotMeasurement) -> None:
    table = hand_built.conversations.set_index("conversation_id")
    assert bool(table.loc["A", "recontacted"])
    assert not bool(table.loc["F", "recontacted"])
    assert not bool(table.loc["G", "recontact_eligible"])
    row = hand_built.for_use_case("support")
    assert row["recontact_eligible"] == 2
    assert row["recontacts"] == 1
    assert row["recontact_rate"] == pytest.approx(0.5)


def test_recontact_outside_window_not_counted() -> None:
    events = _hand_built_events()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        measured = measure(events)
    result = measure_bots(events, measured.turns, measured.conversations, recontact_days=1.0)
    assert not bool(result.conversations.set_index("conversation_id").loc["A", "recontacted"])


def test_log_without_bot() -> None:
    events = _hand_built_events()
    events = events[events["conversation_id"].isin(["C", "E", "H"])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        measured = measure(events)
    result = measure_bots(events, measured.turns, measured.conversations)
    row = result.for_use_case("support")
    assert result.status == "no_bot"
    assert row["containment"] == 0.0
    assert math.isnan(row["residue_uplift"])


def test_missing_columns_raise() -> None:
    with pytest.raises(InputError, match="missing columns"):
        measure_bots(
            _hand_built_events(),
            pd.DataFrame({"conversation_id": ["A"]}),
            pd.DataFrame({"conversation_id": ["A"]}),
        )


def test_unknown_use_case_raises(hand_built: BotMeasurement) -> None:
    with pytest.raises(InputError, match="not measured"):
        hand_built.for_use_case("nope")


def test_wilson_interval_without_trials() -> None:
    low, high = wilson_interval(0, 0)
    assert math.isnan(low)
    assert math.isnan(high)


@pytest.fixture(scope="module")
def generated() -> tuple[GeneratedLog, BotMeasurement]:
    log = generate_log(np.random.default_rng(), days=21)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        measured = measure(log.events, synthetic_config(log))
    return log, measure_bots(log.events, measured.turns, measured.conversations)


BOT_USE_CASES = ("sms_delivery", "in_app_account")


@pytest.mark.parametrize("use_case", BOT_USE_CASES)
def test_containment_matches_generated(
    generated: tuple[GeneratedLog, BotMeasurement], use_case: str
) -> None:
    log, result = generated
    row = result.for_use_case(use_case)
    expected = log.truth[use_case].containment
    tolerance = TOLERANCE_Z * math.sqrt(expected * (1 - expected) / row["bot_conversations"])
    assert abs(row["containment"] - expected) <= tolerance


@pytest.mark.parametrize("use_case", BOT_USE_CASES)
def test_residue_uplift_matches_generated(
    generated: tuple[GeneratedLog, BotMeasurement], use_case: str
) -> None:
    log, result = generated
    row = result.for_use_case(use_case)
    expected = log.truth[use_case].residue_uplift
    assert row["residue_uplift_se"] < 0.06
    assert abs(row["residue_uplift"] - expected) <= TOLERANCE_Z * row["residue_uplift_se"]


@pytest.mark.parametrize("use_case", BOT_USE_CASES)
def test_handoff_turn_matches_generated(
    generated: tuple[GeneratedLog, BotMeasurement], use_case: str
) -> None:
    log, result = generated
    turns = result.conversations
    turns = turns[(turns["use_case"] == use_case) & turns["handed_off"]]["handoff_turn"]
    expected = log.truth[use_case].handoff_turn_mean
    tolerance = TOLERANCE_Z * turns.std() / math.sqrt(len(turns))
    assert abs(turns.mean() - expected) <= tolerance


@pytest.mark.parametrize("use_case", BOT_USE_CASES)
def test_recontact_rate_matches_generated(
    generated: tuple[GeneratedLog, BotMeasurement], use_case: str
) -> None:
    log, result = generated
    row = result.for_use_case(use_case)
    expected = log.truth[use_case].recontact_rate
    tolerance = TOLERANCE_Z * math.sqrt(expected * (1 - expected) / row["recontact_eligible"])
    assert abs(row["recontact_rate"] - expected) <= tolerance


def test_use_case_without_bot_in_generated(
    generated: tuple[GeneratedLog, BotMeasurement],
) -> None:
    _, result = generated
    row = result.for_use_case("whatsapp_sales")
    assert row["bot_conversations"] == 0
    assert row["containment"] == 0.0
    assert math.isnan(row["residue_uplift"])
