"""Tests of the Erlang B and Erlang C staffing functions."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_queues import (
    erlang_b_recursion,
    erlang_c_reference,
    service_level_reference,
    smallest_agents_by_scan,
)

from asyncwfm.errors import InputError, UnstableQueueError
from asyncwfm.plan.erlang import (
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    is_stable,
    minimal_stable_agents,
    occupancy,
    offered_load_erlangs,
    plan_erlang_c_interval,
    required_agents,
    scheduled_agents,
    service_level,
)

# Published example: 100 calls in 30 minutes, AHT 180 s, target 20 s. Values from the
# README of the CRAN package ErlangC 0.1.0 (erlang_c() and calculate_agents() examples),
# https://stat.ethz.ch/CRAN/web/packages/ErlangC/readme/README.html
PUBLISHED_LOAD = 10.0
PUBLISHED_AHT_SECONDS = 180.0
PUBLISHED_TARGET_SECONDS = 20.0


def test_offered_load_of_published_example() -> None:
    assert offered_load_erlangs(100, 180, 30) == pytest.approx(PUBLISHED_LOAD)


def test_published_example_with_14_agents() -> None:
    args = (14, PUBLISHED_LOAD)
    assert erlang_c(*args) == pytest.approx(0.1741319, abs=5e-8)
    assert service_level(*args, PUBLISHED_AHT_SECONDS, PUBLISHED_TARGET_SECONDS) == pytest.approx(
        0.88835, abs=5e-6
    )
    assert average_speed_of_answer(*args, PUBLISHED_AHT_SECONDS) == pytest.approx(
        7.83593701177724, rel=1e-12
    )
    assert occupancy(*args) == pytest.approx(0.7142857, abs=5e-8)


def test_published_example_with_11_agents() -> None:
    assert erlang_c(11, PUBLISHED_LOAD) == pytest.approx(0.6821182, abs=5e-8)
    level = service_level(11, PUBLISHED_LOAD, PUBLISHED_AHT_SECONDS, PUBLISHED_TARGET_SECONDS)
    assert level == pytest.approx(0.3896138, abs=5e-8)


def test_published_example_needs_14_agents() -> None:
    plan = plan_erlang_c_interval(100, 30, 180, 20, 0.8, max_occupancy=0.85, shrinkage=0.3)
    assert plan.agents == 14
    assert plan.wait_probability == pytest.approx(0.1741319, abs=5e-8)
    assert plan.service_level == pytest.approx(0.88835, abs=5e-6)
    assert plan.scheduled_agents == 20
    assert plan.binding == "service_level"


@pytest.mark.parametrize(
    ("servers", "load"),
    [(1, 0.5), (5, 3.2), (14, 10.0), (60, 55.5), (250, 240.0), (2100, 2000.0), (5200, 5000.0)],
)
def test_erlang_b_matches_recursion(servers: int, load: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(erlang_b_recursion(servers, load), rel=1e-10)


@pytest.mark.parametrize(
    ("servers", "load"), [(3, 10.0), (100, 2000.0), (1000, 5000.0), (4000, 5000.0), (10, 10.0)]
)
def test_erlang_b_below_load_matches_recursion(servers: int, load: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(erlang_b_recursion(servers, load), rel=1e-10)


def test_erlang_b_edge_values() -> None:
    assert erlang_b(0, 5.0) == 1.0
    assert erlang_b(3, 0.0) == 0.0
    assert erlang_b(1, 2.0) == pytest.approx(2.0 / 3.0)


def test_erlang_b_real_servers_lie_between_integers() -> None:
    whole = erlang_b([40.0, 41.0], 38.0)
    between = erlang_b(40.5, 38.0)
    assert whole[1] < between < whole[0]


@pytest.mark.parametrize(
    ("servers", "load"), [(14, 10.0), (11, 10.0), (101, 100.0), (2100, 2000.0), (5150, 5000.0)]
)
def test_erlang_c_matches_recursion(servers: int, load: float) -> None:
    assert erlang_c(servers, load) == pytest.approx(erlang_c_reference(servers, load), rel=1e-10)


def test_large_loads_stay_finite_and_fast() -> None:
    loads = np.array([2_000.0, 5_000.0, 20_000.0, 100_000.0])
    started = time.perf_counter()
    agents = required_agents(loads, 240.0, 30.0, 0.8)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert np.all(agents > loads)
    # Square-root staffing: the safety margin over the load grows like sqrt(A).
    margin = (agents - loads) / np.sqrt(loads)
    assert np.all((margin > 0.0) & (margin < 3.0))
    levels = service_level(agents, loads, 240.0, 30.0)
    assert np.all(levels >= 0.8)
    assert np.all(service_level(agents - 1, loads, 240.0, 30.0) < 0.8)


def test_required_agents_over_a_week_is_fast() -> None:
    rng = np.random.default_rng(20240601)
    loads = rng.uniform(0.0, 5_000.0, size=672)
    started = time.perf_counter()
    agents = required_agents(loads, 300.0, 60.0, 0.8, max_occupancy=0.95)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert agents.shape == (672,)


@pytest.mark.parametrize("load", [0.3, 2.5, 9.99, 10.0, 10.01, 10.99, 37.4])
@pytest.mark.parametrize("target_seconds", [20.0, 300.0, 3_600.0, 4 * 3_600.0])
def test_required_agents_match_a_scan(load: float, target_seconds: float) -> None:
    expected = smallest_agents_by_scan(load, 180.0, target_seconds, 0.8)
    assert required_agents(load, 180.0, target_seconds, 0.8) == expected


@pytest.mark.parametrize(("load", "expected"), [(10.0, 11), (10.3, 11), (9.9, 10), (0.2, 1)])
def test_hours_target_needs_only_stability(load: float, expected: int) -> None:
    assert required_agents(load, 180.0, 8 * 3_600.0, 0.8) == expected
    assert minimal_stable_agents(load) == expected


def test_near_integer_load_adds_agent() -> None:
    # With 10.99 Erlangs, 11 agents leave a margin of 0.01 Erlang: a waiting turn's wait
    # decays at rate 0.01/AHT, so even a 4-hour target is met by far fewer than 80 %.
    assert service_level_reference(11, 10.99, 180.0, 14_400.0) < 0.8
    assert required_agents(10.99, 180.0, 14_400.0, 0.8) == 12


def test_zero_load_needs_no_agents() -> None:
    assert required_agents(0.0, 180.0, 20.0, 0.8, max_occupancy=0.85) == 0
    assert erlang_c(0, 0.0) == 0.0
    assert service_level(0, 0.0, 180.0, 20.0) == 1.0
    assert average_speed_of_answer(0, 0.0, 180.0) == 0.0
    assert occupancy(0, 0.0) == 0.0
    plan = plan_erlang_c_interval(0, 30, 180, 20, 0.8)
    assert plan.agents == 0
    assert plan.binding == "no_load"


def test_required_agents_keeps_array_shape() -> None:
    loads = np.array([[0.0, 10.0], [2.5, 100.0]])
    agents = required_agents(loads, 180.0, 20.0, 0.8)
    assert agents.shape == (2, 2)
    assert agents[0, 0] == 0
    assert agents[0, 1] == 14


def test_occupancy_cap_binds() -> None:
    # 80 % within an hour needs only 11 agents for 10 Erlangs, but a 0.7 cap needs 15.
    assert required_agents(10.0, 180.0, 3_600.0, 0.8) == 11
    assert required_agents(10.0, 180.0, 3_600.0, 0.8, max_occupancy=0.7) == 15
    plan = plan_erlang_c_interval(100, 30, 180, 3_600, 0.8, max_occupancy=0.7)
    assert plan.binding == "occupancy"


def test_occupancy_cap_tolerates_rounding() -> None:
    # 8.5 / 0.85 is 10.000000000000002 in floating point; the cap allows 10 agents.
    assert required_agents(8.5, 180.0, 36_000.0, 0.5, max_occupancy=0.85) == 10


def test_stability_binding_for_long_targets() -> None:
    plan = plan_erlang_c_interval(100, 30, 180, 4 * 3_600, 0.8)
    assert plan.agents == 11
    assert plan.binding == "stability"


def test_scheduled_agents_rounds_up_shrinkage() -> None:
    assert scheduled_agents(7, 0.3) == 10
    assert scheduled_agents(14, 0.3) == 20
    assert scheduled_agents(0, 0.3) == 0
    assert scheduled_agents(10, 0.0) == 10
    assert list(scheduled_agents([1, 2, 3], 0.5)) == [2, 4, 6]


def test_unstable_queue_is_explicit() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(9, 10.0) == 1.0
    assert service_level(9, 10.0, 180.0, 20.0) == 0.0
    assert occupancy(9, 10.0) == 1.0
    assert list(is_stable([9, 10, 11], 10.0)) == [False, False, True]
    with pytest.raises(UnstableQueueError, match="index 1"):
        average_speed_of_answer([11, 10], 10.0, 180.0)


def test_invalid_inputs_name_the_value() -> None:
    with pytest.raises(
        InputError, match=re.escape("load_erlangs must be >= 0.0, got -1.0 at index 1")
    ):
        required_agents([1.0, -1.0], 180.0, 20.0, 0.8)
    with pytest.raises(InputError, match="aht_seconds must be finite, got nan"):
        required_agents(1.0, math.nan, 20.0, 0.8)
    with pytest.raises(InputError, match="target_service_level must be below 1"):
        required_agents(1.0, 180.0, 20.0, 1.0)
    with pytest.raises(InputError, match=re.escape("max_occupancy must be > 0.0")):
        required_agents(1.0, 180.0, 20.0, 0.8, max_occupancy=0.0)
    with pytest.raises(InputError, match=re.escape("shrinkage must be < 1.0")):
        scheduled_agents(3, 1.0)
    with pytest.raises(InputError, match=re.escape("interval_minutes must be > 0.0")):
        offered_load_erlangs(10, 180, 0)


loads = st.floats(min_value=0.0, max_value=3_000.0, allow_nan=False)
head_counts = st.integers(min_value=0, max_value=3_500)


@settings(max_examples=60, deadline=None)
@given(servers=head_counts, load=loads)
def test_probabilities_stay_in_unit_interval(servers: int, load: float) -> None:
    for value in (
        erlang_b(servers, load),
        erlang_c(servers, load),
        service_level(servers, load, 200.0, 30.0),
        occupancy(servers, load),
    ):
        assert 0.0 <= float(value) <= 1.0


@settings(max_examples=60, deadline=None)
@given(
    load=st.floats(min_value=0.01, max_value=2_000.0, allow_nan=False),
    target_seconds=st.floats(min_value=0.0, max_value=7_200.0, allow_nan=False),
    aht_seconds=st.floats(min_value=5.0, max_value=3_600.0, allow_nan=False),
)
def test_service_level_never_falls_with_more_agents(
    load: float, target_seconds: float, aht_seconds: float
) -> None:
    agents = np.arange(0, int(load) + 200)
    levels = service_level(agents, load, aht_seconds, target_seconds)
    assert np.all(np.diff(levels) >= -1e-12)


@settings(max_examples=60, deadline=None)
@given(
    load=st.floats(min_value=0.01, max_value=2_000.0, allow_nan=False),
    target_seconds=st.floats(min_value=0.0, max_value=20_000.0, allow_nan=False),
    goal=st.floats(min_value=0.0, max_value=0.999, allow_nan=False),
)
def test_required_agents_are_minimal(load: float, target_seconds: float, goal: float) -> None:
    agents = int(required_agents(load, 240.0, target_seconds, goal))
    assert agents > load
    assert service_level(agents, load, 240.0, target_seconds) >= goal - 1e-12
    if agents - 1 > load:
        assert service_level(agents - 1, load, 240.0, target_seconds) < goal
