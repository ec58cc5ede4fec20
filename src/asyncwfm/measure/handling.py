"""Active handling time: the agent work behind each reply, read from agent timelines.

Session length does not measure agent effort: a thread open for two days may contain
a few minutes of work. This module turns agent events into stretches of work with a start
and an end, so that work is booked in the interval where it happened.

Each agent event that carries work (a ``message`` or ``note`` written by an agent, or
any agent event with ``handle_seconds``) ends a stretch of work at its timestamp.

* When the source gives ``handle_seconds``, the stretch is that long.
* Otherwise its length is estimated. An agent writes one reply at a time, so the work
  of a reply cannot have started before the same agent's previous work item (in any
  conversation), nor before the first message of the customer turn it belongs to. A
  long idle gap is capped by a reading-and-composing allowance
  ``read_seconds + seconds_per_character * text_length``, clipped to
  ``[min_reply_seconds, max_reply_seconds]``; an event with unknown length gets
  ``read_seconds``, clipped the same way. The two bounds always win over the allowance,
  so a reply written 5 seconds after the agent's previous one gets 5 seconds even when
  ``min_reply_seconds`` is larger.

The previous-work bound applies to source handle times too, so the stretches of one
agent never overlap: the agent's active time is never counted twice and never exceeds
the span in which the agent was working. An event whose source handle time is 0
carries no work and bounds no other stretch, so a log can answer a call at service
start with such an event and book the work with a ``work`` event at service end.
Events without ``agent_id`` form their own timeline per conversation, because nothing
tells which of them one person wrote. Bot messages cost no agent time.

References
----------
Daw, A., Castellanos, A., Yom-Tov, G. B., Pender, J. and Gruendlinger, L. (2025). The
co-production of service: modeling services in contact centers using Hawkes processes.
Management Science 71(3), 2635-2656 (arXiv:2004.07861). Models the message-by-message
dialogue of a messaging contact center, where service is a sequence of exchanges rather
than one continuous handling time.

Legros, B. and Jouini, O. (2019). On the scheduling of operations in a chat contact
center. European Journal of Operational Research 274(1), 303-316. An agent serves
several chats at once, so time in a conversation is not time worked on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from asyncwfm.config import HandlingConfig
from asyncwfm.measure._ordered import NANOSECONDS_PER_SECOND, OrderedEvents, to_utc
from asyncwfm.measure.turns import NO_TURN, TurnLabels
from asyncwfm.schema import EventType

WORK_EVENT_TYPES = (EventType.MESSAGE.value, EventType.NOTE.value)
"""Agent event types that carry work even when the source gives no handle time."""

_NO_BOUND = np.iinfo(np.int64).min


@dataclass(frozen=True)
class AgentWork:
    """The work table and the arrays that later measure steps aggregate.

    Attributes
    ----------
    table : pandas.DataFrame
        The work table; see :func:`agent_work`.
    turn_number : numpy.ndarray
        Row number in the turn table of each work item's turn, or ``NO_TURN``.
    conversation_code : numpy.ndarray
        Conversation code of each work item.
    start_ns, end_ns : numpy.ndarray
        Start and end of each stretch in int64 epoch nanoseconds (UTC).
    """

    table: pd.DataFrame
    turn_number: np.ndarray
    conversation_code: np.ndarray
    start_ns: np.ndarray
    end_ns: np.ndarray


def agent_work(ordered: OrderedEvents, turns: TurnLabels, handling: HandlingConfig) -> AgentWork:
    """Estimate one stretch of agent work per agent event that carries work.

    Parameters
    ----------
    ordered : OrderedEvents
        Events with configured use cases, sorted.
    turns : TurnLabels
        Customer turns of the same events.
    handling : HandlingConfig
        Allowance and burst parameters, in seconds.

    Returns
    -------
    AgentWork
        Its ``table`` has one row per work item in conversation and time order, with
        ``conversation_id``, ``use_case``, ``agent_id`` (missing when unknown),
        ``turn_index`` (missing for work before the conversation's first customer
        turn), ``burst_id`` (0-based per conversation),
        ``event_key``, ``event_type``, ``start`` and ``end`` (UTC), ``seconds``,
        ``method`` (``handle_seconds`` or ``estimated``) and ``limited_by`` (the bound
        that set the start: ``handle_seconds``, ``allowance``, ``previous_work`` or
        ``customer_message``).
    """
    rows = _work_rows(ordered)
    timeline = _timeline_codes(ordered, rows)
    end_ns = ordered.time_ns[rows]

    # Sorted by timeline, the row before each item is the same agent's previous item.
    by_timeline = np.lexsort((rows, end_ns, timeline))
    previous_end = _previous_in_group(timeline[by_timeline], end_ns[by_timeline])
    previous_end_ns = np.empty_like(previous_end)
    previous_end_ns[by_timeline] = previous_end

    turn_number = turns.turn_of_row[rows]
    customer_bound = _customer_bound(turns, turn_number)
    handle_seconds = ordered.frame["handle_seconds"].to_numpy(dtype=float)[rows]
    allowance_seconds = reply_allowance_seconds(
        ordered.frame["text_length"].to_numpy(dtype=float, na_value=np.nan)[rows], handling
    )

    start_ns, limited_by = _work_start(
        end_ns, previous_end_ns, customer_bound, handle_seconds, allowance_seconds
    )
    table = _work_table(
        ordered, turns, rows, start_ns, end_ns, handle_seconds, limited_by, handling
    )
    return AgentWork(
        table=table,
        turn_number=turn_number,
        conversation_code=ordered.conversation_code[rows],
        start_ns=start_ns,
        end_ns=end_ns,
    )


def reply_allowance_seconds(text_length: np.ndarray, handling: HandlingConfig) -> np.ndarray:
    """Return the reading-and-composing allowance of replies of the given lengths.

    ``read_seconds + seconds_per_character * text_length``, clipped to
    ``[min_reply_seconds, max_reply_seconds]``; a NaN length counts as 0 characters.
    """
    characters = np.nan_to_num(np.asarray(text_length, dtype=float), nan=0.0)
    raw = handling.read_seconds + handling.seconds_per_character * characters
    return np.clip(raw, handling.min_reply_seconds, handling.max_reply_seconds)


def _work_rows(ordered: OrderedEvents) -> np.ndarray:
    frame = ordered.frame
    carries_work = frame["event_type"].isin(WORK_EVENT_TYPES).to_numpy(dtype=bool, na_value=False)
    has_handle = frame["handle_seconds"].notna().to_numpy()
    return np.flatnonzero(ordered.is_agent & (carries_work | has_handle))


def _timeline_codes(ordered: OrderedEvents, rows: np.ndarray) -> np.ndarray:
    """Return the timeline code of each work item: its agent, or its conversation when unknown.

    An item whose source handle time is 0 gets a timeline of its own. It occupies no
    time, so it must not cut short the stretch of the agent's next item.
    """
    agent_codes, agents = pd.factorize(ordered.frame["agent_id"].iloc[rows])
    agent_codes = np.asarray(agent_codes, dtype=np.int64)
    unknown = agent_codes < 0
    codes = np.where(unknown, len(agents) + ordered.conversation_code[rows], agent_codes)

    no_work = ordered.frame["handle_seconds"].to_numpy(dtype=float)[rows] == 0
    first_free = len(agents) + ordered.conversation_count
    codes[no_work] = first_free + np.arange(int(no_work.sum()))
    return codes


def _previous_in_group(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return the previous value within each contiguous group, or the no-bound marker."""
    previous = np.r_[_NO_BOUND, values[:-1]] if len(values) else values.copy()
    same_group = np.r_[False, groups[1:] == groups[:-1]] if len(values) else groups.astype(bool)
    return np.where(same_group, previous, _NO_BOUND)


def _customer_bound(turns: TurnLabels, turn_number: np.ndarray) -> np.ndarray:
    """Return the first customer message of each item's turn, or no bound before any turn."""
    return _take_by_turn(turns.first_message_ns, turn_number, _NO_BOUND)


def _work_start(
    end_ns: np.ndarray,
    previous_end_ns: np.ndarray,
    customer_bound_ns: np.ndarray,
    handle_seconds: np.ndarray,
    allowance_seconds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Compute the start of each stretch of work and name the bound that set it."""
    from_source = ~np.isnan(handle_seconds)
    own_length = np.where(from_source, handle_seconds, allowance_seconds)
    own_start = end_ns - np.round(own_length * NANOSECONDS_PER_SECOND).astype(np.int64)

    customer = np.where(from_source, _NO_BOUND, customer_bound_ns)
    start = np.maximum(np.maximum(own_start, previous_end_ns), customer)

    limited_by = np.where(from_source, "handle_seconds", "allowance").astype(object)
    limited_by[(start == customer) & (customer > own_start)] = "customer_message"
    limited_by[(start == previous_end_ns) & (previous_end_ns > own_start)] = "previous_work"
    return start, limited_by


def _work_table(
    ordered: OrderedEvents,
    turns: TurnLabels,
    rows: np.ndarray,
    start_ns: np.ndarray,
    end_ns: np.ndarray,
    handle_seconds: np.ndarray,
    limited_by: np.ndarray,
    handling: HandlingConfig,
) -> pd.DataFrame:
    frame = ordered.frame
    conversation = ordered.conversation_code[rows]
    turn_number = turns.turn_of_row[rows]
    turn_index = _take_by_turn(turns.table["turn_index"].to_numpy(), turn_number, 0)

    table = pd.DataFrame(
        {
            "conversation_id": ordered.conversation_ids[conversation],
            "use_case": frame["use_case"].iloc[rows].to_numpy(),
            "agent_id": frame["agent_id"].iloc[rows].to_numpy(),
            "turn_index": pd.array(turn_index, dtype="Int64"),
            "burst_id": work_bursts(conversation, end_ns, handling.burst_gap_seconds),
            "event_key": frame["event_key"].iloc[rows].to_numpy(),
            "event_type": frame["event_type"].iloc[rows].to_numpy(),
            "start": to_utc(start_ns),
            "end": to_utc(end_ns),
            "seconds": (end_ns - start_ns) / NANOSECONDS_PER_SECOND,
            "method": np.where(np.isnan(handle_seconds), "estimated", "handle_seconds"),
            "limited_by": limited_by,
        }
    )
    table.loc[turn_number < 0, "turn_index"] = pd.NA
    for column in ("conversation_id", "use_case", "agent_id", "event_key", "event_type"):
        table[column] = table[column].astype("string")
    for column in ("method", "limited_by"):
        table[column] = table[column].astype("string")
    return table


def _take_by_turn(values: np.ndarray, turn_number: np.ndarray, missing: int) -> np.ndarray:
    """Look up a per-turn value for each work item; ``missing`` where it has no turn."""
    has_turn = turn_number != NO_TURN
    result = np.full(len(turn_number), missing, dtype=np.int64)
    result[has_turn] = values[turn_number[has_turn]]
    return result


def work_bursts(
    conversation: np.ndarray, end_ns: np.ndarray, burst_gap_seconds: float
) -> np.ndarray:
    """Number the work bursts of each conversation, 0-based.

    Work items must be sorted by conversation and time. A new burst starts at a
    conversation's first item and wherever the time since the previous item of the
    same conversation is ``burst_gap_seconds`` or more.
    """
    if len(end_ns) == 0:
        return np.zeros(0, dtype=np.int64)
    gap_ns = burst_gap_seconds * NANOSECONDS_PER_SECOND
    new_conversation = np.r_[True, conversation[1:] != conversation[:-1]]
    long_gap = np.r_[False, np.diff(end_ns) >= gap_ns]
    starts_burst = (new_conversation | long_gap).astype(np.int64)

    burst_number = np.cumsum(starts_burst)
    first_of_conversation = np.maximum.accumulate(np.where(new_conversation, burst_number, 0))
    return burst_number - first_of_conversation


def work_burst_table(work: pd.DataFrame) -> pd.DataFrame:
    """Summarise the work table by burst.

    Returns
    -------
    pandas.DataFrame
        One row per conversation and burst with ``use_case``, ``start`` (first work
        start), ``end`` (last work end), ``work_items``, ``agents`` (distinct known
        agents) and ``active_seconds``.
    """
    grouped = work.groupby(["conversation_id", "burst_id"], sort=True, observed=True)
    bursts = grouped.agg(
        use_case=("use_case", "first"),
        start=("start", "min"),
        end=("end", "max"),
        work_items=("seconds", "size"),
        agents=("agent_id", "nunique"),
        active_seconds=("seconds", "sum"),
    )
    return bursts.reset_index()
