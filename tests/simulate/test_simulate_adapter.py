"""The adapter from measure and plan tables, and plan verification and tuning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from asyncwfm.config import config_from_dict
from asyncwfm.errors import InputError
from asyncwfm.simulate import (
    Constant,
    SimulationModel,
    Staffing,
    UseCaseModel,
    model_from_measurement,
    requirements_with_staffing,
    simulate,
    staffing_from_requirements,
    tune_plan,
    verify_plan,
)
from asyncwfm.simulate.run import max_agents_per_pool

# The app use case has a single measured turn, so the adapter falls back on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::asyncwfm.errors.FallbackWarning")

CONFIG = config_from_dict(
    {
        "business_timezone": "Europe/Berlin",
        "interval_minutes": 30,
        "simulation": {"idle_timeout_seconds": 600.0},
        "use_cases": [
            {
                "name": "sms",
                "promise": {"service_level": 0.8, "target_seconds": 300, "response": "every"},
                "concurrency_cap": 3,
                "patience_seconds": 3600,
            },
            {
                "name": "app",
                "promise": {"service_level": 0.9, "target_seconds": 1800, "response": "first"},
                "pool": "sms",
            },
        ],
    }
)


def measured_turns() -> pd.DataFrame:
    """Two sms conversations (agent, agent, bot turns) and one app conversation."""
    t0 = pd.Timestamp("2024-03-30 23:00", tz="UTC")
    rows = [
        # conversation, use case, turn index, first message (s), answered (s), responder, work
        ("a", "sms", 0, 0, 60, "agent", 40.0),
        ("a", "sms", 1, 360, 400, "agent", 20.0),
        ("a", "sms", 2, 500, 510, "bot", 0.0),
        ("b", "sms", 0, 1000, 1100, "agent", 90.0),
        ("c", "app", 0, 2000, 2600, "agent", 120.0),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "conversation_id",
            "use_case",
            "turn_index",
            "first_seconds",
            "answered_seconds",
            "responder",
            "active_seconds",
        ],
    )
    frame["first_message_at"] = t0 + pd.to_timedelta(frame.pop("first_seconds"), unit="s")
    frame["answered_at"] = t0 + pd.to_timedelta(frame.pop("answered_seconds"), unit="s")
    return frame


def workload(turns_per_interval: float = 6.0) -> pd.DataFrame:
    # 2024-03-31 is the spring DST change in Berlin: 02:00 local does not exist.
    starts = pd.date_range("2024-03-31 00:00", periods=8, freq="30min", tz="Europe/Berlin")
    rows = [
        {"interval_start": s, "use_case": name, "turns": turns_per_interval, "aht_seconds": 60.0}
        for name in ("sms", "app")
        for s in starts
    ]
    return pd.DataFrame(rows)


def test_model_reads_turn_contract() -> None:
    model = model_from_measurement(measured_turns(), workload(), CONFIG)
    sms = model.use_cases[model.use_case_index("sms")]

    # Bot turns are left out: conversation a has 2 agent turns, b has 1.
    assert sms.turns_per_conversation.mean == pytest.approx(1.5)
    np.testing.assert_allclose(sms.conversations_per_interval, 6.0 / 1.5)
    assert sms.work_seconds.mean == pytest.approx(50.0)
    # Think time of turn 0 of a: next customer turn at 360, reply at 60.
    assert 300.0 in set(sms.think_seconds.values)
    assert sms.patience is not None
    assert model.pools == ("sms",)
    assert model.idle_timeout_seconds == 600.0


def test_model_grid_spans_dst_change() -> None:
    model = model_from_measurement(measured_turns(), workload(), CONFIG)
    assert model.n_intervals == 8
    assert model.interval_starts is not None
    utc = model.interval_starts.tz_convert("UTC")
    assert (np.diff(utc.asi8) == 1800 * 10**9).all()


def test_model_scales_work_to_interval_aht() -> None:
    table = workload()
    table.loc[table["use_case"] == "sms", "aht_seconds"] = 100.0
    model = model_from_measurement(measured_turns(), table, CONFIG)
    sms = model.use_cases[model.use_case_index("sms")]
    assert sms.work_scale is not None
    np.testing.assert_allclose(sms.work_scale, 2.0)


def test_model_missing_column_raises() -> None:
    with pytest.raises(InputError, match="missing columns"):
        model_from_measurement(measured_turns().drop(columns="responder"), workload(), CONFIG)


def test_model_naive_interval_start_raises() -> None:
    table = workload()
    table["interval_start"] = table["interval_start"].dt.tz_localize(None)
    with pytest.raises(InputError, match="timezone-aware"):
        model_from_measurement(measured_turns(), table, CONFIG)


def test_replay_uses_measured_timelines() -> None:
    table = workload()
    table["interval_start"] = table["interval_start"] - pd.Timedelta(hours=1)
    model = model_from_measurement(measured_turns(), table, CONFIG, replay=True)
    assert model.trace is not None
    np.testing.assert_array_equal(model.trace.turns, [2, 1, 1])
    np.testing.assert_allclose(model.trace.work_seconds, [40.0, 20.0, 90.0, 120.0])


def requirements(agents: int) -> pd.DataFrame:
    table = workload().copy()
    table["agents"] = agents
    return table


def test_staffing_adds_agents_of_shared_pool() -> None:
    model = model_from_measurement(measured_turns(), workload(), CONFIG)
    staffing = staffing_from_requirements(requirements(2), model)
    assert staffing.pools == ("sms",)
    np.testing.assert_array_equal(staffing.agents[0], np.full(8, 4))


def test_pool_staffing_split_back_by_share() -> None:
    model = model_from_measurement(measured_turns(), workload(), CONFIG)
    table = requirements(2)
    table.loc[table["use_case"] == "app", "agents"] = 1
    staffing = Staffing.from_mapping({"sms": np.full(8, 7)})
    split = requirements_with_staffing(table, staffing, model)
    totals = split.groupby("interval_start")["tuned_agents"].sum()
    assert (totals == 7).all()
    assert (split.loc[split["use_case"] == "sms", "tuned_agents"] == 5).all()


def test_verify_flags_understaffed_plan() -> None:
    model = model_from_measurement(measured_turns(), workload(30.0), CONFIG)
    generous = verify_plan(requirements(6), model, replications=5, seed=1)
    starved = verify_plan(requirements(0), model, replications=5, seed=1)

    assert generous.status == "meets"
    assert starved.status == "misses"
    assert "simulated_service_level" in starved.requirements.columns
    assert (starved.requirements["simulated_status"] == "misses").any()


def test_tune_lowers_generous_plan_and_keeps_promise() -> None:
    model = model_from_measurement(measured_turns(), workload(30.0), CONFIG)
    tuned = tune_plan(requirements(8), model, replications=5, seed=2)

    assert tuned.status == "converged"
    assert (
        tuned.staffing.agents.sum()
        < staffing_from_requirements(requirements(8), model).agents.sum()
    )
    check = simulate(model, tuned.staffing, replications=5, seed=2)
    share = check.pooled_attainment()
    levels = np.array([u.service_level for u in model.use_cases])[:, None]
    assert tuned.meets == bool(np.all(np.isnan(share) | (share >= levels)))


def test_tune_raises_starved_plan() -> None:
    model = model_from_measurement(measured_turns(), workload(30.0), CONFIG)
    tuned = tune_plan(requirements(0), model, replications=5, seed=2)
    assert tuned.staffing.agents.sum() > 0
    assert tuned.status in {"converged", "iteration_limit"}


@pytest.mark.parametrize(
    ("value", "expected_text"), [("lots", "'lots'"), (None, "empty"), (-1, "-1"), ("inf", "inf")]
)
def test_staffing_rejects_invalid_agents(value: object, expected_text: str) -> None:
    model = model_from_measurement(measured_turns(), workload(), CONFIG)
    table = requirements(2).astype({"agents": object})
    table.loc[3, "agents"] = value

    with pytest.raises(InputError, match="row 3") as error:
        staffing_from_requirements(table, model)

    assert expected_text in str(error.value)


def test_summary_splits_shared_pool_hours() -> None:
    model = model_from_measurement(measured_turns(), workload(30.0), CONFIG)

    summary = verify_plan(requirements(2), model, replications=5, seed=1).summary

    # sms and app share the pool sms: 2 + 2 agents in 8 half-hour intervals.
    pool_hours = 4 * 8 * 0.5
    assert summary["agent_hours"].sum() == pytest.approx(pool_hours)
    assert (summary["pool_agent_hours"] == pool_hours).all()
    assert (summary["agent_hours"] > 0).all()


def test_summary_hours_follow_busy_time() -> None:
    table = workload(30.0)
    table.loc[table["use_case"] == "app", "turns"] = 3.0
    model = model_from_measurement(measured_turns(), table, CONFIG)

    result = verify_plan(requirements(2), model, replications=5, seed=1)

    # Each interval's 4 pool agents are split by the use cases' busy agents there.
    busy = result.attainment.pivot(index="interval_start", columns="use_case", values="busy_agents")
    assert (busy.sum(axis=1) > 0).all()
    expected = (busy.div(busy.sum(axis=1), axis=0) * 4 * 0.5).sum()
    hours = result.summary.set_index("use_case")["agent_hours"]
    assert hours["sms"] == pytest.approx(expected["sms"])
    assert hours["app"] == pytest.approx(expected["app"])
    assert hours["sms"] > hours["app"]


def test_simulate_rejects_staffing_beyond_load() -> None:
    model = model_from_measurement(measured_turns(), workload(), CONFIG)
    staffing = Staffing.from_mapping({"sms": np.full(8, 5000)})

    with pytest.raises(InputError, match="5000 agents") as error:
        simulate(model, staffing, replications=1, seed=0)

    assert "offered load" in str(error.value)


def test_simulate_accepts_staffing_at_bound() -> None:
    model = model_from_measurement(measured_turns(), workload(), CONFIG)
    bound = int(max_agents_per_pool(model)[0])

    result = simulate(model, Staffing.from_mapping({"sms": np.full(8, bound)}), replications=5)

    assert result.staffing.agents.max() == bound
    # 12 turns of 60 s per half hour are 0.4 Erlangs: 100 x 0.4 + 1000 agents.
    assert bound == 1040


def test_tune_stops_at_agent_bound() -> None:
    # One burst of about 5,000 one-second turns per hour needs about 5,000 agents to
    # answer within 0.5 s, but the load is only 1.4 Erlangs, so the bound is 1,138.
    burst = UseCaseModel(
        name="burst",
        conversations_per_interval=np.full(2, 5000.0),
        turns_per_conversation=Constant(1.0),
        work_seconds=Constant(1.0),
        think_seconds=Constant(0.0),
        target_seconds=0.5,
        service_level=0.99,
        peakedness=np.full(2, 9999.0),
    )
    starts = pd.date_range("2024-03-04 09:00", periods=2, freq="h", tz="UTC")
    model = SimulationModel(interval_seconds=3600.0, use_cases=(burst,), interval_starts=starts)
    table = pd.DataFrame({"interval_start": starts, "use_case": "burst", "agents": 1100})

    tuned = tune_plan(table, model, replications=5, seed=0)

    assert int(max_agents_per_pool(model)[0]) == 1138
    assert tuned.status == "infeasible"
    assert tuned.staffing.agents.max() == 1138
