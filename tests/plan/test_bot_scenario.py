"""Tests of bot containment scenarios: residue factors, ramp, workload and summary."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.measure import measure
from asyncwfm.measure.bots import measure_bots
from asyncwfm.plan.bots import (
    BotScenario,
    ResidueDistribution,
    containment_by_day,
    plan_bot_scenario,
    residue_distributions,
    residue_factors,
)
from asyncwfm.plan.requirements import plan_requirements
from asyncwfm.synthetic import generate_log, synthetic_config


def _conversations(use_case: str, seconds: list[float], turns: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "use_case": use_case,
            "active_seconds": seconds,
            "turns_needing_agent": turns,
        }
    )


FOUR = _conversations("chat", [300.0, 100.0, 400.0, 200.0], [2, 1, 2, 1])
"""Four conversations: sorted by seconds they hold 100, 200, 300, 400 s over 1, 1, 2, 2 turns."""


@pytest.fixture
def four() -> ResidueDistribution:
    return residue_distributions(FOUR)["chat"]


def test_distribution_sorted_by_seconds(four: ResidueDistribution) -> None:
    assert four.conversations == 4
    assert list(four.cumulative_seconds) == [0.0, 100.0, 300.0, 600.0, 1000.0]
    assert list(four.cumulative_turns) == [0.0, 1.0, 2.0, 4.0, 6.0]
    assert four.aht_seconds == pytest.approx(1000.0 / 6.0)


def test_aht_is_per_handled_turn() -> None:
    # The 400 s conversation also has an unanswered turn: 2 turns need an agent, 1 handled.
    conversations = _conversations("chat", [100.0, 400.0], [1, 2]).assign(
        agent_turns=[1, 1], handoff_turns=[0, 0]
    )
    distribution = residue_distributions(conversations)["chat"]
    assert distribution.turns == 3.0
    assert distribution.handled_turns == 2.0
    assert distribution.aht_seconds == pytest.approx(250.0)

    factors = residue_factors(distribution, 0.5, selectivity=1.0)
    assert factors.turns[0] == pytest.approx(2 / 3)
    assert factors.handled_turns[0] == pytest.approx(1 / 2)
    assert factors.aht[0] == pytest.approx(400.0 / 250.0)


def test_easiest_first_removes_easiest(four: ResidueDistribution) -> None:
    # Half contained, easiest first: 300 + 400 s over 4 turns remain.
    factors = residue_factors(four, 0.5, selectivity=1.0)
    assert factors.turns[0] == pytest.approx(4 / 6)
    assert factors.active_seconds[0] == pytest.approx(0.7)
    assert factors.conversations[0] == pytest.approx(0.5)
    assert factors.aht[0] == pytest.approx(0.7 / (4 / 6))


def test_random_removal_keeps_aht(four: ResidueDistribution) -> None:
    factors = residue_factors(four, 0.5, selectivity=0.0)
    assert factors.turns[0] == pytest.approx(0.5)
    assert factors.active_seconds[0] == pytest.approx(0.5)
    assert factors.aht[0] == pytest.approx(1.0)


def test_half_selectivity_mixes_rules(four: ResidueDistribution) -> None:
    # Kept share 1 - 0.5 * 0.5 = 0.75 of all, minus half of the easiest half (2 turns, 300 s).
    factors = residue_factors(four, 0.5, selectivity=0.5)
    assert factors.turns[0] == pytest.approx((0.75 * 6 - 0.5 * 2) / 6)
    assert factors.active_seconds[0] == pytest.approx((0.75 * 1000 - 0.5 * 300) / 1000)


def test_fractional_conversation_interpolates(four: ResidueDistribution) -> None:
    # An eighth of four conversations is half of the easiest one: 50 s and half a turn.
    factors = residue_factors(four, 0.125, selectivity=1.0)
    assert factors.active_seconds[0] == pytest.approx(950 / 1000)
    assert factors.turns[0] == pytest.approx(5.5 / 6)


def test_handoff_adds_work_per_residue_conversation(four: ResidueDistribution) -> None:
    # Two residue conversations get 50 s each on their handed-off turn.
    factors = residue_factors(four, 0.5, selectivity=1.0, handoff_seconds=50.0)
    assert factors.active_seconds[0] == pytest.approx(0.8)
    assert factors.aht[0] == pytest.approx(0.8 / (4 / 6))


def test_recontacts_return_removed_work(four: ResidueDistribution) -> None:
    # Half of the two contained conversations (2 turns, 300 s) come back.
    factors = residue_factors(four, 0.5, selectivity=1.0, recontact_rate=0.5)
    assert factors.turns[0] == pytest.approx(5 / 6)
    assert factors.active_seconds[0] == pytest.approx(0.85)
    assert factors.conversations[0] == pytest.approx(0.75)


def test_zero_containment_changes_nothing(four: ResidueDistribution) -> None:
    factors = residue_factors(four, 0.0, selectivity=1.0, handoff_seconds=60, recontact_rate=0.3)
    assert factors.turns[0] == 1.0
    assert factors.active_seconds[0] == 1.0
    assert factors.aht[0] == 1.0


@settings(max_examples=60, deadline=None)
@given(
    seconds=st.lists(st.floats(1.0, 5000.0), min_size=2, max_size=40),
    containment=st.floats(0.0, 0.95),
    selectivity=st.floats(0.0, 1.0),
)
def test_selectivity_orders_residue_work(
    seconds: list[float], containment: float, selectivity: float
) -> None:
    distribution = residue_distributions(
        _conversations("chat", seconds, [1 + int(s) % 4 for s in seconds])
    )["chat"]
    random = residue_factors(distribution, containment, selectivity=0.0)
    mixed = residue_factors(distribution, containment, selectivity=selectivity)
    easiest = residue_factors(distribution, containment, selectivity=1.0)
    assert random.active_seconds[0] == pytest.approx(1 - containment)
    assert random.turns[0] == pytest.approx(1 - containment)
    assert mixed.active_seconds[0] >= random.active_seconds[0] - 1e-9
    assert easiest.active_seconds[0] >= mixed.active_seconds[0] - 1e-9
    assert mixed.conversations[0] == pytest.approx(1 - containment)


def _workload(days: int = 14, timezone: str = "Europe/London") -> pd.DataFrame:
    starts = pd.date_range("2024-03-25", periods=days * 2, freq="12h", tz=timezone)
    rows = []
    for use_case in ("chat", "sms"):
        for start in starts:
            rows.append(
                {
                    "interval_start": start,
                    "use_case": use_case,
                    "turns": 60,
                    "new_conversations": 20,
                    "active_seconds_per_turn": 150.0,
                    "active_seconds": 9000.0,
                    "open_threads": 12.0,
                    "peakedness": 1.3,
                }
            )
    return pd.DataFrame(rows)


CONVERSATIONS = pd.concat([FOUR, _conversations("sms", [50.0, 60.0, 600.0], [1, 1, 3])])


def test_ramp_rises_by_day() -> None:
    workload = _workload()
    scenario = BotScenario(0.4, ramp_weeks=1.0)
    start = workload["interval_start"].min()
    containment = containment_by_day(workload["interval_start"], scenario, start)
    days = (
        workload["interval_start"].dt.tz_localize(None).dt.normalize() - pd.Timestamp("2024-03-25")
    ).dt.days.to_numpy()
    expected = 0.4 * np.minimum(1.0, (days + 1) / 7.0)
    np.testing.assert_allclose(containment, expected)


def test_ramp_days_follow_local_dates_over_dst() -> None:
    # 31 March 2024 is 23 hours long in London; intervals still count calendar days.
    workload = _workload(days=3, timezone="Europe/London")
    scenario = BotScenario(0.7, ramp_weeks=1.0)
    containment = containment_by_day(
        workload["interval_start"], scenario, pd.Timestamp("2024-03-30", tz="Europe/London")
    )
    local_days = workload["interval_start"].dt.day.to_numpy()
    assert (containment[local_days == 25] == 0.0).all()
    assert containment[local_days == 30] == pytest.approx(0.1)
    assert containment[local_days == 31] == pytest.approx(0.2)


def test_scenario_scales_workload() -> None:
    workload = _workload()
    result = plan_bot_scenario(
        workload, CONVERSATIONS, BotScenario(0.5, selectivity=1.0, handoff_seconds=50.0)
    )
    chat = residue_factors(
        residue_distributions(FOUR)["chat"], 0.5, selectivity=1.0, handoff_seconds=50.0
    )
    after = result.workload_after[result.workload_after["use_case"] == "chat"]
    naive = result.workload_naive[result.workload_naive["use_case"] == "chat"]
    np.testing.assert_allclose(after["turns"], 60 * chat.turns[0])
    np.testing.assert_allclose(after["active_seconds_per_turn"], 150.0 * chat.aht[0])
    np.testing.assert_allclose(after["new_conversations"], 20 * 0.5)
    np.testing.assert_allclose(after["open_threads"], 12.0 * 0.5)
    np.testing.assert_allclose(after["peakedness"], 1.3)
    np.testing.assert_allclose(naive["turns"], 30.0)
    np.testing.assert_allclose(naive["active_seconds_per_turn"], 150.0)
    assert (result.workload_after["bot_containment"] == 0.5).all()


def test_summary_compares_naive() -> None:
    workload = _workload()
    result = plan_bot_scenario(workload, CONVERSATIONS, BotScenario(0.5, selectivity=1.0))
    summary = result.summary
    assert summary.status == "ok"
    assert summary.human_turns_before == pytest.approx(workload["turns"].sum())
    assert summary.human_turns_naive == pytest.approx(0.5 * workload["turns"].sum())
    assert summary.active_hours_naive == pytest.approx(0.5 * summary.active_hours_before)
    assert summary.naive_active_hours_reduction == pytest.approx(0.5)
    assert summary.active_hours_after > summary.active_hours_naive
    assert summary.residue_uplift > 0
    assert summary.full_containment_uplift > 0
    assert list(summary.by_use_case["use_case"]) == ["chat", "sms"]


def test_summary_record_is_json_ready() -> None:
    result = plan_bot_scenario(_workload(), CONVERSATIONS, BotScenario(0.5, ramp_weeks=1.0))
    record = result.summary.to_record()
    text = json.dumps(record)
    assert "NaN" not in text
    assert record["status"] == "ok"
    assert record["containment"] == 0.5
    assert [row["use_case"] for row in record["use_cases"]] == ["chat", "sms"]


def test_use_case_subset_keeps_others() -> None:
    workload = _workload()
    result = plan_bot_scenario(workload, CONVERSATIONS, BotScenario(0.5, use_cases=["sms"]))
    chat = result.workload_after[result.workload_after["use_case"] == "chat"]
    np.testing.assert_allclose(chat["turns"], 60.0)
    np.testing.assert_allclose(chat["active_seconds_per_turn"], 150.0)
    row = result.summary.by_use_case.set_index("use_case").loc["chat"]
    assert not row["bot_live"]


def test_later_start_leaves_earlier_intervals() -> None:
    workload = _workload()
    scenario = BotScenario(0.5, start=pd.Timestamp("2024-04-01"))
    result = plan_bot_scenario(workload, CONVERSATIONS, scenario)
    before_start = result.workload_after["interval_start"] < pd.Timestamp(
        "2024-04-01", tz="Europe/London"
    )
    np.testing.assert_allclose(result.workload_after.loc[before_start, "turns"], 60.0)
    assert (result.workload_after.loc[~before_start, "turns"] < 60.0).all()


def test_use_case_without_conversations_is_partial() -> None:
    workload = _workload()
    result = plan_bot_scenario(workload, FOUR, BotScenario(0.5))
    assert result.summary.status == "partial"
    sms = result.workload_after[result.workload_after["use_case"] == "sms"]
    np.testing.assert_allclose(sms["turns"], 30.0)


def test_no_workload_status() -> None:
    workload = _workload().assign(turns=0)
    result = plan_bot_scenario(workload, CONVERSATIONS, BotScenario(0.5))
    assert result.summary.status == "no_workload"
    assert math.isnan(result.summary.residue_uplift)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"containment": 1.0}, "invalid containment"),
        ({"containment": 0.3, "selectivity": -0.1}, "invalid selectivity"),
        ({"containment": 0.3, "ramp_weeks": -1.0}, "invalid ramp_weeks"),
        ({"containment": 0.3, "handoff_seconds": -5.0}, "invalid handoff_seconds"),
        ({"containment": 0.3, "recontact_rate": 1.5}, "invalid recontact_rate"),
    ],
)
def test_invalid_scenario_raises(arguments: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        BotScenario(**arguments)  # type: ignore[arg-type]


def test_unknown_use_case_raises() -> None:
    with pytest.raises(InputError, match="does not have"):
        plan_bot_scenario(_workload(), CONVERSATIONS, BotScenario(0.3, use_cases=["email"]))


def test_missing_workload_column_raises() -> None:
    with pytest.raises(InputError, match="missing columns"):
        plan_bot_scenario(_workload().drop(columns="turns"), CONVERSATIONS, BotScenario(0.3))


def test_naive_interval_start_raises() -> None:
    workload = _workload()
    workload["interval_start"] = workload["interval_start"].dt.tz_localize(None)
    with pytest.raises(InputError, match="timezone-aware"):
        plan_bot_scenario(workload, CONVERSATIONS, BotScenario(0.3))


def test_generated_log_scenario_end_to_end() -> None:
    log = generate_log(np.random.default_rng(), days=7, volume_scale=0.5)
    config = synthetic_config(log)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        measured = measure(log.events, config)
    bots = measure_bots(log.events, measured.turns, measured.conversations)
    scenario = BotScenario(0.3, selectivity=1.0, handoff_seconds=30.0)
    result = plan_bot_scenario(measured.workload, measured.conversations, scenario, bots=bots)

    sources = result.summary.by_use_case.set_index("use_case")["recontact_source"]
    assert sources["sms_delivery"] == "measured"
    assert sources["whatsapp_sales"] == "none"

    after = plan_requirements(result.workload_after, config)["agents"].sum()
    naive = plan_requirements(result.workload_naive, config)["agents"].sum()
    # Handoff work and re-contacts can even push the residue plan above today's.
    assert naive < after
