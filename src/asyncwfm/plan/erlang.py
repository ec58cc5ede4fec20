"""Erlang B and Erlang C on customer turns, vectorised over intervals.

Erlang C is the M/M/N queue applied to one use case in one interval: customer turns
arrive as a Poisson stream, each turn needs an exponentially distributed amount of
agent work with mean ``aht_seconds`` (the measured active handling time per turn,
never session length), N agents serve one first-come-first-served queue, and no
customer abandons. The offered load is ``A = turns * aht_seconds / interval_seconds`` Erlangs.

Every public function takes numbers or numpy arrays (one element per interval),
broadcasts them against each other and returns an array of the broadcast shape.
Zero load is valid everywhere: no turn waits and no agent is needed.

Numerics
--------
Erlang B is evaluated in log space through the regularised upper incomplete gamma
function ``Q`` (``scipy.special.gammaincc``), because the Poisson distribution
function satisfies ``sum_{k<=N} A^k/k! = e^A Q(N + 1, A)``::

    B(N, A) = exp(N ln A - A - ln Gamma(N + 1)) / Q(N + 1, A)

No factorial or power is formed, so loads of many thousands of Erlangs neither
overflow nor lose precision. The same expression defines Erlang B for a real number
of servers, which the peakedness model needs. Whenever ``N >= A`` the factor ``Q``
is a Poisson distribution function at or above its mean, hence of order one. Where
``N`` is so far below ``A`` that ``Q`` underflows, the module sums the series
``1/B = sum_j prod_{i<j} (N - i)/A`` instead, whose terms shrink geometrically there.

Erlang C follows from Erlang B as ``C = N B / (N - A + A B)`` for ``N > A``.

References
----------
Erlang B and Erlang C formulas: M. Marzolla, *The queueing package for GNU Octave*,
functions ``erlangb`` and ``erlangc``, https://mmarzolla.github.io/queueing/.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from asyncwfm.errors import InputError, UnstableQueueError
from asyncwfm.plan._checks import (
    BoolArray,
    FloatArray,
    IntArray,
    ceil_with_tolerance,
    float_array,
    float_scalar,
)
from asyncwfm.plan._search import MAX_AGENTS, smallest_passing_count
from asyncwfm.plan._special import log_erlang_b

SERVICE_LEVEL_TOLERANCE = 1e-12
"""Slack when comparing a computed service level with its target, to absorb rounding."""

ErlangCBinding = Literal["service_level", "occupancy", "stability", "no_load"]


def offered_load_erlangs(
    turns: ArrayLike, aht_seconds: ArrayLike, interval_minutes: ArrayLike
) -> FloatArray:
    """Return the offered load in Erlangs: agent-seconds of work per second of interval.

    Parameters
    ----------
    turns
        Customer turns that need an agent in the interval.
    aht_seconds
        Mean active handling time per turn, in seconds.
    interval_minutes
        Length of the interval, in minutes.
    """
    turn_count = float_array("turns", turns, minimum=0.0)
    handling = float_array("aht_seconds", aht_seconds, minimum=0.0)
    minutes = float_array(
        "interval_minutes", interval_minutes, minimum=0.0, minimum_inclusive=False
    )
    return turn_count * handling / (minutes * 60.0)


def erlang_b(agents: ArrayLike, load_erlangs: ArrayLike) -> FloatArray:
    """Return the Erlang B blocking probability of ``agents`` servers offered ``load_erlangs``.

    ``agents`` may be real (the continuous extension through the incomplete gamma
    function). With no servers every arrival is blocked (1), with no load none is (0).
    """
    servers, load = _servers_and_load(agents, load_erlangs)
    result = np.where(servers == 0, 1.0, 0.0)
    busy = load > 0
    result[busy] = np.exp(log_erlang_b(servers[busy], load[busy]))
    return result


def erlang_c(agents: ArrayLike, load_erlangs: ArrayLike) -> FloatArray:
    """Return the Erlang C probability that a turn waits (all agents busy on arrival).

    For ``agents <= load_erlangs`` the queue is unstable: it grows without bound and
    the long-run share of turns that wait is 1, which this function returns. Use
    :func:`is_stable` to tell those intervals apart. With zero load it returns 0.
    """
    servers, load = _servers_and_load(agents, load_erlangs)
    return _erlang_c(servers, load)


def service_level(
    agents: ArrayLike,
    load_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    target_seconds: ArrayLike,
) -> FloatArray:
    """Return the share of turns answered within ``target_seconds`` under Erlang C.

    ``SL = 1 - C(N, A) exp(-(N - A) target_seconds / aht_seconds)``, because the wait
    of a turn that waits is exponential with rate ``(N - A) / aht_seconds``. An
    unstable interval (``agents <= load``) gets 0 and an interval without load gets 1.
    """
    servers, load = _servers_and_load(agents, load_erlangs)
    handling = float_array("aht_seconds", aht_seconds, minimum=0.0, minimum_inclusive=False)
    target = float_array("target_seconds", target_seconds, minimum=0.0)
    return _service_level(servers, load, handling, target)


def average_speed_of_answer(
    agents: ArrayLike, load_erlangs: ArrayLike, aht_seconds: ArrayLike
) -> FloatArray:
    """Return the mean wait in seconds over all turns, ``C(N, A) aht_seconds / (N - A)``.

    Raises
    ------
    UnstableQueueError
        When an interval has load but ``agents <= load_erlangs``: its mean wait grows
        without bound, so no finite answer exists.
    """
    servers, load = _servers_and_load(agents, load_erlangs)
    handling = float_array("aht_seconds", aht_seconds, minimum=0.0, minimum_inclusive=False)
    servers, load, handling = _broadcast(servers, load, handling)
    _require_stable(servers, load)

    result = np.zeros_like(load)
    busy = load > 0
    wait_probability = _erlang_c(servers[busy], load[busy])
    result[busy] = wait_probability * handling[busy] / (servers[busy] - load[busy])
    return result


def occupancy(agents: ArrayLike, load_erlangs: ArrayLike) -> FloatArray:
    """Return the share of agent time spent on turns, ``load / agents``.

    An unstable interval (``agents <= load``) keeps every agent busy, so it gets 1.
    An interval without load gets 0.
    """
    servers, load = _servers_and_load(agents, load_erlangs)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.minimum(load / servers, 1.0)
    return np.where(load == 0, 0.0, ratio)


def is_stable(agents: ArrayLike, load_erlangs: ArrayLike) -> BoolArray:
    """Return True where the queue empties in the long run: more agents than load, or no load."""
    servers, load = _servers_and_load(agents, load_erlangs)
    return (servers > load) | (load == 0)


def required_agents(
    load_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    target_seconds: ArrayLike,
    target_service_level: ArrayLike,
    max_occupancy: float | None = None,
    max_agents: int = MAX_AGENTS,
) -> IntArray:
    """Return the fewest agents per interval that answer ``target_service_level`` of turns in time.

    The result is the smallest integer N with ``N > A`` (a stable queue), service
    level at least the target, and ``A / N <= max_occupancy`` when a cap is given.
    Intervals without load get 0 agents. Service level never falls as agents are
    added, so a vectorised doubling-and-bisection search finds all intervals in a
    few dozen Erlang C evaluations.

    Parameters
    ----------
    load_erlangs
        Offered load per interval, from :func:`offered_load_erlangs`.
    aht_seconds
        Mean active handling time per turn, in seconds.
    target_seconds
        Response-time target of the promise, in seconds. Targets of hours are fine:
        then the smallest stable head count, ``floor(A) + 1``, usually suffices.
    target_service_level
        Share of turns to answer within the target, in ``[0, 1)``.
    max_occupancy
        Optional cap on ``A / N`` in ``(0, 1]``.
    max_agents
        Largest head count to consider per interval.

    Raises
    ------
    InputError
        For a negative load, a non-positive handling time, a service-level target of
        1 or more (Erlang C never answers every turn within a finite target), or an
        occupancy cap outside ``(0, 1]``.
    InfeasiblePlanError
        When an interval needs more than ``max_agents``.
    """
    load = float_array("load_erlangs", load_erlangs, minimum=0.0)
    handling = float_array("aht_seconds", aht_seconds, minimum=0.0, minimum_inclusive=False)
    target = float_array("target_seconds", target_seconds, minimum=0.0)
    goal = _service_level_goal(target_service_level)
    cap = None if max_occupancy is None else _occupancy_cap(max_occupancy)

    load, handling, target, goal = _broadcast(load, handling, target, goal)
    flat_load = load.ravel()
    result = np.zeros(flat_load.shape, dtype=np.int64)
    busy = flat_load > 0
    if not busy.any():
        return result.reshape(load.shape)

    busy_load = flat_load[busy]
    busy_handling = handling.ravel()[busy]
    busy_target = target.ravel()[busy]
    busy_goal = goal.ravel()[busy]

    def meets_goal(agents: IntArray) -> BoolArray:
        level = _service_level(agents.astype(np.float64), busy_load, busy_handling, busy_target)
        return level >= busy_goal - SERVICE_LEVEL_TOLERANCE

    lower = minimal_stable_agents(busy_load)
    if cap is not None:
        lower = np.maximum(lower, ceil_with_tolerance(busy_load / cap))
    result[busy] = smallest_passing_count(meets_goal, lower, max_agents)
    return result.reshape(load.shape)


def minimal_stable_agents(load_erlangs: ArrayLike) -> IntArray:
    """Return ``floor(A) + 1``, the fewest agents for which the queue is stable.

    With a load of exactly 10 Erlangs that is 11, not 10: ten agents would be busy
    all the time and the queue would never empty.
    """
    load = float_array("load_erlangs", load_erlangs, minimum=0.0)
    return np.floor(load).astype(np.int64) + 1


def scheduled_agents(agents: ArrayLike, shrinkage: ArrayLike) -> IntArray:
    """Return ``ceil(agents / (1 - shrinkage))``: paid agents so that ``agents`` are at work.

    ``shrinkage`` is the share of paid time agents are not available for work
    (breaks, training, absence), in ``[0, 1)``. Quotients within a relative 1e-9 above
    an integer round down to it, so 7 agents at 30 % shrinkage give 10, not 11.
    """
    working = float_array("agents", agents, minimum=0.0)
    share = float_array("shrinkage", shrinkage, minimum=0.0, maximum=1.0, maximum_inclusive=False)
    return ceil_with_tolerance(working / (1.0 - share))


@dataclass(frozen=True)
class ErlangCIntervalPlan:
    """Erlang C staffing of one interval, as computed by :func:`plan_erlang_c_interval`.

    ``binding`` names what set ``agents``: the service-level target, the occupancy
    cap, stability (the smallest stable head count already meets the target, typical
    for targets of hours) or ``no_load``. Durations are in seconds.
    """

    turns: float
    interval_minutes: float
    aht_seconds: float
    target_seconds: float
    target_service_level: float
    max_occupancy: float | None
    shrinkage: float
    workload_erlangs: float
    agents: int
    scheduled_agents: int
    service_level: float
    wait_probability: float
    asa_seconds: float
    occupancy: float
    binding: ErlangCBinding

    def to_dict(self) -> dict[str, float | int | str | None]:
        """Return the fields as a plain dictionary, ready for JSON."""
        return asdict(self)


def plan_erlang_c_interval(
    turns: float,
    interval_minutes: float,
    aht_seconds: float,
    target_seconds: float,
    target_service_level: float,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> ErlangCIntervalPlan:
    """Staff one interval with Erlang C and report the resulting service measures.

    See :func:`required_agents` for the rules and :func:`scheduled_agents` for
    shrinkage. All arguments are single numbers.
    """
    turn_count = float_scalar("turns", turns, minimum=0.0)
    minutes = float_scalar(
        "interval_minutes", interval_minutes, minimum=0.0, minimum_inclusive=False
    )
    handling = float_scalar("aht_seconds", aht_seconds, minimum=0.0, minimum_inclusive=False)
    target = float_scalar("target_seconds", target_seconds, minimum=0.0)
    goal = float(_service_level_goal(target_service_level))
    cap = None if max_occupancy is None else _occupancy_cap(max_occupancy)
    share = float_scalar("shrinkage", shrinkage, minimum=0.0, maximum=1.0, maximum_inclusive=False)

    load = float(offered_load_erlangs(turn_count, handling, minutes))
    service_agents = int(required_agents(load, handling, target, goal))
    cap_agents = 0 if cap is None or load == 0 else int(ceil_with_tolerance(load / cap))
    agents = max(service_agents, cap_agents)
    binding = _erlang_c_binding(load, service_agents, cap_agents)

    return ErlangCIntervalPlan(
        turns=turn_count,
        interval_minutes=minutes,
        aht_seconds=handling,
        target_seconds=target,
        target_service_level=goal,
        max_occupancy=cap,
        shrinkage=share,
        workload_erlangs=load,
        agents=agents,
        scheduled_agents=int(scheduled_agents(agents, share)),
        service_level=float(service_level(agents, load, handling, target)),
        wait_probability=float(erlang_c(agents, load)),
        asa_seconds=float(average_speed_of_answer(agents, load, handling)),
        occupancy=float(occupancy(agents, load)),
        binding=binding,
    )


def _erlang_c_binding(load: float, service_agents: int, cap_agents: int) -> ErlangCBinding:
    if load == 0:
        return "no_load"
    if cap_agents > service_agents:
        return "occupancy"
    if service_agents == int(minimal_stable_agents(load)):
        return "stability"
    return "service_level"


def _erlang_c(servers: FloatArray, load: FloatArray) -> FloatArray:
    servers, load = _broadcast(servers, load)
    result = np.ones_like(load)
    result[load == 0] = 0.0
    stable = (servers > load) & (load > 0)
    blocking = np.exp(log_erlang_b(servers[stable], load[stable]))
    excess = servers[stable] - load[stable]
    result[stable] = servers[stable] * blocking / (excess + load[stable] * blocking)
    return result


def _service_level(
    servers: FloatArray, load: FloatArray, handling: FloatArray, target: FloatArray
) -> FloatArray:
    servers, load, handling, target = _broadcast(servers, load, handling, target)
    result = np.where(load == 0, 1.0, 0.0)
    stable = (servers > load) & (load > 0)
    wait_probability = _erlang_c(servers[stable], load[stable])
    decay = (servers[stable] - load[stable]) * target[stable] / handling[stable]
    with np.errstate(divide="ignore"):
        log_late = np.log(wait_probability) - decay
    result[stable] = -np.expm1(log_late)
    return result


def _servers_and_load(agents: ArrayLike, load_erlangs: ArrayLike) -> tuple[FloatArray, FloatArray]:
    servers = float_array("agents", agents, minimum=0.0)
    load = float_array("load_erlangs", load_erlangs, minimum=0.0)
    broadcast = _broadcast(servers, load)
    return broadcast[0], broadcast[1]


def _broadcast(*arrays: FloatArray) -> tuple[FloatArray, ...]:
    """Broadcast arrays to one shape and return writable copies."""
    return tuple(np.array(array, dtype=np.float64) for array in np.broadcast_arrays(*arrays))


def _require_stable(servers: FloatArray, load: FloatArray) -> None:
    unstable = (servers <= load) & (load > 0)
    if unstable.any():
        position = int(np.flatnonzero(unstable.ravel())[0])
        agents = servers.ravel()[position]
        offered = load.ravel()[position]
        raise UnstableQueueError(
            f"{int(unstable.sum())} interval(s) have no more agents than load, for example "
            f"index {position} with {agents:g} agents for {offered:.4g} Erlangs; the mean wait "
            "is unbounded there. Staff above the load, e.g. with required_agents()."
        )


def _service_level_goal(target_service_level: ArrayLike) -> FloatArray:
    goal = float_array("target_service_level", target_service_level, minimum=0.0)
    if np.any(goal >= 1.0):
        raise InputError(
            f"target_service_level must be below 1, got {float(np.max(goal))}: Erlang C "
            "never answers every turn within a finite target. Use a value such as 0.99."
        )
    return goal


def _occupancy_cap(max_occupancy: float) -> float:
    return float_scalar(
        "max_occupancy", max_occupancy, minimum=0.0, minimum_inclusive=False, maximum=1.0
    )
