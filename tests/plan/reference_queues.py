"""Textbook reference computations that the tests compare the plan models against.

They use other algorithms than the library (the Erlang B recursion, explicit
birth-death chains) and plain Python floats, so an agreement is evidence, not an echo.
"""

from __future__ import annotations

import math


def erlang_b_recursion(servers: int, load: float) -> float:
    """Return Erlang B by the recursion ``B(n) = A B(n-1) / (n + A B(n-1))``, ``B(0) = 1``."""
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c_reference(servers: int, load: float) -> float:
    """Return Erlang C computed from the Erlang B recursion, or 1 for an unstable queue."""
    if load == 0:
        return 0.0
    if servers <= load:
        return 1.0
    blocking = erlang_b_recursion(servers, load)
    return servers * blocking / (servers - load * (1.0 - blocking))


def service_level_reference(
    servers: int, load: float, aht_seconds: float, target_seconds: float
) -> float:
    """Return ``1 - C exp(-(N - A) t / AHT)``, or 0 for an unstable queue and 1 without load."""
    if load == 0:
        return 1.0
    if servers <= load:
        return 0.0
    wait = erlang_c_reference(servers, load)
    return 1.0 - wait * math.exp(-(servers - load) * target_seconds / aht_seconds)


def smallest_agents_by_scan(
    load: float, aht_seconds: float, target_seconds: float, goal: float
) -> int:
    """Return the smallest head count meeting ``goal`` by scanning upwards from zero."""
    if load == 0:
        return 0
    agents = 0
    while service_level_reference(agents, load, aht_seconds, target_seconds) < goal:
        agents += 1
    return agents


def erlang_a_chain(
    servers: int, load: float, aht_seconds: float, patience_seconds: float, queue_limit: int = 2_000
) -> list[float]:
    """Return the stationary distribution of the M/M/N+M birth-death chain.

    State ``k`` is the number of turns in the system. Arrivals come at rate
    ``load / aht``. Departures leave at ``min(k, N) / aht`` plus ``max(k - N, 0) /
    patience`` (abandonment). The chain is cut at ``N + queue_limit`` turns.
    """
    arrival_rate = load / aht_seconds
    weights = [1.0]
    for state in range(1, servers + queue_limit + 1):
        departure_rate = min(state, servers) / aht_seconds
        departure_rate += max(state - servers, 0) / patience_seconds
        weights.append(weights[-1] * arrival_rate / departure_rate)
    total = sum(weights)
    return [weight / total for weight in weights]
