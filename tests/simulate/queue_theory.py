"""Stationary M/M/N and M/M/N+M results from the birth-death chain, for simulation tests.

The number of turns in the system is a birth-death process with birth rate ``lam`` and
death rate ``min(n, N) * mu + max(n - N, 0) * theta`` in state ``n`` (``theta`` is the
abandonment rate, 0 for Erlang C). Its stationary probabilities are proportional to
the product of birth over death rates, truncated far in the tail.
"""

from __future__ import annotations

import math

import numpy as np


def birth_death_probabilities(
    lam: float, mu: float, servers: int, theta: float = 0.0, states: int = 4000
) -> np.ndarray:
    """Return stationary probabilities of 0..states-1 turns in the system."""
    n = np.arange(1, states)
    death = np.minimum(n, servers) * mu + np.maximum(n - servers, 0) * theta
    log_terms = np.concatenate(([0.0], np.cumsum(np.log(lam) - np.log(death))))
    weights = np.exp(log_terms - log_terms.max())
    return weights / weights.sum()


def erlang_c_measures(lam: float, mu: float, servers: int, target: float) -> dict[str, float]:
    """Return P(wait), service level P(W <= target) and mean wait of M/M/N (FIFO)."""
    p = birth_death_probabilities(lam, mu, servers)
    wait_probability = float(p[servers:].sum())
    drain_rate = servers * mu - lam
    return {
        "wait_probability": wait_probability,
        "service_level": 1.0 - wait_probability * math.exp(-drain_rate * target),
        "mean_wait": wait_probability / drain_rate,
    }


def erlang_a_abandonment(lam: float, mu: float, servers: int, theta: float) -> float:
    """Return the share of turns abandoned in M/M/N+M: theta * E[queue] / lam."""
    p = birth_death_probabilities(lam, mu, servers, theta)
    queue = np.maximum(np.arange(p.size) - servers, 0)
    return float(theta * (queue * p).sum() / lam)
