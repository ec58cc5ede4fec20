"""Tests of the Erlang A (M/M/N+M) model."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_queues import erlang_a_chain
from scipy import stats

from asyncwfm.errors import InputError
from asyncwfm.plan.erlang import average_speed_of_answer, erlang_c, occupancy, service_level
from asyncwfm.plan.erlang_a import (
    erlang_a_performance,
    erlang_a_required_agents,
    erlang_a_service_level,
)

# Published values of pyworkforce's ErlangA for 100 turns in 30 minutes (10 Erlangs),
# AHT 3 minutes, patience 5 minutes, target 20 seconds. pyworkforce computes them from
# the birth-death chain. The 13-agent values are printed (to three decimals) in the
# "Erlang A (abandonment)" guide, https://pyworkforce.rodrigo-arenas.com/stable/guide/erlanga,
# and the 14-agent values to six decimals in its test suite,
# rodrigo-arenas/pyworkforce, pyworkforce/queuing/tests/test_abandonment.py.
LOAD = 10.0
AHT_SECONDS = 180.0
PATIENCE_SECONDS = 300.0
TARGET_SECONDS = 20.0


def test_published_values_with_13_agents() -> None:
    result = erlang_a_performance(13, LOAD, AHT_SECONDS, PATIENCE_SECONDS, TARGET_SECONDS)
    assert result.service_level == pytest.approx(0.858, abs=5e-4)
    assert result.occupancy == pytest.approx(0.750, abs=5e-4)
    assert result.abandonment_probability == pytest.approx(0.025, abs=5e-4)
    assert result.wait_probability == pytest.approx(0.226, abs=5e-4)
    assert result.mean_wait_seconds / 60.0 == pytest.approx(0.125, abs=5e-4)


def test_published_values_with_14_agents() -> None:
    result = erlang_a_performance(14, LOAD, AHT_SECONDS, PATIENCE_SECONDS, TARGET_SECONDS)
    assert result.wait_probability == pytest.approx(0.14526, abs=5e-6)
    assert result.abandonment_probability == pytest.approx(0.013984, abs=5e-7)
    assert result.occupancy == pytest.approx(0.704297, abs=5e-7)
    assert result.mean_wait_seconds / 60.0 == pytest.approx(0.069919, abs=5e-7)
    assert result.service_level == pytest.approx(0.916792, abs=5e-7)


def test_published_example_needs_13_agents() -> None:
    agents = erlang_a_required_agents(
        LOAD,
        AHT_SECONDS,
        PATIENCE_SECONDS,
        TARGET_SECONDS,
        0.8,
        max_occupancy=0.85,
        max_abandonment=0.05,
    )
    assert agents == 13


CHAIN_CASES = [
    # servers, load, aht, patience: patience * servers / aht must be an integer so that
    # the offered wait is an order statistic of exponentials (see tagged_customer).
    (14, 10.0, 180.0, 360.0),
    (5, 7.5, 300.0, 600.0),
    (20, 19.0, 120.0, 60.0),
    (3, 0.4, 60.0, 100.0),
]


def tagged_customer(
    servers: int, load: float, aht: float, patience: float, target: float
) -> dict[str, float]:
    """Return Erlang A measures from the chain, conditioning on the turns ahead.

    A turn that finds ``j`` turns waiting waits through ``j + 1`` exponential stages
    with rates ``(c + i) theta``, ``c = N mu / theta``. For integer ``c`` that is the
    ``(j + 1)``-th smallest of ``c + j`` exponentials with rate ``theta``, so
    ``P(V > t | j)`` is a binomial probability. The turn's own patience competes with
    each stage, which gives ``P(answered | i ahead) = c / (c + i + 1)``.
    """
    probabilities = erlang_a_chain(servers, load, aht, patience)
    stages = round(servers * patience / aht)
    done = 1.0 - math.exp(-target / patience)

    wait = sum(probabilities[servers:])
    abandon = late = late_answered = answered_wait = 0.0
    for ahead, probability in enumerate(probabilities[servers:]):
        if probability < 1e-18:
            break
        abandon += probability * (ahead + 1) / (stages + ahead + 1)
        late += probability * stats.binom.cdf(ahead, stages + ahead, done)
        still_waiting = [
            stats.binom.pmf(ahead - left, stages + ahead, done) * stages / (stages + left + 1)
            for left in range(ahead + 1)
        ]
        late_answered += probability * math.exp(-target / patience) * sum(still_waiting)
        harmonic = sum(1.0 / (stages + i) for i in range(1, ahead + 2))
        answered_wait += probability * patience * stages / (stages + ahead + 1) * harmonic

    return {
        "wait": wait,
        "abandon": abandon,
        "service_level": 1.0 - abandon - late_answered,
        "asa": answered_wait / (1.0 - abandon),
        "occupancy": load * (1.0 - abandon) / servers,
    }


@pytest.mark.parametrize(("servers", "load", "aht", "patience"), CHAIN_CASES)
@pytest.mark.parametrize("target", [0.0, 20.0, 300.0])
def test_matches_birth_death_chain(
    servers: int, load: float, aht: float, patience: float, target: float
) -> None:
    expected = tagged_customer(servers, load, aht, patience, target)
    result = erlang_a_performance(servers, load, aht, patience, target)
    assert result.wait_probability == pytest.approx(expected["wait"], rel=1e-9)
    assert result.abandonment_probability == pytest.approx(expected["abandon"], rel=1e-9)
    assert result.service_level == pytest.approx(expected["service_level"], rel=1e-9)
    assert result.asa_seconds == pytest.approx(expected["asa"], rel=1e-7)
    assert result.occupancy == pytest.approx(expected["occupancy"], rel=1e-9)


def answered_wait_from_chain(servers: int, load: float, aht: float, patience: float) -> float:
    """Return the mean wait of answered turns by summing over the turns found ahead.

    A turn with ``j`` ahead is answered with probability ``c / (c + j + 1)`` and then
    waits ``sum_{i=1}^{j+1} patience / (c + i)`` on average, ``c = N patience / aht``.
    """
    probabilities = erlang_a_chain(servers, load, aht, patience)
    stages = servers * patience / aht
    answered_wait = abandon = harmonic = 0.0
    for ahead, probability in enumerate(probabilities[servers:]):
        harmonic += 1.0 / (stages + ahead + 1)
        answered_wait += probability * patience * stages / (stages + ahead + 1) * harmonic
        abandon += probability * (ahead + 1) / (stages + ahead + 1)
    return answered_wait / (1.0 - abandon)


@pytest.mark.parametrize(
    ("servers", "load", "patience"),
    [(200, 200.0, 20_000.0), (203, 200.0, 20_000.0), (190, 200.0, 20_000.0), (60, 10.0, 3_000.0)],
)
def test_answered_wait_of_large_pools(servers: int, load: float, patience: float) -> None:
    # c = 20 000: the regime where the wait distribution changes on the scale sqrt(c).
    expected = answered_wait_from_chain(servers, load, 200.0, patience)
    result = erlang_a_performance(servers, load, 200.0, patience, 60.0)
    assert result.asa_seconds == pytest.approx(expected, rel=1e-9)


def test_patience_equal_to_aht_is_infinite_server() -> None:
    # With patience equal to AHT every turn in the system leaves at the same rate, so
    # the number in the system is Poisson(A), as in M/M/infinity.
    servers, load = 12, 10.0
    result = erlang_a_performance(servers, load, 200.0, 200.0, 0.0)
    in_system = stats.poisson(load)
    queue_length = sum((count - servers) * in_system.pmf(count) for count in range(servers, 200))
    assert result.wait_probability == pytest.approx(in_system.sf(servers - 1), rel=1e-10)
    assert result.abandonment_probability == pytest.approx(queue_length / load, rel=1e-10)


@pytest.mark.parametrize(
    ("servers", "load"), [(11, 10.0), (14, 10.0), (105, 100.0), (2050, 2000.0)]
)
def test_tends_to_erlang_c_with_patience(servers: int, load: float) -> None:
    aht, target = 240.0, 30.0
    result = erlang_a_performance(servers, load, aht, 1e6 * aht, target)
    assert result.wait_probability == pytest.approx(erlang_c(servers, load), rel=1e-4)
    assert result.service_level == pytest.approx(
        service_level(servers, load, aht, target), abs=1e-5
    )
    assert result.asa_seconds == pytest.approx(
        average_speed_of_answer(servers, load, aht), rel=1e-4
    )
    assert result.occupancy == pytest.approx(occupancy(servers, load), rel=1e-5)
    assert result.abandonment_probability < 1e-4


def test_more_patience_nears_erlang_c() -> None:
    patience = np.array([60.0, 600.0, 6_000.0, 60_000.0, 600_000.0])
    result = erlang_a_performance(14, LOAD, AHT_SECONDS, patience, TARGET_SECONDS)
    gap = np.abs(result.wait_probability - erlang_c(14, LOAD))
    assert np.all(np.diff(gap) < 0)
    assert gap[-1] < 1e-4


def test_overloaded_interval_stays_finite() -> None:
    result = erlang_a_performance(50, 80.0, 300.0, 900.0, 60.0)
    assert 0.0 < result.service_level < 1.0
    # Throughput cannot exceed the agents' capacity, so at least 1 - N/A abandon.
    assert result.abandonment_probability >= 1.0 - 50 / 80.0
    assert result.occupancy <= 1.0
    assert np.isfinite(result.asa_seconds)


def test_zero_load_needs_no_agents() -> None:
    assert erlang_a_required_agents(0.0, 180.0, 300.0, 20.0, 0.8) == 0
    result = erlang_a_performance(0, 0.0, 180.0, 300.0, 20.0)
    assert result.service_level == 1.0
    assert result.wait_probability == 0.0
    assert result.asa_seconds == 0.0


def test_load_without_agents_is_rejected() -> None:
    with pytest.raises(
        InputError, match=re.escape("agents must be at least 1 where there is load")
    ):
        erlang_a_performance([3, 0], [2.0, 1.0], 180.0, 300.0, 20.0)


def test_invalid_targets_are_rejected() -> None:
    with pytest.raises(InputError, match=re.escape("target_service_level must be < 1.0")):
        erlang_a_required_agents(1.0, 180.0, 300.0, 20.0, 1.0)
    with pytest.raises(InputError, match=re.escape("max_abandonment must be > 0.0")):
        erlang_a_required_agents(1.0, 180.0, 300.0, 20.0, 0.8, max_abandonment=0.0)
    with pytest.raises(InputError, match=re.escape("patience_seconds must be > 0.0")):
        erlang_a_service_level(2, 1.0, 180.0, 0.0, 20.0)


def test_required_agents_over_a_week() -> None:
    rng = np.random.default_rng(7)
    loads = rng.uniform(0.0, 2_000.0, size=672)
    agents = erlang_a_required_agents(loads, 300.0, 1_800.0, 60.0, 0.8, max_abandonment=0.05)
    result = erlang_a_performance(agents, loads, 300.0, 1_800.0, 60.0)
    assert np.all(result.service_level >= 0.8 - 1e-12)
    assert np.all(result.abandonment_probability <= 0.05 + 1e-12)
    fewer = erlang_a_performance(np.maximum(agents - 1, 1), loads, 300.0, 1_800.0, 60.0)
    below_goal = (fewer.service_level < 0.8) | (fewer.abandonment_probability > 0.05)
    assert np.all(below_goal[agents > 1])


@settings(max_examples=50, deadline=None)
@given(
    load=st.floats(min_value=0.05, max_value=500.0, allow_nan=False),
    patience=st.floats(min_value=10.0, max_value=50_000.0, allow_nan=False),
    target=st.floats(min_value=0.0, max_value=3_600.0, allow_nan=False),
)
def test_measures_stay_in_range_and_improve(load: float, patience: float, target: float) -> None:
    agents = np.arange(1, int(load * 1.5) + 20)
    result = erlang_a_performance(agents, load, 200.0, patience, target)
    for probability in (
        result.wait_probability,
        result.abandonment_probability,
        result.service_level,
        result.occupancy,
    ):
        assert np.all((probability >= 0.0) & (probability <= 1.0))
    assert np.all(np.diff(result.service_level) >= -1e-9)
    assert np.all(np.diff(result.abandonment_probability) <= 1e-12)
    assert np.all(np.diff(result.occupancy) <= 1e-12)
