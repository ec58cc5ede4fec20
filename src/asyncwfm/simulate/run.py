"""Run replications of the simulation and summarise them with confidence intervals."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from asyncwfm.errors import InputError, TooFewReplicationsWarning
from asyncwfm.simulate.engine import NO_CAP, run_engine
from asyncwfm.simulate.inputs import draw_inputs
from asyncwfm.simulate.metrics import (
    COUNT_MEASURES,
    LEVEL_MEASURES,
    ReplicationRecords,
    interval_measures,
    mean_and_half_width,
)
from asyncwfm.simulate.model import SimulationModel, Staffing

MIN_REPLICATIONS = 5
"""Fewer replications than this emit :class:`~asyncwfm.errors.TooFewReplicationsWarning`."""

MAX_AGENTS_PER_ERLANG = 100
MAX_AGENTS_MARGIN = 1000
"""A pool may have at most ``MAX_AGENTS_PER_ERLANG`` times its peak offered load plus
``MAX_AGENTS_MARGIN`` agents in any interval; see :func:`max_agents_per_pool`."""

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each replication."""


def run_replication(
    model: SimulationModel, staffing: Staffing, rng: np.random.Generator
) -> ReplicationRecords:
    """Draw one replication's conversations from ``rng`` and simulate them against ``staffing``."""
    agents = staffing.for_model(model)
    inputs = draw_inputs(model, rng)
    pool_of_use_case = np.array([model.pools.index(u.pool) for u in model.use_cases])
    cap_of_pool = np.full(len(model.pools), NO_CAP, dtype=np.int64)
    for use_case, pool in zip(model.use_cases, pool_of_use_case, strict=True):
        # A pool shared by use cases with different caps uses the smallest of them.
        if use_case.concurrency_cap is not None:
            cap_of_pool[pool] = min(cap_of_pool[pool], use_case.concurrency_cap)
    drain = model.drain_seconds
    if drain is None:
        drain = max(u.target_seconds for u in model.use_cases)
    outputs = run_engine(
        float(model.interval_seconds),
        float(model.horizon_seconds + drain),
        np.ascontiguousarray(agents, dtype=np.int64),
        pool_of_use_case.astype(np.int64),
        cap_of_pool,
        np.array([u.target_seconds for u in model.use_cases], dtype=float),
        np.array([u.response == "first" for u in model.use_cases], dtype=np.bool_),
        model.dispatch == "fifo",
        float(model.idle_timeout_seconds),
        inputs.conversation_start,
        inputs.conversation_use_case,
        inputs.conversation_first_turn,
        inputs.conversation_turns,
        inputs.work_seconds,
        inputs.think_seconds,
        inputs.patience_seconds,
    )
    return ReplicationRecords(inputs, *outputs)


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Measures of all replications, per use case and interval.

    Attributes
    ----------
    model : SimulationModel
    staffing : Staffing
    seed : int
        Seed of the :class:`numpy.random.SeedSequence` that spawned the replications.
    replications : int
    confidence : float
        Level of the Student-t confidence intervals, e.g. 0.95.
    measures : dict of str to ndarray
        Every measure of :mod:`asyncwfm.simulate.metrics` with shape
        (replications, use cases, intervals).
    """

    model: SimulationModel
    staffing: Staffing
    seed: int
    replications: int
    confidence: float
    measures: dict[str, np.ndarray]

    def attainment_share(self, view: str | None = None) -> np.ndarray:
        """Return the share of turns answered within the promise, per replication.

        ``view`` is ``"first"``, ``"every"`` or None for each use case's own promise.
        Shape (replications, use cases, intervals); NaN where an interval had no turns.
        """
        every = self._share("within_promise_every", "turns")
        first = self._share("within_promise_first", "first_turns")
        if view == "every":
            return every
        if view == "first":
            return first
        uses_first = np.array([u.response == "first" for u in self.model.use_cases])
        return np.where(uses_first[None, :, None], first, every)

    def pooled_attainment(self) -> np.ndarray:
        """Return the share within promise over all replications, per (use case, interval).

        Counts are summed over replications before dividing, so an interval with few
        turns is judged on all of them. NaN where no replication had a turn.
        """
        uses_first = np.array([u.response == "first" for u in self.model.use_cases])[:, None]
        within = np.where(
            uses_first,
            self.measures["within_promise_first"].sum(axis=0),
            self.measures["within_promise_every"].sum(axis=0),
        )
        turns = np.where(
            uses_first,
            self.measures["first_turns"].sum(axis=0),
            self.measures["turns"].sum(axis=0),
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            return within / turns

    def _share(self, numerator: str, denominator: str) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.measures[numerator] / self.measures[denominator]

    def attainment_table(self) -> pd.DataFrame:
        """Return the ``attainment`` table: one row per use case and interval.

        ``answered_within_promise`` is the mean over replications of the share of the
        interval's turns answered within the promise (first or every response, as the
        use case's promise says), with the confidence interval in ``_low``/``_high``.
        ``status`` is ``meets`` when the share reaches the promise, ``at_risk`` when it
        falls short but the confidence interval still reaches the promise, ``misses``
        when the whole interval lies below it, and ``no_turns`` for an empty interval.
        Other columns are means over replications.
        """
        share_mean, share_half = mean_and_half_width(self.attainment_share(), self.confidence)
        every_mean, _ = mean_and_half_width(self.attainment_share("every"), self.confidence)
        first_mean, _ = mean_and_half_width(self.attainment_share("first"), self.confidence)
        n_use_cases = len(self.model.use_cases)
        n_intervals = self.model.n_intervals
        columns: dict[str, object] = {
            "interval_start": np.tile(self._interval_labels(), n_use_cases),
            "use_case": np.repeat([u.name for u in self.model.use_cases], n_intervals),
            "turns": self.measures["turns"].mean(axis=0).ravel(),
            "answered_within_promise": share_mean.ravel(),
            "answered_within_promise_low": (share_mean - share_half).ravel(),
            "answered_within_promise_high": (share_mean + share_half).ravel(),
            "first_response_within_promise": first_mean.ravel(),
            "every_response_within_promise": every_mean.ravel(),
        }
        for name in LEVEL_MEASURES:
            columns[name] = mean_and_half_width(self.measures[name], self.confidence)[0].ravel()
        columns["abandoned_turns"] = self.measures["abandoned"].mean(axis=0).ravel()
        pool_index = [self.model.pools.index(u.pool) for u in self.model.use_cases]
        columns["agents"] = self.staffing.for_model(self.model)[pool_index].ravel()
        columns["service_level_target"] = np.repeat(
            [u.service_level for u in self.model.use_cases], n_intervals
        )
        columns["target_seconds"] = np.repeat(
            [u.target_seconds for u in self.model.use_cases], n_intervals
        )
        table = pd.DataFrame(columns)
        table["status"] = _interval_status(table)
        return table

    def summary_table(self) -> pd.DataFrame:
        """Return one row per use case with the attainment over the whole horizon.

        ``answered_within_promise`` is the share of all turns of the horizon answered
        within the promise, with a confidence interval over replications.
        ``response_mean_seconds`` is the mean over answered turns, NaN when none was
        answered. ``pool_agent_hours`` are the staffed hours of the use case's pool, and
        ``agent_hours`` its part of them (see :meth:`agent_hours_per_use_case`), so the
        column adds up to the staffed hours of all pools.
        """
        hours, pool_hours = self.agent_hours_per_use_case()
        rows = []
        for index, use_case in enumerate(self.model.use_cases):
            key = "first" if use_case.response == "first" else "every"
            numerator = self.measures[f"within_promise_{key}"][:, index].sum(axis=1)
            denominator = self.measures["first_turns" if key == "first" else "turns"][:, index].sum(
                axis=1
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                share = numerator / denominator
            mean, half = mean_and_half_width(share[:, None], self.confidence)
            turns = self.measures["turns"][:, index].sum(axis=1)
            abandoned = self.measures["abandoned"][:, index].sum(axis=1)
            answered = self.measures["answered"][:, index]
            response = self.measures["response_mean_seconds"][:, index]
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_response = np.nansum(answered * response, axis=1) / answered.sum(axis=1)
            rows.append(
                {
                    "use_case": use_case.name,
                    "pool": use_case.pool,
                    "turns": float(turns.mean()),
                    "answered_within_promise": float(mean[0]),
                    "answered_within_promise_half_width": float(half[0]),
                    "service_level_target": use_case.service_level,
                    "target_seconds": use_case.target_seconds,
                    "response_mean_seconds": float(mean_and_half_width(mean_response)[0]),
                    "abandoned_share": float(np.nanmean(abandoned / np.maximum(turns, 1))),
                    "agent_hours": float(hours[index]),
                    "pool_agent_hours": float(pool_hours[index]),
                }
            )
        return pd.DataFrame(rows)

    def agent_hours_per_use_case(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the agent-hours of each use case and of its pool, one entry per use case.

        A pool's agents in an interval are split over its use cases in proportion to
        their simulated busy time there (mean over replications). In an interval where
        the pool did no work, the split follows the use cases' busy time over the whole
        horizon, or is equal when the pool never worked. A use case with its own pool
        gets all of that pool's hours.
        """
        pool_index = np.array([self.model.pools.index(u.pool) for u in self.model.use_cases])
        agents = self.staffing.for_model(self.model).astype(float)[pool_index]
        busy = self.measures["busy_agents"].mean(axis=0)

        pool_busy = np.zeros((len(self.model.pools), self.model.n_intervals))
        np.add.at(pool_busy, pool_index, busy)
        horizon_busy = busy.sum(axis=1)
        pool_horizon_busy = np.zeros(len(self.model.pools))
        np.add.at(pool_horizon_busy, pool_index, horizon_busy)
        use_cases_in_pool = np.bincount(pool_index)[pool_index]

        with np.errstate(invalid="ignore", divide="ignore"):
            share = busy / pool_busy[pool_index]
            horizon_share = np.where(
                pool_horizon_busy[pool_index] > 0,
                horizon_busy / pool_horizon_busy[pool_index],
                1.0 / use_cases_in_pool,
            )
        share = np.where(np.isfinite(share), share, horizon_share[:, None])
        to_hours = self.model.interval_seconds / 3600.0
        return (share * agents).sum(axis=1) * to_hours, agents.sum(axis=1) * to_hours

    def _interval_labels(self) -> pd.Index:
        if self.model.interval_starts is not None:
            return pd.Index(self.model.interval_starts)
        return pd.Index(np.arange(self.model.n_intervals) * self.model.interval_seconds)


def _interval_status(table: pd.DataFrame) -> np.ndarray:
    target = table["service_level_target"].to_numpy()
    share = table["answered_within_promise"].to_numpy()
    high = table["answered_within_promise_high"].to_numpy()
    high = np.where(np.isnan(high), share, high)
    status = np.where(share >= target, "meets", np.where(high >= target, "at_risk", "misses"))
    return np.where(np.isnan(share), "no_turns", status)


def offered_load_per_pool(model: SimulationModel) -> np.ndarray:
    """Return the offered load in Erlangs per pool and interval, shape (pools, intervals).

    The load of a use case is its expected turns per interval times its mean work per
    turn (scaled by ``work_scale`` where set), divided by the interval length.
    """
    load = np.zeros((len(model.pools), model.n_intervals))
    for use_case in model.use_cases:
        turns = use_case.conversations_per_interval * use_case.turns_per_conversation.mean
        work = np.full(model.n_intervals, use_case.work_seconds.mean)
        if use_case.work_scale is not None:
            work = work * use_case.work_scale
        load[model.pools.index(use_case.pool)] += turns * work / model.interval_seconds
    return load


def max_agents_per_pool(model: SimulationModel) -> np.ndarray:
    """Return the most agents :func:`simulate` accepts per pool in one interval.

    The bound is ``MAX_AGENTS_PER_ERLANG`` times the pool's peak offered load over the
    horizon plus ``MAX_AGENTS_MARGIN``. The engine scans a pool's agents for a free one,
    so the run time grows with the number of agents. One replication of a 28-day log
    with a million agents in every interval took about 50 s on 2 cores.

    NOTE: the factor is a judgement, not a measured limit. Agents who hold threads for
    a long idle timeout at a low concurrency cap can need many times the work load,
    but 100 times leaves a wide margin for that.
    """
    peak = offered_load_per_pool(model).max(axis=1, initial=0.0)
    return np.floor(MAX_AGENTS_PER_ERLANG * peak + 1e-9).astype(np.int64) + MAX_AGENTS_MARGIN


def check_staffing_bound(model: SimulationModel, staffing: Staffing) -> None:
    """Raise an ``InputError`` when a pool has more agents than :func:`max_agents_per_pool`."""
    agents = staffing.for_model(model)
    bound = max_agents_per_pool(model)
    over = agents > bound[:, None]
    if not over.any():
        return
    pool, interval = (int(i) for i in np.argwhere(over)[0])
    peak = offered_load_per_pool(model)[pool].max(initial=0.0)
    when = (
        f"the interval starting {model.interval_starts[interval]}"
        if model.interval_starts is not None
        else f"interval {interval}"
    )
    raise InputError(
        f"pool {model.pools[pool]!r} has {agents[pool, interval]} agents in {when}, but the "
        f"simulation accepts at most {bound[pool]}: {MAX_AGENTS_PER_ERLANG} times the pool's "
        f"peak offered load of {peak:.2f} Erlangs plus {MAX_AGENTS_MARGIN}. Check the plan's "
        "agents column; the run time grows with the number of agents."
    )


def simulate(
    model: SimulationModel,
    staffing: Staffing,
    *,
    replications: int = 10,
    seed: int = 0,
    confidence: float = 0.95,
    progress: ProgressCallback | None = None,
) -> SimulationResult:
    """Simulate ``staffing`` against ``model`` in independent replications.

    Each replication draws from its own random stream, spawned from
    ``numpy.random.SeedSequence(seed)``, so results are reproducible and replications
    are independent. A replayed trace (``model.trace``) is the same in every
    replication.

    Parameters
    ----------
    model : SimulationModel
        Demand, promises and routing rules.
    staffing : Staffing
        Agents on shift per pool and interval.
    replications : int
        Number of independent runs, at least 1.
    seed : int
        Seed of the random streams.
    confidence : float
        Level of the confidence intervals, between 0 and 1.
    progress : callable, optional
        Called as ``progress(done, total)`` after each replication.

    Raises
    ------
    InputError
        When ``replications`` or ``confidence`` is out of range, or a pool has more
        agents in some interval than :func:`max_agents_per_pool` allows.

    Warns
    -----
    TooFewReplicationsWarning
        With fewer than :data:`MIN_REPLICATIONS` replications of a random model,
        because the confidence intervals are then wide or (with one) undefined.
    """
    if replications < 1:
        raise InputError(f"replications must be >= 1, got {replications}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}")
    check_staffing_bound(model, staffing)
    if replications < MIN_REPLICATIONS and model.trace is None:
        warnings.warn(
            f"{replications} replications give wide or undefined confidence intervals; "
            f"use at least {MIN_REPLICATIONS}",
            TooFewReplicationsWarning,
            stacklevel=2,
        )

    streams = np.random.SeedSequence(seed).spawn(replications)
    per_replication: list[dict[str, np.ndarray]] = []
    for done, stream in enumerate(streams, start=1):
        records = run_replication(model, staffing, np.random.default_rng(stream))
        per_replication.append(interval_measures(model, records))
        if progress is not None:
            progress(done, replications)
    measures = {
        name: np.stack([m[name] for m in per_replication])
        for name in (*COUNT_MEASURES, *LEVEL_MEASURES)
    }
    return SimulationResult(model, staffing, seed, replications, confidence, measures)
