"""Erlang A: Erlang C with customer abandonment, vectorised over intervals.

Erlang A (the M/M/N+M queue, also called Palm's model) adds patience to Erlang C:
every waiting turn has an exponentially distributed patience with mean
``patience_seconds``, and a customer whose wait reaches it gives up. For messaging
this is a customer who stops waiting for the reply (leaves the thread or writes
elsewhere). Abandonment keeps the queue finite at any load, so Erlang A has no
unstable case.

Notation: ``N`` agents, load ``A = lambda * aht``, ``mu = 1/aht``, ``theta =
1/patience``, ``c = N mu / theta`` and ``b = lambda / theta``. With the Erlang B value
``E = B(N, A)`` and the scaled lower incomplete gamma function
``J(x, y) = x e^y y^(-x) gamma(x, y) = 1F1(1; x + 1; y)``:

* probability that all agents are busy with an empty queue:
  ``pi_N = E / (1 + (J(c, b) - 1) E)``;
* probability that a turn waits: ``P(W > 0) = J(c, b) pi_N``;
* probability that a turn abandons:
  ``P(Ab) = P(W > 0) (1 - (1 - 1/J(c, b)) N / A)``;
* offered wait ``V`` (the wait of a turn with infinite patience) exceeds ``t``:
  ``P(V > t) = pi_N J(c, b e^(-theta t)) exp(-N mu t + b (1 - e^(-theta t)))``;
* the same, for a turn that is answered in the end:
  ``P(V > t, answered) = P(V > t) (N / A) (1 - 1/J(c, b e^(-theta t)))``.

The service level is the share of all turns answered within the target,
``1 - P(Ab) - P(V > t, answered)``: a turn that abandons counts as a miss even when
it abandons before the target. The tests check every formula against the explicit
birth-death chain and the tagged-customer argument.

The formulas follow from the birth-death chain of the number of turns in the
system: a turn that finds ``j`` turns waiting ahead is answered with probability
``c / (c + j + 1)``, and its offered wait is a sum of exponential stages with rates
``N mu + i theta``, ``i = 0 .. j``.

References
----------
A. Mandelbaum and S. Zeltyn, *The Palm/Erlang-A queue, with applications to call
centers*, Technion lecture notes (2005), sections 3 and 4: the model, its
birth-death representation, and the measures P{W > 0} and P{Ab}.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from asyncwfm.errors import InputError
from asyncwfm.plan._checks import BoolArray, FloatArray, IntArray, float_array, float_scalar
from asyncwfm.plan._search import MAX_AGENTS, smallest_passing_count
from asyncwfm.plan._special import (
    log_erlang_b,
    log_scaled_lower_gamma,
    log_scaled_lower_gamma_slope,
)
from asyncwfm.plan.erlang import SERVICE_LEVEL_TOLERANCE


@dataclass(frozen=True)
class ErlangAPerformance:
    """Service measures of an Erlang A queue per interval. Durations are in seconds.

    ``mean_wait_seconds`` averages the wait over all turns, abandoned ones included
    (``P(Ab) * patience``). ``asa_seconds`` averages it over answered turns only.
    ``occupancy`` is the share of agent time spent on answered turns.
    """

    wait_probability: FloatArray
    abandonment_probability: FloatArray
    service_level: FloatArray
    mean_wait_seconds: FloatArray
    asa_seconds: FloatArray
    occupancy: FloatArray


def erlang_a_performance(
    agents: ArrayLike,
    load_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    patience_seconds: ArrayLike,
    target_seconds: ArrayLike,
) -> ErlangAPerformance:
    """Compute the Erlang A service measures of ``agents`` agents per interval.

    Parameters
    ----------
    agents
        Agents per interval, at least 1 where there is load.
    load_erlangs
        Offered load per interval in Erlangs (turns times AHT over interval length).
    aht_seconds
        Mean active handling time per turn, in seconds.
    patience_seconds
        Mean patience of a waiting customer, in seconds.
    target_seconds
        Response-time target for the service level, in seconds.

    Raises
    ------
    InputError
        For invalid numbers, or an interval with load but no agent (no turn would
        ever be answered, so the mean wait of answered turns does not exist).
    """
    servers, load, handling, patience, target = _checked(
        agents, load_erlangs, aht_seconds, patience_seconds, target_seconds
    )
    queue = _ErlangAQueue(servers, load, handling, patience)
    answered = 1.0 - queue.abandonment_probability
    return ErlangAPerformance(
        wait_probability=queue.wait_probability,
        abandonment_probability=queue.abandonment_probability,
        service_level=queue.service_level(target),
        mean_wait_seconds=np.asarray(queue.abandonment_probability * patience),
        asa_seconds=np.asarray(queue.answered_wait_seconds() / np.where(load > 0, answered, 1.0)),
        occupancy=np.where(
            load > 0, np.minimum(load * answered / np.maximum(servers, 1.0), 1.0), 0.0
        ),
    )


def erlang_a_service_level(
    agents: ArrayLike,
    load_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    patience_seconds: ArrayLike,
    target_seconds: ArrayLike,
) -> FloatArray:
    """Return the share of all turns answered within ``target_seconds`` under Erlang A.

    See :func:`erlang_a_performance` for the parameters. Abandoned turns count as
    misses.
    """
    servers, load, handling, patience, target = _checked(
        agents, load_erlangs, aht_seconds, patience_seconds, target_seconds
    )
    return _ErlangAQueue(servers, load, handling, patience).service_level(target)


def erlang_a_required_agents(
    load_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    patience_seconds: ArrayLike,
    target_seconds: ArrayLike,
    target_service_level: ArrayLike,
    max_occupancy: float | None = None,
    max_abandonment: float | None = None,
    max_agents: int = MAX_AGENTS,
) -> IntArray:
    """Return the fewest agents per interval that meet the Erlang A targets.

    The count meets ``target_service_level`` of turns answered within
    ``target_seconds``, keeps the occupancy at or below ``max_occupancy`` and the
    abandonment probability at or below ``max_abandonment`` when those are given.
    Intervals without load get 0. Each measure improves as agents are added, so a
    vectorised doubling-and-bisection search finds all intervals at once.

    Raises
    ------
    InputError
        For invalid numbers or targets outside their ranges.
    InfeasiblePlanError
        When an interval needs more than ``max_agents``.
    """
    load = float_array("load_erlangs", load_erlangs, minimum=0.0)
    handling = float_array("aht_seconds", aht_seconds, minimum=0.0, minimum_inclusive=False)
    patience = float_array(
        "patience_seconds", patience_seconds, minimum=0.0, minimum_inclusive=False
    )
    target = float_array("target_seconds", target_seconds, minimum=0.0)
    goal = float_array(
        "target_service_level",
        target_service_level,
        minimum=0.0,
        maximum=1.0,
        maximum_inclusive=False,
    )
    occupancy_cap = _optional_share("max_occupancy", max_occupancy)
    abandonment_cap = _optional_share("max_abandonment", max_abandonment)

    load, handling, patience, target, goal = (
        np.array(array, dtype=np.float64)
        for array in np.broadcast_arrays(load, handling, patience, target, goal)
    )
    result = np.zeros(load.size, dtype=np.int64)
    busy = load.ravel() > 0
    if not busy.any():
        return result.reshape(load.shape)

    busy_load, busy_handling, busy_patience, busy_target, busy_goal = (
        array.ravel()[busy] for array in (load, handling, patience, target, goal)
    )

    def meets_targets(agents: IntArray) -> BoolArray:
        queue = _ErlangAQueue(agents.astype(np.float64), busy_load, busy_handling, busy_patience)
        ok = queue.service_level(busy_target) >= busy_goal - SERVICE_LEVEL_TOLERANCE
        if occupancy_cap is not None:
            carried = busy_load * (1.0 - queue.abandonment_probability)
            ok &= carried / agents <= occupancy_cap + SERVICE_LEVEL_TOLERANCE
        if abandonment_cap is not None:
            ok &= queue.abandonment_probability <= abandonment_cap + SERVICE_LEVEL_TOLERANCE
        return ok

    lower = np.ones(busy_load.shape, dtype=np.int64)
    result[busy] = smallest_passing_count(meets_targets, lower, max_agents)
    return result.reshape(load.shape)


class _ErlangAQueue:
    """Erlang A quantities shared by the measures, for positive agents where there is load."""

    def __init__(
        self, servers: FloatArray, load: FloatArray, handling: FloatArray, patience: FloatArray
    ) -> None:
        self.servers = servers
        self.load = load
        self.busy = load > 0
        self.service_rate = 1.0 / handling
        self.abandonment_rate = 1.0 / patience
        self.scaled_servers = servers * patience / handling
        self.scaled_arrivals = load * patience / handling

        log_busy_scaled = np.zeros_like(load)
        log_blocking = np.zeros_like(load)
        log_busy_scaled[self.busy] = log_scaled_lower_gamma(
            self.scaled_servers[self.busy], self.scaled_arrivals[self.busy]
        )
        log_blocking[self.busy] = log_erlang_b(servers[self.busy], load[self.busy])
        self.log_all_busy = log_blocking - np.logaddexp(
            0.0, _log_minus_one(log_busy_scaled) + log_blocking
        )

        log_odds = _log_minus_one(-log_blocking) - log_busy_scaled
        self.wait_probability = np.where(self.busy, special.expit(-log_odds), 0.0)

        answered_share = -np.expm1(-log_busy_scaled) * servers / np.where(self.busy, load, 1.0)
        abandonment = self.wait_probability * (1.0 - answered_share)
        self.abandonment_probability = np.where(self.busy, np.clip(abandonment, 0.0, 1.0), 0.0)

    def offered_wait_tail(self, wait_seconds: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return ``P(V > t)`` and ``P(V > t, answered)`` for waits ``t`` in seconds."""
        decay = np.exp(-self.abandonment_rate * wait_seconds)
        remaining = self.scaled_arrivals * decay
        log_scaled = np.zeros_like(self.load)
        log_scaled[self.busy] = log_scaled_lower_gamma(
            self.scaled_servers[self.busy], remaining[self.busy]
        )
        log_tail = (
            self.log_all_busy
            + log_scaled
            - self.servers * self.service_rate * wait_seconds
            - self.scaled_arrivals * np.expm1(-self.abandonment_rate * wait_seconds)
        )
        tail = np.where(self.busy, np.exp(log_tail), 0.0)
        answered_share = -np.expm1(-log_scaled) * self.servers / np.where(self.busy, self.load, 1.0)
        return tail, tail * answered_share

    def service_level(self, target: FloatArray) -> FloatArray:
        _, late_answered = self.offered_wait_tail(target)
        level = 1.0 - self.abandonment_probability - late_answered
        return np.where(self.busy, np.clip(level, 0.0, 1.0), 1.0)

    def answered_wait_seconds(self) -> FloatArray:
        """Return ``E[V; answered]``: the wait of answered turns, averaged over all turns.

        A turn that finds ``j`` turns ahead is answered with probability
        ``c / (c + j + 1)`` and then waits on average ``sum_{i=1}^{j+1} 1/((c + i) theta)``.
        Summed over ``j`` with the chain's weights this is
        ``pi_N / theta * c/(c+1) * J(c+1, b) * (1/(c+1) - d ln J(x, b)/dx at x = c+1)``.
        """
        result = np.zeros_like(self.load)
        busy = self.busy
        if not busy.any():
            return result

        shape = self.scaled_servers[busy] + 1.0
        arrivals = self.scaled_arrivals[busy]
        log_scale = (
            self.log_all_busy[busy]
            + np.log(self.scaled_servers[busy] / shape)
            + log_scaled_lower_gamma(shape, arrivals)
        )
        bracket = 1.0 / shape - log_scaled_lower_gamma_slope(shape, arrivals)
        result[busy] = np.exp(log_scale) * bracket / self.abandonment_rate[busy]
        return result


def _log_minus_one(log_value: FloatArray) -> FloatArray:
    """Return ``ln(e^v - 1)`` for ``v >= 0``, with ``-inf`` at ``v = 0``."""
    with np.errstate(divide="ignore"):
        return log_value + np.log(-np.expm1(-log_value))


def _checked(
    agents: ArrayLike,
    load_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    patience_seconds: ArrayLike,
    target_seconds: ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    servers = float_array("agents", agents, minimum=0.0)
    load = float_array("load_erlangs", load_erlangs, minimum=0.0)
    handling = float_array("aht_seconds", aht_seconds, minimum=0.0, minimum_inclusive=False)
    patience = float_array(
        "patience_seconds", patience_seconds, minimum=0.0, minimum_inclusive=False
    )
    target = float_array("target_seconds", target_seconds, minimum=0.0)
    servers, load, handling, patience, target = (
        np.array(array, dtype=np.float64)
        for array in np.broadcast_arrays(servers, load, handling, patience, target)
    )

    unserved = (load > 0) & (servers < 1)
    if unserved.any():
        position = int(np.flatnonzero(unserved.ravel())[0])
        raise InputError(
            f"agents must be at least 1 where there is load, got {servers.ravel()[position]:g} "
            f"agents for {load.ravel()[position]:.4g} Erlangs at index {position}. "
            "Staff the interval, e.g. with erlang_a_required_agents()."
        )
    return servers, load, handling, patience, target


def _optional_share(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    return float_scalar(name, value, minimum=0.0, minimum_inclusive=False, maximum=1.0)
