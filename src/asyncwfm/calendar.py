"""Planning intervals and opening hours in the business time zone.

Interval starts are built on a regular UTC grid and then converted to the business
time zone, so a day of 23 or 25 hours (a DST change) gets exactly the intervals it
has, with no duplicated or missing start. This holds for every zone whose UTC offset
changes by whole multiples of the interval length, which covers all IANA zones for
60-minute intervals except the few with half-hour DST shifts (Australia/Lord_Howe).
"""

from __future__ import annotations

from datetime import time

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import InputError


def interval_grid(
    start: pd.Timestamp, end: pd.Timestamp, config: PlanningConfig
) -> pd.DatetimeIndex:
    """Return the interval starts covering ``[start, end)`` in the business time zone.

    ``start`` is floored and ``end`` ceiled to the interval in local time. Both must
    be timezone-aware.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise InputError("interval_grid needs timezone-aware start and end; localise them first.")
    frequency = f"{config.interval_minutes}min"
    local_start = start.tz_convert(config.timezone).floor(
        frequency, ambiguous=False, nonexistent="shift_backward"
    )
    local_end = end.tz_convert(config.timezone).ceil(
        frequency, ambiguous=False, nonexistent="shift_forward"
    )
    utc_starts = pd.date_range(
        local_start.tz_convert("UTC"), local_end.tz_convert("UTC"), freq=frequency, inclusive="left"
    )
    return utc_starts.tz_convert(config.timezone)


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
