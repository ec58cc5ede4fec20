"""Draw the conversations and turns of one replication as flat arrays for the engine.

Conversation arrivals follow a non-homogeneous Poisson process with a rate that is
constant within each interval: the count per interval is Poisson and the arrival
times are uniform within the interval, which is exact for a piecewise-constant rate.
With peakedness ``z > 1`` conversations arrive in batches at one instant: batches form
a Poisson process and batch sizes are geometric on 1, 2, ... with mean ``m = (z + 1) / 2``.
The counts then have variance-to-mean ratio ``E[B^2] / E[B] = 2m - 1 = z`` (compound
Poisson), which models many threads waking at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from asyncwfm.simulate.model import SimulationModel, UseCaseModel


@dataclass(frozen=True, eq=False)
class EngineInputs:
    """Conversations sorted by start, with their turns, ready for the engine."""

    conversation_start: np.ndarray
    conversation_use_case: np.ndarray
    conversation_first_turn: np.ndarray
    conversation_turns: np.ndarray
    work_seconds: np.ndarray
    think_seconds: np.ndarray
    patience_seconds: np.ndarray
    turn_index: np.ndarray
    """Position of each turn within its conversation, 0 for the first turn."""
    turn_use_case: np.ndarray
    """Use case index of each turn."""


def draw_inputs(model: SimulationModel, rng: np.random.Generator) -> EngineInputs:
    """Draw one replication's conversations, or lay out the model's trace for replay."""
    if model.trace is not None:
        return _trace_inputs(model)

    starts: list[np.ndarray] = []
    use_cases: list[np.ndarray] = []
    turns: list[np.ndarray] = []
    works: list[np.ndarray] = []
    thinks: list[np.ndarray] = []
    patiences: list[np.ndarray] = []
    for index, use_case in enumerate(model.use_cases):
        start, intervals = _arrival_times(use_case, model.interval_seconds, rng)
        count = _turn_counts(use_case, start.size, rng)
        n_turns = int(count.sum())
        work = use_case.work_seconds.sample(rng, n_turns)
        if use_case.work_scale is not None:
            work = work * np.repeat(use_case.work_scale[intervals], count)
        starts.append(start)
        use_cases.append(np.full(start.size, index, dtype=np.int64))
        turns.append(count)
        works.append(work)
        thinks.append(use_case.think_seconds.sample(rng, n_turns))
        if use_case.patience is None:
            patiences.append(np.full(n_turns, np.inf))
        else:
            patiences.append(use_case.patience.sample(rng, n_turns))

    return _assemble(
        np.concatenate(starts),
        np.concatenate(use_cases),
        np.concatenate(turns),
        np.concatenate(works),
        np.concatenate(thinks),
        np.concatenate(patiences),
    )


def _arrival_times(
    use_case: UseCaseModel, interval_seconds: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return conversation start times and the interval of each."""
    rate = use_case.conversations_per_interval
    peakedness = use_case.peakedness
    if peakedness is None or not (peakedness > 1.0).any():
        counts = rng.poisson(rate)
        intervals = np.repeat(np.arange(rate.size), counts)
        offsets = rng.random(intervals.size) * interval_seconds
        return intervals * interval_seconds + offsets, intervals

    mean_batch = np.maximum((peakedness + 1.0) / 2.0, 1.0)
    batches = rng.poisson(rate / mean_batch)
    batch_interval = np.repeat(np.arange(rate.size), batches)
    batch_time = (
        batch_interval * interval_seconds + rng.random(batch_interval.size) * interval_seconds
    )
    batch_size = rng.geometric(1.0 / mean_batch[batch_interval])
    return np.repeat(batch_time, batch_size), np.repeat(batch_interval, batch_size)


def _turn_counts(use_case: UseCaseModel, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw turns per conversation, rounded to integers of at least 1."""
    counts = np.rint(use_case.turns_per_conversation.sample(rng, size)).astype(np.int64)
    return np.maximum(counts, 1)


def _trace_inputs(model: SimulationModel) -> EngineInputs:
    trace = model.trace
    assert trace is not None
    n_turns = int(np.asarray(trace.turns).sum())
    use_case = np.asarray(trace.use_case, dtype=np.int64)
    patience = np.full(n_turns, np.inf)
    turn_use_case = np.repeat(use_case, np.asarray(trace.turns, dtype=np.int64))
    for index, spec in enumerate(model.use_cases):
        # NOTE: a replayed log has no recorded patience, so patience is drawn from the
        # model with a fixed seed; every replication of a replay then sees the same values.
        if spec.patience is not None:
            mask = turn_use_case == index
            patience[mask] = spec.patience.sample(np.random.default_rng(index), int(mask.sum()))
    return _assemble(
        np.asarray(trace.start_seconds, dtype=float),
        use_case,
        np.asarray(trace.turns, dtype=np.int64),
        np.asarray(trace.work_seconds, dtype=float),
        np.asarray(trace.think_seconds, dtype=float),
        patience,
    )


def _assemble(
    start: np.ndarray,
    use_case: np.ndarray,
    turns: np.ndarray,
    work: np.ndarray,
    think: np.ndarray,
    patience: np.ndarray,
) -> EngineInputs:
    """Sort conversations by start; turn arrays stay in place and are indexed per conversation."""
    first_turn = (np.cumsum(turns) - turns).astype(np.int64)
    order = np.argsort(start, kind="stable")
    turn_index = np.arange(work.size) - np.repeat(first_turn, turns)
    return EngineInputs(
        conversation_start=np.ascontiguousarray(start[order], dtype=float),
        conversation_use_case=np.ascontiguousarray(use_case[order], dtype=np.int64),
        conversation_first_turn=np.ascontiguousarray(first_turn[order], dtype=np.int64),
        conversation_turns=np.ascontiguousarray(turns[order], dtype=np.int64),
        work_seconds=np.ascontiguousarray(work, dtype=float),
        think_seconds=np.ascontiguousarray(think, dtype=float),
        patience_seconds=np.ascontiguousarray(patience, dtype=float),
        turn_index=turn_index.astype(np.int64),
        turn_use_case=np.repeat(use_case, turns).astype(np.int64),
    )
