"""Per-turn work figures and the conversation table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from asyncwfm.measure._ordered import NANOSECONDS_PER_SECOND, OrderedEvents, to_utc
from asyncwfm.measure.handling import AgentWork
from asyncwfm.measure.holds import Holds
from asyncwfm.measure.turns import TurnLabels


def add_turn_work(
    turns: TurnLabels, ordered: OrderedEvents, work: AgentWork, holds: Holds
) -> pd.DataFrame:
    """Return the turn table with work, hand-off and hold columns added.

    Added columns: ``agent_messages`` (agent messages between this turn and the next),
    ``active_seconds`` (agent work attributed to the turn), ``handoff`` (a bot answered
    and an agent wrote before the customer's next turn), ``needs_agent`` (answered by
    an agent, handed off, or unanswered) and ``thread_hold_seconds``.
    """
    turn_count = len(turns.table)
    agent_message_rows = ordered.is_agent & ordered.is_message & (turns.turn_of_row >= 0)
    agent_messages = np.bincount(turns.turn_of_row[agent_message_rows], minlength=turn_count)

    with_turn = work.turn_number >= 0
    seconds = work.table["seconds"].to_numpy()
    active_seconds = np.bincount(
        work.turn_number[with_turn], weights=seconds[with_turn], minlength=turn_count
    )

    table = turns.table.copy()
    responder = table["responder"]
    table["agent_messages"] = agent_messages.astype(np.int64)
    table["active_seconds"] = active_seconds
    table["handoff"] = (responder == "bot").to_numpy(dtype=bool, na_value=False) & (
        agent_messages > 0
    )
    table["needs_agent"] = (
        ~table["answered"].to_numpy()
        | (responder == "agent").to_numpy(dtype=bool, na_value=False)
        | table["handoff"].to_numpy()
    )
    table["thread_hold_seconds"] = holds.turn_seconds
    return table


def conversation_table(
    ordered: OrderedEvents, turns: pd.DataFrame, turn_conversation: np.ndarray, work: AgentWork
) -> pd.DataFrame:
    """Build one row per conversation.

    Columns: ``conversation_id``, ``use_case``, ``channel`` (of the first customer
    message, else of the first event), ``started_at`` and ``last_event_at`` (UTC),
    ``session_seconds`` (first to last event, shown for contrast and never used to
    staff), ``customer_messages``, ``agent_messages``, ``bot_messages``, ``turns``,
    ``agent_turns``, ``bot_turns``, ``handoff_turns``, ``unanswered_turns``,
    ``turns_needing_agent``, ``first_response_seconds``, ``active_seconds``,
    ``thread_hold_seconds``, ``agents`` (distinct known agents who worked on it),
    ``needs_agent`` (a turn needs an agent or an agent worked on it) and ``contained``
    (a bot wrote and no agent worked on it).
    """
    count = ordered.conversation_count
    first_rows = ordered.first_row_of_conversation()
    last_rows = np.r_[first_rows[1:], len(ordered.time_ns)] - 1
    code = ordered.conversation_code

    def per_conversation(mask: np.ndarray) -> np.ndarray:
        return np.bincount(code[mask], minlength=count)

    def per_turn_conversation(values: np.ndarray) -> np.ndarray:
        return np.bincount(turn_conversation, weights=values.astype(float), minlength=count)

    frame = ordered.frame
    started_ns = ordered.time_ns[first_rows]
    last_ns = ordered.time_ns[last_rows]
    messages = ordered.is_message

    table = pd.DataFrame(
        {
            "conversation_id": ordered.conversation_ids,
            "use_case": frame["use_case"].to_numpy()[first_rows],
            "channel": _conversation_channel(frame, first_rows, turns, turn_conversation),
            "started_at": to_utc(started_ns),
            "last_event_at": to_utc(last_ns),
            "session_seconds": (last_ns - started_ns) / NANOSECONDS_PER_SECOND,
            "customer_messages": per_conversation(messages & ordered.is_customer),
            "agent_messages": per_conversation(messages & ordered.is_agent),
            "bot_messages": per_conversation(messages & ordered.is_bot),
        }
    )

    responder = turns["responder"]
    table["turns"] = np.bincount(turn_conversation, minlength=count)
    table["agent_turns"] = per_turn_conversation((responder == "agent").fillna(False).to_numpy())
    table["bot_turns"] = per_turn_conversation((responder == "bot").fillna(False).to_numpy())
    table["handoff_turns"] = per_turn_conversation(turns["handoff"].to_numpy())
    table["unanswered_turns"] = per_turn_conversation(~turns["answered"].to_numpy())
    table["turns_needing_agent"] = per_turn_conversation(turns["needs_agent"].to_numpy())
    for column in ("agent_turns", "bot_turns", "handoff_turns", "unanswered_turns"):
        table[column] = table[column].astype(np.int64)
    table["turns_needing_agent"] = table["turns_needing_agent"].astype(np.int64)

    table["first_response_seconds"] = _first_turn_value(
        turns["response_seconds"].to_numpy(),
        turns["is_first_turn"].to_numpy(),
        turn_conversation,
        count,
    )
    table["active_seconds"] = np.bincount(
        work.conversation_code, weights=work.table["seconds"].to_numpy(), minlength=count
    )
    table["thread_hold_seconds"] = per_turn_conversation(turns["thread_hold_seconds"].to_numpy())
    table["agents"] = _distinct_agents(work, count)

    agent_worked = np.bincount(work.conversation_code, minlength=count) > 0
    table["needs_agent"] = (table["turns_needing_agent"].to_numpy() > 0) | agent_worked
    table["contained"] = (table["bot_messages"].to_numpy() > 0) & ~agent_worked
    for column in ("conversation_id", "use_case", "channel"):
        table[column] = table[column].astype("string")
    return table


def _conversation_channel(
    frame: pd.DataFrame, first_rows: np.ndarray, turns: pd.DataFrame, turn_conversation: np.ndarray
) -> np.ndarray:
    channel = frame["channel"].to_numpy(dtype=object)[first_rows].copy()
    first_turns = turns["is_first_turn"].to_numpy()
    channel[turn_conversation[first_turns]] = turns["channel"].to_numpy(dtype=object)[first_turns]
    return channel


def _first_turn_value(
    values: np.ndarray, is_first: np.ndarray, turn_conversation: np.ndarray, count: int
) -> np.ndarray:
    result = np.full(count, np.nan)
    result[turn_conversation[is_first]] = values[is_first]
    return result


def _distinct_agents(work: AgentWork, count: int) -> np.ndarray:
    agents = work.table["agent_id"]
    known = agents.notna().to_numpy()
    pairs = pd.DataFrame(
        {"conversation": work.conversation_code[known], "agent": agents[known].to_numpy()}
    ).drop_duplicates()
    return np.bincount(pairs["conversation"].to_numpy(dtype=np.int64), minlength=count)
