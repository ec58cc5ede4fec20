"""Tests of the requirements table: Erlang C per use case and interval, promises, hours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from asyncwfm.config import PlanningConfig, Promise, UseCaseConfig
from asyncwfm.plan.contrast import overstaffing_table, session_length_requirements
from asyncwfm.plan.requirements import (
    UseCaseProfile,
    carry_closed_turns,
    credible_aht,
    minimal_agents,
    plan_requirements,
    promise_service_level,
)


def _workload(
    turns: list[float], aht_seconds: float, use_case: str = "sms", start: str = "2024-03-04 08:00"
) -> pd.DataFrame:
    starts = pd.date_range(
        pd.Timestamp(start, tz="Europe/London"), periods=len(turns), freq="30min"
    )
    return pd.DataFrame(
        {
            "interval_start": starts,
            "use_case": use_case,
            "turns": turns,
            "new_conversations": turns,
            "active_seconds_per_turn": [aht_seconds if t > 0 else np.nan for t in turns],
        }
    )


def _config(**overrides: object) -> PlanningConfig:
    settings: dict[str, object] = {
        "business_timezone": "Europe/London",
        "interval_minutes": 30,
        "shrinkage": 0.0,
        "max_occupancy": None,
        "use_cases": [
            UseCaseConfig(
                name="sms", promise=Promise(service_level=0.8, target_seconds=20, response="every")
            )
        ],
    }
    settings.update(overrides)
    return PlanningConfig.model_validate(settings)


def test_requirements_match_published_erlang_c_example() -> None:
    # Published example: 100 calls in 30 minutes, AHT 180 s, 80% answered in 20 s needs
    # 14 agents, with a service level of 0.8884. Values from the README of the CRAN
    # package ErlangC 0.1.0, https://stat.ethz.ch/CRAN/web/packages/ErlangC/readme/README.html
    requirements = plan_requirements(_workload([100.0], 180.0), _config())

    row = requirements.iloc[0]
    assert row["agents"] == 14
    assert row["workload_erlangs"] == pytest.approx(10.0)
    assert row["expected_service_level"] == pytest.approx(0.8884, abs=5e-4)


def test_requirements_add_shrinkage_and_occupancy_cap() -> None:
    config = _config(shrinkage=0.3, max_occupancy=0.6)

    requirements = plan_requirements(_workload([100.0], 180.0), config)

    row = requirements.iloc[0]
    assert row["agents"] == 17  # ceil(10 Erlangs / 0.6): the cap binds above the 14 of Erlang C
    assert row["scheduled_agents"] == 25  # ceil(17 / 0.7)


def test_requirements_zero_turns_need_no_agents() -> None:
    requirements = plan_requirements(_workload([0.0, 50.0, 0.0], 180.0), _config())

    assert requirements["agents"].tolist()[0] == 0
    assert requirements["agents"].tolist()[2] == 0
    assert requirements["agents"].tolist()[1] > 0


def test_first_response_priority_matches_published_mean_wait() -> None:
    # M/M/1 with two non-preemptive priority classes and equal service rates:
    # lambda_H = 1/h, lambda_L = 9/h, mu = 12/h. The expected time in system of the
    # high-priority class is 0.15909 h, i.e. a mean wait of 0.0758 h (worked example
    # "M/M/1 Queue with Two Priority Classes", after Prabhu 1981, Table 4.4; public
    # excerpt in the Nemotron-CC-Math-v1 data set on huggingface.co).
    aht_seconds = 300.0
    load = np.array([10.0 / 12.0])
    first_load = np.array([1.0 / 12.0])

    def late_share(wait_seconds: float) -> float:
        at_wait = Promise(
            service_level=0.8, target_seconds=max(wait_seconds, 1e-9), response="first"
        )
        level = promise_service_level(
            np.array([1.0]), load, first_load, np.array([aht_seconds]), at_wait
        )
        return float(1.0 - level[0])

    mean_wait_seconds, _ = integrate.quad(late_share, 0.0, np.inf)
    assert mean_wait_seconds / 3600.0 == pytest.approx(0.0758, abs=5e-5)
    assert mean_wait_seconds / 3600.0 + 1.0 / 12.0 == pytest.approx(0.15909, abs=5e-5)


def test_first_response_equals_every_when_all_turns_are_first() -> None:
    load = np.array([4.0, 8.0, 15.0])
    aht = np.full(3, 240.0)
    every = Promise(service_level=0.8, target_seconds=60, response="every")
    first = Promise(service_level=0.8, target_seconds=60, response="first")

    agents_every = minimal_agents(load, load, aht, every, None)
    agents_first = minimal_agents(load, load, aht, first, None)

    assert agents_first.tolist() == agents_every.tolist()


def test_first_response_needs_no_more_agents_than_every() -> None:
    load = np.array([4.0, 8.0, 15.0, 40.0])
    first_load = load * 0.3
    aht = np.full(4, 240.0)

    agents_every = minimal_agents(
        load, load, aht, Promise(target_seconds=60, response="every"), None
    )
    agents_first = minimal_agents(
        load, first_load, aht, Promise(target_seconds=60, response="first"), None
    )

    assert np.all(agents_first <= agents_every)
    assert np.all(agents_first > load)


def test_promise_service_level_is_zero_when_unstable() -> None:
    level = promise_service_level(
        np.array([5.0]), np.array([5.0]), np.array([5.0]), np.array([120.0]), Promise()
    )

    assert level.tolist() == [0.0]


def test_carry_closed_turns_moves_night_turns_to_opening() -> None:
    turns = np.array([3.0, 2.0, 5.0, 1.0, 4.0])
    is_open = np.array([False, False, True, True, False])

    carried, left_over = carry_closed_turns(turns, is_open)

    assert carried.tolist() == [0.0, 0.0, 10.0, 1.0, 0.0]
    assert left_over == 4.0


def test_requirements_close_outside_opening_hours() -> None:
    config = _config(opening_hours={"default": ["09:00-17:00"]})
    workload = _workload([10.0, 10.0, 10.0], 180.0, start="2024-03-04 08:00")

    requirements = plan_requirements(workload, config)

    assert requirements["is_open"].tolist() == [False, False, True]
    assert requirements["agents"].tolist()[:2] == [0, 0]
    assert requirements["turns"].tolist()[2] == 30.0


def test_credible_aht_weights_by_volume() -> None:
    blended = credible_aht(
        np.array([0.0, 10.0, 1000.0]), np.array([np.nan, 300.0, 300.0]), 100.0, 10.0
    )

    assert blended[0] == pytest.approx(100.0)
    assert blended[1] == pytest.approx(200.0)
    assert blended[2] == pytest.approx((1000 * 300 + 10 * 100) / 1010)


def test_session_length_plan_overstaffs() -> None:
    workload = _workload([20.0], 120.0)
    workload["session_seconds_per_conversation"] = 2 * 3600.0
    config = _config()

    real = plan_requirements(workload, config)
    naive = session_length_requirements(workload, config)
    table = overstaffing_table(real, naive, config.interval_minutes).set_index("use_case")

    # 20 conversations of 2 hours each offer 80 Erlangs in a 30-minute interval.
    assert naive["workload_erlangs"].iloc[0] == pytest.approx(80.0)
    assert naive["agents"].iloc[0] > 80
    assert table.at["total", "overstaffing_factor"] > 20


def test_slowdown_curve_adds_agents() -> None:
    workload = _workload([200.0, 200.0], 180.0)
    workload["new_conversations"] = 200.0
    profile_kernel = np.array([0.5, 1.0, 1.0, 0.5])
    base = UseCaseConfig(
        name="sms", promise=Promise(service_level=0.8, target_seconds=60), concurrency_cap=4
    )
    slowed = base.model_copy(
        update={"slowdown_threads": [1.0, 4.0], "slowdown_factors": [1.0, 1.6]}
    )
    flat = base.model_copy(update={"slowdown_threads": [1.0, 4.0], "slowdown_factors": [1.0, 1.0]})
    profiles = {"sms": UseCaseProfile("sms", 180.0, 1.0, profile_kernel)}

    plain = plan_requirements(workload, _config(use_cases=[base]), profiles)
    with_flat = plan_requirements(workload, _config(use_cases=[flat]), profiles)
    with_slow = plan_requirements(workload, _config(use_cases=[slowed]), profiles)

    # A flat curve changes nothing; a curve that slows work with more threads needs more
    # agents for the same turns, because each agent then holds fewer threads.
    assert with_flat["work_agents"].tolist() == plain["work_agents"].tolist()
    assert (with_slow["work_agents"] > plain["work_agents"]).all()
    assert (with_slow["expected_service_level"] >= 0.8 - 1e-9).all()
