"""Peakedness of turn arrivals and spike minutes against Poisson theory."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from measure_builders import build_events

from asyncwfm.config import MeasureConfig, PlanningConfig
from asyncwfm.errors import ConfigError
from asyncwfm.measure import Measurement, measure, pooled_peakedness

DAYS = 3
MINUTES = DAYS * 24 * 60
CONFIG = PlanningConfig(interval_minutes=30)
WINDOWS = 30 // CONFIG.measure.peakedness_window_minutes


def arrivals_measured(arrival_seconds: np.ndarray, config: PlanningConfig = CONFIG) -> Measurement:
    """Measure one customer message per conversation at each arrival time."""
    rows: list[tuple[object, ...]] = [
        (f"c{i}", float(t), "customer", None, 10) for i, t in enumerate(arrival_seconds)
    ]
    base = pd.Timestamp("2024-03-04 09:00", tz="UTC")
    return measure(build_events(rows), config, start=base, end=base + pd.Timedelta(days=DAYS))


def poisson_times(rng: np.random.Generator, rate_per_minute: float) -> np.ndarray:
    count = rng.poisson(rate_per_minute * MINUTES)
    return np.sort(rng.uniform(0, MINUTES * 60, count))


def tolerance(workload: pd.DataFrame, factor: float) -> float:
    """Four standard deviations of the pooled z under the null.

    Given its turns, one interval's z times (k - 1) is close to chi-squared with k - 1
    degrees of freedom (Poisson dispersion test), so Var(z) = 2 / (k - 1); for batches
    of b, z scales by b. The pooled figure weights intervals by turns, whose effective
    count is (sum n)^2 / sum n^2.
    """
    turns = workload.loc[workload["turns"] > 0, "turns"].astype(float)
    effective_intervals = turns.sum() ** 2 / (turns**2).sum()
    return 4 * factor * math.sqrt(2 / (WINDOWS - 1) / effective_intervals)


@pytest.mark.parametrize("seed", [1, 2])
def test_poisson_peakedness_near_one(seed: int) -> None:
    times = poisson_times(np.random.default_rng(seed), rate_per_minute=1.0)

    workload = arrivals_measured(times).workload
    pooled = pooled_peakedness(workload["peakedness"], workload["turns"])

    assert workload["turns"].sum() == len(times)
    assert abs(pooled - 1.0) < tolerance(workload, factor=1.0)


@pytest.mark.parametrize("seed", [3, 4])
def test_batched_peakedness_near_batch_size(seed: int) -> None:
    batch = 4
    batches = poisson_times(np.random.default_rng(seed), rate_per_minute=0.5)

    workload = arrivals_measured(np.repeat(batches, batch)).workload
    pooled = pooled_peakedness(workload["peakedness"], workload["turns"])

    assert abs(pooled - batch) < tolerance(workload, factor=batch)


def test_interval_peakedness_by_hand() -> None:
    # Counts per 5-minute window: 3, 0, 0, 0, 0, 3 -> mean 1, sample variance 2.4.
    times = np.array([0, 1, 2, 1500, 1501, 1502], dtype=float)

    workload = arrivals_measured(times).workload

    assert workload.loc[0, "peakedness"] == pytest.approx(2.4)
    assert math.isnan(workload.loc[1, "peakedness"])


def test_spike_minute_found() -> None:
    rng = np.random.default_rng(5)
    background = poisson_times(rng, rate_per_minute=0.3)
    spike_start = 36 * 3600 + 7 * 60
    burst = spike_start + rng.uniform(0, 60, 25)

    result = arrivals_measured(np.sort(np.r_[background, burst]))
    spikes = result.spikes
    spike_minute = pd.Timestamp("2024-03-04 09:00", tz="UTC") + pd.Timedelta(seconds=spike_start)

    assert spike_minute in set(spikes["minute_start"])
    row = spikes.set_index("minute_start").loc[spike_minute]
    assert row["turn_arrivals"] >= 25
    assert row["p_value"] < CONFIG.measure.spike_p_value
    # Under the null each minute is flagged with probability below the p-value, so the
    # number of other flagged minutes stays within a generous binomial bound.
    null_mean = CONFIG.measure.spike_p_value * MINUTES
    assert len(spikes) - 1 <= null_mean + 6 * math.sqrt(null_mean) + 3


def test_window_must_divide_interval() -> None:
    config = PlanningConfig(interval_minutes=15, measure=MeasureConfig(peakedness_window_minutes=2))

    with pytest.raises(ConfigError, match="does not divide"):
        arrivals_measured(np.array([0.0, 10.0]), config)
