"""Rolling-origin backtest and model selection per series.

For each origin the model is fitted on the days before it and forecasts the next
``horizon_days``, which are then compared with what happened. Tashman (2000),
"Out-of-sample tests of forecasting accuracy: an analysis and review", International
Journal of Forecasting 16, 437-450, describes rolling origins. Origins lie
``step_days`` apart, the last one ``horizon_days`` before the end of the history.

Every model is scored on the same origins: those whose training window is long enough
for the most demanding model that can be backtested at all. A model that needs more
history than the latest origin offers is reported as ``too_short`` and not chosen.

Selection: the lowest WAPE pooled over all origins wins. WAPE values within
:data:`TIE_TOLERANCE` of each other are a tie, broken by the lower mean absolute
error and then by the simpler model, in the order of
:data:`asyncwfm.forecast.models.MODEL_CLASSES` (seasonal naive first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from asyncwfm.forecast.base import DEFAULT_LEVELS, Forecaster, ModelForecast
from asyncwfm.forecast.constraints import apply_constraints, horizon_zero_mask, learned_zero_slots
from asyncwfm.forecast.intervals import scaled_errors
from asyncwfm.forecast.metrics import bias, mase, mean_absolute_error, seasonal_scale, wape
from asyncwfm.forecast.models import simplicity_rank
from asyncwfm.forecast.series import SeriesHistory, fill_for_fitting

TIE_TOLERANCE = 1e-9
"""WAPE difference below which two models tie."""

ScoreStatus = Literal["scored", "too_short", "failed"]

MODEL_ERRORS = (ValueError, ArithmeticError, np.linalg.LinAlgError)
"""Exceptions a model may raise on degenerate data; the model is then marked failed."""


@dataclass(frozen=True)
class BacktestScore:
    """Accuracy of one model on one series over the backtest origins.

    Attributes
    ----------
    model : str
        Model name.
    status : {"scored", "too_short", "failed"}
        ``too_short`` when the history is too short to backtest the model, ``failed``
        when the model raised an error (see ``message``).
    origins : int
        Origins scored.
    wape : float
        Weighted absolute percentage error pooled over the origins (0.12 = 12 %).
    mase : float
        Mean absolute scaled error, averaged over the origins.
    bias : float
        Sum of forecast minus actual over the sum of actuals; positive over-forecasts.
    mae : float
        Mean absolute error in the series' unit.
    coverage_80, coverage_95 : float
        Share of actual values inside the model's own 80 % and 95 % intervals; NaN for
        models without intervals of their own.
    message : str
        Why the model was not scored, empty otherwise.
    """

    model: str
    status: ScoreStatus
    origins: int = 0
    wape: float = float("nan")
    mase: float = float("nan")
    bias: float = float("nan")
    mae: float = float("nan")
    coverage_80: float = float("nan")
    coverage_95: float = float("nan")
    message: str = ""


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Scores of every model on one series, and the errors behind them.

    Attributes
    ----------
    scores : tuple of BacktestScore
        One per model, in the order the models were given.
    training_days : tuple of int
        Length of the training window at each scored origin, latest first.
    horizon_days : int
        Days forecast from each origin.
    errors : dict of str to numpy.ndarray
        Scaled errors per scored model (see :mod:`asyncwfm.forecast.intervals`).
    """

    scores: tuple[BacktestScore, ...]
    training_days: tuple[int, ...]
    horizon_days: int
    errors: dict[str, np.ndarray] = field(default_factory=dict)

    def scored(self) -> list[BacktestScore]:
        """Return the scores of the models that were scored."""
        return [s for s in self.scores if s.status == "scored"]

    def best(self) -> BacktestScore | None:
        """Return the winning score by the selection rule, or None when none was scored."""
        scored = self.scored()
        if not scored:
            return None
        lowest = min(_finite_or_inf(s.wape) for s in scored)
        tied = [s for s in scored if _finite_or_inf(s.wape) <= lowest + TIE_TOLERANCE]
        return min(tied, key=lambda s: (_finite_or_inf(s.mae), simplicity_rank(s.model)))


def origin_training_days(
    history_days: int, horizon_days: int, origins: int, step_days: int
) -> list[int]:
    """Return the training length of each origin, latest origin first; at least 1 day each."""
    days = [history_days - horizon_days - i * step_days for i in range(origins)]
    return [d for d in days if d >= 1]


def run_backtest(
    history: SeriesHistory,
    models: Sequence[Forecaster],
    *,
    horizon_days: int,
    origins: int,
    step_days: int,
    closed_weekly: np.ndarray,
    levels: Sequence[int] = DEFAULT_LEVELS,
) -> BacktestResult:
    """Score every model on the same rolling origins of ``history``.

    Parameters
    ----------
    history : SeriesHistory
        The series; unobserved and excluded slots are not scored.
    models : sequence of Forecaster
        Unfitted models; each is refitted at every origin.
    horizon_days, origins, step_days : int
        Days forecast from each origin, number of origins and days between them.
    closed_weekly : numpy.ndarray
        (7, slots_per_day) mask of slots closed by the opening hours.
    levels : sequence of int
        Interval levels whose coverage is measured, in percent; 80 and 95 are reported.
    """
    candidate_days = origin_training_days(history.days, horizon_days, origins, step_days)
    latest = candidate_days[0] if candidate_days else 0
    testable = [m for m in models if m.min_history_days <= latest]
    needed = max((m.min_history_days for m in testable), default=latest + 1)
    training_days = tuple(d for d in candidate_days if d >= needed)

    scores: list[BacktestScore] = []
    errors: dict[str, np.ndarray] = {}
    for model in models:
        if model not in testable:
            scores.append(_too_short(model, horizon_days, history.days))
            continue
        try:
            score, model_errors = _score_model(
                history, model, training_days, horizon_days, closed_weekly, levels
            )
        except MODEL_ERRORS as exc:
            scores.append(
                BacktestScore(model.name, "failed", message=f"{type(exc).__name__}: {exc}")
            )
            continue
        scores.append(score)
        errors[model.name] = model_errors
    return BacktestResult(tuple(scores), training_days, horizon_days, errors)


def _score_model(
    history: SeriesHistory,
    model: Forecaster,
    training_days: Sequence[int],
    horizon_days: int,
    closed_weekly: np.ndarray,
    levels: Sequence[int],
) -> tuple[BacktestScore, np.ndarray]:
    slots = history.grid.slots_per_day
    actual_parts: list[np.ndarray] = []
    forecast_parts: list[np.ndarray] = []
    inside: dict[int, list[np.ndarray]] = {level: [] for level in levels}
    error_parts: list[np.ndarray] = []
    mase_values: list[float] = []

    for days in training_days:
        actual, forecast, open_slots = _forecast_from_origin(
            history, model, days, horizon_days, closed_weekly, levels
        )
        actual_parts.append(actual)
        forecast_parts.append(forecast.mean)
        error_parts.append(scaled_errors(actual, forecast.mean, history.kind, keep=open_slots))
        season = 7 * slots if days >= 14 else slots
        training = np.where(history.observed, history.values, np.nan)[: days * slots]
        mase_values.append(mase(actual, forecast.mean, seasonal_scale(training, season)))
        _collect_coverage(inside, actual, forecast)

    actual_all = np.concatenate(actual_parts)
    forecast_all = np.concatenate(forecast_parts)
    score = BacktestScore(
        model=model.name,
        status="scored",
        origins=len(training_days),
        wape=wape(actual_all, forecast_all),
        mase=_nanmean(mase_values),
        bias=bias(actual_all, forecast_all),
        mae=mean_absolute_error(actual_all, forecast_all),
        coverage_80=_coverage(inside.get(80)),
        coverage_95=_coverage(inside.get(95)),
    )
    return score, np.concatenate(error_parts)


def _forecast_from_origin(
    history: SeriesHistory,
    model: Forecaster,
    training_days: int,
    horizon_days: int,
    closed_weekly: np.ndarray,
    levels: Sequence[int],
) -> tuple[np.ndarray, ModelForecast, np.ndarray]:
    slots = history.grid.slots_per_day
    training = history.first_days(training_days)
    model.fit(fill_for_fitting(training), slots)
    raw = model.predict(horizon_days * slots, levels)

    first_test_day = training.grid.end_day
    weekly_zero = learned_zero_slots(training) | closed_weekly
    zero_mask = horizon_zero_mask(weekly_zero, first_test_day, horizon_days)
    forecast = apply_constraints(raw, zero_mask)

    test = slice(training_days * slots, (training_days + horizon_days) * slots)
    actual = np.where(history.observed[test], history.values[test], np.nan)
    return actual, forecast, ~zero_mask


def _collect_coverage(
    inside: dict[int, list[np.ndarray]], actual: np.ndarray, forecast: ModelForecast
) -> None:
    if forecast.bounds is None:
        return
    observed = ~np.isnan(actual)
    for level, (lower, upper) in forecast.bounds.items():
        if level in inside:
            hit = (actual[observed] >= lower[observed]) & (actual[observed] <= upper[observed])
            inside[level].append(hit)


def _coverage(hits: list[np.ndarray] | None) -> float:
    if not hits:
        return float("nan")
    joined = np.concatenate(hits)
    return float(joined.mean()) if joined.size else float("nan")


def _too_short(model: Forecaster, horizon_days: int, history_days: int) -> BacktestScore:
    needed = model.min_history_days + horizon_days
    return BacktestScore(
        model.name,
        "too_short",
        message=(
            f"needs {needed} days of history for a {horizon_days}-day backtest, got {history_days}"
        ),
    )


def _nanmean(values: Sequence[float]) -> float:
    finite = [v for v in values if not np.isnan(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _finite_or_inf(value: float) -> float:
    return float("inf") if np.isnan(value) else value
