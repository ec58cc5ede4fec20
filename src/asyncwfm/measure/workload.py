"""The workload table: one row per use case and planning interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from asyncwfm.config import MeasureConfig
from asyncwfm.measure._ordered import NANOSECONDS_PER_SECOND
from asyncwfm.measure.concurrency import count_per_bin, mean_level, peak_level
from asyncwfm.measure.grid import IntervalGrid
from asyncwfm.measure.spikes import interval_peakedness, spike_minutes, windows_per_interval
from asyncwfm.measure.timelines import Timelines

RESPONSE_QUANTILES = {"p50": 0.5, "p90": 0.9}


def workload_table(
    grid: IntervalGrid,
    timelines: Timelines,
    turns: pd.DataFrame,
    turn_key: np.ndarray,
    conversations: pd.DataFrame,
    conversation_key: np.ndarray,
    settings: MeasureConfig,
) -> pd.DataFrame:
    """Build the workload table on ``grid`` for every use case in ``timelines``.

    Turn counts, response times and active seconds per turn belong to the interval in
    which the turn's first customer message arrived. ``new_conversations`` and
    ``thread_hold_seconds`` belong to the interval in which the conversation started.
    ``active_seconds`` and the thread means are booked where they happened: a stretch
    of work across an interval boundary is split between the two intervals. See
    ``docs/measurement.md`` for each column.
    """
    key_count = len(timelines.use_cases)
    shape = (key_count, grid.count)
    table = _grid_frame(grid, timelines.use_cases)

    turn_cell = _cell(grid, turn_key, turns["first_message_at"])
    _add_turn_counts(table, turns, turn_cell, shape)
    _add_response_percentiles(table, turns, turn_cell, shape)

    conversation_cell = _cell(grid, conversation_key, conversations["started_at"])
    _add_conversation_columns(table, conversations, conversation_cell, shape)

    _add_concurrency(table, grid, timelines)
    windows = windows_per_interval(grid.interval_seconds // 60, settings.peakedness_window_minutes)
    table["peakedness"] = _peakedness(grid, timelines, windows).reshape(-1)
    return table


def _grid_frame(grid: IntervalGrid, use_cases: pd.Index) -> pd.DataFrame:
    starts_ns = np.tile(grid.starts_utc().asi8, len(use_cases))
    starts = pd.DatetimeIndex(starts_ns.view("datetime64[ns]"), tz="UTC")
    names = np.repeat(use_cases.to_numpy(dtype=object), grid.count)
    return pd.DataFrame(
        {
            "interval_start": starts.tz_convert(grid.business_timezone),
            "use_case": pd.array(names, dtype="string"),
        }
    )


def _cell(grid: IntervalGrid, key: np.ndarray, times: pd.Series) -> np.ndarray:
    """Return the flat (use case, interval) cell of each row, or -1 outside the grid."""
    interval = grid.index_of(times.to_numpy(dtype="datetime64[ns]").view("int64"))
    inside = (interval >= 0) & (interval < grid.count) & (key >= 0)
    return np.where(inside, key * grid.count + interval, -1)


def _sum_per_cell(
    cell: np.ndarray, shape: tuple[int, int], weights: np.ndarray | None = None
) -> np.ndarray:
    inside = cell >= 0
    chosen = None if weights is None else np.asarray(weights, dtype=float)[inside]
    return np.bincount(cell[inside], weights=chosen, minlength=shape[0] * shape[1])


def _add_turn_counts(
    table: pd.DataFrame, turns: pd.DataFrame, turn_cell: np.ndarray, shape: tuple[int, int]
) -> None:
    needs_agent = turns["needs_agent"].to_numpy()
    responder = turns["responder"]
    masks = {
        "turns": needs_agent,
        "first_turns": needs_agent & turns["is_first_turn"].to_numpy(),
        "customer_turns": np.ones(len(turns), dtype=bool),
        "agent_turns": (responder == "agent").to_numpy(dtype=bool, na_value=False),
        "bot_turns": (responder == "bot").to_numpy(dtype=bool, na_value=False),
        "handoff_turns": turns["handoff"].to_numpy(),
        "unanswered_turns": ~turns["answered"].to_numpy(),
    }
    for column, mask in masks.items():
        table[column] = _sum_per_cell(turn_cell[mask], shape).astype(np.int64)

    # AHT is averaged over handled turns (those an agent worked on), as call centres
    # take AHT over handled calls: an unanswered turn that is planned to be answered
    # will cost a handled turn's work, not zero.
    handled = needs_agent & (turns["agent_messages"].to_numpy() > 0)
    agent_work = _sum_per_cell(
        turn_cell[handled], shape, turns["active_seconds"].to_numpy()[handled]
    )
    table["handled_turns"] = _sum_per_cell(turn_cell[handled], shape).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["active_seconds_per_turn"] = np.where(
            table["handled_turns"] > 0, agent_work / table["handled_turns"].to_numpy(), np.nan
        )


def _add_response_percentiles(
    table: pd.DataFrame, turns: pd.DataFrame, turn_cell: np.ndarray, shape: tuple[int, int]
) -> None:
    answered = turns["answered"].to_numpy() & (turn_cell >= 0)
    views = {
        "response_seconds": answered,
        "first_response_seconds": answered & turns["is_first_turn"].to_numpy(),
    }
    size = shape[0] * shape[1]
    for prefix, mask in views.items():
        frame = pd.DataFrame(
            {"cell": turn_cell[mask], "seconds": turns["response_seconds"].to_numpy()[mask]}
        )
        quantiles = frame.groupby("cell")["seconds"].quantile(list(RESPONSE_QUANTILES.values()))
        by_cell = quantiles.unstack()
        for name, level in RESPONSE_QUANTILES.items():
            column = np.full(size, np.nan)
            if not by_cell.empty:
                column[by_cell.index.to_numpy()] = by_cell[level].to_numpy()
            table[f"{prefix}_{name}"] = column
    table["answered_turns"] = _sum_per_cell(turn_cell[answered], shape).astype(np.int64)


def _add_conversation_columns(
    table: pd.DataFrame,
    conversations: pd.DataFrame,
    conversation_cell: np.ndarray,
    shape: tuple[int, int],
) -> None:
    table["new_conversations"] = _sum_per_cell(conversation_cell, shape).astype(np.int64)

    hold = conversations["thread_hold_seconds"].to_numpy()
    held = hold > 0
    held_count = _sum_per_cell(conversation_cell[held], shape)
    hold_total = _sum_per_cell(conversation_cell[held], shape, hold[held])
    table["held_conversations"] = held_count.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["thread_hold_seconds"] = np.where(held_count > 0, hold_total / held_count, np.nan)


def _add_concurrency(table: pd.DataFrame, grid: IntervalGrid, timelines: Timelines) -> None:
    key_count = len(timelines.use_cases)
    bins = (key_count, grid.origin_ns, grid.interval_ns, grid.count)
    active = mean_level(timelines.active, *bins).reshape(-1)

    table["active_seconds"] = active * grid.interval_seconds
    table["open_threads"] = mean_level(timelines.open, *bins).reshape(-1)
    table["awaiting_threads"] = mean_level(timelines.awaiting, *bins).reshape(-1)
    table["active_threads"] = active
    table["peak_active_threads"] = peak_level(timelines.active, *bins).reshape(-1)
    table["held_threads"] = mean_level(timelines.held, *bins).reshape(-1)


def _peakedness(grid: IntervalGrid, timelines: Timelines, windows: int) -> np.ndarray:
    window_ns = grid.interval_ns // windows
    window = np.floor_divide(timelines.arrival_ns - grid.origin_ns, window_ns)
    inside = (window >= 0) & (window < grid.count * windows)
    key_count = len(timelines.use_cases)

    flat = timelines.arrival_key[inside] * (grid.count * windows) + window[inside]
    cells, counts = np.unique(flat, return_counts=True)
    return interval_peakedness(
        cells // (grid.count * windows),
        cells % (grid.count * windows),
        counts,
        key_count,
        grid.count,
        windows,
    )


def per_minute_tables(
    grid: IntervalGrid, timelines: Timelines, settings: MeasureConfig
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the per-minute concurrency table and the spike table.

    Returns
    -------
    tuple of pandas.DataFrame
        ``concurrency``: one row per use case and minute with anything in progress:
        ``use_case``, ``minute_start`` (business time zone), ``open_threads``,
        ``awaiting_threads``, ``held_threads``, ``active_threads`` (time averages over
        the minute) and ``turn_arrivals`` (turns needing an agent). Minutes with all
        zeros are left out. ``spikes``: one row per spike minute with ``use_case``,
        ``minute_start``, ``interval_start``, ``turn_arrivals``, ``expected_turns``
        (Poisson mean per minute in its interval), ``ratio``, ``p_value`` and the
        threads of that minute.
    """
    interval_minutes = grid.interval_seconds // 60
    minute_ns = 60 * NANOSECONDS_PER_SECOND
    minute_count = grid.count * interval_minutes
    bins = (1, grid.origin_ns, minute_ns, minute_count)
    minute_starts = grid.origin_ns + np.arange(minute_count, dtype=np.int64) * minute_ns

    concurrency_parts = []
    spike_parts = []
    for part in timelines.split_by_use_case():
        columns = {
            "open_threads": mean_level(part.open, *bins)[0],
            "awaiting_threads": mean_level(part.awaiting, *bins)[0],
            "held_threads": mean_level(part.held, *bins)[0],
            "active_threads": mean_level(part.active, *bins)[0],
            "turn_arrivals": count_per_bin(part.arrival_key, part.arrival_ns, *bins)[0],
        }
        busy = np.flatnonzero(np.any([values != 0 for values in columns.values()], axis=0))
        frame = pd.DataFrame({name: values[busy] for name, values in columns.items()})
        frame.insert(0, "minute_ns", minute_starts[busy])
        frame.insert(0, "use_case", part.use_cases[0])
        concurrency_parts.append(frame)

        _, minute, expected, p_value = spike_minutes(
            columns["turn_arrivals"][np.newaxis, :],
            interval_minutes,
            settings.spike_min_turns,
            settings.spike_p_value,
        )
        spikes = pd.DataFrame(
            {
                "use_case": part.use_cases[0],
                "minute_ns": minute_starts[minute],
                "turn_arrivals": columns["turn_arrivals"][minute],
                "expected_turns": expected,
                "p_value": p_value,
                "active_threads": columns["active_threads"][minute],
                "awaiting_threads": columns["awaiting_threads"][minute],
            }
        )
        spike_parts.append(spikes)

    concurrency = _finish_minutes(pd.concat(concurrency_parts, ignore_index=True), grid)
    spikes = _finish_minutes(pd.concat(spike_parts, ignore_index=True), grid)
    spikes.insert(2, "interval_start", _interval_start_of(spikes["minute_start"], grid))
    spikes.insert(5, "ratio", spikes["turn_arrivals"] / spikes["expected_turns"])
    return concurrency, spikes


def _finish_minutes(frame: pd.DataFrame, grid: IntervalGrid) -> pd.DataFrame:
    minute_start = pd.DatetimeIndex(
        frame["minute_ns"].to_numpy(dtype=np.int64).view("datetime64[ns]"), tz="UTC"
    ).tz_convert(grid.business_timezone)
    frame = frame.drop(columns="minute_ns")
    frame.insert(1, "minute_start", minute_start)
    frame["use_case"] = frame["use_case"].astype("string")
    return frame


def _interval_start_of(minute_start: pd.Series, grid: IntervalGrid) -> pd.Series:
    minute_ns = minute_start.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").view("int64")
    start_ns = grid.origin_ns + grid.index_of(minute_ns) * grid.interval_ns
    starts = pd.DatetimeIndex(start_ns.view("datetime64[ns]"), tz="UTC").tz_convert(
        grid.business_timezone
    )
    return pd.Series(starts, index=minute_start.index)
