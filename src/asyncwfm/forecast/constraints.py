"""Rules every forecast obeys after the model: no negative values, zero where closed.

A slot of the week is forced to zero, point forecast and bounds alike, when

- the configured opening hours (``PlanningConfig.opening_hours``) close it, or
- the series is a count and was zero in that wall-clock slot on every observed
  occurrence of its weekday, with at least :data:`MIN_ZERO_WEEKS` occurrences. This
  keeps zero-volume nights and closed hours at zero when the configuration does not
  list opening hours.

NOTE: on a very sparse series (a few events a week) most slots are zero every week.
This rule then also zeroes slots that merely happened to be empty, so the forecast
volume sits only where events occurred before.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from asyncwfm.config import PlanningConfig
from asyncwfm.forecast.base import ModelForecast
from asyncwfm.forecast.series import SeriesHistory

MIN_ZERO_WEEKS = 2
"""Occurrences of a weekday, all zero in a slot, needed before that slot is forced to zero."""


def closed_slots(config: PlanningConfig, slots_per_day: int) -> np.ndarray:
    """Return a (7, slots_per_day) boolean array: True where the opening hours close a slot.

    Row 0 is Monday. A slot is open when its start falls inside an opening span of its
    weekday.
    """
    interval_minutes = 24 * 60 // slots_per_day
    slot_starts = np.arange(slots_per_day) * interval_minutes
    closed = np.ones((7, slots_per_day), dtype=bool)
    for weekday in range(7):
        for span_start, span_end in config.opening_spans(weekday):
            first = span_start.hour * 60 + span_start.minute
            last = 24 * 60 if span_end is None else span_end.hour * 60 + span_end.minute
            closed[weekday] &= ~((slot_starts >= first) & (slot_starts < last))
    return closed


def learned_zero_slots(history: SeriesHistory) -> np.ndarray:
    """Return a (7, slots_per_day) boolean array of slots that were zero in every week.

    Always all False for a ratio series.
    """
    slots = history.grid.slots_per_day
    zero = np.zeros((7, slots), dtype=bool)
    if history.kind != "count":
        return zero

    values = np.where(history.observed, history.values, np.nan).reshape(history.days, slots)
    weekdays = history.weekdays()
    for weekday in range(7):
        rows = values[weekdays == weekday]
        observed = ~np.isnan(rows)
        enough = observed.sum(axis=0) >= MIN_ZERO_WEEKS
        all_zero = np.all(np.where(observed, rows == 0, True), axis=0)
        zero[weekday] = enough & all_zero
    return zero


def horizon_zero_mask(weekly_mask: np.ndarray, first_day: date, days: int) -> np.ndarray:
    """Expand a (7, slots_per_day) weekday mask to the slots of ``days`` days from ``first_day``."""
    weekdays = [(first_day + timedelta(days=i)).weekday() for i in range(days)]
    return weekly_mask[weekdays].reshape(-1)


def apply_constraints(forecast: ModelForecast, zero_mask: np.ndarray) -> ModelForecast:
    """Clip the forecast and its bounds at zero and set them to zero where ``zero_mask``."""
    horizon = len(forecast.mean)
    mask = zero_mask[:horizon]

    def constrain(values: np.ndarray) -> np.ndarray:
        return np.where(mask, 0.0, np.clip(values, 0.0, None))

    bounds = None
    if forecast.bounds is not None:
        bounds = {
            level: (constrain(lower), constrain(upper))
            for level, (lower, upper) in forecast.bounds.items()
        }
    return ModelForecast(mean=constrain(forecast.mean), bounds=bounds)
