"""The concurrency cap: thread slots as a second constraint beside the work.

An agent holds at most ``K`` threads at once (a routing setting). A thread occupies a
slot from assignment until release, ``thread_hold_seconds`` on average: the measured
time a thread stays assigned to an agent, which is much shorter than the session
length of a conversation that idles for days. With ``lambda`` threads assigned per
second, the mean number of occupied slots is ``m = lambda * thread_hold_seconds``
(Little's law), the slot load in Erlangs.

Without a cap the occupied slots form an M/G/infinity queue: their number is Poisson
with mean ``m`` whatever the distribution of hold times. With ``N`` agents there are
``S = N K`` slots, and a thread that finds all of them occupied waits in the routing
queue. The slot constraint asks that this happens to at most ``1 - P`` of threads,
where ``P`` is the promise's service level. Three models give that probability:

``"erlang_c"`` (default)
    M/M/S delay system: ``C(S, m)``. Threads wait for a slot, as routing queues do.
    It assumes exponential hold times.
``"erlang_b"``
    M/G/S/S loss system: ``B(S, m)``, which depends on the hold times only through
    their mean. It is a lower bound on the waiting probability of the delay system.
``"poisson"``
    The M/G/infinity tail ``P(Poisson(m) >= S)``: the share of time the uncapped slot
    demand would fill every slot. It also depends only on the mean hold time.

The probability of waiting, not of waiting longer than the target, is used because
holds (tens of minutes) are long next to most response targets: a thread that has
to wait for a slot seldom gets its reply in time.

NOTE: with holds longer than the interval, the occupied slots of an interval depend
on earlier intervals. The per-interval steady state used here is then an
approximation; a measured mean of open threads can be passed as the slot load.

The optional slow-down curve models agents working slower when they juggle more
threads: the active handling time per turn is multiplied by ``factor(k)``, where
``k = min(m / N, K)`` is the mean number of threads per agent.

References
----------
M/G/infinity: the number in system is Poisson with mean ``lambda / mu`` for any
service-time distribution, Real Statistics Using Excel, "M/G/infinity Queueing
Model", https://real-statistics.com/probability-functions/queueing-theory/m-g-infinity-queueing-model
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from asyncwfm.errors import InputError
from asyncwfm.plan._checks import BoolArray, FloatArray, IntArray, float_array
from asyncwfm.plan._search import MAX_AGENTS, smallest_passing_count
from asyncwfm.plan.erlang import (
    SERVICE_LEVEL_TOLERANCE,
    erlang_b,
    erlang_c,
    minimal_stable_agents,
    service_level,
)

SlotModel = Literal["erlang_c", "erlang_b", "poisson"]
Binding = Literal["work", "concurrency"]


def slot_load_erlangs(
    conversations_per_hour: ArrayLike, thread_hold_seconds: ArrayLike
) -> FloatArray:
    """Return the mean number of occupied thread slots, ``conversations/hour * hold / 3600``.

    ``conversations_per_hour`` counts thread assignments: new conversations, plus
    returning ones when the routing releases idle threads and assigns them again.
    """
    rate = float_array("conversations_per_hour", conversations_per_hour, minimum=0.0)
    hold = float_array("thread_hold_seconds", thread_hold_seconds, minimum=0.0)
    return rate * hold / 3_600.0


def slot_full_probability(
    agents: ArrayLike,
    slot_load: ArrayLike,
    concurrency_cap: ArrayLike,
    model: SlotModel = "erlang_c",
) -> FloatArray:
    """Return the probability that a new thread finds all ``agents * cap`` slots occupied.

    See the module docstring for the three models. With ``model="erlang_c"`` an
    unstable slot pool (slots not above the slot load) gets 1.
    """
    servers = float_array("agents", agents, minimum=0.0)
    load = float_array("slot_load", slot_load, minimum=0.0)
    cap = _cap(concurrency_cap)
    return _full_probability(servers * cap, load, model)


def slot_agents(
    slot_load: ArrayLike,
    concurrency_cap: ArrayLike,
    target_service_level: ArrayLike,
    model: SlotModel = "erlang_c",
    max_agents: int = MAX_AGENTS,
) -> IntArray:
    """Return the fewest agents whose slots leave at most ``1 - target`` of threads waiting.

    The smallest slot count ``S`` meeting the target is found first; the agents are
    ``ceil(S / cap)``. Intervals without slot load get 0.

    Parameters
    ----------
    slot_load
        Mean occupied slots per interval, from :func:`slot_load_erlangs` or a
        measured mean of open threads.
    concurrency_cap
        Maximum threads per agent, at least 1.
    target_service_level
        The promise's service level ``P`` in ``[0, 1)``.
    model
        ``"erlang_c"``, ``"erlang_b"`` or ``"poisson"``, see the module docstring.
    """
    load = float_array("slot_load", slot_load, minimum=0.0)
    cap = _cap(concurrency_cap)
    goal = float_array(
        "target_service_level",
        target_service_level,
        minimum=0.0,
        maximum=1.0,
        maximum_inclusive=False,
    )
    _check_model(model)
    load, cap, goal = (
        np.array(array, dtype=np.float64) for array in np.broadcast_arrays(load, cap, goal)
    )

    result = np.zeros(load.size, dtype=np.int64)
    busy = load.ravel() > 0
    if not busy.any():
        return result.reshape(load.shape)

    busy_load = load.ravel()[busy]
    allowed = 1.0 - goal.ravel()[busy]

    def enough_slots(slots: IntArray) -> BoolArray:
        full = _full_probability(slots.astype(np.float64), busy_load, model)
        return full <= allowed + SERVICE_LEVEL_TOLERANCE

    lower = minimal_stable_agents(busy_load) if model == "erlang_c" else np.ones_like(busy_load)
    slots = smallest_passing_count(enough_slots, lower.astype(np.int64), max_agents)
    busy_cap = cap.ravel()[busy]
    result[busy] = np.ceil(slots / busy_cap).astype(np.int64)
    return result.reshape(load.shape)


@dataclass(frozen=True)
class SlowdownCurve:
    """Factor on active handling time per turn as a function of threads worked at once.

    ``threads`` must increase strictly and ``factors`` must be positive and never
    fall, so that more agents (fewer threads each) never raise the handling time.
    Between points the factor is interpolated linearly. Outside them it stays at the
    first or last value.
    """

    threads: tuple[float, ...]
    factors: tuple[float, ...]

    def __post_init__(self) -> None:
        threads = np.asarray(self.threads, dtype=np.float64)
        factors = np.asarray(self.factors, dtype=np.float64)
        if threads.ndim != 1 or threads.size == 0 or threads.shape != factors.shape:
            raise InputError(
                "a slow-down curve needs equally many threads and factors, at least one "
                f"each. Got {len(self.threads)} threads and {len(self.factors)} factors."
            )
        if not (np.all(np.isfinite(threads)) and np.all(np.isfinite(factors))):
            raise InputError("slow-down curve points must be finite numbers.")
        if np.any(np.diff(threads) <= 0):
            raise InputError(f"slow-down threads must increase strictly, got {self.threads}.")
        if np.any(factors <= 0) or np.any(np.diff(factors) < 0):
            raise InputError(
                f"slow-down factors must be positive and never fall, got {self.factors}."
            )

    def factor(self, threads_per_agent: ArrayLike) -> FloatArray:
        """Return the handling-time factor at ``threads_per_agent`` threads."""
        load = float_array("threads_per_agent", threads_per_agent, minimum=0.0)
        return np.asarray(np.interp(load, self.threads, self.factors), dtype=np.float64)


def threads_per_agent(
    agents: ArrayLike, slot_load: ArrayLike, concurrency_cap: ArrayLike
) -> FloatArray:
    """Return ``min(slot_load / agents, cap)``, the mean threads each agent holds."""
    servers = float_array("agents", agents, minimum=0.0)
    load = float_array("slot_load", slot_load, minimum=0.0)
    cap = _cap(concurrency_cap)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(servers > 0, load / np.where(servers > 0, servers, 1.0), cap)
    return np.asarray(np.minimum(share, cap), dtype=np.float64)


def work_agents_with_slowdown(
    load_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    target_seconds: ArrayLike,
    target_service_level: ArrayLike,
    slot_load: ArrayLike,
    concurrency_cap: ArrayLike,
    curve: SlowdownCurve,
    max_agents: int = MAX_AGENTS,
) -> IntArray:
    """Return the fewest agents meeting the Erlang C target when handling slows with threads.

    ``load_erlangs`` and ``aht_seconds`` describe turns worked one thread at a time.
    With ``N`` agents each holds ``k = min(slot_load / N, cap)`` threads, so the
    handling time and the load are multiplied by ``curve.factor(k)``. Adding agents
    lowers ``k`` and therefore both, so the service level still rises with ``N`` and
    a bisection applies.
    """
    load = float_array("load_erlangs", load_erlangs, minimum=0.0)
    handling = float_array("aht_seconds", aht_seconds, minimum=0.0, minimum_inclusive=False)
    target = float_array("target_seconds", target_seconds, minimum=0.0)
    goal = float_array(
        "target_service_level",
        target_service_level,
        minimum=0.0,
        maximum=1.0,
        maximum_inclusive=False,
    )
    slots = float_array("slot_load", slot_load, minimum=0.0)
    cap = _cap(concurrency_cap)
    load, handling, target, goal, slots, cap = (
        np.array(array, dtype=np.float64)
        for array in np.broadcast_arrays(load, handling, target, goal, slots, cap)
    )

    result = np.zeros(load.size, dtype=np.int64)
    busy = load.ravel() > 0
    if not busy.any():
        return result.reshape(load.shape)

    busy_load, busy_handling, busy_target, busy_goal, busy_slots, busy_cap = (
        array.ravel()[busy] for array in (load, handling, target, goal, slots, cap)
    )

    def meets_goal(agents: IntArray) -> BoolArray:
        factor = curve.factor(threads_per_agent(agents, busy_slots, busy_cap))
        level = service_level(agents, busy_load * factor, busy_handling * factor, busy_target)
        return level >= busy_goal - SERVICE_LEVEL_TOLERANCE

    lower = minimal_stable_agents(busy_load * curve.factors[0])
    result[busy] = smallest_passing_count(meets_goal, lower, max_agents)
    return result.reshape(load.shape)


def combine_constraints(
    work_agents: ArrayLike, slot_agents: ArrayLike
) -> tuple[IntArray, NDArray[np.str_]]:
    """Return the larger head count per interval and which constraint set it.

    ``binding`` is ``"concurrency"`` where the slot constraint needs strictly more
    agents than the work, and ``"work"`` otherwise (ties included).
    """
    work = np.asarray(float_array("work_agents", work_agents, minimum=0.0), dtype=np.int64)
    slots = np.asarray(float_array("slot_agents", slot_agents, minimum=0.0), dtype=np.int64)
    work, slots = np.broadcast_arrays(work, slots)
    agents = np.maximum(work, slots)
    binding = np.where(slots > work, "concurrency", "work").astype(np.str_)
    return agents, binding


def _full_probability(slots: FloatArray, load: FloatArray, model: SlotModel) -> FloatArray:
    _check_model(model)
    if model == "erlang_c":
        return erlang_c(slots, load)
    if model == "erlang_b":
        return erlang_b(slots, load)
    return np.asarray(stats.poisson.sf(slots - 1.0, load), dtype=np.float64)


def _check_model(model: str) -> None:
    if model not in ("erlang_c", "erlang_b", "poisson"):
        raise InputError(f"unknown slot model {model!r}. Use 'erlang_c', 'erlang_b' or 'poisson'.")


def _cap(concurrency_cap: ArrayLike) -> FloatArray:
    cap = float_array("concurrency_cap", concurrency_cap, minimum=1.0)
    if np.any(cap != np.floor(cap)):
        raise InputError(f"concurrency_cap must be a whole number of threads, got {cap}.")
    return cap
