"""Prediction intervals from past forecast errors, for models without their own.

The errors of a count series grow with its level (Poisson noise has variance equal to
its mean), so errors are scaled before their quantiles are taken:
``r = (actual - forecast) / sqrt(max(forecast, 0) + 1)``. A bound at level ``L`` is
``forecast + q * sqrt(max(forecast, 0) + 1)`` with ``q`` the ``(1 - L) / 2`` or
``(1 + L) / 2`` empirical quantile of ``r``. Ratio series (active seconds per turn)
are not scaled. The errors come from the rolling-origin backtest of the chosen model,
pooled over all origins and lead times, or, without a backtest, from the seasonal
naive forecast inside the history (the value one week, or one day, earlier).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from asyncwfm.forecast.series import SeriesKind

MIN_ERRORS = 30
"""Fewest scaled errors from which quantiles are taken."""


def error_scale(forecast: np.ndarray, kind: SeriesKind) -> np.ndarray:
    """Return the divisor that makes errors of different levels comparable."""
    if kind == "count":
        return np.sqrt(np.clip(forecast, 0.0, None) + 1.0)
    return np.ones_like(forecast, dtype=float)


def scaled_errors(
    actual: np.ndarray, forecast: np.ndarray, kind: SeriesKind, *, keep: np.ndarray | None = None
) -> np.ndarray:
    """Return ``(actual - forecast) / error_scale(forecast)`` where ``actual`` is observed.

    ``keep`` selects slots further. The caller leaves out slots forced to zero by the
    constraints, because their zero errors would narrow the intervals of open hours.
    """
    selected = ~np.isnan(actual)
    if keep is not None:
        selected &= keep
    return (actual[selected] - forecast[selected]) / error_scale(forecast[selected], kind)


def seasonal_naive_errors(
    filled_history: np.ndarray, slots_per_day: int, kind: SeriesKind
) -> np.ndarray:
    """Return scaled errors of the seasonal naive forecast inside a filled history.

    The season is one week when the history has at least two weeks, else one day. The
    result is empty when the history is shorter than two days.
    """
    days = len(filled_history) // slots_per_day
    if days >= 14:
        season = 7 * slots_per_day
    elif days >= 2:
        season = slots_per_day
    else:
        return np.empty(0)
    previous = filled_history[:-season]
    current = filled_history[season:]
    return (current - previous) / error_scale(previous, kind)


def quantile_bounds(
    forecast: np.ndarray, errors: np.ndarray, kind: SeriesKind, levels: Sequence[int]
) -> dict[int, tuple[np.ndarray, np.ndarray]] | None:
    """Return bounds per level from scaled errors, or None with fewer than MIN_ERRORS errors."""
    errors = errors[np.isfinite(errors)]
    if errors.size < MIN_ERRORS:
        return None
    scale = error_scale(forecast, kind)
    bounds = {}
    for level in levels:
        tail = (1 - level / 100) / 2
        lower_q, upper_q = np.quantile(errors, [tail, 1 - tail])
        bounds[level] = (forecast + lower_q * scale, forecast + upper_q * scale)
    return bounds
