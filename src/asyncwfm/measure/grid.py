"""The planning interval grid: built in UTC, labelled in the business time zone.

Intervals are consecutive UTC spans of equal length. Their starts are aligned to the
local clock of the business time zone (a 30-minute grid starts at :00 and :30 local
time), and they are labelled with tz-aware local timestamps. Because the grid never
steps through local wall-clock time, a day with a DST change has 23 or 25 hours of
intervals (92 or 100 quarter-hours), with no interval missing or repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from asyncwfm.errors import InputError
from asyncwfm.measure._ordered import NANOSECONDS_PER_SECOND


@dataclass(frozen=True)
class IntervalGrid:
    """Consecutive planning intervals of equal length.

    Attributes
    ----------
    origin_ns : int
        Start of the first interval, epoch nanoseconds UTC.
    interval_seconds : int
        Length of every interval.
    count : int
        Number of intervals.
    business_timezone : str
        IANA name of the zone used for labels.
    """

    origin_ns: int
    interval_seconds: int
    count: int
    business_timezone: str

    @property
    def interval_ns(self) -> int:
        """Length of one interval in nanoseconds."""
        return self.interval_seconds * NANOSECONDS_PER_SECOND

    @property
    def end_ns(self) -> int:
        """End of the last interval (exclusive), epoch nanoseconds UTC."""
        return self.origin_ns + self.count * self.interval_ns

    def starts_utc(self) -> pd.DatetimeIndex:
        """Interval starts as UTC timestamps."""
        starts = self.origin_ns + np.arange(self.count, dtype=np.int64) * self.interval_ns
        return pd.DatetimeIndex(starts.view("datetime64[ns]"), tz="UTC")

    def starts_local(self) -> pd.DatetimeIndex:
        """Interval starts as tz-aware timestamps in the business time zone."""
        return self.starts_utc().tz_convert(self.business_timezone)

    def index_of(self, time_ns: np.ndarray) -> np.ndarray:
        """Interval number of each time; times outside the grid get numbers < 0 or >= count."""
        return np.floor_divide(
            np.asarray(time_ns, dtype=np.int64) - self.origin_ns, self.interval_ns
        )


def interval_grid(
    start: pd.Timestamp | str,
    end: pd.Timestamp | str,
    interval_minutes: int,
    business_timezone: str,
) -> IntervalGrid:
    """Build the interval grid that covers ``[start, end)``.

    Parameters
    ----------
    start, end : pandas.Timestamp or str
        Span to cover. Naive values are taken as UTC. The grid starts at the interval
        that contains ``start`` and ends with the interval that contains the last
        instant before ``end``.
    interval_minutes : int
        Interval length in minutes; it must divide 24 hours.
    business_timezone : str
        IANA time zone whose clock the interval starts follow.

    Notes
    -----
    The grid is aligned to the zone's UTC offset at ``start``. DST changes of a whole
    multiple of the interval length (all common ones for 15, 30 and 60 minutes) keep
    the alignment. NOTE: a zone whose DST shift is shorter than the interval (Lord Howe
    Island shifts by 30 minutes) ends up off the local hour for 60-minute intervals.
    """
    if interval_minutes <= 0 or (24 * 60) % interval_minutes:
        raise InputError(
            f"interval_minutes must be a positive divisor of 1440, got {interval_minutes}"
        )
    start_utc = _as_utc_timestamp(start, "start")
    end_utc = _as_utc_timestamp(end, "end")
    if end_utc <= start_utc:
        raise InputError(f"the grid end {end_utc} must be after its start {start_utc}")

    interval_ns = interval_minutes * 60 * NANOSECONDS_PER_SECOND
    offset = start_utc.tz_convert(ZoneInfo(business_timezone)).utcoffset()
    offset_ns = 0 if offset is None else int(offset.total_seconds()) * NANOSECONDS_PER_SECOND

    origin_ns = (start_utc.value + offset_ns) // interval_ns * interval_ns - offset_ns
    count = -(-(end_utc.value - origin_ns) // interval_ns)
    return IntervalGrid(
        origin_ns=int(origin_ns),
        interval_seconds=interval_minutes * 60,
        count=int(count),
        business_timezone=business_timezone,
    )


def densest_span_ns(time_ns: np.ndarray, max_gap_seconds: float) -> tuple[int, int]:
    """Return the first and last time of the stretch of events with the most events.

    The sorted times are split wherever two consecutive events are more than
    ``max_gap_seconds`` apart. The stretch with the most events wins; among equal
    counts the latest one does. ``time_ns`` must not be empty.
    """
    ordered = np.sort(np.asarray(time_ns, dtype=np.int64))
    breaks = np.flatnonzero(np.diff(ordered) > max_gap_seconds * NANOSECONDS_PER_SECOND) + 1
    stretch_starts = np.r_[0, breaks]
    stretch_ends = np.r_[breaks, len(ordered)]
    sizes = stretch_ends - stretch_starts

    best = len(sizes) - 1 - int(np.argmax(sizes[::-1]))
    return int(ordered[stretch_starts[best]]), int(ordered[stretch_ends[best] - 1])


def trim_sparse_days(
    time_ns: np.ndarray, first_ns: int, last_ns: int, min_day_share: float
) -> tuple[int, int]:
    """Drop leading and trailing days of ``[first_ns, last_ns]`` that hold few events.

    Days are 24-hour bins from ``first_ns``. A day at either edge is dropped while its
    event count is below ``min_day_share`` times the median count of the days in the
    span, so the default window leaves out the thin run-in of an export and the tail
    of conversations still going on after it ends. Returns the first and last event
    time of the days kept.
    """
    if min_day_share <= 0:
        return first_ns, last_ns
    day_ns = 86_400 * NANOSECONDS_PER_SECOND
    inside = np.asarray(time_ns, dtype=np.int64)
    inside = inside[(inside >= first_ns) & (inside <= last_ns)]
    days = (inside - first_ns) // day_ns
    counts = np.bincount(days, minlength=int((last_ns - first_ns) // day_ns) + 1)
    threshold = min_day_share * float(np.median(counts))
    busy = np.flatnonzero(counts >= threshold)
    if busy.size == 0:
        return first_ns, last_ns
    kept = inside[(days >= busy[0]) & (days <= busy[-1])]
    return int(kept.min()), int(kept.max())


def _as_utc_timestamp(value: pd.Timestamp | str, name: str) -> pd.Timestamp:
    try:
        timestamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"invalid {name} time {value!r}: {exc}") from None
    if timestamp is pd.NaT:
        raise InputError(f"the {name} time must not be missing")
    if timestamp.tzinfo is None:
        return timestamp.tz_localize("UTC")
    return timestamp.tz_convert("UTC")
