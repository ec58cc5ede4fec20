"""Opening hours of the business, applied to planning intervals.

The interval grid itself is built by :func:`asyncwfm.measure.interval_grid`.
"""

from __future__ import annotations

from datetime import time

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig


def open_mask(interval_starts: pd.DatetimeIndex | pd.Series, config: PlanningConfig) -> np.ndarray:
    """Return True for each interval that starts inside the opening hours.

    Opening hours are local wall-clock spans per weekday (``PlanningConfig.opening_hours``);
    with none configured every interval is open.
    """
    starts = pd.DatetimeIndex(interval_starts)
    if not config.opening_hours:
        return np.ones(len(starts), dtype=bool)

    local = starts.tz_convert(config.timezone)
    minutes = (local.hour * 60 + local.minute).to_numpy()
    weekdays = local.weekday.to_numpy()
    result = np.zeros(len(starts), dtype=bool)
    for weekday in range(7):
        on_day = weekdays == weekday
        for span_start, span_end in config.opening_spans(weekday):
            first = _minutes(span_start)
            last = 24 * 60 if span_end is None else _minutes(span_end)
            result |= on_day & (minutes >= first) & (minutes < last)
    return result


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute
