"""Build the event table and the per-conversation ground truth from draws and timeline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from asyncwfm.schema import EVENT_COLUMNS, EventType, Sender, validate_events
from asyncwfm.synthetic.conversations import ACKNOWLEDGEMENT_SECONDS, ConversationDraws
from asyncwfm.synthetic.specs import UseCaseSpec
from asyncwfm.synthetic.timeline import Timeline

SOURCE_FILE = "synthetic"

_CUSTOMER_TEXT = (70.0, 0.8)
_BOT_TEXT = (160.0, 0.4)
# NOTE: agent reply lengths are drawn independently of the work, so the measure stage's
# length-based estimator cannot see difficulty; use handle_seconds to check the residue.
_AGENT_TEXT = (180.0, 0.6)
_ACKNOWLEDGEMENT_TEXT = (40.0, 0.3)
"""(median characters, log-standard deviation) of message lengths by kind."""


def conversation_ids(run_label: str, count: int) -> np.ndarray:
    """Return ``syn-<run label>-<number>`` ids, unique across runs with different labels."""
    return np.array([f"syn-{run_label}-{number:06d}" for number in range(count)], dtype=object)


def build_events(
    rng: np.random.Generator,
    use_cases: Sequence[UseCaseSpec],
    draws: ConversationDraws,
    timeline: Timeline,
    *,
    run_label: str,
    include_handle_seconds: bool,
) -> pd.DataFrame:
    """Return the generated events following :data:`asyncwfm.schema.EVENT_COLUMNS`.

    Customer messages carry the customer id, agent messages the agent id and, when
    ``include_handle_seconds`` is set, the agent work of the message. A handoff is a bot
    ``transfer`` event between the customer's turn and the agent's answer, preceded by a
    bot message on a share ``HANDOFF_MESSAGE_SHARE`` of handoffs. An agent who
    acknowledges first sends a short message ``ACKNOWLEDGEMENT_SECONDS`` into the work,
    and the answer carries the rest of the work.
    """
    ids = conversation_ids(run_label, draws.use_case_index.size)
    use_case_names = np.array([spec.name for spec in use_cases], dtype=object)
    channels = np.array([spec.channel for spec in use_cases], dtype=object)
    customers = np.array([f"cust-{n:012x}" for n in draws.customer_number.tolist()], dtype=object)
    agent_names = _agent_names(use_cases, timeline)

    parts = [
        _customer_messages(rng, draws, timeline),
        _bot_replies(rng, draws, timeline),
        _transfers(draws, timeline),
        _agent_messages(rng, draws, timeline, acknowledgement=True),
        _agent_messages(rng, draws, timeline, acknowledgement=False),
    ]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["seconds", "order"], kind="stable", ignore_index=True)

    conversation = frame["conversation"].to_numpy()
    use_case = draws.use_case_index[conversation]
    agent = frame["agent"].to_numpy()
    is_agent = agent >= 0
    agent_ids = np.full(len(frame), None, dtype=object)
    agent_ids[is_agent] = [
        agent_names[u][a] for u, a in zip(use_case[is_agent], agent[is_agent], strict=True)
    ]
    is_customer = frame["sender"].to_numpy() == Sender.CUSTOMER.value
    customer_ids = np.where(is_customer, customers[conversation], None)
    milliseconds = np.round(frame["seconds"].to_numpy() * 1000.0).astype(np.int64)
    handle = frame["handle_seconds"].to_numpy(dtype=float)
    if not include_handle_seconds:
        handle = np.full(len(frame), np.nan)

    events = pd.DataFrame(
        {
            "event_key": pd.array(
                [f"syn-{run_label}-e{number:08d}" for number in range(len(frame))],
                dtype="string",
            ),
            "conversation_id": pd.array(ids[conversation], dtype="string"),
            "timestamp": pd.to_datetime(milliseconds, unit="ms", utc=True).astype(
                "datetime64[ns, UTC]"
            ),
            "sender": pd.array(frame["sender"].to_numpy(), dtype="string"),
            "agent_id": pd.array(agent_ids, dtype="string"),
            "customer_id": pd.array(customer_ids, dtype="string"),
            "channel": pd.array(channels[use_case], dtype="string"),
            "use_case": pd.array(use_case_names[use_case], dtype="string"),
            "event_type": pd.array(frame["event_type"].to_numpy(), dtype="string"),
            "text_length": pd.array(frame["text_length"].to_numpy(), dtype="Int64"),
            "handle_seconds": handle,
            "source_file": pd.array(np.full(len(frame), SOURCE_FILE), dtype="string"),
            "source_line": pd.array(np.arange(1, len(frame) + 1), dtype="Int64"),
        },
        columns=list(EVENT_COLUMNS),
    )
    validate_events(events)
    return events


def _agent_names(use_cases: Sequence[UseCaseSpec], timeline: Timeline) -> list[list[str]]:
    return [
        [f"{spec.name}-agent-{number + 1:02d}" for number in range(int(hours.max()))]
        for spec, hours in zip(use_cases, timeline.staffing, strict=True)
    ]


def _text_lengths(rng: np.random.Generator, size: int, shape: tuple[float, float]) -> np.ndarray:
    median, sigma = shape
    lengths = np.round(median * np.exp(sigma * rng.standard_normal(size)))
    return np.clip(lengths, 1, 4000).astype(np.int64)


def _part(
    conversation: np.ndarray,
    seconds: np.ndarray,
    order: np.ndarray,
    sender: str,
    *,
    event_type: str = EventType.MESSAGE.value,
    agent: np.ndarray | None = None,
    text_length: np.ndarray | None = None,
    handle_seconds: np.ndarray | None = None,
) -> pd.DataFrame:
    size = conversation.size
    return pd.DataFrame(
        {
            "conversation": conversation,
            "seconds": seconds,
            "order": order,
            "sender": sender,
            "event_type": event_type,
            "agent": agent if agent is not None else np.full(size, -1, dtype=np.int64),
            "text_length": (
                pd.array(text_length, dtype="Int64")
                if text_length is not None
                else pd.array([pd.NA] * size, dtype="Int64")
            ),
            "handle_seconds": handle_seconds if handle_seconds is not None else np.nan,
        }
    )


def _customer_messages(
    rng: np.random.Generator, draws: ConversationDraws, timeline: Timeline
) -> pd.DataFrame:
    turn = draws.message_turn
    seconds = timeline.turn_start_seconds[turn] + draws.message_offset_seconds
    return _part(
        draws.turn_conversation[turn],
        seconds,
        np.zeros(turn.size, dtype=np.int64),
        Sender.CUSTOMER.value,
        text_length=_text_lengths(rng, turn.size, _CUSTOMER_TEXT),
    )


def _bot_replies(
    rng: np.random.Generator, draws: ConversationDraws, timeline: Timeline
) -> pd.DataFrame:
    """Return the bot's answers and the messages it writes before a transfer."""
    answers = np.flatnonzero(~draws.turn_by_agent)
    handoffs = np.flatnonzero(draws.turn_handoff_message)
    turns = np.concatenate([answers, handoffs])
    seconds = np.concatenate([timeline.reply_seconds[answers], timeline.transfer_seconds[handoffs]])
    return _part(
        draws.turn_conversation[turns],
        seconds,
        np.ones(turns.size, dtype=np.int64),
        Sender.BOT.value,
        text_length=_text_lengths(rng, turns.size, _BOT_TEXT),
    )


def _transfers(draws: ConversationDraws, timeline: Timeline) -> pd.DataFrame:
    turns = np.flatnonzero(draws.turn_is_handoff)
    return _part(
        draws.turn_conversation[turns],
        timeline.transfer_seconds[turns],
        np.full(turns.size, 2, dtype=np.int64),
        Sender.BOT.value,
        event_type=EventType.TRANSFER.value,
    )


def _agent_messages(
    rng: np.random.Generator,
    draws: ConversationDraws,
    timeline: Timeline,
    *,
    acknowledgement: bool,
) -> pd.DataFrame:
    """Return the agents' acknowledgements, or their answers with the remaining work."""
    acknowledged = draws.turn_acknowledged
    if acknowledgement:
        turns = np.flatnonzero(acknowledged)
        seconds = timeline.acknowledgement_seconds[turns]
        handle = np.full(turns.size, ACKNOWLEDGEMENT_SECONDS)
        text = _text_lengths(rng, turns.size, _ACKNOWLEDGEMENT_TEXT)
        order = np.full(turns.size, 3, dtype=np.int64)
    else:
        turns = np.flatnonzero(draws.turn_by_agent)
        seconds = timeline.reply_seconds[turns]
        handle = draws.turn_work_seconds[turns]
        handle = handle - np.where(acknowledged[turns], ACKNOWLEDGEMENT_SECONDS, 0.0)
        text = _text_lengths(rng, turns.size, _AGENT_TEXT)
        order = np.full(turns.size, 4, dtype=np.int64)
    return _part(
        draws.turn_conversation[turns],
        seconds,
        order,
        Sender.AGENT.value,
        agent=timeline.agent_index[turns],
        text_length=text,
        handle_seconds=handle,
    )


def build_conversation_truth(
    use_cases: Sequence[UseCaseSpec],
    draws: ConversationDraws,
    timeline: Timeline,
    *,
    run_label: str,
) -> pd.DataFrame:
    """Return the generator's own record of each conversation (not derived from events)."""
    size = draws.use_case_index.size
    ids = conversation_ids(run_label, size)
    intent_names = [spec.intent_names for spec in use_cases]
    agent_work = np.bincount(
        draws.turn_conversation, weights=draws.turn_work_seconds, minlength=size
    )
    last_turn = draws.turn_first + draws.turn_count - 1
    handed_off = draws.covered & ~draws.contained
    recontact_of = np.full(size, None, dtype=object)
    children = draws.recontact_child >= 0
    recontact_of[draws.recontact_child[children]] = ids[children]

    started = timeline.turn_start_seconds[draws.turn_first]
    ended = timeline.reply_seconds[last_turn]
    return pd.DataFrame(
        {
            "conversation_id": ids,
            "use_case": [use_cases[u].name for u in draws.use_case_index.tolist()],
            "intent": [
                intent_names[u][i]
                for u, i in zip(
                    draws.use_case_index.tolist(), draws.intent_index.tolist(), strict=True
                )
            ],
            "customer_id": [f"cust-{n:012x}" for n in draws.customer_number.tolist()],
            "bot_covered": draws.covered,
            "contained": draws.contained,
            "handed_off": handed_off,
            "is_recontact": draws.is_recontact,
            "recontact_of": recontact_of,
            "wave": draws.wave_index,
            "difficulty": draws.difficulty,
            "bot_turns": draws.bot_turns,
            "agent_turns": draws.agent_turns,
            "handoff_turn": np.where(handed_off, draws.bot_turns, -1),
            "agent_work_seconds": agent_work,
            "started_at": _utc(started),
            "ended_at": _utc(ended),
        }
    )


def _utc(seconds: np.ndarray) -> pd.Series:
    milliseconds = np.round(seconds * 1000.0).astype(np.int64)
    return pd.Series(pd.to_datetime(milliseconds, unit="ms", utc=True))
