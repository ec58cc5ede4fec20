"""Check a plan by simulation, and search for the smallest staffing that keeps every promise.

The search follows the idea of the iterative staffing algorithm (ISA) of Feldman,
Mandelbaum, Massey and Whitt, "Staffing of time-varying queues to achieve time-stable
performance", Management Science 54(2), 324-338, 2008: simulate the whole horizon with
the current staffing, so that backlog carries from one interval to the next, update the
staffing of every interval at once from what the simulation measured, and repeat until
nothing changes. ISA sets each interval's staffing from the simulated number of
customers in the system to reach a target delay probability. Here the target is each
use case's promise (share of turns answered within the target time), so the update is
a search step instead:

1. Intervals whose turns miss the promise get more agents, in proportion to the gap.
2. Once every interval keeps its promise, every interval that has not been pinned loses
   one agent at once.
3. If that makes intervals miss, the decrease is undone near each missing interval
   (within the longest promise target, because backlog moves work forward and late
   answers move misses back), and those intervals are pinned at their last good value.

Every simulation of the search uses the same seed (common random numbers), so the
measured attainment changes only with the staffing and the search cannot cycle on
noise. The result is minimal in the sense that lowering any unpinned interval by one
more agent made some interval miss.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from asyncwfm.errors import InputError
from asyncwfm.simulate.adapter import requirements_with_staffing, staffing_from_requirements
from asyncwfm.simulate.model import SimulationModel, Staffing
from asyncwfm.simulate.run import (
    ProgressCallback,
    SimulationResult,
    max_agents_per_pool,
    simulate,
)

TuningStatus = Literal["converged", "iteration_limit", "infeasible"]

StepCallback = Callable[[int, int, int], None]
"""Called as ``progress(iteration, max_iterations, missing_intervals)`` after each step."""


@dataclass(frozen=True, eq=False)
class VerificationResult:
    """Simulated attainment of a plan.

    Attributes
    ----------
    status : {"meets", "misses"}
        ``meets`` when no interval has status ``misses`` in the attainment table.
    requirements : pandas.DataFrame
        The input requirements with ``simulated_service_level``, its confidence bounds
        ``simulated_service_level_low`` and ``_high``, and ``simulated_status`` per row.
    attainment : pandas.DataFrame
        The attainment table, see :meth:`SimulationResult.attainment_table`.
    summary : pandas.DataFrame
        Attainment per use case over the whole horizon.
    result : SimulationResult
        All measures of all replications.
    """

    status: Literal["meets", "misses"]
    requirements: pd.DataFrame
    attainment: pd.DataFrame
    summary: pd.DataFrame
    result: SimulationResult

    @property
    def missing_intervals(self) -> pd.DataFrame:
        """Rows of the attainment table whose status is ``misses``."""
        return self.attainment[self.attainment["status"] == "misses"]


def verify_plan(
    requirements: pd.DataFrame,
    model: SimulationModel,
    *,
    column: str = "agents",
    replications: int = 10,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> VerificationResult:
    """Simulate the staffing in ``requirements[column]`` and report attainment per row.

    Parameters
    ----------
    requirements : pandas.DataFrame
        The plan's requirements table (``interval_start, use_case`` and ``column``).
    model : SimulationModel
        Demand and rules, usually from :func:`~asyncwfm.simulate.model_from_measurement`
        with the same requirements table as workload.
    column : str
        Column with the agents on shift, ``agents`` by default (before shrinkage).
    replications, seed : int
        Independent replications and the seed of their random streams.
    progress : callable, optional
        Called as ``progress(done, total)`` after each replication.
    """
    staffing = staffing_from_requirements(requirements, model, column)
    result = simulate(model, staffing, replications=replications, seed=seed, progress=progress)
    attainment = result.attainment_table()
    table = _with_simulated_columns(requirements, attainment)
    status: Literal["meets", "misses"] = (
        "misses" if (attainment["status"] == "misses").any() else "meets"
    )
    return VerificationResult(status, table, attainment, result.summary_table(), result)


def _with_simulated_columns(requirements: pd.DataFrame, attainment: pd.DataFrame) -> pd.DataFrame:
    keyed = attainment.assign(
        _key=_utc_key(attainment["interval_start"]), use_case=attainment["use_case"].astype(str)
    ).set_index(["_key", "use_case"])
    table = requirements.copy()
    index = pd.MultiIndex.from_arrays(
        [_utc_key(table["interval_start"]), table["use_case"].astype(str)]
    )
    columns = {
        "simulated_service_level": "answered_within_promise",
        "simulated_service_level_low": "answered_within_promise_low",
        "simulated_service_level_high": "answered_within_promise_high",
        "simulated_response_p90_seconds": "response_p90_seconds",
        "simulated_occupancy": "occupancy",
        "simulated_status": "status",
    }
    for new, old in columns.items():
        table[new] = keyed[old].reindex(index).to_numpy()
    return table


def _utc_key(values: pd.Series) -> pd.Index:
    index = pd.DatetimeIndex(pd.to_datetime(values))
    return index.tz_convert("UTC") if index.tz is not None else index


@dataclass(frozen=True, eq=False)
class TuningResult:
    """Outcome of :func:`tune_plan`.

    Attributes
    ----------
    status : {"converged", "iteration_limit", "infeasible"}
        ``converged`` when no interval can lose an agent without a miss; ``iteration_limit``
        when the search stopped early (the staffing still keeps every promise if
        ``meets`` is true); ``infeasible`` when some interval misses even at
        ``max_agents``.
    meets : bool
        Whether every interval of ``staffing`` keeps its promise in the simulation;
        false when ``unreachable`` lists intervals.
    staffing : Staffing
        The tuned agents per pool and interval.
    requirements : pandas.DataFrame
        The input requirements with the tuned agents in ``tuned_agents``.
    result : SimulationResult
        Simulation of the tuned staffing.
    initial_result : SimulationResult
        Simulation of the staffing the search started from.
    iterations : int
        Simulations run by the search.
    unreachable : pandas.DataFrame
        Pools and intervals (``pool, interval_start``) that missed the promise although
        more agents did not raise their attainment, so staffing cannot fix them; the
        search keeps their last staffing before the increase.
    """

    status: TuningStatus
    meets: bool
    staffing: Staffing
    requirements: pd.DataFrame
    result: SimulationResult
    initial_result: SimulationResult
    iterations: int
    unreachable: pd.DataFrame


def tune_plan(
    requirements: pd.DataFrame,
    model: SimulationModel,
    *,
    column: str = "agents",
    replications: int = 10,
    seed: int = 0,
    max_iterations: int = 60,
    max_agents: int | None = None,
    progress: StepCallback | None = None,
) -> TuningResult:
    """Find the smallest staffing per interval that keeps every promise in simulation.

    Starts from ``requirements[column]`` (the Erlang plan) and searches as described
    in the module docstring. An interval keeps its promise when the share of its turns
    answered within the target, pooled over all replications, reaches the service
    level; for a pool shared by use cases, each of them must keep its own promise.

    Parameters
    ----------
    requirements : pandas.DataFrame
        The plan's requirements table.
    model : SimulationModel
        Demand and rules.
    column : str
        Starting agents per row.
    replications, seed : int
        Replications per simulation, and the seed shared by all simulations.
    max_iterations : int
        Simulations allowed before the search stops with ``iteration_limit``.
    max_agents : int, optional
        Largest staffing of one pool in one interval; by default four times the largest
        starting value plus 20. Either is capped at the pool's
        :func:`~asyncwfm.simulate.run.max_agents_per_pool`, which the simulation accepts.
    progress : callable, optional
        Called as ``progress(iteration, max_iterations, missing_intervals)``.
    """
    if max_iterations < 1:
        raise InputError(f"max_iterations must be >= 1, got {max_iterations}")
    start = staffing_from_requirements(requirements, model, column)
    agents = start.agents.copy()
    limit = max_agents if max_agents is not None else int(4 * agents.max(initial=0) + 20)
    limits = np.minimum(limit, max_agents_per_pool(model))[:, None]
    window = _backlog_window(model)
    pinned = np.zeros_like(agents, dtype=bool)
    unreachable = np.zeros_like(agents, dtype=bool)
    decreased = np.zeros_like(agents, dtype=bool)
    increase = np.zeros_like(agents)
    strikes = np.zeros_like(agents)
    attainment_before_increase = np.zeros(agents.shape)
    best: tuple[np.ndarray, SimulationResult] | None = None
    initial_result: SimulationResult | None = None
    status: TuningStatus = "iteration_limit"

    for iteration in range(1, max_iterations + 1):
        staffing = Staffing(model.pools, agents)
        result = simulate(model, staffing, replications=replications, seed=seed)
        initial_result = initial_result or result
        attainment, target = _pool_attainment(result, model)
        missing = (attainment < target) & ~unreachable
        if progress is not None:
            progress(iteration, max_iterations, int(missing.sum()))

        # Two increases in a row that did not raise attainment: the miss does not depend
        # on staffing (for example a follow-up turn waiting for its own busy agent).
        no_gain = (increase > 0) & missing & (attainment <= attainment_before_increase)
        strikes = np.where(increase > 0, np.where(no_gain, strikes + 1, 0), strikes)
        give_up = no_gain & (strikes >= 2)
        if give_up.any():
            agents = np.where(give_up, agents - increase, agents)
            unreachable |= give_up
            increase = np.zeros_like(increase)
            decreased = np.zeros_like(decreased)
            continue
        increase = np.zeros_like(increase)

        if not missing.any():
            best = (agents.copy(), result)
            candidates = ~pinned & ~unreachable & (agents > 0)
            if not candidates.any():
                status = "converged"
                break
            agents = agents - candidates
            decreased = candidates
            continue

        if decreased.any():
            agents, pinned = _undo_decreases(agents, pinned, decreased, missing, window)
        else:
            if (agents >= limits)[missing].all():
                status = "infeasible"
                break
            gap = np.clip(target - attainment, 0.0, 1.0)
            step = np.maximum(np.ceil((agents + 1) * gap).astype(np.int64), 1)
            raised = np.where(missing, np.minimum(agents + step, limits), agents)
            increase = raised - agents
            attainment_before_increase = attainment
            agents = raised
            pinned |= missing
        decreased = np.zeros_like(decreased)

    assert initial_result is not None
    if best is None:
        final_agents, final_result = agents, result
    else:
        final_agents, final_result = best
    final_attainment, final_target = _pool_attainment(final_result, model)
    meets = bool((final_attainment >= final_target).all())
    tuned = Staffing(model.pools, final_agents)
    table = requirements_with_staffing(requirements, tuned, model, basis=column)
    return TuningResult(
        status=status,
        meets=meets,
        staffing=tuned,
        requirements=table,
        result=final_result,
        initial_result=initial_result,
        iterations=iteration,
        unreachable=_unreachable_table(unreachable, model),
    )


def _unreachable_table(unreachable: np.ndarray, model: SimulationModel) -> pd.DataFrame:
    pools, intervals = np.nonzero(unreachable)
    starts = (
        model.interval_starts[intervals]
        if model.interval_starts is not None
        else intervals * model.interval_seconds
    )
    return pd.DataFrame({"pool": [model.pools[p] for p in pools], "interval_start": starts})


def _backlog_window(model: SimulationModel) -> int:
    """Return how many intervals around a miss a decrease can have caused it."""
    longest = max(u.target_seconds for u in model.use_cases)
    return max(1, math.ceil(longest / model.interval_seconds)) + 1


def _pool_attainment(
    result: SimulationResult, model: SimulationModel
) -> tuple[np.ndarray, np.ndarray]:
    """Return per (pool, interval) the worst attainment gap and the matching target.

    For each pool and interval, the use case with the lowest margin (pooled share minus
    its service level) decides. Intervals without turns get attainment 1 and target 0.
    """
    share = result.pooled_attainment()
    levels = np.array([u.service_level for u in model.use_cases])[:, None]
    margin = np.where(np.isnan(share), np.inf, share - levels)
    n_pools = len(model.pools)
    worst_margin = np.full((n_pools, model.n_intervals), np.inf)
    attainment = np.ones((n_pools, model.n_intervals))
    target = np.zeros((n_pools, model.n_intervals))
    for index, use_case in enumerate(model.use_cases):
        pool = model.pools.index(use_case.pool)
        worse = margin[index] < worst_margin[pool]
        worst_margin[pool] = np.where(worse, margin[index], worst_margin[pool])
        attainment[pool] = np.where(worse, share[index], attainment[pool])
        target[pool] = np.where(worse, levels[index], target[pool])
    return attainment, target


def _undo_decreases(
    agents: np.ndarray,
    pinned: np.ndarray,
    decreased: np.ndarray,
    missing: np.ndarray,
    window: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Restore and pin decreased intervals near each missing one.

    A missing interval with no decrease nearby (possible when backlog reaches further
    than the window) gets back one agent and is pinned.
    """
    agents = agents.copy()
    pinned = pinned.copy()
    decreased = decreased.copy()
    n_intervals = agents.shape[1]
    for pool, k in zip(*np.nonzero(missing), strict=True):
        low, high = max(0, k - window), min(n_intervals, k + window + 1)
        nearby = decreased[pool, low:high]
        if nearby.any():
            agents[pool, low:high] += nearby
            pinned[pool, low:high] |= nearby
            decreased[pool, low:high] = False
        else:
            agents[pool, k] += 1
            pinned[pool, k] = True
    return agents, pinned
