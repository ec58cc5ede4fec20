"""Typed inputs of the simulation: distributions, use cases, staffing and the model.

Everything here is plain data in seconds. :func:`~asyncwfm.simulate.adapter.model_from_measurement`
builds these objects from the measure and plan tables, and tests build them by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from asyncwfm.errors import InputError

Dispatch = Literal["edf", "fifo"]
ResponseClock = Literal["start", "reply"]


class Distribution(Protocol):
    """A non-negative random quantity that can be sampled in bulk."""

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` independent values as a float64 array."""
        ...

    @property
    def mean(self) -> float:
        """Expected value, in the unit of the samples."""
        ...


@dataclass(frozen=True)
class Constant:
    """A fixed value, for example zero think time."""

    value: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.value) or self.value < 0:
            raise InputError(f"Constant value must be finite and >= 0, got {self.value}")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Return ``size`` copies of the value."""
        return np.full(size, float(self.value))

    @property
    def mean(self) -> float:
        """The value itself."""
        return float(self.value)


@dataclass(frozen=True)
class Exponential:
    """Exponential distribution with the given mean."""

    mean_value: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.mean_value) or self.mean_value <= 0:
            raise InputError(f"Exponential mean must be finite and > 0, got {self.mean_value}")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw exponential values."""
        return rng.exponential(self.mean_value, size)

    @property
    def mean(self) -> float:
        """The mean given at construction."""
        return float(self.mean_value)


@dataclass(frozen=True)
class LogNormal:
    """Log-normal distribution given by its mean and coefficient of variation.

    With ``cv`` the ratio of standard deviation to mean, the underlying normal has
    ``sigma**2 = log(1 + cv**2)`` and ``mu = log(mean) - sigma**2 / 2``.
    """

    mean_value: float
    cv: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.mean_value) or self.mean_value <= 0:
            raise InputError(f"LogNormal mean must be finite and > 0, got {self.mean_value}")
        if not math.isfinite(self.cv) or self.cv < 0:
            raise InputError(f"LogNormal cv must be finite and >= 0, got {self.cv}")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw log-normal values."""
        sigma_squared = math.log1p(self.cv**2)
        mu = math.log(self.mean_value) - sigma_squared / 2
        return rng.lognormal(mu, math.sqrt(sigma_squared), size)

    @property
    def mean(self) -> float:
        """The mean given at construction."""
        return float(self.mean_value)

    @classmethod
    def fit(cls, values: np.ndarray) -> LogNormal:
        """Fit by the method of moments to positive samples."""
        data = np.asarray(values, dtype=float)
        data = data[np.isfinite(data) & (data > 0)]
        if data.size < 2:
            raise InputError(
                f"need at least 2 positive samples to fit a log-normal, got {data.size}"
            )
        return cls(float(data.mean()), float(data.std(ddof=1) / data.mean()))


@dataclass(frozen=True, eq=False)
class Empirical:
    """Resampling with replacement from measured values (the empirical distribution)."""

    values: np.ndarray

    def __post_init__(self) -> None:
        data = np.asarray(self.values, dtype=float)
        data = data[np.isfinite(data)]
        if data.size == 0:
            raise InputError("Empirical distribution needs at least one finite value, got none")
        if (data < 0).any():
            raise InputError(
                f"Empirical values must be >= 0; found minimum {data.min()}. "
                "Drop negative durations before building the model."
            )
        object.__setattr__(self, "values", data)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw values uniformly at random from the stored samples."""
        return self.values[rng.integers(0, self.values.size, size)]

    @property
    def mean(self) -> float:
        """Mean of the stored samples."""
        return float(self.values.mean())


@dataclass(frozen=True)
class Geometric:
    """Geometric distribution on 1, 2, 3, ... with the given mean (turns per conversation)."""

    mean_value: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.mean_value) or self.mean_value < 1:
            raise InputError(f"Geometric mean must be finite and >= 1, got {self.mean_value}")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw counts of at least 1."""
        return rng.geometric(1.0 / self.mean_value, size).astype(float)

    @property
    def mean(self) -> float:
        """The mean given at construction."""
        return float(self.mean_value)


@dataclass(frozen=True, eq=False)
class UseCaseModel:
    """Demand and promise of one use case over the simulated horizon.

    Attributes
    ----------
    name : str
        Use case name, as in the configuration.
    conversations_per_interval : ndarray of float, shape (intervals,)
        Expected new conversations that need an agent, per interval.
    turns_per_conversation : Distribution
        Customer turns per conversation that need an agent, rounded to integers >= 1.
    work_seconds : Distribution
        Active agent work per turn, in seconds.
    think_seconds : Distribution
        Customer think time from the agent's reply to the next customer turn, in seconds.
    target_seconds, service_level : float
        The promise: share ``service_level`` of turns answered within ``target_seconds``.
    response : {"first", "every"}
        Whether the promise counts only each conversation's first turn or every turn.
    concurrency_cap : int or None
        Maximum threads an agent holds at once; None for no cap.
    patience : Distribution or None
        Time a customer waits for a reply before abandoning the conversation; None
        for customers who never abandon.
    pool : str
        Agent pool serving this use case; use cases with the same pool share agents.
    peakedness : ndarray of float or None, shape (intervals,)
        Variance-to-mean ratio of conversation arrival counts per interval. Values above
        1 make conversations arrive in batches (see :mod:`asyncwfm.simulate.inputs`).
    work_scale : ndarray of float or None, shape (intervals,)
        Factor on the work of turns of conversations starting in each interval, so that
        the mean work follows a per-interval forecast of active seconds per turn.
    """

    name: str
    conversations_per_interval: np.ndarray
    turns_per_conversation: Distribution
    work_seconds: Distribution
    think_seconds: Distribution
    target_seconds: float
    service_level: float
    response: Literal["first", "every"] = "every"
    concurrency_cap: int | None = None
    patience: Distribution | None = None
    pool: str = ""
    peakedness: np.ndarray | None = None
    work_scale: np.ndarray | None = None

    def __post_init__(self) -> None:
        rate = np.asarray(self.conversations_per_interval, dtype=float)
        if rate.ndim != 1 or not np.isfinite(rate).all() or (rate < 0).any():
            raise InputError(
                f"use case {self.name!r}: conversations_per_interval must be a 1-D array of "
                "finite values >= 0"
            )
        object.__setattr__(self, "conversations_per_interval", rate)
        if not self.pool:
            object.__setattr__(self, "pool", self.name)
        if self.target_seconds <= 0 or not 0 < self.service_level <= 1:
            raise InputError(
                f"use case {self.name!r}: invalid promise {self.service_level} within "
                f"{self.target_seconds} s; need target_seconds > 0 and 0 < service_level <= 1"
            )
        if self.concurrency_cap is not None and self.concurrency_cap < 1:
            raise InputError(
                f"use case {self.name!r}: concurrency_cap must be >= 1 or None, "
                f"got {self.concurrency_cap}"
            )
        for name in ("peakedness", "work_scale"):
            values = getattr(self, name)
            if values is None:
                continue
            array = np.asarray(values, dtype=float)
            if array.shape != rate.shape or not np.isfinite(array).all() or (array < 0).any():
                raise InputError(
                    f"use case {self.name!r}: {name} must have one finite value >= 0 per "
                    f"interval ({rate.size}), got shape {array.shape}"
                )
            object.__setattr__(self, name, array)


@dataclass(frozen=True, eq=False)
class TraceConversations:
    """Real conversation timelines to replay against a plan.

    One entry per conversation in ``start_seconds`` (seconds from the horizon start),
    ``use_case`` (index into the model's use cases) and ``turns``; the per-turn arrays
    ``work_seconds`` and ``think_seconds`` hold the turns of each conversation
    consecutively, in conversation order. Think time is measured from the agent's reply
    to the customer's next turn, so replayed turns move with the simulated replies.
    """

    start_seconds: np.ndarray
    use_case: np.ndarray
    turns: np.ndarray
    work_seconds: np.ndarray
    think_seconds: np.ndarray

    def __post_init__(self) -> None:
        n_conversations = len(self.start_seconds)
        if not len(self.use_case) == len(self.turns) == n_conversations:
            raise InputError("trace: start_seconds, use_case and turns must have equal length")
        turns = np.asarray(self.turns, dtype=np.int64)
        if (turns < 1).any():
            raise InputError("trace: every conversation needs at least one turn")
        if len(self.work_seconds) != turns.sum() or len(self.think_seconds) != turns.sum():
            raise InputError(
                f"trace: work_seconds and think_seconds need one value per turn "
                f"({turns.sum()}), got {len(self.work_seconds)} and {len(self.think_seconds)}"
            )


@dataclass(frozen=True, eq=False)
class SimulationModel:
    """Everything one simulation run needs besides the staffing.

    Attributes
    ----------
    interval_seconds : float
        Length of one staffing interval.
    use_cases : tuple of UseCaseModel
        The use cases; all have one entry per interval.
    idle_timeout_seconds : float
        Idle time after which an agent's thread goes back to the pool.
    dispatch : {"edf", "fifo"}
        Earliest promise deadline first, or first in first out.
    response_clock : {"start", "reply"}
        What ends the response time: the agent starting work on the turn (the queueing
        convention that Erlang C staffing uses) or the reply being sent after the work.
    interval_starts : pandas.DatetimeIndex or None
        Start of each interval in the business time zone, for result tables.
    drain_seconds : float or None
        Time simulated after the horizon with the last staffing so late turns can be
        answered; None uses the longest promise target.
    trace : TraceConversations or None
        Replay these conversations instead of drawing random ones.
    """

    interval_seconds: float
    use_cases: tuple[UseCaseModel, ...]
    idle_timeout_seconds: float = 1800.0
    dispatch: Dispatch = "edf"
    response_clock: ResponseClock = "start"
    interval_starts: pd.DatetimeIndex | None = None
    drain_seconds: float | None = None
    trace: TraceConversations | None = None
    pools: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not self.use_cases:
            raise InputError("simulation model needs at least one use case")
        lengths = {u.conversations_per_interval.size for u in self.use_cases}
        if len(lengths) != 1:
            raise InputError(
                f"all use cases need the same number of intervals, got lengths {sorted(lengths)}"
            )
        names = [u.name for u in self.use_cases]
        if len(set(names)) != len(names):
            raise InputError(f"use case names must be unique, got {names}")
        if self.interval_seconds <= 0 or self.idle_timeout_seconds <= 0:
            raise InputError(
                f"interval_seconds ({self.interval_seconds}) and idle_timeout_seconds "
                f"({self.idle_timeout_seconds}) must be > 0"
            )
        if self.interval_starts is not None and len(self.interval_starts) != self.n_intervals:
            raise InputError(
                f"interval_starts has {len(self.interval_starts)} entries for "
                f"{self.n_intervals} intervals"
            )
        pools = tuple(dict.fromkeys(u.pool for u in self.use_cases))
        object.__setattr__(self, "pools", pools)

    @property
    def n_intervals(self) -> int:
        """Number of staffing intervals in the horizon."""
        return int(self.use_cases[0].conversations_per_interval.size)

    @property
    def horizon_seconds(self) -> float:
        """Length of the simulated horizon, without the drain period."""
        return self.n_intervals * self.interval_seconds

    def use_case_index(self, name: str) -> int:
        """Return the position of use case ``name``."""
        for index, use_case in enumerate(self.use_cases):
            if use_case.name == name:
                return index
        raise InputError(
            f"use case {name!r} is not in the model; known: {[u.name for u in self.use_cases]}"
        )


@dataclass(frozen=True, eq=False)
class Staffing:
    """Agents on shift per pool and interval.

    ``agents`` has shape (pools, intervals) and follows ``pools`` (the model's pool
    order). Build it with :meth:`from_mapping` or from a requirements table with
    :func:`~asyncwfm.simulate.adapter.staffing_from_requirements`.
    """

    pools: tuple[str, ...]
    agents: np.ndarray

    def __post_init__(self) -> None:
        agents = np.asarray(self.agents)
        if agents.ndim != 2 or agents.shape[0] != len(self.pools):
            raise InputError(
                f"staffing needs shape (pools={len(self.pools)}, intervals), got {agents.shape}"
            )
        if not np.isfinite(agents).all() or (agents < 0).any():
            raise InputError("staffing must be finite and >= 0 agents in every interval")
        rounded = np.ceil(agents - 1e-9).astype(np.int64)
        object.__setattr__(self, "agents", rounded)

    @classmethod
    def from_mapping(cls, agents: Mapping[str, Sequence[float] | np.ndarray]) -> Staffing:
        """Build from ``{pool: agents per interval}``; fractional agents round up."""
        pools = tuple(agents)
        return cls(pools, np.array([np.asarray(agents[p], dtype=float) for p in pools]))

    def for_model(self, model: SimulationModel) -> np.ndarray:
        """Return the agents array in the model's pool order, checking shape and names."""
        missing = [p for p in model.pools if p not in self.pools]
        if missing:
            raise InputError(
                f"staffing has no agents for pools {missing}; staffed pools: {list(self.pools)}"
            )
        if self.agents.shape[1] != model.n_intervals:
            raise InputError(
                f"staffing covers {self.agents.shape[1]} intervals, the model "
                f"{model.n_intervals}; build both from the same interval grid"
            )
        order = [self.pools.index(p) for p in model.pools]
        return self.agents[order]

    def agent_intervals(self) -> np.ndarray:
        """Return the sum of agents over intervals for each pool."""
        return self.agents.sum(axis=1)
