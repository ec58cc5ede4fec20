"""Forecast stage: workload per use case and interval, with backtests and prediction intervals.

Typical use::

    from asyncwfm.forecast import ForecastSettings, forecast_workload, write_forecast_csv

    result = forecast_workload(workload, config, ForecastSettings(horizon_days=7))
    write_forecast_csv(result, "forecast.csv")
    planned = result.to_workload(quantile=0.8)  # or read_forecast_csv(path, tz, quantile=0.8)

See ``docs/forecasting.md`` for the models, the selection rule and the intervals.
"""

from asyncwfm.forecast.backtest import BacktestResult, BacktestScore, run_backtest
from asyncwfm.forecast.base import Forecaster, ModelForecast
from asyncwfm.forecast.grid import WallClockGrid
from asyncwfm.forecast.io import (
    forecast_to_workload,
    read_forecast_csv,
    write_backtest_csv,
    write_forecast_csv,
)
from asyncwfm.forecast.metrics import bias, mase, wape
from asyncwfm.forecast.models import BASELINE_MODEL, DEFAULT_MODELS, MODEL_CLASSES, make_model
from asyncwfm.forecast.mstl import MstlEts
from asyncwfm.forecast.naive import DailyMean, SeasonalNaive
from asyncwfm.forecast.pipeline import (
    BACKTEST_COLUMNS,
    FORECAST_COLUMNS,
    ForecastResult,
    ForecastSettings,
    SeriesSelection,
    forecast_series,
    forecast_workload,
)
from asyncwfm.forecast.profile import DailyProfile
from asyncwfm.forecast.report import (
    ForecastSectionParts,
    forecast_figure,
    forecast_report_html,
    forecast_section_parts,
)
from asyncwfm.forecast.series import (
    WORKLOAD_SERIES,
    count_events_per_interval,
    workload_series,
)
from asyncwfm.forecast.statsforecast_mstl import StatsforecastMstl

__all__ = [
    "BACKTEST_COLUMNS",
    "BASELINE_MODEL",
    "DEFAULT_MODELS",
    "FORECAST_COLUMNS",
    "MODEL_CLASSES",
    "WORKLOAD_SERIES",
    "BacktestResult",
    "BacktestScore",
    "DailyMean",
    "DailyProfile",
    "ForecastResult",
    "ForecastSectionParts",
    "ForecastSettings",
    "Forecaster",
    "ModelForecast",
    "MstlEts",
    "SeasonalNaive",
    "SeriesSelection",
    "StatsforecastMstl",
    "WallClockGrid",
    "bias",
    "count_events_per_interval",
    "forecast_figure",
    "forecast_report_html",
    "forecast_section_parts",
    "forecast_series",
    "forecast_to_workload",
    "forecast_workload",
    "make_model",
    "mase",
    "read_forecast_csv",
    "run_backtest",
    "wape",
    "workload_series",
    "write_backtest_csv",
    "write_forecast_csv",
]
