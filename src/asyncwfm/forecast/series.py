"""Series to forecast: the long series table and its history on the wall-clock grid.

The forecast stage works on a *long series table* with one row per use case, series and
interval: ``interval_start`` (timezone-aware, business time zone), ``use_case``,
``series`` and ``value``. :func:`workload_series` builds it from the measure stage's
workload table. :func:`count_events_per_interval` builds it from the event table, for
example to forecast agent replies when a log contains no customer messages.

Two kinds of series exist. *Count* series (turns, new conversations, replies) add up
over time and are zero where nothing happened. *Ratio* series (active handling seconds
per turn) are undefined where the interval has no turns and are never summed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final, Literal

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import InputError
from asyncwfm.forecast.grid import WallClockGrid, to_wall_clock

SeriesKind = Literal["count", "ratio"]

WORKLOAD_SERIES: Final[tuple[str, ...]] = ("turns", "new_conversations", "active_seconds_per_turn")
"""Workload columns forecast by default: customer turns that need an agent, new
conversations, and active handling seconds per turn."""

RATIO_SERIES: Final[frozenset[str]] = frozenset({"active_seconds_per_turn"})
"""Series that are a per-turn mean; every other series is a count."""

SERIES_COLUMNS: Final[tuple[str, ...]] = ("interval_start", "use_case", "series", "value")


def series_kind(name: str) -> SeriesKind:
    """Return ``"ratio"`` for a per-turn mean series and ``"count"`` for every other series."""
    return "ratio" if name in RATIO_SERIES else "count"


@dataclass(frozen=True, eq=False)
class SeriesHistory:
    """One series of one use case on the wall-clock grid, ready for fitting.

    Attributes
    ----------
    use_case, series : str
        What the series measures.
    kind : {"count", "ratio"}
        Count series are zero where nothing happened; ratio series are NaN there.
    grid : WallClockGrid
        The local days covered.
    values : numpy.ndarray
        One value per wall-clock slot; NaN where no real interval exists (the skipped
        hour of a 23-hour day) or, for a ratio, where the interval had no turns.
    excluded_days : numpy.ndarray
        Boolean per day: dates marked as holidays or outliers, left out of fitting
        and scoring.
    """

    use_case: str
    series: str
    kind: SeriesKind
    grid: WallClockGrid
    values: np.ndarray
    excluded_days: np.ndarray

    @property
    def days(self) -> int:
        """Number of local days of history."""
        return self.grid.days

    @property
    def observed(self) -> np.ndarray:
        """Boolean per slot: the value is known and its day is not excluded."""
        per_slot_excluded = np.repeat(self.excluded_days, self.grid.slots_per_day)
        return ~np.isnan(self.values) & ~per_slot_excluded

    def weekdays(self) -> np.ndarray:
        """Return the weekday (0 = Monday) of every day of the history."""
        return np.array([d.weekday() for d in self.grid.day_dates()], dtype=np.int64)

    def first_days(self, days: int) -> SeriesHistory:
        """Return the history cut to its first ``days`` days (a backtest training window)."""
        slots = days * self.grid.slots_per_day
        return replace(
            self,
            grid=replace(self.grid, days=days),
            values=self.values[:slots],
            excluded_days=self.excluded_days[:days],
        )

    def last_days(self, days: int) -> SeriesHistory:
        """Return the history cut to its last ``days`` days."""
        if days >= self.days:
            return self
        skip = self.days - days
        slots = skip * self.grid.slots_per_day
        return replace(
            self,
            grid=replace(
                self.grid, first_day=self.grid.first_day + timedelta(days=skip), days=days
            ),
            values=self.values[slots:],
            excluded_days=self.excluded_days[skip:],
        )


def workload_series(
    workload: pd.DataFrame, series: Sequence[str] = WORKLOAD_SERIES
) -> pd.DataFrame:
    """Melt a workload table into the long series table.

    Active seconds per turn is set to NaN where an interval has no turns, because the
    mean over no turns is undefined.

    Parameters
    ----------
    workload : pandas.DataFrame
        The measure stage's workload table: ``interval_start`` (timezone-aware),
        ``use_case`` and the columns named in ``series``.
    series : sequence of str
        Workload columns to forecast.

    Returns
    -------
    pandas.DataFrame
        Columns ``interval_start, use_case, series, value``.
    """
    required = ["interval_start", "use_case", *series]
    missing = [c for c in required if c not in workload.columns]
    if missing:
        raise InputError(
            f"workload table is missing columns {missing}; found {list(workload.columns)}. "
            "Build it with the measure stage."
        )
    _check_aware(workload["interval_start"])

    frame = workload.loc[:, required].copy()
    if "active_seconds_per_turn" in series and "turns" in workload.columns:
        no_turns = workload["turns"].fillna(0).to_numpy() <= 0
        frame.loc[no_turns, "active_seconds_per_turn"] = np.nan

    long = frame.melt(id_vars=["interval_start", "use_case"], var_name="series", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype(float)
    long["use_case"] = long["use_case"].astype(str)
    return long.loc[:, list(SERIES_COLUMNS)]


def count_events_per_interval(
    events: pd.DataFrame,
    config: PlanningConfig,
    *,
    sender: str = "agent",
    series: str = "agent_replies",
) -> pd.DataFrame:
    """Count message events of one sender per use case and interval.

    The TWCS brand reply files contain only brand replies, so their workload is a
    count of agent replies per interval rather than customer turns. This function
    builds such a series. It covers local midnight of the first counted event's day to
    local midnight after the last one's day, with zero where no event happened.

    Parameters
    ----------
    events : pandas.DataFrame
        Event table (``asyncwfm.schema.EVENT_COLUMNS``); ``timestamp`` in UTC.
    config : PlanningConfig
        Business time zone, interval length and use case mapping.
    sender : str
        Sender whose ``message`` events are counted.
    series : str
        Name given to the series.

    Returns
    -------
    pandas.DataFrame
        The long series table.
    """
    chosen = events.loc[(events["sender"] == sender) & (events["event_type"] == "message")]
    if chosen.empty:
        raise InputError(f"no message events with sender {sender!r} to count.")
    _check_aware(chosen["timestamp"])

    labels = chosen["use_case"].astype(str).to_numpy()
    channels = chosen["channel"].astype(str).to_numpy()
    mapping = {
        (label, channel): config.resolve_use_case(label, channel)
        for label, channel in set(zip(labels, channels, strict=True))
    }
    use_cases = pd.Series(
        [mapping[(label, channel)] for label, channel in zip(labels, channels, strict=True)],
        index=chosen.index,
        dtype=object,
    )
    matched = use_cases.notna()
    timestamps = pd.DatetimeIndex(chosen.loc[matched, "timestamp"])

    tz = config.timezone
    first_day = timestamps.min().tz_convert(tz).date()
    last_day = timestamps.max().tz_convert(tz).date()
    grid = WallClockGrid(first_day, (last_day - first_day).days + 1, config.interval_minutes, tz)
    starts = grid.interval_starts()
    slot = np.searchsorted(starts.asi8, timestamps.tz_convert(tz).asi8, side="right") - 1

    counts = (
        pd.DataFrame({"use_case": use_cases[matched].to_numpy(), "slot": slot})
        .groupby(["use_case", "slot"])
        .size()
    )
    frames = []
    for use_case, per_slot in counts.groupby(level="use_case"):
        values = np.zeros(len(starts))
        values[per_slot.index.get_level_values("slot")] = per_slot.to_numpy()
        frames.append(
            pd.DataFrame(
                {"interval_start": starts, "use_case": use_case, "series": series, "value": values}
            )
        )
    return pd.concat(frames, ignore_index=True)


def build_histories(
    table: pd.DataFrame,
    config: PlanningConfig,
    *,
    end_day: date | None = None,
    history_days: int = 56,
) -> list[SeriesHistory]:
    """Place every series of a long series table on a common wall-clock grid.

    The grid runs from the first local day in the table (or ``history_days`` before
    ``end_day``, whichever is later) to the day before ``end_day``. Between the
    table's first and last interval, a count series is zero in intervals missing
    from the table; a ratio series is NaN there. Intervals before the table's first
    or after its last interval (the rest of a day the log starts or ends in) are NaN
    for both kinds: unobserved, so they are filled before fitting and never scored.

    Parameters
    ----------
    table : pandas.DataFrame
        Long series table (:func:`workload_series`).
    config : PlanningConfig
        Business time zone, interval length and excluded dates
        (``config.forecast.excluded_dates``).
    end_day : date, optional
        First local day *not* in the history, normally the first forecast day. By
        default the day after the last day in the table.
    history_days : int
        Most recent days kept for fitting.

    Raises
    ------
    InputError
        When the table is empty, has interval starts that are not on the configured
        grid, or has no day before ``end_day``.
    """
    _check_series_table(table)
    if history_days < 1:
        raise InputError(f"history_days must be at least 1, got {history_days}.")
    tz = config.timezone
    starts = pd.DatetimeIndex(table["interval_start"]).tz_convert(tz)

    first_in_table = starts.min().date()
    last_in_table = starts.max().date()
    end = end_day if end_day is not None else last_in_table + timedelta(days=1)
    first = max(first_in_table, end - timedelta(days=history_days))
    if end <= first:
        raise InputError(
            f"no history before the forecast start {end}: the table covers "
            f"{first_in_table} to {last_in_table}. Choose a later start."
        )
    grid = WallClockGrid(first, (end - first).days, config.interval_minutes, tz)
    _check_on_grid(starts, config.interval_minutes)

    excluded = set(config.forecast.excluded_dates)
    excluded_days = np.array([d in excluded for d in grid.day_dates()], dtype=bool)
    real_starts = grid.interval_starts()
    interval = pd.Timedelta(minutes=config.interval_minutes)
    covered = (real_starts >= starts.min()) & (real_starts < starts.max() + interval)

    histories = []
    for (use_case, name), rows in table.groupby(["use_case", "series"], sort=True):
        kind = series_kind(str(name))
        per_interval = rows.groupby("interval_start")["value"].sum(min_count=1)
        per_interval.index = pd.DatetimeIndex(per_interval.index).tz_convert(tz)
        on_grid = per_interval.reindex(real_starts).to_numpy(dtype=float)
        if kind == "count":
            on_grid = np.where(covered & np.isnan(on_grid), 0.0, on_grid)
        values = to_wall_clock(real_starts, on_grid, grid)
        histories.append(SeriesHistory(str(use_case), str(name), kind, grid, values, excluded_days))
    return histories


def fill_for_fitting(history: SeriesHistory) -> np.ndarray:
    """Return the history with every unobserved value filled, for models that need no gaps.

    Excluded days and days with no observed value take the values of the nearest day
    on the same weekday that has data (the earlier one on a tie). Remaining gaps are
    the skipped hour of a 23-hour day and ratio intervals without turns. Each takes
    the mean of the same slot on the same weekday. Without one it takes the mean of
    the same slot on any day, then the mean of the series, then zero.
    """
    slots = history.grid.slots_per_day
    matrix = np.where(history.observed, history.values, np.nan).reshape(history.days, slots)
    has_data = ~np.all(np.isnan(matrix), axis=1)

    filled = matrix.copy()
    for empty_day in np.flatnonzero(~has_data):
        donor = _nearest_same_weekday(int(empty_day), has_data)
        if donor is not None:
            filled[empty_day] = matrix[donor]

    for day in range(history.days):
        gaps = np.isnan(filled[day])
        if gaps.any():
            same_weekday = matrix[day % 7 :: 7]
            filled[day, gaps] = _column_means(same_weekday)[gaps]
    for fallback in (_column_means(matrix), np.full(slots, _mean_or_zero(matrix))):
        gaps = np.isnan(filled)
        filled[gaps] = np.broadcast_to(fallback, filled.shape)[gaps]
    return filled.reshape(-1)


def _nearest_same_weekday(day: int, has_data: np.ndarray) -> int | None:
    for distance in range(7, len(has_data) + 7, 7):
        for candidate in (day - distance, day + distance):
            if 0 <= candidate < len(has_data) and has_data[candidate]:
                return candidate
    return None


def _column_means(matrix: np.ndarray) -> np.ndarray:
    counts = np.sum(~np.isnan(matrix), axis=0)
    sums = np.nansum(matrix, axis=0)
    return np.divide(sums, counts, out=np.full(matrix.shape[1], np.nan), where=counts > 0)


def _mean_or_zero(matrix: np.ndarray) -> float:
    observed = matrix[~np.isnan(matrix)]
    return float(observed.mean()) if observed.size else 0.0


def _check_aware(column: pd.Series) -> None:
    if not isinstance(column.dtype, pd.DatetimeTZDtype):
        raise InputError(
            f"{column.name} must be timezone-aware, got dtype {column.dtype}; "
            "localise it to the business time zone with Series.dt.tz_localize."
        )


def _check_series_table(table: pd.DataFrame) -> None:
    missing = [c for c in SERIES_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"series table is missing columns {missing}; found {list(table.columns)}. "
            "Build it with workload_series or count_events_per_interval."
        )
    if table.empty:
        raise InputError("series table is empty; there is no history to forecast from.")
    _check_aware(table["interval_start"])


def _check_on_grid(local_starts: pd.DatetimeIndex, interval_minutes: int) -> None:
    minutes = local_starts.hour * 60 + local_starts.minute
    off_grid = (np.asarray(minutes) % interval_minutes != 0) | (local_starts.second != 0)
    if off_grid.any():
        example = local_starts[np.flatnonzero(off_grid)[0]]
        raise InputError(
            f"interval start {example} is not on the {interval_minutes}-minute grid of the "
            "business time zone; measure the workload with the same configuration."
        )
