"""forecast.csv: round trip, DST offsets, and workload tables at a chosen quantile."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from forecast_builders import poisson_workload
from scipy.stats import norm

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import DataQualityWarning, FallbackWarning, InputError
from asyncwfm.forecast import (
    ForecastResult,
    forecast_to_workload,
    forecast_workload,
    read_forecast_csv,
    write_backtest_csv,
    write_forecast_csv,
)

LONDON = "Europe/London"


@pytest.fixture(scope="module")
def result() -> ForecastResult:
    # Three weeks of history before 2024-10-21, so the 7-day forecast contains the
    # 25-hour day 2024-10-27.
    rng = np.random.default_rng(5)
    workload = poisson_workload(rng, "2024-09-30", 21, timezone=LONDON)
    config = PlanningConfig(business_timezone=LONDON, interval_minutes=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        return forecast_workload(workload.drop(columns=["true_rate"]), config)


@pytest.fixture(scope="module")
def csv_path(result: ForecastResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_forecast_csv(result, tmp_path_factory.mktemp("forecast") / "forecast.csv")


def test_csv_writes_offsets_of_repeated_hour(csv_path: Path) -> None:
    text = csv_path.read_text()

    assert "2024-10-27T01:00:00+01:00" in text
    assert "2024-10-27T01:00:00+00:00" in text
    assert text.splitlines()[0] == (
        "interval_start,use_case,series,model,forecast,lower_80,upper_80,lower_95,upper_95"
    )


def test_read_returns_mean_workload(result: ForecastResult, csv_path: Path) -> None:
    workload = read_forecast_csv(csv_path, LONDON, interval_minutes=30)

    turns = result.forecast.loc[result.forecast["series"] == "turns"]
    assert len(workload) == len(turns)
    assert workload["interval_start"].is_unique
    assert str(workload["interval_start"].dt.tz) == LONDON
    assert np.allclose(workload["turns"].to_numpy(), turns["forecast"].to_numpy())
    assert {"turns", "new_conversations", "active_seconds_per_turn", "active_seconds"} <= set(
        workload.columns
    )


def test_active_seconds_is_turns_times_aht(csv_path: Path) -> None:
    workload = read_forecast_csv(csv_path, LONDON)

    busy = workload["turns"] > 0
    expected = workload.loc[busy, "turns"] * workload.loc[busy, "active_seconds_per_turn"]
    assert np.allclose(workload.loc[busy, "active_seconds"], expected)
    assert (workload.loc[~busy, "active_seconds"] == 0).all()
    assert workload.loc[~busy, "active_seconds_per_turn"].isna().all()


@pytest.mark.parametrize(
    ("quantile", "column"),
    [
        (0.025, "lower_95"),
        (0.1, "lower_80"),
        (0.5, "forecast"),
        (0.9, "upper_80"),
        (0.975, "upper_95"),
    ],
)
def test_quantile_at_stored_bound(result: ForecastResult, quantile: float, column: str) -> None:
    workload = forecast_to_workload(result.forecast, quantile=quantile)

    turns = result.forecast.loc[result.forecast["series"] == "turns"]
    assert np.allclose(workload["turns"].to_numpy(), turns[column].to_numpy())


def test_quantile_between_bounds_follows_normal_scale(result: ForecastResult) -> None:
    workload = forecast_to_workload(result.forecast, quantile=0.8)

    turns = result.forecast.loc[result.forecast["series"] == "turns"]
    weight = norm.ppf(0.8) / norm.ppf(0.9)
    expected = (1 - weight) * turns["forecast"] + weight * turns["upper_80"]
    assert np.allclose(workload["turns"].to_numpy(), expected.to_numpy())
    assert (workload["turns"].to_numpy() >= turns["forecast"].to_numpy() - 1e-9).all()


def test_aht_quantile_is_separate(result: ForecastResult) -> None:
    volume_only = forecast_to_workload(result.forecast, quantile=0.9)
    both = forecast_to_workload(result.forecast, quantile=0.9, aht_quantile=0.9)

    mean = forecast_to_workload(result.forecast)
    assert np.allclose(
        volume_only["active_seconds_per_turn"], mean["active_seconds_per_turn"], equal_nan=True
    )
    busy = both["turns"] > 0
    assert (
        both.loc[busy, "active_seconds_per_turn"]
        >= mean.loc[busy, "active_seconds_per_turn"] - 1e-9
    ).all()


@pytest.mark.parametrize("quantile", [0.0, 0.01, 0.99, 1.5])
def test_quantile_outside_bounds_is_rejected(result: ForecastResult, quantile: float) -> None:
    with pytest.raises(InputError, match=r"between 0\.025 and 0\.975"):
        forecast_to_workload(result.forecast, quantile=quantile)


def test_unknown_bounds_keep_mean_with_warning(result: ForecastResult) -> None:
    forecast = result.forecast.copy()
    forecast[["upper_80", "upper_95"]] = np.nan

    with pytest.warns(DataQualityWarning, match="no prediction bounds"):
        workload = forecast_to_workload(forecast, quantile=0.95)

    turns = forecast.loc[forecast["series"] == "turns"]
    assert np.allclose(workload["turns"].to_numpy(), turns["forecast"].to_numpy())


def test_read_rejects_other_interval_length(csv_path: Path) -> None:
    with pytest.raises(InputError, match="30-minute intervals but the configuration plans 15"):
        read_forecast_csv(csv_path, LONDON, interval_minutes=15)


def test_read_rejects_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="forecast file not found"):
        read_forecast_csv(tmp_path / "nope.csv", LONDON)


def test_read_rejects_other_csv(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    pd.DataFrame({"a": [1]}).to_csv(other, index=False)

    with pytest.raises(InputError, match="is not a forecast file"):
        read_forecast_csv(other, LONDON)


def test_read_rejects_unknown_time_zone(csv_path: Path) -> None:
    with pytest.raises(InputError, match="unknown IANA time zone"):
        read_forecast_csv(csv_path, "Mars/Olympus")


def test_backtest_csv_has_one_row_per_model(result: ForecastResult, tmp_path: Path) -> None:
    path = write_backtest_csv(result, tmp_path / "backtest.csv")

    table = pd.read_csv(path)
    assert len(table) == len(result.backtest)
    assert table["chosen"].sum() == len(result.selections)
