"""Baselines: the seasonal naive forecast and the recent-days mean used on short histories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np

from asyncwfm.forecast.base import DEFAULT_LEVELS, Forecaster, ModelForecast, tile_season


class SeasonalNaive(Forecaster):
    """Same interval one week earlier.

    Every forecast slot takes the value of the same wall-clock slot on the same weekday
    of the last week of history. It is the baseline of the backtest and the scale of
    MASE. See Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 2nd
    ed., section 3.1 (https://otexts.com/fpp2/simple-methods.html).
    """

    name = "seasonal_naive"
    min_history_days = 7

    def fit(self, y: np.ndarray, slots_per_day: int) -> Self:
        """Keep the last seven days of ``y``."""
        values = self._check_history(y, slots_per_day)
        self.last_week_ = values[-7 * slots_per_day :]
        return self

    def predict(self, horizon: int, levels: Sequence[int] = DEFAULT_LEVELS) -> ModelForecast:
        """Repeat the last week over ``horizon`` slots; no intervals of its own."""
        return ModelForecast(mean=tile_season(self.last_week_, horizon))


class DailyMean(Forecaster):
    """Mean of the same interval over the last days, ignoring the weekday.

    The fallback for histories shorter than a week: every forecast day repeats the
    mean daily pattern of the (at most seven) days of history. Weekday differences,
    such as a closed Saturday, are lost until a full week of history exists.
    """

    name = "daily_mean"
    min_history_days = 1

    def fit(self, y: np.ndarray, slots_per_day: int) -> Self:
        """Average each slot of the day over the last seven days or fewer."""
        values = self._check_history(y, slots_per_day)
        recent = values[-7 * slots_per_day :].reshape(-1, slots_per_day)
        self.day_profile_ = recent.mean(axis=0)
        return self

    def predict(self, horizon: int, levels: Sequence[int] = DEFAULT_LEVELS) -> ModelForecast:
        """Repeat the mean day over ``horizon`` slots; no intervals of its own."""
        return ModelForecast(mean=tile_season(self.day_profile_, horizon))
