"""Tests of Hayward's approximation and the overflow probability of peaked arrivals."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from asyncwfm.errors import InputError
from asyncwfm.plan.erlang import erlang_c, required_agents, service_level
from asyncwfm.plan.peakedness import (
    hayward_required_agents,
    hayward_service_level,
    hayward_wait_probability,
    overflow_probability,
    peakedness_from_dispersion,
)

LOADS = np.array([0.0, 0.4, 3.7, 10.0, 57.3, 480.0, 2_500.0])


def test_unit_peakedness_equals_erlang_c() -> None:
    agents = np.floor(LOADS) + 3
    assert np.array_equal(hayward_wait_probability(agents, LOADS, 1.0), erlang_c(agents, LOADS))
    assert np.array_equal(
        hayward_service_level(agents, LOADS, 240.0, 45.0, 1.0),
        service_level(agents, LOADS, 240.0, 45.0),
    )
    assert np.array_equal(
        hayward_required_agents(LOADS, 240.0, 45.0, 0.8, 1.0),
        required_agents(LOADS, 240.0, 45.0, 0.8),
    )


def test_scaling_matches_erlang_c_of_scaled_system() -> None:
    # N = 20 agents, A = 10 Erlangs, z = 2 behave like 10 agents offered 5 Erlangs.
    assert hayward_wait_probability(20, 10.0, 2.0) == pytest.approx(erlang_c(10, 5.0))
    assert hayward_service_level(20, 10.0, 180.0, 20.0, 2.0) == pytest.approx(
        1.0 - erlang_c(10, 5.0) * np.exp(-(20 - 10) * 20.0 / (2.0 * 180.0))
    )


def test_peaked_arrivals_need_more_agents() -> None:
    peakedness = np.array([0.5, 1.0, 1.5, 2.0, 4.0])
    agents = hayward_required_agents(100.0, 180.0, 30.0, 0.8, peakedness)
    assert np.all(np.diff(agents) > 0)


def test_long_target_still_needs_stability() -> None:
    assert hayward_required_agents(10.0, 180.0, 8 * 3_600.0, 0.8, 3.0) > 10


def test_zero_load_needs_no_agents() -> None:
    assert hayward_required_agents(0.0, 180.0, 30.0, 0.8, 2.5) == 0


def test_invalid_peakedness_is_rejected() -> None:
    with pytest.raises(InputError, match=re.escape("peakedness must be > 0.0")):
        hayward_service_level(10, 5.0, 180.0, 20.0, 0.0)


@settings(max_examples=50, deadline=None)
@given(
    load=st.floats(min_value=0.1, max_value=1_000.0, allow_nan=False),
    peakedness=st.floats(min_value=0.3, max_value=6.0, allow_nan=False),
    target=st.floats(min_value=0.0, max_value=3_600.0, allow_nan=False),
)
def test_service_level_rises_with_agents(load: float, peakedness: float, target: float) -> None:
    agents = np.arange(0, int(load * 1.5) + 30)
    levels = hayward_service_level(agents, load, 200.0, target, peakedness)
    assert np.all((levels >= 0.0) & (levels <= 1.0))
    assert np.all(np.diff(levels) >= -1e-12)


def test_overflow_at_unit_peakedness_is_poisson() -> None:
    for method in ("negative_binomial", "scaled_poisson"):
        result = overflow_probability([8, 12, 20], 10.0, 1.0, method=method)
        assert np.allclose(result, stats.poisson.sf([8, 12, 20], 10.0))


def test_negative_binomial_matches_moments() -> None:
    # The moment-matched law has mean A and variance z A, checked through scipy directly.
    load, peakedness = 25.0, 3.0
    law = stats.nbinom(load / (peakedness - 1.0), 1.0 / peakedness)
    assert law.mean() == pytest.approx(load)
    assert law.var() == pytest.approx(peakedness * load)
    assert overflow_probability(30, load, peakedness) == pytest.approx(law.sf(30))


def test_scaled_poisson_overflow() -> None:
    assert overflow_probability(10, 10.0, 2.0, method="scaled_poisson") == pytest.approx(
        stats.poisson.sf(5, 5.0)
    )


def test_peakedness_raises_overflow() -> None:
    result = overflow_probability(30, 20.0, [1.0, 2.0, 4.0])
    assert np.all(np.diff(result) > 0)


def test_negative_binomial_rejects_smooth_traffic() -> None:
    with pytest.raises(InputError, match="scaled_poisson"):
        overflow_probability(10, 5.0, 0.7)


def test_dispersion_conversion_fixed_points() -> None:
    assert peakedness_from_dispersion(1.0) == 1.0
    assert peakedness_from_dispersion(3.0) == 2.0


def test_dispersion_conversion_matches_simulation() -> None:
    # Bursts of a geometric number of turns arrive as a Poisson stream and every turn
    # is worked on its own server for an exponential time. The busy-server count at a
    # fixed time must have variance-to-mean ratio (1 + E[K^2]/E[K]) / 2.
    rng = np.random.default_rng()
    burst_rate, service_rate, horizon = 4.0, 1.0, 12.0
    success = 0.4
    mean_size = 1.0 / success
    second_moment = (2.0 - success) / success**2
    expected = peakedness_from_dispersion(second_moment / mean_size)

    batches = 40
    ratios = []
    for _ in range(batches):
        replications = 2_000
        counts = rng.poisson(burst_rate * horizon, size=replications)
        ages = rng.uniform(0.0, horizon, size=counts.sum())
        sizes = rng.geometric(success, size=counts.sum())
        survivors = rng.binomial(sizes, np.exp(-service_rate * ages))
        owner = np.repeat(np.arange(replications), counts)
        busy = np.bincount(owner, weights=survivors, minlength=replications)
        ratios.append(busy.var(ddof=1) / busy.mean())

    mean_ratio = float(np.mean(ratios))
    standard_error = float(np.std(ratios, ddof=1) / np.sqrt(batches))
    assert abs(mean_ratio - expected) < 4.5 * standard_error + 0.01
