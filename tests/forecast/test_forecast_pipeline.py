"""End-to-end forecasts of simulated workloads whose true arrival rates are known."""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest
from forecast_builders import office_rate, poisson_workload, real_starts

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import ConfigError, FallbackWarning
from asyncwfm.forecast import (
    BACKTEST_COLUMNS,
    FORECAST_COLUMNS,
    ForecastResult,
    ForecastSettings,
    forecast_workload,
)
from asyncwfm.forecast.metrics import wape

LONDON = "Europe/London"
CONFIG = PlanningConfig(business_timezone=LONDON, interval_minutes=30)

# Eight weeks of history end on Sunday 2024-10-20, so the forecast week holds the
# 25-hour day 2024-10-27 (clocks go back in London).
HISTORY_START = "2024-08-26"
HISTORY_DAYS = 56


def forecast_of(workload: pd.DataFrame, settings: ForecastSettings | None = None) -> ForecastResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        return forecast_workload(workload.drop(columns=["true_rate"]), CONFIG, settings)


@pytest.fixture(scope="module")
def eight_weeks() -> tuple[pd.DataFrame, ForecastResult]:
    rng = np.random.default_rng(20240101)
    workload = poisson_workload(rng, HISTORY_START, HISTORY_DAYS, timezone=LONDON)
    return workload, forecast_of(workload)


def turns_forecast(result: ForecastResult) -> pd.DataFrame:
    return result.forecast.loc[result.forecast["series"] == "turns"].reset_index(drop=True)


def test_forecast_table_has_contract_columns(
    eight_weeks: tuple[pd.DataFrame, ForecastResult],
) -> None:
    _, result = eight_weeks

    assert tuple(result.forecast.columns) == FORECAST_COLUMNS
    assert tuple(result.backtest.columns) == BACKTEST_COLUMNS
    assert set(result.forecast["series"]) == {
        "turns",
        "new_conversations",
        "active_seconds_per_turn",
    }


def test_forecast_week_with_25_hour_day(eight_weeks: tuple[pd.DataFrame, ForecastResult]) -> None:
    _, result = eight_weeks
    turns = turns_forecast(result)

    expected = real_starts("2024-10-21", 7, LONDON, 30)
    assert result.first_day == date(2024, 10, 21)
    assert len(turns) == 7 * 48 + 2
    assert turns["interval_start"].is_unique
    assert turns["interval_start"].tolist() == expected.tolist()


def test_forecast_across_23_hour_day(seed: int) -> None:
    rng = np.random.default_rng(seed)
    workload = poisson_workload(rng, "2024-02-26", 28, timezone=LONDON)

    result = forecast_of(workload, ForecastSettings(horizon_days=7))

    turns = turns_forecast(result)
    assert result.first_day == date(2024, 3, 25)
    assert len(turns) == 7 * 48 - 2
    assert turns["interval_start"].is_unique


def test_every_choice_is_backtested_against_naive(
    eight_weeks: tuple[pd.DataFrame, ForecastResult],
) -> None:
    _, result = eight_weeks
    backtest = result.backtest

    for (_, _), rows in backtest.groupby(["use_case", "series"]):
        assert rows["chosen"].sum() == 1
        assert "seasonal_naive" in set(rows["model"])
        chosen = rows.loc[rows["chosen"]].iloc[0]
        assert chosen["wape"] <= rows["wape"].min() + 1e-9
        assert chosen["origins"] == 3


def test_chosen_model_beats_naive_on_truth(seed: int) -> None:
    rng = np.random.default_rng(seed)
    workload = poisson_workload(rng, HISTORY_START, HISTORY_DAYS, timezone=LONDON)

    result = forecast_of(workload)

    turns = turns_forecast(result)
    truth = office_rate(pd.DatetimeIndex(turns["interval_start"]))
    last_week = workload["turns"].to_numpy()[-7 * 48 :]
    naive = np.concatenate([last_week[: 6 * 48], last_week[6 * 48 - 2 :]])  # repeat 01:00-02:00
    assert wape(truth, turns["forecast"].to_numpy()) < 0.8 * wape(truth, naive.astype(float))


def test_empty_nights_and_sundays_stay_zero(
    eight_weeks: tuple[pd.DataFrame, ForecastResult],
) -> None:
    _, result = eight_weeks
    turns = turns_forecast(result)

    truth = office_rate(pd.DatetimeIndex(turns["interval_start"]))
    closed = truth == 0
    for column in ("forecast", "lower_80", "upper_80", "lower_95", "upper_95"):
        assert (turns.loc[closed, column] == 0).all(), column
    assert (turns.loc[~closed, "forecast"] > 0).all()


def test_aht_is_empty_where_no_turns(eight_weeks: tuple[pd.DataFrame, ForecastResult]) -> None:
    _, result = eight_weeks
    forecast = result.forecast
    turns = forecast.loc[forecast["series"] == "turns"].set_index("interval_start")["forecast"]
    aht = forecast.loc[forecast["series"] == "active_seconds_per_turn"].set_index("interval_start")

    no_turns = turns.reindex(aht.index) == 0
    assert aht.loc[no_turns, "forecast"].isna().all()
    assert aht.loc[~no_turns, "forecast"].between(60, 600).all()


def test_bounds_are_ordered(eight_weeks: tuple[pd.DataFrame, ForecastResult]) -> None:
    _, result = eight_weeks
    forecast = result.forecast.dropna(subset=["forecast"])

    assert (forecast["lower_95"] <= forecast["lower_80"] + 1e-9).all()
    assert (forecast["lower_80"] <= forecast["upper_80"] + 1e-9).all()
    assert (forecast["upper_80"] <= forecast["upper_95"] + 1e-9).all()
    assert (forecast["lower_95"] >= 0).all()


def test_intervals_cover_simulated_future(seed: int) -> None:
    rng = np.random.default_rng(seed)
    workload = poisson_workload(rng, HISTORY_START, HISTORY_DAYS, timezone=LONDON)
    result = forecast_of(workload)
    turns = turns_forecast(result)

    truth = office_rate(pd.DatetimeIndex(turns["interval_start"]))
    future = rng.poisson(truth)
    open_slots = truth > 0
    inside_80 = (future >= turns["lower_80"]) & (future <= turns["upper_80"])
    inside_95 = (future >= turns["lower_95"]) & (future <= turns["upper_95"])
    # About 180 open intervals: the sampling error of a coverage share is about 3 %.
    assert 0.65 <= inside_80[open_slots].mean() <= 0.95
    assert inside_95[open_slots].mean() >= 0.85


def test_excluded_outlier_day_is_not_learnt(seed: int) -> None:
    rng = np.random.default_rng(seed)
    workload = poisson_workload(rng, HISTORY_START, HISTORY_DAYS, timezone=LONDON)
    outlier_day = date(2024, 10, 14)  # the last Monday of the history
    on_outlier = workload["interval_start"].dt.date == outlier_day
    workload.loc[on_outlier, "turns"] *= 10
    excluding = PlanningConfig(
        business_timezone=LONDON, interval_minutes=30, forecast={"excluded_dates": [outlier_day]}
    )
    settings = ForecastSettings(models=("seasonal_naive",))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        plain = forecast_workload(workload.drop(columns=["true_rate"]), CONFIG, settings)
        cleaned = forecast_workload(workload.drop(columns=["true_rate"]), excluding, settings)

    monday = date(2024, 10, 21)
    true_volume = workload.loc[
        workload["interval_start"].dt.date == date(2024, 10, 7), "true_rate"
    ].sum()

    def monday_volume(result: ForecastResult) -> float:
        turns = turns_forecast(result)
        return float(turns.loc[turns["interval_start"].dt.date == monday, "forecast"].sum())

    assert monday_volume(plain) > 5 * true_volume
    assert monday_volume(cleaned) < 1.3 * true_volume


def test_short_history_falls_back_with_reason(seed: int) -> None:
    rng = np.random.default_rng(seed)
    workload = poisson_workload(rng, "2024-09-02", 10, timezone=LONDON)

    with pytest.warns(FallbackWarning, match=r"10 days of history .*daily_profile") as caught:
        result = forecast_workload(workload.drop(columns=["true_rate"]), CONFIG)

    assert len(caught) == 3
    assert result.status == "fallback"
    assert {s.model for s in result.selections} == {"daily_profile"}
    assert {s.interval_source for s in result.selections} == {"history_errors"}
    assert (result.backtest["status"] == "too_short").all()


def test_history_under_a_week_uses_daily_mean(seed: int) -> None:
    rng = np.random.default_rng(seed)
    workload = poisson_workload(rng, "2024-09-02", 3, timezone=LONDON)

    with pytest.warns(FallbackWarning, match="less than a week"):
        result = forecast_workload(workload.drop(columns=["true_rate"]), CONFIG)

    assert {s.model for s in result.selections} == {"daily_mean"}
    assert len(turns_forecast(result)) == 7 * 48


def test_configured_closed_hours_are_zero(seed: int) -> None:
    rng = np.random.default_rng(seed)
    workload = poisson_workload(rng, "2024-09-02", 28, timezone=LONDON)
    config = PlanningConfig(
        business_timezone=LONDON,
        interval_minutes=30,
        opening_hours={"default": ["09:00-17:00"], "saturday": []},
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        result = forecast_workload(workload.drop(columns=["true_rate"]), config)
        kept_closed = forecast_workload(
            workload.drop(columns=["true_rate"]), config, ForecastSettings(closed_hours="keep")
        )

    turns = turns_forecast(result)
    starts = pd.DatetimeIndex(turns["interval_start"])
    closed = (starts.hour < 9) | (starts.hour >= 17) | (starts.weekday == 5)
    assert (turns.loc[closed, "forecast"] == 0).all()
    kept_turns = turns_forecast(kept_closed)
    saturday_noon = (starts.weekday == 5) & (starts.hour == 12)
    assert (kept_turns.loc[saturday_noon, "forecast"] > 0).all()


def test_start_date_cuts_history(eight_weeks: tuple[pd.DataFrame, ForecastResult]) -> None:
    workload, _ = eight_weeks

    result = forecast_of(workload, ForecastSettings(start=date(2024, 10, 7), horizon_days=2))

    assert result.first_day == date(2024, 10, 7)
    assert turns_forecast(result)["interval_start"].min() == pd.Timestamp("2024-10-07", tz=LONDON)
    assert result.selections[0].history_days == 42


def test_backtest_intervals_replace_model_intervals(
    eight_weeks: tuple[pd.DataFrame, ForecastResult],
) -> None:
    workload, _ = eight_weeks

    result = forecast_of(
        workload, ForecastSettings(models=("mstl_ets",), model_intervals=False, horizon_days=1)
    )

    sources = {s.interval_source for s in result.selections}
    assert "model" not in sources


def test_two_use_cases_are_forecast_separately(seed: int) -> None:
    rng = np.random.default_rng(seed)
    first = poisson_workload(rng, "2024-09-02", 21, timezone=LONDON, use_case="sms")
    second = poisson_workload(
        rng, "2024-09-02", 21, timezone=LONDON, use_case="in_app", rate=lambda s: 2 * office_rate(s)
    )

    result = forecast_of(pd.concat([first, second], ignore_index=True))

    volume = turns_forecast(result).groupby("use_case")["forecast"].sum()
    assert set(volume.index) == {"sms", "in_app"}
    assert 1.6 < volume["in_app"] / volume["sms"] < 2.5


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"horizon_days": 0}, "horizon_days must be between"),
        ({"models": ("prophet",)}, "unknown forecast model"),
        ({"models": ()}, "models is empty"),
        ({"backtest_origins": 0}, "backtest_origins must be between"),
    ],
)
def test_settings_reject_invalid_values(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ForecastSettings(**settings)  # type: ignore[arg-type]


def test_threads_give_identical_forecasts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    first = poisson_workload(rng, "2024-09-02", 21, timezone=LONDON, use_case="sms")
    second = poisson_workload(rng, "2024-09-02", 21, timezone=LONDON, use_case="in_app")
    workload = pd.concat([first, second], ignore_index=True)

    serial = forecast_of(workload)
    threaded = forecast_of(workload, ForecastSettings(n_jobs=2))

    pd.testing.assert_frame_equal(serial.forecast, threaded.forecast)
    pd.testing.assert_frame_equal(serial.backtest, threaded.backtest)


def test_undercovering_model_intervals_are_replaced(seed: int) -> None:
    # MSTL-ETS intervals have one width at every hour, so on office-hours Poisson
    # arrivals they miss many peak intervals in the backtest.
    rng = np.random.default_rng(seed)
    workload = poisson_workload(rng, "2024-09-02", 35, timezone=LONDON)

    result = forecast_of(workload, ForecastSettings(models=("mstl_ets",)))

    backtest = result.backtest.set_index(["series", "model"])
    assert backtest.loc[("turns", "mstl_ets"), "coverage_95"] < 0.9
    for selection in result.selections:
        assert selection.interval_source != "model", selection.series


def test_selection_reports_band_coverage(
    eight_weeks: tuple[pd.DataFrame, ForecastResult],
) -> None:
    _, result = eight_weeks

    summary = result.summary()

    assert {"coverage_80", "coverage_95"} <= set(summary.columns)
    from_errors = summary[summary["interval_source"] == "backtest_errors"]
    assert not from_errors.empty
    # 3 origins of 6 days with 24 open half-hours: the sampling error of a share is 2 %.
    assert from_errors["coverage_80"].between(0.65, 0.95).all()
    assert (from_errors["coverage_95"] >= 0.85).all()


def test_selection_coverage_matches_backtest(
    eight_weeks: tuple[pd.DataFrame, ForecastResult],
) -> None:
    _, result = eight_weeks
    backtest = result.backtest.set_index(["use_case", "series", "model"])

    for selection in result.selections:
        row = backtest.loc[(selection.use_case, selection.series, selection.model)]
        column = "coverage_80" if selection.interval_source == "model" else "error_coverage_80"
        assert selection.coverage_80 == pytest.approx(row[column]), selection.series


def test_reason_explains_left_out_origins(seed: int) -> None:
    rng = np.random.default_rng(seed)
    workload = poisson_workload(rng, "2024-09-02", 30, timezone=LONDON)

    result = forecast_of(workload)

    for selection in result.selections:
        assert "over 2 of 3 origins" in selection.reason
        assert "15 training days that mstl_ets needs" in selection.reason
