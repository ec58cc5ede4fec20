"""Wall-clock grid: a regular array of intervals per local day, for seasonal models.

Seasonal models need a fixed number of values per day, but a day with a DST change has
23 or 25 hours. Demand follows the local clock (people call at 09:00 local time in
summer and in winter), so the models work on a *wall-clock grid*: every local day has
``1440 / interval_minutes`` slots, one per wall-clock start time. Real intervals map to
it as follows:

- On a 25-hour day the repeated hour has two real intervals per slot. Their values
  are averaged into the slot, so the slot has the rate of a normal hour.
- On a 23-hour day the skipped hour has slots with no real interval. They hold NaN in
  the history (filled before fitting and never scored), and their forecasts are
  dropped when mapping back.

Going back, each real interval of the forecast days takes the value of its wall-clock
slot, so both copies of a repeated hour get a forecast and no interval is missing or
duplicated. Real interval starts are built on a UTC grid from local midnight, like the
measure stage's workload grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from asyncwfm.errors import InputError

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class WallClockGrid:
    """Consecutive local days of wall-clock slots in one time zone.

    Attributes
    ----------
    first_day : date
        First local day of the grid.
    days : int
        Number of local days.
    interval_minutes : int
        Length of one slot; divides 1440.
    timezone : ZoneInfo
        Business time zone.
    """

    first_day: date
    days: int
    interval_minutes: int
    timezone: ZoneInfo

    def __post_init__(self) -> None:
        if MINUTES_PER_DAY % self.interval_minutes:
            raise InputError(
                f"interval_minutes={self.interval_minutes} does not divide a day; use 15, 30 or 60."
            )
        if self.days < 0:
            raise InputError(f"a grid needs a non-negative number of days, got {self.days}.")

    @property
    def slots_per_day(self) -> int:
        """Wall-clock slots in one local day."""
        return MINUTES_PER_DAY // self.interval_minutes

    @property
    def size(self) -> int:
        """Slots in the whole grid."""
        return self.days * self.slots_per_day

    @property
    def end_day(self) -> date:
        """The local day after the last day of the grid."""
        return self.first_day + timedelta(days=self.days)

    def day_dates(self) -> list[date]:
        """Return the local date of every day of the grid."""
        return [self.first_day + timedelta(days=i) for i in range(self.days)]

    def interval_starts(self) -> pd.DatetimeIndex:
        """Return the real interval starts of the grid's days, in the business time zone.

        The starts step by ``interval_minutes`` in UTC from local midnight of
        ``first_day`` to local midnight of ``end_day``, so a 23-hour day has
        ``23 * 60 / interval_minutes`` starts and a 25-hour day has ``25 * 60 /
        interval_minutes``.
        """
        start = _local_midnight(self.first_day, self.timezone)
        end = _local_midnight(self.end_day, self.timezone)
        utc_starts = pd.date_range(
            start.tz_convert("UTC"),
            end.tz_convert("UTC"),
            freq=f"{self.interval_minutes}min",
            inclusive="left",
        )
        return utc_starts.tz_convert(self.timezone)

    def positions(self, interval_starts: pd.DatetimeIndex) -> np.ndarray:
        """Return the wall-clock slot index of each interval start, -1 outside the grid.

        ``interval_starts`` must be timezone-aware; they are converted to the grid's time
        zone first. A start that is not on a slot boundary maps to the slot it falls in.
        """
        if interval_starts.tz is None:
            raise InputError(
                "interval starts must be timezone-aware in the business time zone; "
                "localise them with tz_localize before forecasting."
            )
        wall_clock = interval_starts.tz_convert(self.timezone).tz_localize(None)
        origin = pd.Timestamp(self.first_day)
        minutes = (wall_clock - origin) // pd.Timedelta(minutes=1)
        position = np.asarray(minutes, dtype=np.int64) // self.interval_minutes
        outside = (position < 0) | (position >= self.size)
        return np.where(outside, -1, position)


def to_wall_clock(
    interval_starts: pd.DatetimeIndex, values: np.ndarray, grid: WallClockGrid
) -> np.ndarray:
    """Place interval values on the wall-clock grid.

    Values of real intervals that share a slot (the repeated hour of a 25-hour day) are
    averaged, ignoring NaN. Slots without a real interval, or with only NaN values,
    are NaN. Intervals outside the grid are ignored.

    Returns
    -------
    numpy.ndarray
        Array of length ``grid.size``.
    """
    position = grid.positions(interval_starts)
    values = np.asarray(values, dtype=float)
    keep = (position >= 0) & ~np.isnan(values)

    totals = np.bincount(position[keep], weights=values[keep], minlength=grid.size)
    counts = np.bincount(position[keep], minlength=grid.size)
    result = np.full(grid.size, np.nan)
    has_value = counts > 0
    result[has_value] = totals[has_value] / counts[has_value]
    return result


def from_wall_clock(values: np.ndarray, grid: WallClockGrid) -> pd.DataFrame:
    """Map wall-clock values back to the real intervals of the grid's days.

    Returns
    -------
    pandas.DataFrame
        Columns ``interval_start`` (business time zone) and ``position`` (the slot each
        real interval took its value from); the caller indexes its arrays with
        ``position``.
    """
    if len(values) != grid.size:
        raise InputError(f"expected {grid.size} wall-clock values, got {len(values)}.")
    starts = grid.interval_starts()
    return pd.DataFrame({"interval_start": starts, "position": grid.positions(starts)})


def _local_midnight(day: date, timezone: ZoneInfo) -> pd.Timestamp:
    # Where midnight does not exist (DST starting at 00:00) the day starts at the
    # first existing minute; where it repeats, at its first occurrence.
    return pd.Timestamp(day).tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
