"""The forecasting models on series whose future is known."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from asyncwfm.errors import ConfigError, InputError, MissingDependencyError
from asyncwfm.forecast import (
    DailyMean,
    DailyProfile,
    MstlEts,
    SeasonalNaive,
    StatsforecastMstl,
    make_model,
)
from asyncwfm.forecast.mstl import decompose_mstl

SLOTS = 24  # hourly slots keep the models fast


def weekly_pattern(days: int, level: float = 50.0) -> np.ndarray:
    """Return a deterministic series: an office-hours day shape times a weekday factor."""
    hours = np.arange(days * SLOTS) % SLOTS
    weekday = (np.arange(days * SLOTS) // SLOTS) % 7
    shape = np.where((hours >= 8) & (hours < 20), np.sin(np.pi * (hours - 8) / 12), 0.0)
    factor = np.array([1.0, 1.1, 1.0, 0.9, 0.8, 0.4, 0.0])[weekday]
    return level * shape * factor


def test_seasonal_naive_repeats_last_week() -> None:
    history = np.arange(14 * SLOTS, dtype=float)

    forecast = SeasonalNaive().fit(history, SLOTS).predict(10 * SLOTS)

    last_week = history[-7 * SLOTS :]
    assert np.array_equal(forecast.mean[: 7 * SLOTS], last_week)
    assert np.array_equal(forecast.mean[7 * SLOTS :], last_week[: 3 * SLOTS])
    assert forecast.bounds is None


def test_daily_mean_averages_available_days() -> None:
    history = np.concatenate([np.full(SLOTS, 2.0), np.full(SLOTS, 4.0)])

    forecast = DailyMean().fit(history, SLOTS).predict(SLOTS)

    assert np.allclose(forecast.mean, 3.0)


@pytest.mark.parametrize("days", [10, 28])
def test_daily_profile_reproduces_exact_weekly_pattern(days: int) -> None:
    series = weekly_pattern(days + 7)
    history, future = series[: days * SLOTS], series[days * SLOTS :]

    forecast = DailyProfile().fit(history, SLOTS).predict(7 * SLOTS)

    assert np.allclose(forecast.mean, future, atol=1e-6 * series.max())


def test_daily_profile_keeps_empty_slots_at_zero() -> None:
    history = weekly_pattern(28) + np.random.default_rng(0).uniform(0, 1, 28 * SLOTS)
    history[weekly_pattern(28) == 0] = 0.0

    forecast = DailyProfile().fit(history, SLOTS).predict(7 * SLOTS)

    closed = weekly_pattern(7) == 0
    assert np.all(forecast.mean[closed] == 0)


def test_mstl_ets_recovers_two_seasonalities() -> None:
    series = weekly_pattern(35) + 20.0
    history, future = series[: 28 * SLOTS], series[28 * SLOTS :]

    forecast = MstlEts().fit(history, SLOTS).predict(7 * SLOTS)

    # Loess smoothing leaks a little of the sharp opening edges into the trend.
    assert np.abs(forecast.mean - future).max() < 0.1 * series.max()
    assert np.abs(forecast.mean - future).mean() < 0.02 * series.max()
    assert forecast.bounds is not None
    lower, upper = forecast.bounds[95]
    assert np.all(lower <= forecast.mean + 1e-9)
    assert np.all(upper >= forecast.mean - 1e-9)


def test_mstl_ets_intervals_widen_with_level() -> None:
    rng = np.random.default_rng(1)
    history = weekly_pattern(28) + 20.0 + rng.normal(0, 2.0, 28 * SLOTS)

    forecast = MstlEts().fit(history, SLOTS).predict(7 * SLOTS)

    assert forecast.bounds is not None
    width_80 = forecast.bounds[80][1] - forecast.bounds[80][0]
    width_95 = forecast.bounds[95][1] - forecast.bounds[95][0]
    assert np.all(width_95 > width_80)


def test_decompose_mstl_separates_daily_and_weekly() -> None:
    days = 28
    t = np.arange(days * SLOTS)
    daily = 5 * np.sin(2 * np.pi * t / SLOTS)
    weekly = 3 * np.sin(2 * np.pi * t / (7 * SLOTS))

    seasonal = decompose_mstl(daily + weekly + 10, (SLOTS, 7 * SLOTS))

    middle = slice(7 * SLOTS, 21 * SLOTS)
    assert np.abs(seasonal[0][middle] - daily[middle]).max() < 0.5
    assert np.abs(seasonal[1][middle] - weekly[middle]).max() < 0.5


@pytest.mark.parametrize("model", [SeasonalNaive(), DailyProfile(), MstlEts()])
def test_models_reject_short_history(model: SeasonalNaive) -> None:
    with pytest.raises(InputError, match="needs at least"):
        model.fit(np.ones(3 * SLOTS), SLOTS)


def test_models_reject_gaps() -> None:
    history = np.ones(14 * SLOTS)
    history[5] = np.nan

    with pytest.raises(InputError, match="missing values"):
        SeasonalNaive().fit(history, SLOTS)


def test_models_reject_partial_days() -> None:
    with pytest.raises(InputError, match="whole days"):
        SeasonalNaive().fit(np.ones(14 * SLOTS + 3), SLOTS)


def test_make_model_rejects_unknown_name() -> None:
    with pytest.raises(ConfigError, match="unknown forecast model 'prophet'"):
        make_model("prophet")


def test_statsforecast_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def without_statsforecast(name: str, package: str | None = None) -> object:
        if name.startswith("statsforecast"):
            raise ImportError(name)
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", without_statsforecast)

    with pytest.raises(MissingDependencyError, match=r"asyncwfm\[statsforecast\]"):
        StatsforecastMstl().fit(weekly_pattern(21), SLOTS)


def test_statsforecast_mstl_forecasts_with_intervals() -> None:
    pytest.importorskip("statsforecast", reason="statsforecast is an optional extra")
    series = weekly_pattern(28) + 20.0
    history, future = series[: 21 * SLOTS], series[21 * SLOTS :]

    forecast = StatsforecastMstl().fit(history, SLOTS).predict(7 * SLOTS)

    assert np.abs(forecast.mean - future).max() < 0.1 * series.max()
    assert forecast.bounds is not None
    assert np.all(forecast.bounds[95][1] >= forecast.bounds[80][1] - 1e-9)
