"""Forecast accuracy measures: WAPE, MASE and bias.

All functions skip slots where ``actual`` is NaN (unobserved, excluded or, for a
per-turn mean, without turns). See Hyndman & Athanasopoulos, *Forecasting: Principles
and Practice*, 3rd ed., "Evaluating point forecast accuracy"
(https://otexts.com/fpp3/accuracy.html), and Hyndman & Koehler (2006), Another look at
measures of forecast accuracy, International Journal of Forecasting 22, 679-688.
"""

from __future__ import annotations

import numpy as np


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Weighted absolute percentage error: ``sum |forecast - actual| / sum |actual|``.

    Unlike the mean of per-interval percentage errors it stays finite on intervals
    with zero volume. When every actual value is zero the result is 0 for a forecast
    of all zeros and infinity otherwise; NaN when nothing is observed.
    """
    error, observed = _errors(actual, forecast)
    if error.size == 0:
        return float("nan")
    absolute_error = float(np.abs(error).sum())
    volume = float(np.abs(observed).sum())
    if volume == 0:
        return 0.0 if absolute_error == 0 else float("inf")
    return absolute_error / volume


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Relative bias: ``sum (forecast - actual) / sum |actual|``; positive over-forecasts.

    Zero-volume and unobserved cases follow :func:`wape`, with the sign of the error.
    """
    error, observed = _errors(actual, forecast)
    if error.size == 0:
        return float("nan")
    total_error = float(error.sum())
    volume = float(np.abs(observed).sum())
    if volume == 0:
        return 0.0 if total_error == 0 else float(np.copysign(np.inf, total_error))
    return total_error / volume


def mean_absolute_error(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean of ``|forecast - actual|`` over observed slots; NaN when none is observed."""
    error, _ = _errors(actual, forecast)
    return float(np.abs(error).mean()) if error.size else float("nan")


def seasonal_scale(training: np.ndarray, season: int) -> float:
    """Mean absolute difference between each training value and the value one season
    earlier: the in-sample error of the seasonal naive forecast, MASE's denominator.

    NaN pairs are skipped; NaN when the training series is shorter than two seasons'
    worth of pairs.
    """
    values = np.asarray(training, dtype=float)
    if len(values) <= season:
        return float("nan")
    differences = values[season:] - values[:-season]
    differences = differences[~np.isnan(differences)]
    return float(np.abs(differences).mean()) if differences.size else float("nan")


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: the mean absolute error divided by ``scale``.

    ``scale`` comes from :func:`seasonal_scale` on the training data, so a MASE below
    1 beats the in-sample seasonal naive forecast. Infinity for a zero scale with a
    non-zero error, NaN when the scale is unknown.
    """
    error = mean_absolute_error(actual, forecast)
    if np.isnan(scale) or np.isnan(error):
        return float("nan")
    if scale == 0:
        return 0.0 if error == 0 else float("inf")
    return error / scale


def _errors(actual: np.ndarray, forecast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    actual = np.asarray(actual, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    if actual.shape != forecast.shape:
        raise ValueError(
            f"actual and forecast must have the same shape, got {actual.shape} and "
            f"{forecast.shape}."
        )
    observed = ~np.isnan(actual)
    return forecast[observed] - actual[observed], actual[observed]
