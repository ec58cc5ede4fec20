"""The classic workforce-management forecast: daily totals times an intraday profile."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing, HoltWintersResults

from asyncwfm.forecast.base import DEFAULT_LEVELS, Forecaster, ModelForecast

TREND_MIN_DAYS = 28
"""Shortest history on which the daily totals get a damped trend."""

SMOOTHING_MIN_DAYS = 21
"""Shortest history on which the daily totals are smoothed rather than averaged.

statsmodels' heuristic initialisation needs at least 16 days for a weekly season, and
on the bank log's February 1999 arrivals the weekday means forecast better than
Holt-Winters fitted to less than three weeks."""


class DailyProfile(Forecaster):
    """Forecast each day's total, then spread it with that weekday's intraday profile.

    This is how contact-centre planners have long forecast: the volume of a day,
    then the share of it that falls in each interval, learnt separately per weekday.

    - Daily totals: Holt-Winters exponential smoothing with additive weekly seasonality
      (``statsmodels.tsa.holtwinters.ExponentialSmoothing``, heuristic initial states)
      on three weeks of history or more, with a damped additive trend when
      ``damped_trend`` is set and the history has four weeks or more. On a shorter
      history each weekday's total is the mean of that weekday's totals.
    - Intraday profile: for each weekday, the volume of each slot over the last
      ``profile_weeks`` occurrences of that weekday divided by their total volume, so
      a slot that was always empty gets a zero share.

    The same arithmetic works for a per-turn mean (active seconds per turn): the day's
    "total" is then a sum of means, and the profile spreads it in the same proportion.
    The model has no prediction intervals of its own.

    Parameters
    ----------
    profile_weeks : int
        Recent weeks averaged into each weekday's intraday profile.
    damped_trend : bool
        Give the daily totals a damped trend. Off by default: over a forecast of a
        week or two the smoothed level follows growth well enough, and fitting the
        trend makes the model about 15 times slower.

    References
    ----------
    Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, OTexts (the
    reference of statsmodels' ``ExponentialSmoothing``), chapter on exponential
    smoothing, for Holt-Winters with a damped trend.
    """

    name = "daily_profile"
    min_history_days = 7

    def __init__(self, profile_weeks: int = 4, damped_trend: bool = False) -> None:
        self.profile_weeks = profile_weeks
        self.damped_trend = damped_trend

    def fit(self, y: np.ndarray, slots_per_day: int) -> Self:
        """Fit the daily-total model and the seven intraday profiles."""
        values = self._check_history(y, slots_per_day)
        by_day = values.reshape(-1, slots_per_day)
        totals = by_day.sum(axis=1)

        self.slots_per_day_ = slots_per_day
        self.history_days_ = len(totals)
        self.profiles_ = self._fit_profiles(by_day, totals)
        self.daily_model_ = _fit_daily_totals(totals, self.damped_trend)
        self.weekday_means_ = np.array([totals[len(totals) - 7 + k :: -7].mean() for k in range(7)])
        return self

    def predict(self, horizon: int, levels: Sequence[int] = DEFAULT_LEVELS) -> ModelForecast:
        """Spread the forecast daily totals over the slots; no intervals of its own."""
        days = -(-horizon // self.slots_per_day_)
        if self.daily_model_ is None:
            totals = np.resize(self.weekday_means_, days)
        else:
            totals = np.asarray(self.daily_model_.forecast(days), dtype=float)
        totals = np.clip(totals, 0.0, None)

        profiles = np.resize(self.profiles_, (days, self.slots_per_day_))
        mean = (profiles * totals[:, None]).reshape(-1)[:horizon]
        return ModelForecast(mean=mean)

    def _fit_profiles(self, by_day: np.ndarray, totals: np.ndarray) -> np.ndarray:
        # Row k is the profile of the weekday of forecast day k (history day n + k).
        days = len(totals)
        profiles = np.zeros((7, by_day.shape[1]))
        for k in range(7):
            same_weekday = np.arange(days - 7 + k, -1, -7)[: self.profile_weeks]
            same_weekday = same_weekday[same_weekday >= 0]
            volume = totals[same_weekday].sum()
            if volume > 0:
                profiles[k] = by_day[same_weekday].sum(axis=0) / volume
        return profiles


def _fit_daily_totals(totals: np.ndarray, damped_trend: bool) -> HoltWintersResults | None:
    if len(totals) < SMOOTHING_MIN_DAYS or np.ptp(totals) == 0:
        return None
    trend = "add" if damped_trend and len(totals) >= TREND_MIN_DAYS else None
    model = ExponentialSmoothing(
        totals,
        trend=trend,
        damped_trend=trend is not None,
        seasonal="add",
        seasonal_periods=7,
        initialization_method="heuristic",
    )
    return model.fit()
