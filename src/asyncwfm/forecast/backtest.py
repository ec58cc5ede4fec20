"""Rolling-origin backtest and model selection per series.

For each origin the model is fitted on the days before it and forecasts the next
``horizon_days``, which are then compared with what happened. Tashman (2000),
"Out-of-sample tests of forecasting accuracy: an analysis and review", International
Journal of Forecasting 16, 437-450, describes rolling origins. Origins lie
``step_days`` apart, the last one ``horizon_days`` before the end of the history.

Every model is scored on the same origins: those whose training window is long enough
for the most demanding model that can be backtested at all. A model that needs more
history than the latest origin offers is reported as ``too_short`` and not chosen.

Coverage is measured on the slots that are observed and not forced to zero, because a
closed slot is zero in the forecast, its bounds and the actuals alike and would count
as a hit. Two coverages are reported: that of the model's own intervals, and that of
the intervals built from the model's scaled errors (:mod:`asyncwfm.forecast.intervals`),
which the forecast uses for models without intervals of their own. The second is
measured leave-one-origin-out: the bounds at each origin come from the errors of the
other origins, so it needs at least two origins.

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
from asyncwfm.forecast.intervals import quantile_bounds, scaled_errors
from asyncwfm.forecast.metrics import bias, mase, mean_absolute_error, seasonal_scale, wape
from asyncwfm.forecast.models import simplicity_rank
from asyncwfm.forecast.series import SeriesHistory, SeriesKind, fill_for_fitting

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
    error_coverage_80, error_coverage_95 : float
        Share of actual values inside the 80 % and 95 % intervals built from the
        model's errors at the other origins; NaN with fewer than two origins.
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
    error_coverage_80: float = float("nan")
    error_coverage_95: float = float("nan")
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
    requested_origins : int
        Origins requested; fewer are scored when the earlier ones would train on fewer
        than ``min_training_days`` days.
    min_training_days : int
        Shortest training window of a scored origin: the history that
        ``limiting_model``, the most demanding model that could be backtested, needs.
    limiting_model : str
        That model's name; empty when no model could be backtested.
    """

    scores: tuple[BacktestScore, ...]
    training_days: tuple[int, ...]
    horizon_days: int
    errors: dict[str, np.ndarray] = field(default_factory=dict)
    requested_origins: int = 0
    min_training_days: int = 0
    limiting_model: str = ""

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
    limiting = max(testable, key=lambda m: m.min_history_days, default=None)
    needed = limiting.min_history_days if limiting is not None else latest + 1
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
    return BacktestResult(
        tuple(scores),
        training_days,
        horizon_days,
        errors,
        requested_origins=origins,
        min_training_days=needed,
        limiting_model=limiting.name if limiting is not None else "",
    )


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
    open_parts: list[np.ndarray] = []
    inside: dict[int, list[np.ndarray]] = {level: [] for level in levels}
    error_parts: list[np.ndarray] = []
    mase_values: list[float] = []

    for days in training_days:
        actual, forecast, open_slots = _forecast_from_origin(
            history, model, days, horizon_days, closed_weekly, levels
        )
        actual_parts.append(actual)
        forecast_parts.append(forecast.mean)
        open_parts.append(open_slots)
        error_parts.append(scaled_errors(actual, forecast.mean, history.kind, keep=open_slots))
        season = 7 * slots if days >= 14 else slots
        training = np.where(history.observed, history.values, np.nan)[: days * slots]
        mase_values.append(mase(actual, forecast.mean, seasonal_scale(training, season)))
        _collect_coverage(inside, actual, forecast, open_slots)

    error_inside = _error_band_hits(
        actual_parts, forecast_parts, open_parts, error_parts, history.kind, levels
    )

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
        error_coverage_80=_coverage(error_inside.get(80)),
        error_coverage_95=_coverage(error_inside.get(95)),
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
    inside: dict[int, list[np.ndarray]],
    actual: np.ndarray,
    forecast: ModelForecast,
    open_slots: np.ndarray,
) -> None:
    if forecast.bounds is None:
        return
    scored = ~np.isnan(actual) & open_slots
    for level, (lower, upper) in forecast.bounds.items():
        if level in inside:
            hit = (actual[scored] >= lower[scored]) & (actual[scored] <= upper[scored])
            inside[level].append(hit)


def _error_band_hits(
    actuals: Sequence[np.ndarray],
    means: Sequence[np.ndarray],
    open_parts: Sequence[np.ndarray],
    errors: Sequence[np.ndarray],
    kind: SeriesKind,
    levels: Sequence[int],
) -> dict[int, list[np.ndarray]]:
    """Return per level whether each actual lies inside bounds from the other origins' errors."""
    inside: dict[int, list[np.ndarray]] = {level: [] for level in levels}
    for origin, (actual, mean, open_slots) in enumerate(
        zip(actuals, means, open_parts, strict=True)
    ):
        others = [part for index, part in enumerate(errors) if index != origin]
        if not others:
            continue
        bounds = quantile_bounds(mean, np.concatenate(others), kind, levels)
        if bounds is None:
            continue
        scored = ~np.isnan(actual) & open_slots
        for level, (lower, upper) in bounds.items():
            # The forecast clips its bounds at zero, so the check does too.
            low = np.clip(lower[scored], 0.0, None)
            high = np.clip(upper[scored], 0.0, None)
            inside[level].append((actual[scored] >= low) & (actual[scored] <= high))
    return inside


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
