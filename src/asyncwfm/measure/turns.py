"""Customer turns and response times.

A customer turn is a maximal run of customer messages in one conversation, ended by
the next agent or bot message, which answers it. Only ``message`` events take part:
system messages, notes and routing events neither start nor answer a turn. A run that
no reply follows is an unanswered turn; it stays in the table with a missing
``answered_at`` and ``response_seconds``, so it is never counted as a zero response
time nor silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from asyncwfm.measure._ordered import NANOSECONDS_PER_SECOND, OrderedEvents, order_events, to_utc

NO_TURN = -1
"""Turn number of an event that comes before the first customer turn of its conversation."""


@dataclass(frozen=True)
class TurnLabels:
    """Customer turns of ordered events and the turn each event belongs to.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per customer turn, in conversation and time order; row ``i`` is turn
        number ``i``. Columns are listed in :func:`customer_turns`.
    turn_of_row : numpy.ndarray
        For each ordered event, the number of the latest turn of its conversation that
        started at or before it, or :data:`NO_TURN`.
    conversation_code : numpy.ndarray
        Conversation code of each turn.
    first_message_ns, answered_ns : numpy.ndarray
        First customer message and reply of each turn in epoch nanoseconds UTC; the
        int64 minimum marks an unanswered turn.
    """

    table: pd.DataFrame
    turn_of_row: np.ndarray
    conversation_code: np.ndarray
    first_message_ns: np.ndarray
    answered_ns: np.ndarray


def customer_turns(events: pd.DataFrame) -> pd.DataFrame:
    """Build the customer turns of an event table.

    Parameters
    ----------
    events : pandas.DataFrame
        Events with configured use cases (see :func:`assign_use_cases`).

    Returns
    -------
    pandas.DataFrame
        One row per customer turn with ``conversation_id``, ``use_case``, ``channel``,
        ``turn_index`` (0 for the conversation's first turn), ``is_first_turn``,
        ``first_message_at`` and ``last_message_at`` (UTC), ``customer_messages``,
        ``answered_at`` (the next agent or bot message, NaT when unanswered),
        ``responder`` (``agent``, ``bot`` or missing), ``agent_id`` of the reply,
        ``answered`` and ``response_seconds`` (``answered_at - first_message_at``,
        NaN when unanswered).
    """
    return label_turns(order_events(events)).table


def label_turns(ordered: OrderedEvents) -> TurnLabels:
    """Find the customer turns of ordered events; see :func:`customer_turns`."""
    party_rows = np.flatnonzero(
        ordered.is_message & (ordered.is_customer | ordered.is_agent | ordered.is_bot)
    )
    conversation = ordered.conversation_code[party_rows]
    is_customer = ordered.is_customer[party_rows]

    same_as_previous = np.r_[False, conversation[1:] == conversation[:-1]]
    same_as_next = np.r_[same_as_previous[1:], False]
    previous_is_customer = np.r_[False, is_customer[:-1]] & same_as_previous
    next_is_customer = np.r_[is_customer[1:], False] & same_as_next

    starts = np.flatnonzero(is_customer & ~previous_is_customer)
    ends = np.flatnonzero(is_customer & ~next_is_customer)
    has_reply = same_as_next[ends]

    first_rows = party_rows[starts]
    last_rows = party_rows[ends]
    reply_rows = np.where(has_reply, party_rows[np.minimum(ends + 1, len(party_rows) - 1)], -1)

    table = _turn_table(ordered, first_rows, last_rows, reply_rows, ends - starts + 1)
    return TurnLabels(
        table=table,
        turn_of_row=_turn_of_each_row(ordered, first_rows),
        conversation_code=ordered.conversation_code[first_rows],
        first_message_ns=ordered.time_ns[first_rows],
        answered_ns=np.where(
            reply_rows >= 0, ordered.time_ns[np.maximum(reply_rows, 0)], np.iinfo(np.int64).min
        ),
    )


def _turn_table(
    ordered: OrderedEvents,
    first_rows: np.ndarray,
    last_rows: np.ndarray,
    reply_rows: np.ndarray,
    customer_messages: np.ndarray,
) -> pd.DataFrame:
    frame = ordered.frame
    answered = reply_rows >= 0
    safe_reply_rows = np.where(answered, reply_rows, 0)

    first_ns = ordered.time_ns[first_rows]
    answered_ns = np.where(answered, ordered.time_ns[safe_reply_rows], np.iinfo(np.int64).min)
    response_seconds = np.where(answered, (answered_ns - first_ns) / NANOSECONDS_PER_SECOND, np.nan)

    responder = np.where(ordered.is_bot[safe_reply_rows], "bot", "agent").astype(object)
    responder[~answered] = None
    reply_agent = frame["agent_id"].to_numpy(dtype=object, na_value=None)[safe_reply_rows]

    conversation = ordered.conversation_code[first_rows]
    turn_index = _index_within_group(conversation)
    table = pd.DataFrame(
        {
            "conversation_id": ordered.conversation_ids[conversation],
            "use_case": frame["use_case"].to_numpy()[first_rows],
            "channel": frame["channel"].to_numpy()[first_rows],
            "turn_index": turn_index,
            "is_first_turn": turn_index == 0,
            "first_message_at": to_utc(first_ns),
            "last_message_at": to_utc(ordered.time_ns[last_rows]),
            "customer_messages": customer_messages.astype(np.int64),
            "answered_at": to_utc(answered_ns),
            "responder": pd.array(responder, dtype="string"),
            "agent_id": pd.array(np.where(answered, reply_agent, None), dtype="string"),
            "answered": answered,
            "response_seconds": response_seconds,
        }
    )
    for column in ("conversation_id", "use_case", "channel"):
        table[column] = table[column].astype("string")
    return table


def _turn_of_each_row(ordered: OrderedEvents, first_rows: np.ndarray) -> np.ndarray:
    """Number of the latest turn started at or before each row in the same conversation."""
    starts_here = np.zeros(len(ordered.time_ns), dtype=np.int64)
    starts_here[first_rows] = 1
    latest = np.cumsum(starts_here) - 1

    turn_conversation = ordered.conversation_code[first_rows]
    valid = latest >= 0
    valid[valid] = turn_conversation[latest[valid]] == ordered.conversation_code[valid]
    return np.where(valid, latest, NO_TURN)


def _index_within_group(group_codes: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal, contiguous codes."""
    if len(group_codes) == 0:
        return np.zeros(0, dtype=np.int64)
    positions = np.arange(len(group_codes))
    is_start = np.r_[True, group_codes[1:] != group_codes[:-1]]
    group_start = np.maximum.accumulate(np.where(is_start, positions, 0))
    return (positions - group_start).astype(np.int64)
