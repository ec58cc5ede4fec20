"""Peakedness of customer-turn arrivals and the minutes when many threads came alive.

Peakedness z of an interval is the variance-to-mean ratio (index of dispersion) of the
turn arrivals counted in the ``k`` short windows of ``w`` minutes that make up the
interval::

    z = s^2 / mean,   s^2 = sum((x_i - mean)^2) / (k - 1)

For Poisson arrivals with a constant rate, z is 1 on average, and ``(k - 1) z`` is
approximately chi-squared with ``k - 1`` degrees of freedom (the Poisson dispersion
test). One interval's z therefore has a standard deviation of about
``sqrt(2 / (k - 1))``, 0.63 for a 30-minute interval cut into 5-minute windows. A single interval's
value is therefore a rough signal; the use-case figure pools many intervals
(:func:`pooled_peakedness`). When turns come in batches of ``b`` at once, z is close
to ``b``. Hayward's approximation then staffs an Erlang system with load ``A / z`` and
``N / z`` agents.

A spike moment is a minute whose turn arrivals are at least ``spike_min_turns`` and
whose Poisson upper-tail probability ``P(X >= count)``, with ``X`` Poisson with the
interval's mean arrivals per minute, is below ``spike_p_value``. The mean includes the
spike itself, which makes the rule conservative.

References
----------
Fredericks, A. A. (1980). Congestion in blocking systems: a simple approximation
technique. Bell System Technical Journal 59(6). Peakedness as a variance-to-mean
ratio, and Hayward's approximation built on it.

Rossetti, M. D. KSL documentation, ``PoissonDispersionTest``: the index of dispersion
Var/Mean and the statistic ``(n - 1) Var / Mean`` referred to a chi-squared
distribution with ``n - 1`` degrees of freedom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from asyncwfm.errors import ConfigError


def windows_per_interval(interval_minutes: int, window_minutes: int) -> int:
    """Return how many peakedness windows make up one interval.

    Raises
    ------
    ConfigError
        When the window does not divide the interval or leaves fewer than 2 windows.
    """
    if window_minutes <= 0 or interval_minutes % window_minutes:
        raise ConfigError(
            f"measure.peakedness_window_minutes = {window_minutes} does not divide "
            f"interval_minutes = {interval_minutes}; use one of "
            f"{[w for w in range(1, 6) if interval_minutes % w == 0]}"
        )
    count = interval_minutes // window_minutes
    if count < 2:
        raise ConfigError(
            f"measure.peakedness_window_minutes = {window_minutes} leaves one window per "
            f"interval; use a shorter window"
        )
    return count


def interval_peakedness(
    window_counts_key: np.ndarray,
    window_number: np.ndarray,
    window_counts: np.ndarray,
    key_count: int,
    interval_count: int,
    windows_in_interval: int,
) -> np.ndarray:
    """Variance-to-mean ratio of arrivals per window, for each key and interval.

    Parameters
    ----------
    window_counts_key, window_number, window_counts : numpy.ndarray
        Sparse arrival counts: key, window number on the grid (interval number times
        ``windows_in_interval`` plus the window within it) and count. Windows not
        listed have no arrivals.
    key_count, interval_count, windows_in_interval : int
        Shape of the result and the number ``k`` of windows per interval.

    Returns
    -------
    numpy.ndarray
        Array ``(key_count, interval_count)``; NaN where an interval has no arrivals,
        since the ratio is undefined there.
    """
    interval = window_number // windows_in_interval
    cell = window_counts_key * interval_count + interval
    size = key_count * interval_count
    counts = window_counts.astype(float)
    total = np.bincount(cell, weights=counts, minlength=size)
    total_squares = np.bincount(cell, weights=counts**2, minlength=size)

    k = windows_in_interval
    mean = total / k
    variance = (total_squares - total**2 / k) / (k - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(total > 0, variance / mean, np.nan)
    return ratio.reshape(key_count, interval_count)


def pooled_peakedness(peakedness: pd.Series, turns: pd.Series) -> float:
    """Pool interval peakedness values into one figure, weighted by turn arrivals.

    ``sum(z_i * n_i) / sum(n_i)`` over intervals with arrivals equals the pooled
    within-interval sum of squared deviations divided by the pooled ``(k - 1)`` times
    the mean. Busy intervals weigh more, and the estimate stays near 1 for Poisson
    arrivals even when the rate changes between intervals. NaN without arrivals.
    """
    valid = peakedness.notna() & (turns > 0)
    weight = turns[valid].astype(float)
    if weight.sum() == 0:
        return float("nan")
    return float((peakedness[valid] * weight).sum() / weight.sum())


def spike_minutes(
    minute_arrivals: np.ndarray,
    interval_minutes: int,
    spike_min_turns: int,
    spike_p_value: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Find the spike minutes in per-minute turn arrivals.

    Parameters
    ----------
    minute_arrivals : numpy.ndarray
        Arrivals of shape ``(key_count, minute_count)``; the minute grid starts at an
        interval start and ``minute_count`` is a multiple of ``interval_minutes``.
    interval_minutes : int
        Minutes per interval.
    spike_min_turns : int
        Smallest arrival count that can be a spike.
    spike_p_value : float
        Largest Poisson upper-tail probability of a spike.

    Returns
    -------
    tuple of numpy.ndarray
        Key, minute number, expected arrivals per minute in the interval, and the
        upper-tail probability of each spike minute.
    """
    key_count = minute_arrivals.shape[0]
    per_interval = minute_arrivals.reshape(key_count, -1, interval_minutes)
    expected = np.repeat(per_interval.sum(axis=2) / interval_minutes, interval_minutes, axis=1)

    key, minute = np.nonzero(minute_arrivals >= spike_min_turns)
    counts = minute_arrivals[key, minute]
    mean = expected[key, minute]
    p_value = stats.poisson.sf(counts - 1, mean)

    is_spike = p_value < spike_p_value
    return key[is_spike], minute[is_spike], mean[is_spike], p_value[is_spike]
