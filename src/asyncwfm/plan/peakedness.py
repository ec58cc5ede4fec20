"""Peaked arrivals: Hayward's approximation and the chance that work exceeds capacity.

Messaging turns do not arrive as a Poisson stream: when many threads come alive at
once the arrivals bunch. Peakedness ``z`` measures this. It is the variance-to-mean
ratio of the number of busy servers when the stream is offered to infinitely many
servers (1 for Poisson arrivals, above 1 for bunched ones, below 1 for smooth ones).

Hayward's approximation treats a peaked stream as Poisson traffic in units of ``z``
turns: a system of N agents offered A Erlangs with peakedness ``z`` behaves like one
of ``N / z`` agents offered ``A / z`` Erlangs (Fredericks 1980, for blocking). This
module applies the same scaling to the delay system of Erlang C. The ``z`` turns of
a unit are worked in parallel by ``z`` agents in one handling time, so the handling
time and the target keep their values and only the head count and the load scale::

    P(wait) = C(N/z, A/z)
    SL      = 1 - C(N/z, A/z) exp(-(N/z - A/z) t / AHT)
            = 1 - C(N/z, A/z) exp(-(N - A) (t/z) / AHT)

In the original parameters this is Erlang C with the target shortened to ``t / z``
in the exponent. Erlang C takes a real number of servers through the incomplete
gamma function (see :mod:`asyncwfm.plan.erlang`). At ``z = 1`` all of this is Erlang C.

NOTE: Fredericks derives the scaling for blocking (Erlang B). For waiting times it
is optimistic when turns arrive in Poisson batches of geometric size: at 10 Erlangs
``C(N/z, A/z)`` is 0.32 where the exact wait probability is 0.36 (z = 2, N = 14), and
0.31 against 0.40 (z = 5, N = 17). A plan for 80% then reaches about 75% at z = 5.
At z = 2, or at 50 Erlangs up to z = 5, the predicted level is within 0.02 of the
simulated one (docs/models.md, "Validation against the simulation").

References
----------
A. A. Fredericks, *Congestion in blocking systems - a simple approximation
technique*, Bell System Technical Journal 59(6), 1980: Hayward's approximation
``B(N/z, A/z)`` and the definition of peakedness on an infinite server group.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from asyncwfm.errors import InputError
from asyncwfm.plan._checks import (
    BoolArray,
    FloatArray,
    IntArray,
    ceil_with_tolerance,
    float_array,
    float_scalar,
)
from asyncwfm.plan._search import MAX_AGENTS, smallest_passing_count
from asyncwfm.plan.erlang import (
    SERVICE_LEVEL_TOLERANCE,
    erlang_c,
    minimal_stable_agents,
    service_level,
)

OverflowMethod = Literal["negative_binomial", "scaled_poisson"]


def hayward_wait_probability(
    agents: ArrayLike, load_erlangs: ArrayLike, peakedness: ArrayLike
) -> FloatArray:
    """Return the probability that a turn waits, ``C(N/z, A/z)``.

    Unstable intervals (``agents <= load``) get 1, as in :func:`erlang.erlang_c`.
    """
    servers, load, z = _scaled_inputs(agents, load_erlangs, peakedness)
    return erlang_c(servers / z, load / z)


def hayward_service_level(
    agents: ArrayLike,
    load_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    target_seconds: ArrayLike,
    peakedness: ArrayLike,
) -> FloatArray:
    """Return the share of turns answered within ``target_seconds`` under peaked arrivals.

    ``1 - C(N/z, A/z) exp(-(N - A) target_seconds / (z aht_seconds))``, derived in the
    module docstring. Unstable intervals get 0, intervals without load 1.
    """
    servers, load, z = _scaled_inputs(agents, load_erlangs, peakedness)
    return service_level(servers / z, load / z, aht_seconds, target_seconds)


def hayward_required_agents(
    load_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    target_seconds: ArrayLike,
    target_service_level: ArrayLike,
    peakedness: ArrayLike,
    max_occupancy: float | None = None,
    max_agents: int = MAX_AGENTS,
) -> IntArray:
    """Return the fewest agents per interval that meet the target under peaked arrivals.

    Like :func:`erlang.required_agents`, with :func:`hayward_service_level` in place
    of the Erlang C service level. With ``peakedness`` 1 the results are identical.

    Raises
    ------
    InputError
        For invalid numbers, a target of 1 or more, or a non-positive peakedness.
    InfeasiblePlanError
        When an interval needs more than ``max_agents``.
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
    z = _peakedness(peakedness)
    cap = None
    if max_occupancy is not None:
        cap = float_scalar(
            "max_occupancy", max_occupancy, minimum=0.0, minimum_inclusive=False, maximum=1.0
        )

    load, handling, target, goal, z = (
        np.array(array, dtype=np.float64)
        for array in np.broadcast_arrays(load, handling, target, goal, z)
    )
    result = np.zeros(load.size, dtype=np.int64)
    busy = load.ravel() > 0
    if not busy.any():
        return result.reshape(load.shape)

    busy_load, busy_handling, busy_target, busy_goal, busy_z = (
        array.ravel()[busy] for array in (load, handling, target, goal, z)
    )

    def meets_goal(agents: IntArray) -> BoolArray:
        level = service_level(agents / busy_z, busy_load / busy_z, busy_handling, busy_target)
        return level >= busy_goal - SERVICE_LEVEL_TOLERANCE

    lower = minimal_stable_agents(busy_load)
    if cap is not None:
        lower = np.maximum(lower, ceil_with_tolerance(busy_load / cap))
    result[busy] = smallest_passing_count(meets_goal, lower, max_agents)
    return result.reshape(load.shape)


def overflow_probability(
    capacity: ArrayLike,
    load_erlangs: ArrayLike,
    peakedness: ArrayLike,
    method: OverflowMethod = "negative_binomial",
) -> FloatArray:
    """Return the probability that more turns are in service than ``capacity``.

    Without a capacity limit the number of turns in service has mean ``A`` and
    variance ``z A``. For Poisson arrivals (``z = 1``) it is Poisson with mean ``A``
    whatever the handling-time distribution (the M/G/infinity queue). For ``z != 1``
    the distribution is approximated by one of two moment-matched laws:

    ``"negative_binomial"``
        Negative binomial with ``n = A / (z - 1)`` and ``p = 1 / z``. It needs
        ``z >= 1``.
    ``"scaled_poisson"``
        ``z`` times a Poisson variable with mean ``A / z``, the distribution behind
        Hayward's scaling: ``P(X > capacity) = P(Poisson(A/z) > floor(capacity/z))``.
        It accepts any ``z > 0``.

    Raises
    ------
    InputError
        For invalid numbers, an unknown method, or ``z < 1`` with the negative
        binomial.
    """
    limit = float_array("capacity", capacity, minimum=0.0)
    load = float_array("load_erlangs", load_erlangs, minimum=0.0)
    z = _peakedness(peakedness)
    limit, load, z = (
        np.array(array, dtype=np.float64) for array in np.broadcast_arrays(limit, load, z)
    )

    if method == "negative_binomial":
        if np.any(z < 1.0):
            raise InputError(
                f"the negative binomial needs peakedness >= 1, got {float(np.min(z))}. "
                "Use method='scaled_poisson' for smooth traffic."
            )
        result = np.array(stats.poisson.sf(np.floor(limit), load), dtype=np.float64)
        peaked = (z > 1.0) & (load > 0)
        result[peaked] = stats.nbinom.sf(
            np.floor(limit[peaked]), load[peaked] / (z[peaked] - 1.0), 1.0 / z[peaked]
        )
        return np.asarray(result, dtype=np.float64)

    if method == "scaled_poisson":
        result = stats.poisson.sf(np.floor(limit / z), load / z)
        return np.asarray(result, dtype=np.float64)

    raise InputError(
        f"unknown overflow method {method!r}. Use 'negative_binomial' or 'scaled_poisson'."
    )


def peakedness_from_dispersion(index_of_dispersion: ArrayLike) -> FloatArray:
    """Convert the variance-to-mean ratio of arrival counts into Hayward's peakedness.

    The measure stage reports the index of dispersion ``I`` of turn counts in short
    windows. Hayward's peakedness is defined on the number of busy servers instead.
    For turns arriving in Poisson bursts of random size ``K`` with exponential
    handling times, ``I = E[K^2] / E[K]`` in any window, while the busy servers of an
    infinite group have variance-to-mean ratio ``(1 + E[K^2] / E[K]) / 2`` (Campbell's
    theorem: each burst contributes a binomial number of survivors). Hence
    ``z = (1 + I) / 2``, and ``I = 1`` (Poisson) gives ``z = 1``.

    NOTE: the relation holds for that burst model. Other bunching (for example a
    rate that drifts within the interval) relates ``I`` and ``z`` differently.
    """
    dispersion = float_array(
        "index_of_dispersion", index_of_dispersion, minimum=0.0, minimum_inclusive=False
    )
    return (1.0 + dispersion) / 2.0


def _scaled_inputs(
    agents: ArrayLike, load_erlangs: ArrayLike, peakedness: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    servers = float_array("agents", agents, minimum=0.0)
    load = float_array("load_erlangs", load_erlangs, minimum=0.0)
    z = _peakedness(peakedness)
    servers, load, z = (
        np.array(array, dtype=np.float64) for array in np.broadcast_arrays(servers, load, z)
    )
    return servers, load, z


def _peakedness(peakedness: ArrayLike) -> FloatArray:
    return float_array("peakedness", peakedness, minimum=0.0, minimum_inclusive=False)
