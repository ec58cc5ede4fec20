"""Tests of the thread-slot constraint and the slow-down curve."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from reference_queues import erlang_b_recursion, erlang_c_reference, service_level_reference
from scipy import stats

from asyncwfm.errors import InputError
from asyncwfm.plan.concurrency import (
    SlotModel,
    SlowdownCurve,
    combine_constraints,
    slot_agents,
    slot_full_probability,
    slot_load_erlangs,
    threads_per_agent,
    work_agents_with_slowdown,
)
from asyncwfm.plan.erlang import required_agents


def smallest_slots(
    load: float, goal: float, full_probability: Callable[[int, float], float]
) -> int:
    """Return the smallest slot count whose full probability is at most ``1 - goal``."""
    slots = 0
    while full_probability(slots, load) > 1.0 - goal:
        slots += 1
    return slots


def test_slot_load_is_rate_times_hold() -> None:
    # 60 threads an hour held 30 minutes each keep 30 slots busy on average.
    assert slot_load_erlangs(60, 1_800) == pytest.approx(30.0)


@pytest.mark.parametrize("load", [0.5, 7.3, 30.0, 240.0])
@pytest.mark.parametrize("cap", [1, 3, 8])
def test_erlang_c_slots_match_a_scan(load: float, cap: int) -> None:
    slots = smallest_slots(load, 0.8, erlang_c_reference)
    assert slot_agents(load, cap, 0.8) == math.ceil(slots / cap)


@pytest.mark.parametrize("load", [0.5, 7.3, 30.0, 240.0])
def test_erlang_b_slots_match_a_scan(load: float) -> None:
    slots = smallest_slots(load, 0.95, erlang_b_recursion)
    assert slot_agents(load, 4, 0.95, model="erlang_b") == math.ceil(slots / 4)


@pytest.mark.parametrize("load", [0.5, 7.3, 30.0, 240.0])
def test_poisson_slots_match_a_scan(load: float) -> None:
    def tail(slots: int, mean: float) -> float:
        return float(stats.poisson.sf(slots - 1, mean))

    slots = smallest_slots(load, 0.9, tail)
    assert slot_agents(load, 5, 0.9, model="poisson") == math.ceil(slots / 5)


def test_delay_model_needs_most_slots() -> None:
    models: tuple[SlotModel, ...] = ("erlang_b", "poisson", "erlang_c")
    agents = [int(slot_agents(120.0, 1, 0.9, model=model)) for model in models]
    assert agents[0] <= agents[1] <= agents[2]


def test_full_probability_of_known_pool() -> None:
    assert slot_full_probability(3, 10.0, 4) == pytest.approx(erlang_c_reference(12, 10.0))
    assert slot_full_probability(3, 10.0, 4, model="erlang_b") == pytest.approx(
        erlang_b_recursion(12, 10.0)
    )


def test_zero_slot_load_needs_no_agents() -> None:
    assert slot_agents(0.0, 4, 0.8) == 0


def test_invalid_cap_and_model_are_rejected() -> None:
    with pytest.raises(InputError, match=re.escape("concurrency_cap must be >= 1.0")):
        slot_agents(5.0, 0, 0.8)
    with pytest.raises(InputError, match="whole number"):
        slot_agents(5.0, 2.5, 0.8)
    with pytest.raises(InputError, match="unknown slot model"):
        slot_agents(5.0, 2, 0.8, model="engset")  # type: ignore[arg-type]


def test_occupied_slots_are_poisson_for_any_hold() -> None:
    # M/G/infinity: with lognormal holds (mean 1800 s, heavy right tail) the number of
    # threads assigned at a fixed time is Poisson, so its variance equals its mean.
    rng = np.random.default_rng()
    rate_per_second, mean_hold, horizon = 60.0 / 3_600.0, 1_800.0, 40 * 3_600.0
    sigma = 1.2
    mu = math.log(mean_hold) - sigma**2 / 2.0

    counts = rng.poisson(rate_per_second * horizon, size=4_000)
    arrivals = rng.uniform(0.0, horizon, size=counts.sum())
    holds = rng.lognormal(mu, sigma, size=counts.sum())
    alive = arrivals + holds > horizon
    owner = np.repeat(np.arange(counts.size), counts)
    occupied = np.bincount(owner, weights=alive, minlength=counts.size)

    expected = rate_per_second * mean_hold
    standard_error = math.sqrt(expected / counts.size)
    assert abs(occupied.mean() - expected) < 5.0 * standard_error
    ratio = occupied.var(ddof=1) / occupied.mean()
    assert abs(ratio - 1.0) < 5.0 * math.sqrt(2.0 / counts.size) + 0.02


def test_slowdown_curve_interpolates_and_clamps() -> None:
    curve = SlowdownCurve(threads=(1.0, 2.0, 4.0), factors=(1.0, 1.1, 1.4))
    factors = curve.factor([0.5, 1.0, 1.5, 3.0, 4.0, 9.0])
    assert list(np.round(factors, 10)) == [1.0, 1.0, 1.05, 1.25, 1.4, 1.4]


@pytest.mark.parametrize(
    ("threads", "factors", "message"),
    [
        ((1.0, 1.0), (1.0, 1.2), "increase strictly"),
        ((1.0, 2.0), (1.2, 1.1), "never fall"),
        ((1.0, 2.0), (1.0,), "equally many"),
        ((1.0, 2.0), (0.0, 1.0), "positive"),
    ],
)
def test_slowdown_curve_rejects_bad_points(
    threads: tuple[float, ...], factors: tuple[float, ...], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        SlowdownCurve(threads=threads, factors=factors)


def test_threads_per_agent_respects_cap() -> None:
    assert list(threads_per_agent([2, 10, 40], 30.0, 4)) == [4.0, 3.0, 0.75]


def test_flat_curve_gives_plain_erlang_c() -> None:
    flat = SlowdownCurve(threads=(1.0,), factors=(1.0,))
    loads = np.array([0.0, 2.0, 10.0, 75.0])
    plain = required_agents(loads, 180.0, 30.0, 0.8)
    slowed = work_agents_with_slowdown(loads, 180.0, 30.0, 0.8, loads * 3.0, 4, flat)
    assert np.array_equal(slowed, plain)


def test_slowdown_matches_a_scan() -> None:
    curve = SlowdownCurve(threads=(1.0, 2.0, 4.0), factors=(1.0, 1.15, 1.5))
    load, aht, target, slots, cap = 10.0, 180.0, 20.0, 30.0, 4

    agents = 1
    while True:
        factor = float(curve.factor(min(slots / agents, cap)))
        level = service_level_reference(agents, load * factor, aht * factor, target)
        if level >= 0.8:
            break
        agents += 1

    assert work_agents_with_slowdown(load, aht, target, 0.8, slots, cap, curve) == agents
    assert agents > required_agents(load, aht, target, 0.8)


def test_combine_constraints_reports_binding() -> None:
    agents, binding = combine_constraints([14, 3, 5], [8, 9, 5])
    assert list(agents) == [14, 9, 5]
    assert list(binding) == ["work", "concurrency", "work"]
