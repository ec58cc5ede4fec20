"""Agents per use case and interval: the requirements table.

The plan works on customer turns, with service time equal to the measured active
handling time per turn (never session length). For each use case and interval it
finds the fewest agents that keep the use case's promise under Erlang C, respects
the maximum occupancy, and adds shrinkage to give scheduled agents.

Two promise views exist. An ``every`` promise applies to all turns and uses the
Erlang C service level. A ``first`` promise applies to the first turn of each
conversation; the plan assumes first turns are served before follow-up turns
(non-preemptive priority, equal service times), for which the waiting time of the
priority class in M/M/N is exponential with rate ``N*mu - lambda_first`` given a
wait, so ``P(W_first <= t) = 1 - C(N, A) exp(-(N - A_first) t / AHT)``
(Kleinrock 1976, *Queueing Systems* Vol. 2, section 3.7; Gross & Harris,
*Fundamentals of Queueing Theory*, M/M/c with priorities).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from asyncwfm.calendar import open_mask
from asyncwfm.config import PlanningConfig, Promise
from asyncwfm.plan._checks import ceil_with_tolerance
from asyncwfm.plan._search import smallest_passing_count
from asyncwfm.plan.erlang import (
    SERVICE_LEVEL_TOLERANCE,
    erlang_c,
    minimal_stable_agents,
    scheduled_agents,
)

REQUIREMENT_COLUMNS = (
    "interval_start",
    "use_case",
    "turns",
    "first_turns",
    "aht_seconds",
    "workload_erlangs",
    "work_agents",
    "slot_agents",
    "agents",
    "binding",
    "scheduled_agents",
    "expected_service_level",
    "is_open",
)

DEFAULT_AHT_CREDIBILITY_TURNS = 10.0
"""Turns at which an interval's own AHT and the use case's mean AHT weigh equally."""


@dataclass(frozen=True)
class UseCaseAht:
    """Mean active handling time per turn of one use case over the planning window."""

    use_case: str
    aht_seconds: float
    turns: float


def credible_aht(
    turns: np.ndarray, aht_seconds: np.ndarray, fallback_seconds: float, weight_turns: float
) -> np.ndarray:
    """Blend each interval's AHT with the use case's mean AHT by the interval's volume.

    An interval with ``n`` turns gets ``(n * aht + k * mean) / (n + k)``, a credibility
    weighting (Bühlmann 1967) that keeps a quiet interval with two slow turns from
    doubling the plan. Intervals without turns get the mean.
    """
    own = np.where(np.isfinite(aht_seconds), aht_seconds, 0.0)
    return (turns * own + weight_turns * fallback_seconds) / (turns + weight_turns)


def promise_service_level(
    agents: np.ndarray,
    load_erlangs: np.ndarray,
    first_load_erlangs: np.ndarray,
    aht_seconds: np.ndarray,
    promise: Promise,
) -> np.ndarray:
    """Return the expected share of promised turns answered within the target.

    For an ``every`` promise this is the Erlang C service level. For a ``first``
    promise the first turns are served first, so only their own load slows them
    once all agents are busy (see the module docstring). Unstable intervals
    (agents not above the load) get 0.
    """
    agents = np.asarray(agents, dtype=float)
    wait_probability = erlang_c(agents, load_erlangs)
    priority_load = first_load_erlangs if promise.response == "first" else load_erlangs
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        decay = np.exp(
            -(agents - priority_load) * promise.target_seconds / np.maximum(aht_seconds, 1e-9)
        )
        level = 1.0 - wait_probability * decay
    stable = agents > load_erlangs
    no_load = load_erlangs <= 0
    return np.where(no_load, 1.0, np.where(stable, np.clip(level, 0.0, 1.0), 0.0))


def minimal_agents(
    load_erlangs: np.ndarray,
    first_load_erlangs: np.ndarray,
    aht_seconds: np.ndarray,
    promise: Promise,
    max_occupancy: float | None,
) -> np.ndarray:
    """Return the fewest agents per interval that keep ``promise`` and the occupancy cap.

    The promised service level never falls as agents are added, so one vectorised
    doubling-and-bisection search finds every interval at once. Zero load gives 0.
    """
    load = np.asarray(load_erlangs, dtype=float)
    result = np.zeros(load.shape, dtype=np.int64)
    busy = load > 0
    if not busy.any():
        return result

    busy_load = load[busy]
    busy_first = np.asarray(first_load_erlangs, dtype=float)[busy]
    busy_aht = np.asarray(aht_seconds, dtype=float)[busy]

    def keeps_promise(agents: np.ndarray) -> np.ndarray:
        level = promise_service_level(agents, busy_load, busy_first, busy_aht, promise)
        return level >= promise.service_level - SERVICE_LEVEL_TOLERANCE

    lower = minimal_stable_agents(busy_load)
    if max_occupancy is not None:
        lower = np.maximum(lower, ceil_with_tolerance(busy_load / max_occupancy))
    result[busy] = smallest_passing_count(keeps_promise, lower)
    return result


def carry_closed_turns(turns: np.ndarray, is_open: np.ndarray) -> tuple[np.ndarray, float]:
    """Move turns that arrive while closed to the next open interval.

    Returns the carried turn counts and the turns still waiting after the last open
    interval of the window (they cannot be planned inside it).
    """
    carried = np.zeros_like(turns, dtype=float)
    waiting = 0.0
    for index, count in enumerate(turns):
        waiting += float(count)
        if is_open[index]:
            carried[index] = waiting
            waiting = 0.0
    return carried, waiting


def plan_use_case(
    workload: pd.DataFrame,
    config: PlanningConfig,
    use_case: str,
    aht_credibility_turns: float = DEFAULT_AHT_CREDIBILITY_TURNS,
) -> pd.DataFrame:
    """Return the requirements rows of one use case from its workload rows.

    ``workload`` holds the use case's rows of the workload table (one per interval)
    with at least ``interval_start``, ``turns`` and ``active_seconds_per_turn``;
    ``first_turns`` is used for first-response promises when present, else
    ``new_conversations``.
    """
    rows = workload.sort_values("interval_start").reset_index(drop=True)
    settings = config.use_case_named(use_case)
    promise = settings.promise
    interval_seconds = float(config.interval_seconds)

    is_open = open_mask(rows["interval_start"], config)
    raw_turns = rows["turns"].to_numpy(dtype=float)
    turns, _ = carry_closed_turns(raw_turns, is_open)
    first_source = "first_turns" if "first_turns" in rows else "new_conversations"
    first_turns, _ = carry_closed_turns(rows[first_source].to_numpy(dtype=float), is_open)
    first_turns = np.minimum(first_turns, turns)

    measured_aht = rows["active_seconds_per_turn"].to_numpy(dtype=float)
    weights = np.where(np.isfinite(measured_aht), raw_turns, 0.0)
    mean_aht = (
        float(np.nansum(measured_aht * weights) / weights.sum()) if weights.sum() > 0 else 0.0
    )
    aht = credible_aht(raw_turns, measured_aht, mean_aht, aht_credibility_turns)

    load = turns * aht / interval_seconds
    first_load = first_turns * aht / interval_seconds
    work_agents = minimal_agents(load, first_load, aht, promise, config.max_occupancy)
    work_agents = np.where(is_open, work_agents, 0)
    level = promise_service_level(work_agents, load, first_load, aht, promise)

    return pd.DataFrame(
        {
            "interval_start": rows["interval_start"],
            "use_case": use_case,
            "turns": turns,
            "first_turns": first_turns,
            "aht_seconds": aht,
            "workload_erlangs": load,
            "work_agents": work_agents,
            "slot_agents": 0,
            "agents": work_agents,
            "binding": np.where(work_agents > 0, "work", "none"),
            "scheduled_agents": scheduled_agents(work_agents, config.shrinkage),
            "expected_service_level": level,
            "is_open": is_open,
        }
    )


def plan_requirements(workload: pd.DataFrame, config: PlanningConfig) -> pd.DataFrame:
    """Return the requirements table for every use case in ``workload``.

    Parameters
    ----------
    workload : pandas.DataFrame
        One row per use case and interval (``interval_start`` tz-aware in the business
        time zone, ``use_case``, ``turns``, ``active_seconds_per_turn`` and
        ``first_turns`` or ``new_conversations``).
    config : PlanningConfig
        Promises, interval length, occupancy cap, shrinkage and opening hours.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REQUIREMENT_COLUMNS`, ordered by interval then use case.
    """
    parts = [
        plan_use_case(rows, config, str(use_case))
        for use_case, rows in workload.groupby("use_case", sort=True, observed=True)
    ]
    if not parts:
        return pd.DataFrame(columns=list(REQUIREMENT_COLUMNS))
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["interval_start", "use_case"], kind="stable").reset_index(drop=True)
