"""Thread hold time: how long a conversation keeps a slot of an agent's concurrency cap.

Routing systems for messaging assign a thread to an agent and keep it there until it
has been idle for a timeout, so a held thread occupies one of the agent's
``concurrency_cap`` slots whether or not anyone is typing. The log has no assignment
events in general, so the hold is read from the work:

* A turn with agent work holds the thread from the start of its first stretch of work
  (the agent picks the turn up) until its last stretch ends plus
  ``SimulationConfig.idle_timeout_seconds``.
* When the customer's next turn starts before that hold has expired, the thread never
  went back to the pool: the hold runs on without a break until the later turn's hold
  ends.
* Turns without agent work (answered by a bot with no agent following, or never
  answered) add no hold of their own.

Each turn's ``thread_hold_seconds`` is the hold time it adds beyond the holds of the
earlier turns of its conversation, so the turn values of a conversation add up to the
conversation's hold time. Hold time can be much shorter than session length and is
much longer than active handling time; the slot constraint uses it, the work
constraint uses active handling time, and staffing never uses session length.

References
----------
ServiceNow, "Closing Virtual Agent and Agent Chat conversations" (Yokohama release
documentation, 2025): conversations that stay idle longer than a configured timeout
(two hours by default) are closed by a scheduled job, which frees the agent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from asyncwfm.measure._ordered import NANOSECONDS_PER_SECOND


@dataclass(frozen=True)
class Holds:
    """Hold time per turn and the held spans of each conversation.

    Attributes
    ----------
    turn_seconds : numpy.ndarray
        Hold time each turn adds, seconds (0 for turns without agent work).
    segment_turn : numpy.ndarray
        Turn number that opened each held span; spans of one conversation are disjoint.
    segment_start_ns, segment_end_ns : numpy.ndarray
        Held spans in epoch nanoseconds UTC.
    """

    turn_seconds: np.ndarray
    segment_turn: np.ndarray
    segment_start_ns: np.ndarray
    segment_end_ns: np.ndarray


def thread_holds(
    turn_conversation: np.ndarray,
    turn_first_message_ns: np.ndarray,
    work_turn_number: np.ndarray,
    work_start_ns: np.ndarray,
    work_end_ns: np.ndarray,
    idle_timeout_seconds: float,
) -> Holds:
    """Compute thread hold time per turn from the work attributed to each turn.

    Parameters
    ----------
    turn_conversation : numpy.ndarray
        Conversation code of each turn; turns sorted by conversation and time.
    turn_first_message_ns : numpy.ndarray
        First customer message of each turn, epoch nanoseconds.
    work_turn_number : numpy.ndarray
        Turn number of each work item, negative for work before any turn. Work
        before the first turn adds no hold.
    work_start_ns, work_end_ns : numpy.ndarray
        Stretches of work, epoch nanoseconds.
    idle_timeout_seconds : float
        Idle time after which the routing system releases a thread.
    """
    turn_count = len(turn_conversation)
    with_turn = work_turn_number >= 0
    numbers = work_turn_number[with_turn]

    pick_up = np.full(turn_count, np.iinfo(np.int64).max, dtype=np.int64)
    last_work = np.full(turn_count, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(pick_up, numbers, work_start_ns[with_turn])
    np.maximum.at(last_work, numbers, work_end_ns[with_turn])

    held = np.flatnonzero(last_work > np.iinfo(np.int64).min)
    timeout_ns = round(idle_timeout_seconds * NANOSECONDS_PER_SECOND)
    hold_start = pick_up[held]
    hold_end = last_work[held] + timeout_ns

    previous_end = _previous_running_max(turn_conversation[held], hold_end)
    continues = turn_first_message_ns[held] <= previous_end
    effective_start = np.where(continues, previous_end, np.maximum(hold_start, previous_end))
    added_ns = np.maximum(hold_end - effective_start, 0)

    turn_seconds = np.zeros(turn_count)
    turn_seconds[held] = added_ns / NANOSECONDS_PER_SECOND
    adds_time = added_ns > 0
    return Holds(
        turn_seconds=turn_seconds,
        segment_turn=held[adds_time],
        segment_start_ns=effective_start[adds_time],
        segment_end_ns=hold_end[adds_time],
    )


def _previous_running_max(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Maximum of the earlier values of the same contiguous group, or int64 minimum."""
    if len(values) == 0:
        return values.copy()
    running = pd.Series(values).groupby(groups).cummax().to_numpy()
    previous = np.r_[np.iinfo(np.int64).min, running[:-1]]
    same_group = np.r_[False, groups[1:] == groups[:-1]]
    return np.where(same_group, previous, np.iinfo(np.int64).min)
