"""Forecast every series of every use case: backtest, choose, fit, predict, constrain.

For each series the steps are:

1. Place the last ``history_days`` of history on the wall-clock grid
   (:mod:`asyncwfm.forecast.grid`); excluded dates are left out of fitting and scoring.
2. Backtest the candidate models on rolling origins (:mod:`asyncwfm.forecast.backtest`)
   and choose the one with the lowest WAPE. The seasonal naive forecast is always a
   candidate, so every choice is compared with it.
3. When the history is too short for any backtest, fall back without selection: to
   the daily-profile model with a week or more of history, else to the mean day, and
   emit a :class:`~asyncwfm.errors.FallbackWarning` that names the model and the reason.
4. Refit the chosen model on the whole history and forecast ``horizon_days``.
5. Take prediction intervals from the model when it has them and they covered well
   enough in the backtest, else from the chosen model's backtest errors, else from the
   seasonal naive errors inside the history (:mod:`asyncwfm.forecast.intervals`).
6. Clip at zero and force closed and always-empty slots to zero
   (:mod:`asyncwfm.forecast.constraints`); active seconds per turn is NaN wherever the
   turn forecast is zero.
7. Map the wall-clock slots back to the real intervals of the forecast days.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Final, Literal

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import AsyncWfmWarning, ConfigError, DataQualityWarning, FallbackWarning
from asyncwfm.forecast.backtest import MODEL_ERRORS, BacktestResult, BacktestScore, run_backtest
from asyncwfm.forecast.base import DEFAULT_LEVELS, ModelForecast
from asyncwfm.forecast.constraints import (
    apply_constraints,
    closed_slots,
    horizon_zero_mask,
    learned_zero_slots,
)
from asyncwfm.forecast.grid import WallClockGrid, from_wall_clock
from asyncwfm.forecast.intervals import quantile_bounds, seasonal_naive_errors
from asyncwfm.forecast.models import BASELINE_MODEL, DEFAULT_MODELS, make_model
from asyncwfm.forecast.naive import DailyMean, SeasonalNaive
from asyncwfm.forecast.profile import DailyProfile
from asyncwfm.forecast.series import (
    WORKLOAD_SERIES,
    SeriesHistory,
    build_histories,
    fill_for_fitting,
    workload_series,
)

FORECAST_COLUMNS: Final[tuple[str, ...]] = (
    "interval_start",
    "use_case",
    "series",
    "model",
    "forecast",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
)
"""Columns of the forecast table and of ``forecast.csv``."""

BACKTEST_COLUMNS: Final[tuple[str, ...]] = (
    "use_case",
    "series",
    "model",
    "chosen",
    "status",
    "origins",
    "wape",
    "mase",
    "bias",
    "mae",
    "coverage_80",
    "coverage_95",
    "error_coverage_80",
    "error_coverage_95",
    "message",
)
"""Columns of the backtest table."""

MAX_HORIZON_DAYS = 366

MAX_COVERAGE_SHORTFALL = 0.05
"""How far below its nominal level a model's own interval may cover in the backtest
(0.05 = 5 percentage points) before its backtest errors give the intervals instead."""

IntervalSource = Literal["model", "backtest_errors", "history_errors", "none"]
SelectionStatus = Literal["selected", "fallback"]


@dataclass(frozen=True)
class ForecastSettings:
    """How far to forecast, which models to compare and how to backtest them.

    Attributes
    ----------
    horizon_days : int
        Local days to forecast, starting at ``start``.
    models : tuple of str
        Candidate models (see :data:`asyncwfm.forecast.models.MODEL_CLASSES`); the
        seasonal naive baseline is added when missing.
    history_days : int
        Most recent days of history used for fitting and backtesting.
    backtest_origins : int
        Rolling origins per backtest, at most.
    backtest_step_days : int
        Days between consecutive origins.
    backtest_horizon_days : int or None
        Days forecast from each origin; by default ``min(horizon_days, 7)``.
    start : date or None
        First forecast day (local). By default the day after the last day of the
        history; an earlier day cuts the history there.
    model_intervals : bool
        Take prediction intervals from the model when it has them (MSTL-ETS,
        statsforecast MSTL), unless their backtest coverage falls more than
        :data:`MAX_COVERAGE_SHORTFALL` below the nominal level. With False every
        model's intervals come from its backtest errors.
    closed_hours : {"zero", "keep"}
        ``"zero"`` forces the forecast to zero outside the configured opening hours.
        ``"keep"`` forecasts what the history shows there. Use it for messaging use
        cases whose customers also write while the use case is closed, so that the
        plan carries those turns to the next opening instead of losing them.
    n_jobs : int
        Series forecast at the same time, in threads. The gain depends on idle cores:
        on the 2-core benchmark machine two threads saved only 6 % of the wall time on
        20 series (``bench/bench_forecast.py``), because numpy's linear algebra
        already used both cores.
    """

    horizon_days: int = 7
    models: tuple[str, ...] = DEFAULT_MODELS
    history_days: int = 56
    backtest_origins: int = 3
    backtest_step_days: int = 7
    backtest_horizon_days: int | None = None
    start: date | None = None
    model_intervals: bool = True
    closed_hours: Literal["zero", "keep"] = "zero"
    n_jobs: int = 1

    def __post_init__(self) -> None:
        _check_range("horizon_days", self.horizon_days, 1, MAX_HORIZON_DAYS)
        _check_range("history_days", self.history_days, 1, 10 * MAX_HORIZON_DAYS)
        _check_range("backtest_origins", self.backtest_origins, 1, 100)
        _check_range("backtest_step_days", self.backtest_step_days, 1, MAX_HORIZON_DAYS)
        _check_range("n_jobs", self.n_jobs, 1, 256)
        if self.backtest_horizon_days is not None:
            _check_range("backtest_horizon_days", self.backtest_horizon_days, 1, MAX_HORIZON_DAYS)
        if self.closed_hours not in ("zero", "keep"):
            raise ConfigError(f"closed_hours must be 'zero' or 'keep', got {self.closed_hours!r}.")
        if not self.models:
            raise ConfigError("models is empty; name at least one forecast model.")
        for name in self.models:
            make_model(name)

    @property
    def effective_backtest_horizon_days(self) -> int:
        """Days forecast from each backtest origin."""
        if self.backtest_horizon_days is not None:
            return self.backtest_horizon_days
        return min(self.horizon_days, 7)

    def candidate_models(self) -> tuple[str, ...]:
        """Return the models to backtest: the baseline first, then ``models`` in order."""
        return (BASELINE_MODEL, *(m for m in self.models if m != BASELINE_MODEL))


@dataclass(frozen=True)
class SeriesSelection:
    """The model used for one series and why.

    Attributes
    ----------
    use_case, series : str
        The series.
    model : str
        Model that produced the forecast.
    status : {"selected", "fallback"}
        ``selected`` when chosen by the backtest, ``fallback`` otherwise.
    reason : str
        Why this model was used.
    history_days : int
        Days of history used.
    interval_source : {"model", "backtest_errors", "history_errors", "none"}
        Where the prediction intervals come from; ``none`` leaves the bounds empty.
    wape : float
        Backtest WAPE of the model, NaN without a backtest.
    baseline_wape : float
        Backtest WAPE of the seasonal naive forecast, NaN without a backtest.
    coverage_80, coverage_95 : float
        Share of backtest actuals inside the 80 % and 95 % intervals of the kind the
        forecast carries: the model's own when ``interval_source`` is ``model``, else
        those from its errors at the other origins. NaN for ``history_errors`` and
        ``none``, and for ``backtest_errors`` with a single origin.
    """

    use_case: str
    series: str
    model: str
    status: SelectionStatus
    reason: str
    history_days: int
    interval_source: IntervalSource
    wape: float = float("nan")
    baseline_wape: float = float("nan")
    coverage_80: float = float("nan")
    coverage_95: float = float("nan")


@dataclass(frozen=True, eq=False)
class ForecastResult:
    """Forecasts, backtest scores and model choices for every series.

    Attributes
    ----------
    forecast : pandas.DataFrame
        One row per use case, series and real interval (:data:`FORECAST_COLUMNS`);
        ``interval_start`` in the business time zone; bounds NaN when unknown.
    backtest : pandas.DataFrame
        One row per use case, series and model (:data:`BACKTEST_COLUMNS`), the chosen
        model marked in ``chosen``.
    history : pandas.DataFrame
        The long series table over the history used, for charts.
    selections : tuple of SeriesSelection
        One per forecast series.
    warnings : tuple of str
        Fallback and data messages, also emitted as warnings.
    timezone : str
        Business time zone.
    interval_minutes : int
        Interval length.
    first_day : date
        First forecast day.
    horizon_days : int
        Days forecast.
    status : {"ok", "fallback"}
        ``fallback`` when any series fell back to a model without selection.
    """

    forecast: pd.DataFrame
    backtest: pd.DataFrame
    history: pd.DataFrame
    selections: tuple[SeriesSelection, ...]
    warnings: tuple[str, ...]
    timezone: str
    interval_minutes: int
    first_day: date
    horizon_days: int
    status: Literal["ok", "fallback"] = field(default="ok")

    def summary(self) -> pd.DataFrame:
        """Return one row per series: model, status, WAPE against the baseline, interval
        source and coverage, reason."""
        return pd.DataFrame(
            [
                {
                    "use_case": s.use_case,
                    "series": s.series,
                    "model": s.model,
                    "status": s.status,
                    "wape": s.wape,
                    "baseline_wape": s.baseline_wape,
                    "interval_source": s.interval_source,
                    "coverage_80": s.coverage_80,
                    "coverage_95": s.coverage_95,
                    "history_days": s.history_days,
                    "reason": s.reason,
                }
                for s in self.selections
            ]
        )

    def to_workload(
        self, quantile: float | None = None, aht_quantile: float | None = None
    ) -> pd.DataFrame:
        """Return the forecast as a workload table; see :func:`forecast_to_workload`."""
        from asyncwfm.forecast.io import forecast_to_workload

        return forecast_to_workload(self.forecast, quantile=quantile, aht_quantile=aht_quantile)


@dataclass(frozen=True, eq=False)
class _SeriesOutcome:
    selection: SeriesSelection
    values: dict[str, np.ndarray]
    backtest_rows: list[dict[str, object]]
    messages: list[str]


def forecast_workload(
    workload: pd.DataFrame,
    config: PlanningConfig,
    settings: ForecastSettings | None = None,
    *,
    series: Sequence[str] = WORKLOAD_SERIES,
) -> ForecastResult:
    """Forecast the workload series of every use case.

    Parameters
    ----------
    workload : pandas.DataFrame
        The measure stage's workload table (``interval_start`` timezone-aware in the
        business time zone, ``use_case``, ``turns``, ``new_conversations``,
        ``active_seconds_per_turn``).
    config : PlanningConfig
        Business time zone, interval length, opening hours and excluded dates.
    settings : ForecastSettings, optional
        Horizon, models and backtest; defaults to ``ForecastSettings()``.
    series : sequence of str
        Workload columns to forecast.

    Returns
    -------
    ForecastResult

    Warns
    -----
    FallbackWarning
        For each series whose history is too short for model selection.
    DataQualityWarning
        For each series with no observed value, which is left out.
    """
    table = workload_series(workload, series)
    result, notices = _forecast(table, config, settings or ForecastSettings())
    _emit(notices)
    return result


def forecast_series(
    table: pd.DataFrame, config: PlanningConfig, settings: ForecastSettings | None = None
) -> ForecastResult:
    """Forecast every series of a long series table.

    The table has the columns ``interval_start, use_case, series, value``; agent
    replies from :func:`~asyncwfm.forecast.series.count_events_per_interval` are one
    example.

    Series named ``active_seconds_per_turn`` are per-turn means; all others are counts.
    Parameters, result and warnings as in :func:`forecast_workload`.
    """
    result, notices = _forecast(table, config, settings or ForecastSettings())
    _emit(notices)
    return result


def _forecast(
    table: pd.DataFrame, config: PlanningConfig, settings: ForecastSettings
) -> tuple[ForecastResult, list[tuple[type[AsyncWfmWarning], str]]]:
    histories = build_histories(
        table, config, end_day=settings.start, history_days=settings.history_days
    )
    history_grid = histories[0].grid
    forecast_grid = WallClockGrid(
        history_grid.end_day, settings.horizon_days, config.interval_minutes, config.timezone
    )
    closed = closed_slots(config, history_grid.slots_per_day)
    if settings.closed_hours == "keep":
        closed = np.zeros_like(closed)

    notices: list[tuple[type[AsyncWfmWarning], str]] = []
    for history in histories:
        if not history.observed.any():
            message = (
                f"{history.use_case}/{history.series}: no observed value in the last "
                f"{history.days} days, so it is not forecast."
            )
            notices.append((DataQualityWarning, message))
    observed = [history for history in histories if history.observed.any()]
    forecast_one = partial(
        _forecast_one, settings=settings, closed=closed, forecast_grid=forecast_grid
    )
    outcomes = _map_series(forecast_one, observed, settings.n_jobs)
    for outcome in outcomes:
        notices.extend((FallbackWarning, message) for message in outcome.messages)

    forecast = _forecast_frame(outcomes, forecast_grid)
    backtest = pd.DataFrame(
        [row for outcome in outcomes for row in outcome.backtest_rows],
        columns=list(BACKTEST_COLUMNS),
    )
    selections = tuple(o.selection for o in outcomes)
    starts = pd.DatetimeIndex(table["interval_start"]).tz_convert(config.timezone)
    history_table = table.loc[
        (starts >= history_grid.interval_starts()[0]) & (starts.date < history_grid.end_day)
    ].reset_index(drop=True)
    any_fallback = any(s.status == "fallback" for s in selections)
    result = ForecastResult(
        forecast=forecast,
        backtest=backtest,
        history=history_table,
        selections=selections,
        warnings=tuple(message for _, message in notices),
        timezone=config.business_timezone,
        interval_minutes=config.interval_minutes,
        first_day=forecast_grid.first_day,
        horizon_days=settings.horizon_days,
        status="fallback" if any_fallback else "ok",
    )
    return result, notices


def _map_series(
    forecast_one: Callable[[SeriesHistory], _SeriesOutcome],
    histories: Sequence[SeriesHistory],
    n_jobs: int,
) -> list[_SeriesOutcome]:
    # statsmodels warns when an optimiser stops early. The backtest judges the fitted
    # model by its errors instead, so the warnings are silenced. The filter is set
    # here, in the calling thread, because warning filters are process-wide and
    # changing them inside worker threads is not thread-safe.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if n_jobs <= 1 or len(histories) <= 1:
            return [forecast_one(history) for history in histories]
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            return list(pool.map(forecast_one, histories))


def _forecast_one(
    history: SeriesHistory,
    settings: ForecastSettings,
    closed: np.ndarray,
    forecast_grid: WallClockGrid,
) -> _SeriesOutcome:
    backtest = run_backtest(
        history,
        [make_model(name) for name in settings.candidate_models()],
        horizon_days=settings.effective_backtest_horizon_days,
        origins=settings.backtest_origins,
        step_days=settings.backtest_step_days,
        closed_weekly=closed,
    )
    selection, messages = _select(history, backtest)

    filled = fill_for_fitting(history)
    horizon = forecast_grid.size
    raw, selection, fit_messages = _fit_and_predict(selection, filled, history, horizon)
    messages.extend(fit_messages)

    if not settings.model_intervals or _undercovers(backtest, selection.model):
        raw = ModelForecast(raw.mean)
    bounds, source = _bounds(raw, selection.model, backtest, filled, history)
    selection = _with_interval_source(selection, source, backtest)
    weekly_zero = learned_zero_slots(history) | closed
    zero_mask = horizon_zero_mask(weekly_zero, forecast_grid.first_day, forecast_grid.days)
    final = apply_constraints(ModelForecast(raw.mean, bounds), zero_mask)

    values = {"forecast": final.mean}
    for level in DEFAULT_LEVELS:
        lower, upper = final.bounds[level] if final.bounds else (None, None)
        values[f"lower_{level}"] = lower if lower is not None else np.full(horizon, np.nan)
        values[f"upper_{level}"] = upper if upper is not None else np.full(horizon, np.nan)

    rows = _backtest_rows(history, backtest, selection)
    return _SeriesOutcome(selection, values, rows, messages)


def _select(history: SeriesHistory, backtest: BacktestResult) -> tuple[SeriesSelection, list[str]]:
    label = f"{history.use_case}/{history.series}"
    baseline = next((s for s in backtest.scored() if s.model == BASELINE_MODEL), None)
    baseline_wape = baseline.wape if baseline else float("nan")
    best = backtest.best()
    if best is not None:
        reason = f"lowest backtest WAPE ({best.wape:.3f}) over {_origins_text(best, backtest)}"
        if math.isnan(best.wape):
            reason = "the backtest windows hold no observed value, so the simplest model is used"
        selection = SeriesSelection(
            history.use_case,
            history.series,
            best.model,
            "selected",
            reason,
            history.days,
            "none",
            best.wape,
            baseline_wape,
        )
        return selection, []

    model = DailyProfile.name if history.days >= DailyProfile.min_history_days else DailyMean.name
    needed = SeasonalNaive.min_history_days + backtest.horizon_days
    reason = (
        f"{history.days} days of history are too few for a {backtest.horizon_days}-day "
        f"backtest (needs at least {needed}), so {model} is used without model selection"
    )
    if model == DailyMean.name:
        reason += "; with less than a week of history every day gets the mean daily pattern"
    selection = SeriesSelection(
        history.use_case, history.series, model, "fallback", reason, history.days, "none"
    )
    return selection, [f"{label}: {reason}."]


def _origins_text(best: BacktestScore, backtest: BacktestResult) -> str:
    text = f"{best.origins} origin(s) of {backtest.horizon_days} days"
    if best.origins >= backtest.requested_origins:
        return text
    return (
        f"{best.origins} of {backtest.requested_origins} origins of {backtest.horizon_days} "
        f"days (an earlier origin would leave fewer than the {backtest.min_training_days} "
        f"training days that {backtest.limiting_model} needs)"
    )


def _fit_and_predict(
    selection: SeriesSelection, filled: np.ndarray, history: SeriesHistory, horizon: int
) -> tuple[ModelForecast, SeriesSelection, list[str]]:
    slots = history.grid.slots_per_day
    try:
        model = make_model(selection.model).fit(filled, slots)
        return model.predict(horizon, DEFAULT_LEVELS), selection, []
    except MODEL_ERRORS as exc:
        fallback = (
            SeasonalNaive() if history.days >= SeasonalNaive.min_history_days else DailyMean()
        )
        reason = (
            f"{selection.model} failed on the full history ({type(exc).__name__}: {exc}), "
            f"so {fallback.name} is used"
        )
        fitted = fallback.fit(filled, slots)
        replaced = SeriesSelection(
            selection.use_case,
            selection.series,
            fallback.name,
            "fallback",
            reason,
            selection.history_days,
            "none",
            float("nan"),
            selection.baseline_wape,
        )
        message = f"{history.use_case}/{history.series}: {reason}."
        return fitted.predict(horizon, DEFAULT_LEVELS), replaced, [message]


def _bounds(
    raw: ModelForecast,
    model: str,
    backtest: BacktestResult,
    filled: np.ndarray,
    history: SeriesHistory,
) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]] | None, IntervalSource]:
    if raw.bounds is not None:
        return dict(raw.bounds), "model"
    errors = backtest.errors.get(model)
    if errors is not None:
        bounds = quantile_bounds(raw.mean, errors, history.kind, DEFAULT_LEVELS)
        if bounds is not None:
            return bounds, "backtest_errors"
    in_sample = seasonal_naive_errors(filled, history.grid.slots_per_day, history.kind)
    bounds = quantile_bounds(raw.mean, in_sample, history.kind, DEFAULT_LEVELS)
    if bounds is not None:
        return bounds, "history_errors"
    return None, "none"


def _undercovers(backtest: BacktestResult, model: str) -> bool:
    score = next((s for s in backtest.scored() if s.model == model), None)
    if score is None:
        return False
    shortfalls = (0.80 - score.coverage_80, 0.95 - score.coverage_95)
    return any(shortfall > MAX_COVERAGE_SHORTFALL for shortfall in shortfalls)


def _with_interval_source(
    selection: SeriesSelection, source: IntervalSource, backtest: BacktestResult
) -> SeriesSelection:
    """Return ``selection`` with the interval source and the backtest coverage of that source."""
    score = next((s for s in backtest.scored() if s.model == selection.model), None)
    coverage = (float("nan"), float("nan"))
    if score is not None and source == "model":
        coverage = (score.coverage_80, score.coverage_95)
    elif score is not None and source == "backtest_errors":
        coverage = (score.error_coverage_80, score.error_coverage_95)
    return SeriesSelection(
        selection.use_case,
        selection.series,
        selection.model,
        selection.status,
        selection.reason,
        selection.history_days,
        source,
        selection.wape,
        selection.baseline_wape,
        *coverage,
    )


def _backtest_rows(
    history: SeriesHistory, backtest: BacktestResult, selection: SeriesSelection
) -> list[dict[str, object]]:
    return [
        {
            "use_case": history.use_case,
            "series": history.series,
            "model": score.model,
            "chosen": score.model == selection.model and selection.status == "selected",
            "status": score.status,
            "origins": score.origins,
            "wape": score.wape,
            "mase": score.mase,
            "bias": score.bias,
            "mae": score.mae,
            "coverage_80": score.coverage_80,
            "coverage_95": score.coverage_95,
            "error_coverage_80": score.error_coverage_80,
            "error_coverage_95": score.error_coverage_95,
            "message": score.message,
        }
        for score in backtest.scores
    ]


def _forecast_frame(outcomes: Sequence[_SeriesOutcome], grid: WallClockGrid) -> pd.DataFrame:
    if not outcomes:
        return pd.DataFrame(columns=list(FORECAST_COLUMNS))
    mapping = from_wall_clock(np.zeros(grid.size), grid)
    position = mapping["position"].to_numpy()
    frames = []
    for outcome in outcomes:
        frame = pd.DataFrame(
            {
                "interval_start": mapping["interval_start"],
                "use_case": outcome.selection.use_case,
                "series": outcome.selection.series,
                "model": outcome.selection.model,
            }
        )
        for column, values in outcome.values.items():
            frame[column] = values[position]
        frames.append(frame)
    forecast = pd.concat(frames, ignore_index=True).loc[:, list(FORECAST_COLUMNS)]
    return _blank_aht_without_turns(forecast)


def _blank_aht_without_turns(forecast: pd.DataFrame) -> pd.DataFrame:
    turns = forecast.loc[forecast["series"] == "turns"].set_index(["use_case", "interval_start"])
    is_aht = (forecast["series"] == "active_seconds_per_turn").to_numpy()
    if turns.empty or not is_aht.any():
        return forecast
    keys = pd.MultiIndex.from_frame(forecast.loc[is_aht, ["use_case", "interval_start"]])
    no_turns = turns["forecast"].reindex(keys).to_numpy() == 0
    rows = np.flatnonzero(is_aht)[no_turns]
    value_columns = ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
    forecast.loc[forecast.index[rows], value_columns] = np.nan
    return forecast


def _emit(notices: Sequence[tuple[type[AsyncWfmWarning], str]]) -> None:
    for category, message in notices:
        warnings.warn(message, category, stacklevel=3)


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}.")
