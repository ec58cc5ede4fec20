"""Rolling-origin backtest: common origins, hand-checked scores and the selection rule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Self
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from asyncwfm.forecast import DailyProfile, Forecaster, ModelForecast, MstlEts, SeasonalNaive
from asyncwfm.forecast.backtest import origin_training_days, run_backtest
from asyncwfm.forecast.grid import WallClockGrid
from asyncwfm.forecast.series import SeriesHistory

SLOTS = 24
ALL_OPEN = np.zeros((7, SLOTS), dtype=bool)


def history_of(values: np.ndarray, kind: str = "count") -> SeriesHistory:
    days = len(values) // SLOTS
    grid = WallClockGrid(date(2024, 1, 1), days, 60, ZoneInfo("UTC"))
    return SeriesHistory("sms", "turns", kind, grid, values.astype(float), np.zeros(days, bool))  # type: ignore[arg-type]


def exact_weeks(weeks: int) -> np.ndarray:
    hours = np.arange(weeks * 7 * SLOTS) % SLOTS
    weekday = (np.arange(weeks * 7 * SLOTS) // SLOTS) % 7
    return (hours + 1.0) * (weekday + 1.0)


class Broken(Forecaster):
    """A model that fails on every fit, as a degenerate optimisation would."""

    name = "broken"
    min_history_days = 1

    def fit(self, y: np.ndarray, slots_per_day: int) -> Self:
        raise ValueError("optimiser did not converge")

    def predict(self, horizon: int, levels: Sequence[int] = (80, 95)) -> ModelForecast:
        raise AssertionError("never fitted")


def test_origins_step_back_from_the_end() -> None:
    assert origin_training_days(56, 7, 3, 7) == [49, 42, 35]
    assert origin_training_days(28, 7, 3, 3) == [21, 18, 15]
    assert origin_training_days(10, 7, 3, 7) == [3]
    assert origin_training_days(7, 7, 3, 7) == []


def test_naive_score_matches_hand_computation() -> None:
    values = np.concatenate([np.full(7 * SLOTS, 1.0), np.full(7 * SLOTS, 2.0)])

    result = run_backtest(
        history_of(values),
        [SeasonalNaive()],
        horizon_days=7,
        origins=1,
        step_days=7,
        closed_weekly=ALL_OPEN,
    )

    (score,) = result.scores
    # forecast 1 against actual 2 in every slot: WAPE |1-2|/2 = 0.5, bias -0.5
    assert score.wape == pytest.approx(0.5)
    assert score.bias == pytest.approx(-0.5)
    assert score.mae == pytest.approx(1.0)
    assert score.origins == 1


def test_models_share_the_origins_of_the_most_demanding() -> None:
    values = exact_weeks(4)

    result = run_backtest(
        history_of(values),
        [SeasonalNaive(), MstlEts()],
        horizon_days=7,
        origins=3,
        step_days=3,
        closed_weekly=ALL_OPEN,
    )

    assert result.training_days == (21, 18, 15)
    assert [s.origins for s in result.scores] == [3, 3]


def test_model_needing_more_history_is_too_short() -> None:
    result = run_backtest(
        history_of(exact_weeks(3)),
        [SeasonalNaive(), MstlEts()],
        horizon_days=7,
        origins=3,
        step_days=7,
        closed_weekly=ALL_OPEN,
    )

    naive, mstl = result.scores
    assert naive.status == "scored"
    assert mstl.status == "too_short"
    assert "needs 22 days" in mstl.message


def test_tie_goes_to_simpler_model() -> None:
    # Both models reproduce an exactly repeating week, so both have WAPE 0.
    result = run_backtest(
        history_of(exact_weeks(5)),
        [DailyProfile(), SeasonalNaive()],
        horizon_days=7,
        origins=2,
        step_days=7,
        closed_weekly=ALL_OPEN,
    )

    assert [s.wape for s in result.scores] == pytest.approx([0.0, 0.0], abs=1e-9)
    best = result.best()
    assert best is not None
    assert best.model == "seasonal_naive"


def test_failing_model_is_reported_not_chosen() -> None:
    result = run_backtest(
        history_of(exact_weeks(3)),
        [Broken(), SeasonalNaive()],
        horizon_days=7,
        origins=1,
        step_days=7,
        closed_weekly=ALL_OPEN,
    )

    broken, _ = result.scores
    assert broken.status == "failed"
    assert "ValueError: optimiser did not converge" in broken.message
    best = result.best()
    assert best is not None
    assert best.model == "seasonal_naive"


def test_coverage_is_reported_for_model_intervals() -> None:
    rng = np.random.default_rng(7)
    values = rng.poisson(exact_weeks(4) / 4).astype(float)

    result = run_backtest(
        history_of(values),
        [SeasonalNaive(), MstlEts()],
        horizon_days=7,
        origins=1,
        step_days=7,
        closed_weekly=ALL_OPEN,
    )

    naive, mstl = result.scores
    assert np.isnan(naive.coverage_80)
    assert 0.0 <= mstl.coverage_80 <= mstl.coverage_95 <= 1.0


def test_errors_leave_out_zero_slots() -> None:
    values = exact_weeks(3)
    closed = np.zeros((7, SLOTS), dtype=bool)
    closed[:, :12] = True

    result = run_backtest(
        history_of(values),
        [SeasonalNaive()],
        horizon_days=7,
        origins=1,
        step_days=7,
        closed_weekly=closed,
    )

    assert len(result.errors["seasonal_naive"]) == 7 * 12


class ZeroWidth(Forecaster):
    """The seasonal naive forecast with intervals of zero width, which cover only exact hits."""

    name = "zero_width"
    min_history_days = 7

    def fit(self, y: np.ndarray, slots_per_day: int) -> Self:
        self.week_ = y[-7 * slots_per_day :]
        return self

    def predict(self, horizon: int, levels: Sequence[int] = (80, 95)) -> ModelForecast:
        mean = np.resize(self.week_, horizon)
        return ModelForecast(mean, {level: (mean, mean) for level in levels})


def test_coverage_leaves_out_zero_slots() -> None:
    # Closed slots are zero in forecast and actuals alike, so they would count as hits.
    rng = np.random.default_rng(3)
    values = rng.poisson(exact_weeks(3)).astype(float)
    closed = np.zeros((7, SLOTS), dtype=bool)
    closed[:, :12] = True
    values[np.tile(closed, (3, 1)).reshape(-1)] = 0.0

    result = run_backtest(
        history_of(values),
        [ZeroWidth()],
        horizon_days=7,
        origins=1,
        step_days=7,
        closed_weekly=closed,
    )

    (score,) = result.scores
    assert score.coverage_80 < 0.2


def test_error_coverage_uses_other_origins() -> None:
    rng = np.random.default_rng(5)
    values = rng.poisson(exact_weeks(6) / 2).astype(float)

    result = run_backtest(
        history_of(values),
        [SeasonalNaive(), DailyProfile()],
        horizon_days=7,
        origins=3,
        step_days=7,
        closed_weekly=ALL_OPEN,
    )

    for score in result.scores:
        assert 0.5 <= score.error_coverage_80 <= 1.0, score.model
        assert score.error_coverage_80 <= score.error_coverage_95, score.model


def test_error_coverage_needs_two_origins() -> None:
    result = run_backtest(
        history_of(exact_weeks(3)),
        [SeasonalNaive()],
        horizon_days=7,
        origins=1,
        step_days=7,
        closed_weekly=ALL_OPEN,
    )

    (score,) = result.scores
    assert np.isnan(score.error_coverage_80)
    assert np.isnan(score.error_coverage_95)


def test_backtest_names_origin_limit() -> None:
    # 30 days leave 23, 16 and 9 training days; MSTL-ETS needs 15.
    result = run_backtest(
        history_of(exact_weeks(5)[: 30 * SLOTS]),
        [SeasonalNaive(), MstlEts()],
        horizon_days=7,
        origins=3,
        step_days=7,
        closed_weekly=ALL_OPEN,
    )

    assert result.training_days == (23, 16)
    assert result.requested_origins == 3
    assert result.min_training_days == 15
    assert result.limiting_model == "mstl_ets"
