"""Open, waiting, held and active threads over time, per use case.

Every measure of concurrency here is the time-average number of spans covering a time
bin: a conversation open for the first 30 seconds of a minute counts 0.5 in that
minute. Averages over time are what Little's law relates to arrival rates and
durations (mean number in system = arrival rate x mean time in system), so the
per-interval means agree with turns per interval times seconds per turn.

Spans are closed at their last known event: nothing after a conversation's last event
is known, so a thread is never counted past it, except held threads, whose hold
ends an idle timeout after the agent's last work (see :mod:`asyncwfm.measure.holds`).

The peak of active threads is the exact maximum number of stretches of work in
progress at one instant, found by sweeping over span starts and ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Spans:
    """Time spans keyed by use case.

    Attributes
    ----------
    key : numpy.ndarray
        int64 use-case code of each span.
    start_ns, end_ns : numpy.ndarray
        int64 epoch nanoseconds (UTC); a span covers ``[start_ns, end_ns)``.
    """

    key: np.ndarray
    start_ns: np.ndarray
    end_ns: np.ndarray


def mean_level(
    spans: Spans, key_count: int, origin_ns: int, bin_ns: int, bin_count: int
) -> np.ndarray:
    """Time-average number of spans covering each bin, per key.

    Parameters
    ----------
    spans : Spans
        Spans to count; parts outside ``[origin_ns, origin_ns + bin_count * bin_ns)``
        are ignored.
    key_count : int
        Number of keys (rows of the result).
    origin_ns, bin_ns, bin_count : int
        The bins: ``bin_count`` consecutive spans of ``bin_ns`` from ``origin_ns``.

    Returns
    -------
    numpy.ndarray
        Array of shape ``(key_count, bin_count)``. Multiplied by the bin length, it
        is the total time covered by spans in each bin.
    """
    # In bin units, a span [a, b) adds 1 to every bin from floor(a) to floor(b) - 1,
    # minus the part of bin floor(a) before a, plus the part of bin floor(b) before b.
    horizon = bin_count * bin_ns
    start = np.clip(spans.start_ns - origin_ns, 0, horizon)
    end = np.clip(spans.end_ns - origin_ns, 0, horizon)
    keep = end > start
    start, end, key = start[keep], end[keep], spans.key[keep]

    first_bin, first_offset = np.divmod(start, bin_ns)
    last_bin, last_offset = np.divmod(end, bin_ns)
    width = bin_count + 1
    size = key_count * width

    steps = np.bincount(key * width + first_bin, minlength=size) - np.bincount(
        key * width + last_bin, minlength=size
    )
    partial = np.bincount(
        key * width + last_bin, weights=last_offset / bin_ns, minlength=size
    ) - np.bincount(key * width + first_bin, weights=first_offset / bin_ns, minlength=size)

    level = np.cumsum(steps.reshape(key_count, width), axis=1) + partial.reshape(key_count, width)
    return level[:, :bin_count]


def peak_level(
    spans: Spans, key_count: int, origin_ns: int, bin_ns: int, bin_count: int
) -> np.ndarray:
    """Maximum number of spans in progress at one instant within each bin, per key.

    A span that ends at the instant another starts does not overlap it. Spans are
    clipped to the bins as in :func:`mean_level`.

    Returns
    -------
    numpy.ndarray
        int64 array of shape ``(key_count, bin_count)``.
    """
    horizon = origin_ns + bin_count * bin_ns
    start = np.maximum(spans.start_ns, origin_ns)
    end = np.minimum(spans.end_ns, horizon)
    keep = end > start
    peaks = np.zeros((key_count, bin_count), dtype=np.int64)
    if not keep.any():
        return peaks

    key = np.r_[spans.key[keep], spans.key[keep]]
    time = np.r_[start[keep], end[keep]]
    delta = np.r_[np.ones(keep.sum(), dtype=np.int64), -np.ones(keep.sum(), dtype=np.int64)]

    # Ends sort before starts at the same instant, so back-to-back spans count once.
    order = np.lexsort((delta, time, key))
    key, time, delta = key[order], time[order], delta[order]
    level = np.cumsum(delta)
    in_grid = time < horizon
    key, time, level = key[in_grid], time[in_grid], level[in_grid]

    cell = key * bin_count + (time - origin_ns) // bin_ns
    flat_peaks = peaks.reshape(-1)
    np.maximum.at(flat_peaks, cell, level)

    carried = _level_at_bin_starts(cell, level, key_count, bin_count)
    return np.maximum(peaks, carried)


def _level_at_bin_starts(
    cell: np.ndarray, level: np.ndarray, key_count: int, bin_count: int
) -> np.ndarray:
    """Level in force when each bin starts: the level after the last earlier event."""
    is_last_in_cell = np.r_[cell[1:] != cell[:-1], True]
    last_level = np.zeros(key_count * bin_count, dtype=np.int64)
    has_event = np.zeros(key_count * bin_count, dtype=bool)
    last_level[cell[is_last_in_cell]] = level[is_last_in_cell]
    has_event[cell[is_last_in_cell]] = True

    last_by_bin = last_level.reshape(key_count, bin_count)
    has_event_by_bin = has_event.reshape(key_count, bin_count)
    columns = np.arange(bin_count)
    latest_cell = np.maximum.accumulate(np.where(has_event_by_bin, columns, -1), axis=1)
    filled = np.where(
        latest_cell >= 0, np.take_along_axis(last_by_bin, np.maximum(latest_cell, 0), axis=1), 0
    )
    carried = np.zeros_like(filled)
    carried[:, 1:] = filled[:, :-1]
    return carried


def count_per_bin(
    key: np.ndarray,
    time_ns: np.ndarray,
    key_count: int,
    origin_ns: int,
    bin_ns: int,
    bin_count: int,
) -> np.ndarray:
    """Number of instants in each bin, per key; instants outside the bins are ignored."""
    bins = np.floor_divide(time_ns - origin_ns, bin_ns)
    inside = (bins >= 0) & (bins < bin_count)
    counts = np.bincount(key[inside] * bin_count + bins[inside], minlength=key_count * bin_count)
    return counts.reshape(key_count, bin_count)
