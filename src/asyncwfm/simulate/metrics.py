"""Per use case and interval measures of one replication, and their confidence intervals.

A turn belongs to the interval in which it arrived. Its response time ends when the
agent starts work on it (``response_clock="start"``) or when the reply is sent after
the work (``"reply"``). A turn never answered within the run counts as not answered
within the promise, and its response time is infinite in the percentiles, so a p90 of
``inf`` means that more than 10% of the interval's turns were never answered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from asyncwfm.simulate.engine import ABANDONED, DONE, IN_SERVICE
from asyncwfm.simulate.inputs import EngineInputs
from asyncwfm.simulate.model import SimulationModel

COUNT_MEASURES = (
    "turns",
    "first_turns",
    "within_promise_every",
    "within_promise_first",
    "answered",
    "abandoned",
)
"""Measures that are counts of turns arriving in the interval."""

LEVEL_MEASURES = (
    "response_mean_seconds",
    "response_p50_seconds",
    "response_p90_seconds",
    "waiting_turns",
    "open_threads",
    "busy_agents",
    "present_agents",
    "agents_at_cap",
    "occupancy",
)
"""Measures that are means, percentiles or time averages over the interval."""


@dataclass(frozen=True, eq=False)
class ReplicationRecords:
    """Raw output of one replication: the drawn inputs and the engine's records.

    Per-turn arrays follow the order of ``inputs`` (turns of one conversation are
    consecutive). Areas are time integrals in seconds over each interval of the horizon:
    ``waiting_area``, ``open_area`` and ``busy_area`` per (use case, interval),
    ``present_area`` and ``at_cap_area`` per (pool, interval).
    """

    inputs: EngineInputs
    turn_arrival: np.ndarray
    turn_start: np.ndarray
    turn_end: np.ndarray
    turn_status: np.ndarray
    turn_agent: np.ndarray
    waiting_area: np.ndarray
    open_area: np.ndarray
    busy_area: np.ndarray
    present_area: np.ndarray
    at_cap_area: np.ndarray

    def response_seconds(self, clock: str) -> np.ndarray:
        """Return each turn's response time; inf when the turn was never answered."""
        started = (self.turn_status == IN_SERVICE) | (self.turn_status == DONE)
        if clock == "reply":
            answered_at = np.where(self.turn_status == DONE, self.turn_end, np.inf)
        else:
            answered_at = np.where(started, self.turn_start, np.inf)
        return answered_at - self.turn_arrival


def interval_measures(model: SimulationModel, records: ReplicationRecords) -> dict[str, np.ndarray]:
    """Return every measure of one replication as arrays of shape (use cases, intervals)."""
    n_use_cases = len(model.use_cases)
    n_intervals = model.n_intervals
    interval_seconds = model.interval_seconds
    arrived = np.isfinite(records.turn_arrival)
    interval = np.full(records.turn_arrival.size, -1, dtype=np.int64)
    interval[arrived] = (records.turn_arrival[arrived] // interval_seconds).astype(np.int64)
    counted = arrived & (interval < n_intervals)

    use_case = records.inputs.turn_use_case[counted]
    group = use_case * n_intervals + interval[counted]
    response = records.response_seconds(model.response_clock)[counted]
    target = np.array([u.target_seconds for u in model.use_cases])[use_case]
    within = response <= target
    first = records.inputs.turn_index[counted] == 0
    answered = np.isfinite(response)
    abandoned = records.turn_status[counted] == ABANDONED
    size = n_use_cases * n_intervals

    def count(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(group, weights=weights, minlength=size).reshape(n_use_cases, -1)

    turns = count(None)
    answered_count = count(answered.astype(float))
    response_sum = count(np.where(answered, response, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        response_mean = response_sum / answered_count

    pool_index = np.array([model.pools.index(u.pool) for u in model.use_cases])
    busy_by_pool = np.zeros((len(model.pools), n_intervals))
    np.add.at(busy_by_pool, pool_index, records.busy_area)
    with np.errstate(invalid="ignore", divide="ignore"):
        occupancy = busy_by_pool / records.present_area

    return {
        "turns": turns.astype(float),
        "first_turns": count(first.astype(float)),
        "within_promise_every": count(within.astype(float)),
        "within_promise_first": count((within & first).astype(float)),
        "answered": answered_count,
        "abandoned": count(abandoned.astype(float)),
        "response_mean_seconds": response_mean,
        "response_p50_seconds": _group_quantile(group, response, size, 0.5).reshape(turns.shape),
        "response_p90_seconds": _group_quantile(group, response, size, 0.9).reshape(turns.shape),
        "waiting_turns": records.waiting_area / interval_seconds,
        "open_threads": records.open_area / interval_seconds,
        "busy_agents": records.busy_area / interval_seconds,
        "present_agents": records.present_area[pool_index] / interval_seconds,
        "agents_at_cap": records.at_cap_area[pool_index] / interval_seconds,
        "occupancy": occupancy[pool_index],
    }


def _group_quantile(group: np.ndarray, values: np.ndarray, size: int, q: float) -> np.ndarray:
    """Return the lower ``q`` quantile (inverted CDF) of ``values`` per group; NaN when empty."""
    order = np.lexsort((values, group))
    sorted_values = values[order]
    counts = np.bincount(group, minlength=size)
    starts = np.cumsum(counts) - counts
    result = np.full(size, np.nan)
    has_values = counts > 0
    position = starts + np.ceil(q * counts).astype(np.int64) - 1
    result[has_values] = sorted_values[np.maximum(position[has_values], starts[has_values])]
    return result


def mean_and_half_width(
    samples: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean over axis 0 and the half-width of a Student-t confidence interval.

    NaN samples (an interval without turns in that replication) are left out. The
    half-width is NaN where fewer than two samples remain.
    """
    valid = np.isfinite(samples)
    n = valid.sum(axis=0)
    filled = np.where(valid, samples, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
        squares = np.where(valid, (samples - mean) ** 2, 0.0).sum(axis=0)
        std = np.sqrt(squares / (n - 1))
        quantile = stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        half_width = np.where(n >= 2, quantile * std / np.sqrt(n), np.nan)
    # A level that is infinite in some replication (a p90 with unanswered turns) has an
    # infinite mean; keep it rather than the NaN that inf - inf gives.
    infinite = (np.isinf(samples) & (samples > 0)).any(axis=0)
    mean = np.where(infinite, np.inf, mean)
    half_width = np.where(infinite, np.nan, half_width)
    return mean, half_width
