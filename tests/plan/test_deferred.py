"""Tests of the deferred-promise plan (backlog against deadlines, solved with HiGHS)."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

from asyncwfm.errors import InputError
from asyncwfm.plan.deferred import DeferredPlan, deadline_intervals, plan_deferred

HOUR = 3_600.0


def assert_deadlines_met(plan: DeferredPlan, work: np.ndarray, deadline: np.ndarray) -> None:
    """Check the plan's own curves: work is done after it arrives and before it is due."""
    assert plan.processed_seconds is not None
    assert plan.backlog_seconds is not None
    done = np.cumsum(plan.processed_seconds)
    arrived = np.cumsum(work)
    due = np.array([work[deadline <= index].sum() for index in range(work.size)])
    assert np.all(done <= arrived + 1e-6)
    assert np.all(done >= due - 1e-6)
    assert np.allclose(plan.backlog_seconds, arrived - done, atol=1e-6)


def test_single_batch_needs_its_work_in_agent_hours() -> None:
    # Two agent-hours arrive in the first of four open hours, due at the end of the fourth.
    work = np.array([2 * HOUR, 0.0, 0.0, 0.0])
    deadline = np.array([3, 3, 3, 3])
    plan = plan_deferred(work, deadline, np.ones(4, dtype=bool), 60, "agent_hours")
    assert plan.status == "optimal"
    assert plan.agent_hours == pytest.approx(2.0)
    assert plan.backlog_seconds is not None
    assert plan.agents is not None
    # Of the equally cheap profiles the plan takes a smooth one: one agent for two
    # hours rather than two agents in the first hour.
    assert plan.agents.max() == pytest.approx(1.0)
    assert_deadlines_met(plan, work, deadline)


def test_single_batch_constant_staffing() -> None:
    work = np.array([2 * HOUR, 0.0, 0.0, 0.0])
    deadline = np.array([3, 3, 3, 3])
    whole = plan_deferred(work, deadline, np.ones(4, dtype=bool), 60, "constant")
    assert whole.agents is not None
    assert list(whole.agents) == [1.0, 1.0, 1.0, 1.0]
    fractional = plan_deferred(
        work, deadline, np.ones(4, dtype=bool), 60, "constant", integer_agents=False
    )
    assert fractional.agents is not None
    assert np.allclose(fractional.agents, 0.5)


def test_tight_rolling_deadlines() -> None:
    # One agent-hour arrives each hour and is due by the end of the next hour. The
    # fourth hour's work is due after the horizon, so 3 agent-hours are due inside it:
    # the cumulative constraint at hour 4 gives a constant of 3/4 agent.
    work = np.full(4, HOUR)
    deadline = np.array([1, 2, 3, 4])
    is_open = np.ones(4, dtype=bool)

    constant = plan_deferred(work, deadline, is_open, 60, "constant", integer_agents=False)
    assert constant.agents is not None
    assert np.allclose(constant.agents, 0.75)
    assert_deadlines_met(constant, work, deadline)

    hours = plan_deferred(work, deadline, is_open, 60, "agent_hours", integer_agents=False)
    assert hours.agent_hours == pytest.approx(3.0)

    whole = plan_deferred(work, deadline, is_open, 60, "agent_hours")
    assert whole.agent_hours == pytest.approx(3.0)
    assert_deadlines_met(whole, work, deadline)


def test_deadline_in_closed_hours_is_infeasible() -> None:
    # Work arrives at hour 2, after closing, and is due at the end of hour 3, still
    # closed: no staffing can answer it.
    work = np.array([HOUR, HOUR, HOUR, 0.0, 0.0])
    deadline = np.array([1, 2, 3, 4, 4])
    is_open = np.array([True, True, False, False, True])
    plan = plan_deferred(work, deadline, is_open, 60)
    assert plan.status == "infeasible"
    assert plan.infeasible_intervals == (2,)
    assert plan.agents is None
    assert "no open interval" in plan.message


def test_agent_cap_makes_plan_infeasible() -> None:
    work = np.array([3 * HOUR, 0.0])
    plan = plan_deferred(work, [0, 1], [True, True], 60, max_agents=2)
    assert plan.status == "infeasible"
    assert plan.backlog_seconds is None


def test_blended_pool_uses_idle_time_first() -> None:
    # Three immediate agents carry 2 and 2.5 Erlangs, leaving 1 and 0.5 agent-hours.
    immediate = np.array([3.0, 3.0])
    load = np.array([2.0, 2.5])
    is_open = np.ones(2, dtype=bool)

    fits = plan_deferred(
        [1.5 * HOUR, 0.0],
        [1, 1],
        is_open,
        60,
        immediate_agents=immediate,
        immediate_load_erlangs=load,
    )
    assert fits.deferred_agents is not None
    assert list(fits.deferred_agents) == [0.0, 0.0]

    overflows = plan_deferred(
        [2 * HOUR, 0.0],
        [1, 1],
        is_open,
        60,
        immediate_agents=immediate,
        immediate_load_erlangs=load,
    )
    assert overflows.deferred_agents is not None
    assert overflows.deferred_agents.sum() == 1.0
    assert overflows.agent_hours == pytest.approx(7.0)


def test_occupancy_cap_shrinks_capacity() -> None:
    # At 80 % occupancy an agent-hour carries 0.8 hours of work: 4 hours need 5 agents.
    plan = plan_deferred([4 * HOUR], [0], [True], 60, max_occupancy=0.8)
    assert plan.agents is not None
    assert plan.agents[0] == 5.0


def test_calendar_deadlines_count_closed_hours() -> None:
    starts = pd.date_range("2024-03-04 06:00", periods=16, freq="30min", tz="Europe/Berlin")
    is_open = (starts.hour >= 8) & (starts.hour < 12)
    deadline = deadline_intervals(starts, 30, is_open, target_seconds=2 * HOUR)
    assert list(deadline[:3]) == [3, 4, 5]


def test_business_hours_deadlines_skip_closed_hours() -> None:
    starts = pd.date_range("2024-03-04 06:00", periods=16, freq="30min", tz="Europe/Berlin")
    is_open = (starts.hour >= 8) & (starts.hour < 12)
    deadline = deadline_intervals(
        starts, 30, is_open, target_seconds=2 * HOUR, clock="business_hours"
    )
    # Opening is interval 4 (08:00): turns from 06:00 get the first four open intervals.
    assert list(deadline[:5]) == [7, 7, 7, 7, 7]
    assert deadline[5] == 8
    # Interval 9 (10:30) would need open time up to 12:30, past the horizon's last
    # open interval (index 11), so it has no deadline inside the horizon.
    assert deadline[9] == 16


def test_same_business_day_deadlines() -> None:
    starts = pd.date_range("2024-03-04 16:00", periods=36, freq="60min", tz="America/New_York")
    is_open = (starts.hour >= 9) & (starts.hour < 18)
    deadline = deadline_intervals(starts, 60, is_open, same_business_day=True)
    # 16:00 and 17:00 on Monday are due by 17:00 (index 1). From 18:00 Monday to
    # 08:00 Tuesday turns are due by Tuesday 17:00 (index 25).
    assert list(deadline[:2]) == [1, 1]
    assert deadline[2] == 25
    assert deadline[16] == 25
    assert deadline[17] == 25


def test_invalid_deadline_is_rejected() -> None:
    with pytest.raises(InputError, match="must not precede its interval"):
        plan_deferred([HOUR, HOUR], [0, 0], [True, True], 60)
    with pytest.raises(InputError, match=re.escape("one value per interval (2)")):
        plan_deferred([HOUR, HOUR], [1, 1], [True, True, True], 60)
    with pytest.raises(InputError, match="either target_seconds or same_business_day"):
        deadline_intervals(pd.date_range("2024-03-04", periods=2, freq="h", tz="UTC"), 60, [1, 1])


def test_week_of_half_hours_solves_quickly() -> None:
    starts = pd.date_range("2024-03-04", periods=336, freq="30min", tz="Europe/Berlin")
    is_open = (starts.hour >= 8) & (starts.hour < 20)
    rng = np.random.default_rng(11)
    work = np.where(is_open, rng.uniform(0.0, 20_000.0, 336), rng.uniform(0.0, 3_000.0, 336))
    for deadline in (
        deadline_intervals(starts, 30, is_open, target_seconds=4 * HOUR, clock="business_hours"),
        deadline_intervals(starts, 30, is_open, same_business_day=True),
    ):
        started = time.perf_counter()
        plan = plan_deferred(work, deadline, is_open, 30, "agent_hours")
        assert time.perf_counter() - started < 10.0
        assert plan.status == "optimal"
        assert_deadlines_met(plan, work, deadline)
        relaxed = plan_deferred(work, deadline, is_open, 30, "agent_hours", integer_agents=False)
        assert relaxed.agent_hours is not None
        assert plan.agent_hours is not None
        # Whole agents cost at most one agent per open interval more than fractional ones.
        assert relaxed.agent_hours <= plan.agent_hours <= relaxed.agent_hours + is_open.sum() * 0.5
