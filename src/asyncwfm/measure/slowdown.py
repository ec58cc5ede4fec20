"""Slow-down: how active handling time per reply grows with the threads an agent holds.

An agent who holds many threads at once switches context between them, so each reply
may take longer. This module estimates that effect from a log whose work items carry
source handle times (``method == "handle_seconds"``): for every work item it counts
the threads its agent held when the work started, and compares the mean work per
item across those counts.

A thread counts as held by an agent from the start of the agent's first work in the
conversation until ``idle_timeout_seconds`` after the agent's last work in it, the
same rule the simulation uses to release idle threads. Estimated work times are left
out, because the estimator bounds them by the gaps between one agent's replies, which
shrink as the agent holds more threads: the curve would measure the estimator, not
the agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

SlowdownStatus = Literal["ok", "no_handle_times", "too_little_data"]


@dataclass(frozen=True, eq=False)
class SlowdownEstimate:
    """Measured slow-down curve of one use case.

    Attributes
    ----------
    use_case : str
        The use case.
    status : {"ok", "no_handle_times", "too_little_data"}
        ``ok`` when at least two thread counts have enough work items to compare.
    table : pandas.DataFrame
        One row per thread count with ``threads``, ``items``, ``mean_seconds`` and
        ``factor`` (mean seconds over the mean at the lowest count). Counts with
        fewer than the minimum number of items are left out.
    mean_threads : float
        Mean threads held over the work items, the concurrency at which the measured
        AHT applies.
    """

    use_case: str
    status: SlowdownStatus
    table: pd.DataFrame
    mean_threads: float

    def curve_points(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Return (threads, factors) with factors made non-decreasing for a slow-down curve.

        Sampling noise can make a higher thread count look faster; a running maximum
        keeps the curve monotone, as the plan's search needs.
        """
        threads = tuple(float(value) for value in self.table["threads"])
        factors = np.maximum.accumulate(self.table["factor"].to_numpy(dtype=float))
        return threads, tuple(float(value) for value in factors)


def held_threads_at_start(work: pd.DataFrame, idle_timeout_seconds: float) -> np.ndarray:
    """Return, for each work item, the threads its agent held when the work started.

    The item's own conversation counts, so the result is at least 1 for items of a
    known agent. Items without ``agent_id`` get 0.
    """
    counts = np.zeros(len(work), dtype=np.int64)
    known = work["agent_id"].notna().to_numpy()
    if not known.any():
        return counts

    frame = work.loc[known, ["agent_id", "conversation_id", "start", "end"]].copy()
    frame["row"] = np.flatnonzero(known)
    spans = frame.groupby(["agent_id", "conversation_id"], observed=True).agg(
        held_from=("start", "min"), held_until=("end", "max")
    )
    spans["held_until"] = spans["held_until"] + pd.Timedelta(seconds=idle_timeout_seconds)
    spans = spans.reset_index()

    for agent, items in frame.groupby("agent_id", observed=True):
        own = spans[spans["agent_id"] == agent]
        opened = np.sort(own["held_from"].to_numpy(dtype="datetime64[ns]").view("int64"))
        closed = np.sort(own["held_until"].to_numpy(dtype="datetime64[ns]").view("int64"))
        starts = items["start"].to_numpy(dtype="datetime64[ns]").view("int64")
        held = np.searchsorted(opened, starts, side="right") - np.searchsorted(
            closed, starts, side="right"
        )
        counts[items["row"].to_numpy()] = held
    return counts


def estimate_slowdown(
    work: pd.DataFrame,
    idle_timeout_seconds: float,
    *,
    min_items: int = 30,
    max_threads: int = 8,
) -> dict[str, SlowdownEstimate]:
    """Estimate the slow-down curve of every use case from the ``work`` table.

    Parameters
    ----------
    work : pandas.DataFrame
        The measure stage's work table (``agent_id``, ``conversation_id``,
        ``use_case``, ``start``, ``end``, ``seconds``, ``method``).
    idle_timeout_seconds : float
        Time after an agent's last work in a conversation until the thread is free.
    min_items : int
        Fewest work items a thread count needs to enter the curve.
    max_threads : int
        Counts above this are pooled into it.

    Returns
    -------
    dict of str to SlowdownEstimate
        One estimate per use case of ``work``.
    """
    held = held_threads_at_start(work, idle_timeout_seconds)
    frame = work.assign(threads=np.clip(held, 0, max_threads))
    estimates = {}
    for use_case, rows in frame.groupby("use_case", observed=True):
        estimates[str(use_case)] = _estimate_one(str(use_case), rows, min_items)
    return estimates


def _estimate_one(use_case: str, rows: pd.DataFrame, min_items: int) -> SlowdownEstimate:
    sourced = rows[(rows["method"] == "handle_seconds") & (rows["threads"] > 0)]
    if sourced.empty:
        return SlowdownEstimate(use_case, "no_handle_times", _empty_table(), float("nan"))

    grouped = sourced.groupby("threads")["seconds"].agg(items="size", mean_seconds="mean")
    grouped = grouped[grouped["items"] >= min_items].reset_index()
    mean_threads = float(sourced["threads"].mean())
    if len(grouped) < 2:
        return SlowdownEstimate(use_case, "too_little_data", _empty_table(), mean_threads)

    grouped["factor"] = grouped["mean_seconds"] / float(grouped["mean_seconds"].iloc[0])
    grouped["threads"] = grouped["threads"].astype(float)
    return SlowdownEstimate(use_case, "ok", grouped, mean_threads)


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "threads": pd.Series(dtype=float),
            "items": pd.Series(dtype="int64"),
            "mean_seconds": pd.Series(dtype=float),
            "factor": pd.Series(dtype=float),
        }
    )
