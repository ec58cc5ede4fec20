"""``forecast.csv`` and ``backtest.csv``: writing them, and reading a forecast back as workload.

``forecast.csv`` has one row per use case, series and interval with the columns of
:data:`~asyncwfm.forecast.pipeline.FORECAST_COLUMNS`. ``interval_start`` is the local
start in the business time zone, written in ISO 8601 with its UTC offset (for example
``2024-03-31T03:00:00+02:00``), so the two intervals of a repeated hour stay distinct.
``forecast`` is the mean forecast; ``lower_80``/``upper_80`` and
``lower_95``/``upper_95`` bound the 80 % and 95 % prediction intervals and are empty
when unknown. Active seconds per turn is empty where no turns are forecast.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from scipy.stats import norm

from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.forecast.pipeline import FORECAST_COLUMNS, ForecastResult

_BOUND_COLUMNS = ("lower_95", "lower_80", "forecast", "upper_80", "upper_95")
_BOUND_Z = np.array([-norm.ppf(0.975), -norm.ppf(0.9), 0.0, norm.ppf(0.9), norm.ppf(0.975)])

MIN_QUANTILE = 0.025
MAX_QUANTILE = 0.975

VOLUME_SERIES = ("turns", "new_conversations")


def write_forecast_csv(result: ForecastResult, path: str | Path) -> Path:
    """Write the forecast table to ``path`` (see the module docstring) and return the path."""
    frame = result.forecast.copy()
    frame["interval_start"] = frame["interval_start"].map(pd.Timestamp.isoformat)
    target = Path(path)
    frame.to_csv(target, index=False)
    return target


def write_backtest_csv(result: ForecastResult, path: str | Path) -> Path:
    """Write the backtest table (one row per use case, series and model) and return the path."""
    target = Path(path)
    result.backtest.to_csv(target, index=False)
    return target


def read_forecast_csv(
    path: str | Path,
    timezone: str,
    *,
    quantile: float | None = None,
    aht_quantile: float | None = None,
    interval_minutes: int | None = None,
) -> pd.DataFrame:
    """Read ``forecast.csv`` and return it as a workload table.

    Parameters
    ----------
    path : str or Path
        A file written by :func:`write_forecast_csv` or ``asyncwfm forecast``.
    timezone : str
        Business time zone (IANA name) of the returned interval starts.
    quantile : float, optional
        Plan volumes (turns, new conversations and any other count series) to this
        quantile of the forecast distribution instead of the mean, between 0.025 and
        0.975; see :func:`forecast_to_workload`.
    aht_quantile : float, optional
        Quantile for active seconds per turn; the mean by default.
    interval_minutes : int, optional
        Expected interval length; an ``InputError`` is raised when the file's
        intervals differ, so a plan never mixes interval lengths.

    Returns
    -------
    pandas.DataFrame
        See :func:`forecast_to_workload`.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown IANA time zone {timezone!r}; use a name like 'Europe/London'."
        ) from None
    source = Path(path)
    if not source.is_file():
        raise InputError(f"forecast file not found: {source}. Write it with 'asyncwfm forecast'.")

    frame = pd.read_csv(source)
    missing = [c for c in FORECAST_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"{source} is not a forecast file: columns {missing} are missing. "
            "Write it with 'asyncwfm forecast'."
        )
    try:
        starts = pd.to_datetime(frame["interval_start"], utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise InputError(f"{source}: unreadable interval_start ({exc}).") from None
    frame["interval_start"] = starts.dt.tz_convert(zone)
    if interval_minutes is not None:
        _check_interval_length(frame, interval_minutes, source)
    return forecast_to_workload(frame, quantile=quantile, aht_quantile=aht_quantile)


def forecast_to_workload(
    forecast: pd.DataFrame, *, quantile: float | None = None, aht_quantile: float | None = None
) -> pd.DataFrame:
    """Turn a forecast table into a workload table for one quantile.

    A quantile between the stored bounds is interpolated linearly on the standard
    normal scale through the five known points (2.5 %, 10 %, mean, 90 %, 97.5 %), which
    is exact when the forecast distribution is normal. The mean is used as the
    median.

    NOTE: for skewed distributions (small counts) the mean is above the median, so
    quantiles near 0.5 are slightly high.

    Rows whose bounds are unknown keep the mean, with a DataQualityWarning.

    Parameters
    ----------
    forecast : pandas.DataFrame
        A forecast table (:attr:`ForecastResult.forecast`).
    quantile : float, optional
        Quantile for count series; the mean when None.
    aht_quantile : float, optional
        Quantile for active seconds per turn; the mean when None.

    Returns
    -------
    pandas.DataFrame
        One row per use case and interval: ``interval_start`` (business time zone),
        ``use_case``, one column per series (``turns``, ``new_conversations``,
        ``active_seconds_per_turn``, ...) and, when turns and active seconds per
        turn are both present, ``active_seconds`` = turns times active seconds per
        turn (zero where no turns are forecast). Active seconds per turn is NaN where
        no turns are forecast, as in the measured workload.
    """
    for name, value in (("quantile", quantile), ("aht_quantile", aht_quantile)):
        if value is not None and not MIN_QUANTILE <= value <= MAX_QUANTILE:
            raise InputError(
                f"{name}={value} is outside the forecast's bounds; choose a value between "
                f"{MIN_QUANTILE} and {MAX_QUANTILE}, or none for the mean."
            )

    values = pd.Series(np.nan, index=forecast.index)
    for series, rows in forecast.groupby("series"):
        chosen = aht_quantile if series == "active_seconds_per_turn" else quantile
        values.loc[rows.index] = _at_quantile(rows, chosen)

    frame = forecast.assign(value=values)
    workload = frame.pivot_table(
        index=["interval_start", "use_case"], columns="series", values="value", dropna=False
    )
    workload.columns.name = None
    workload = workload.reset_index().sort_values(["use_case", "interval_start"])
    if {"turns", "active_seconds_per_turn"} <= set(workload.columns):
        active = workload["turns"] * workload["active_seconds_per_turn"]
        workload["active_seconds"] = active.where(workload["turns"] > 0, 0.0)
    return workload.reset_index(drop=True)


def _at_quantile(rows: pd.DataFrame, quantile: float | None) -> np.ndarray:
    mean = rows["forecast"].to_numpy(dtype=float)
    if quantile is None or quantile == 0.5:
        return mean

    z = norm.ppf(quantile)
    upper = int(np.clip(np.searchsorted(_BOUND_Z, z, side="left"), 1, len(_BOUND_Z) - 1))
    lower = upper - 1
    weight = (z - _BOUND_Z[lower]) / (_BOUND_Z[upper] - _BOUND_Z[lower])
    low_values = rows[_BOUND_COLUMNS[lower]].to_numpy(dtype=float)
    high_values = rows[_BOUND_COLUMNS[upper]].to_numpy(dtype=float)
    result = (1 - weight) * low_values + weight * high_values

    unknown = np.isnan(result) & ~np.isnan(mean)
    if unknown.any():
        warnings.warn(
            f"{int(unknown.sum())} forecast rows have no prediction bounds; their mean "
            f"is used instead of quantile {quantile}.",
            DataQualityWarning,
            stacklevel=4,
        )
        result[unknown] = mean[unknown]
    return result


def _check_interval_length(frame: pd.DataFrame, interval_minutes: int, source: Path) -> None:
    steps = (
        frame.sort_values("interval_start")
        .groupby(["use_case", "series"])["interval_start"]
        .diff()
        .dropna()
    )
    if steps.empty:
        return
    found = int(steps.min() / pd.Timedelta(minutes=1))
    if found != interval_minutes:
        raise InputError(
            f"{source} has {found}-minute intervals but the configuration plans "
            f"{interval_minutes}-minute intervals; forecast again with the same configuration."
        )
