"""Events sorted once by conversation and time, with the arrays every measure step reads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from asyncwfm.schema import EventType, Sender

NANOSECONDS_PER_SECOND = 1_000_000_000


@dataclass(frozen=True)
class OrderedEvents:
    """Events sorted by conversation, timestamp and input order.

    Attributes
    ----------
    frame : pandas.DataFrame
        The events in sorted order with a fresh 0-based index.
    conversation_code : numpy.ndarray
        int64 code of each row's conversation, non-decreasing in row order.
    time_ns : numpy.ndarray
        int64 nanoseconds since the Unix epoch (UTC) of each row.
    is_message, is_customer, is_agent, is_bot : numpy.ndarray
        Boolean masks by event type and sender.
    conversation_ids : pandas.Index
        ``conversation_ids[code]`` is the id of conversation ``code``.
    """

    frame: pd.DataFrame
    conversation_code: np.ndarray
    time_ns: np.ndarray
    is_message: np.ndarray
    is_customer: np.ndarray
    is_agent: np.ndarray
    is_bot: np.ndarray
    conversation_ids: pd.Index

    @property
    def conversation_count(self) -> int:
        """Number of distinct conversations."""
        return len(self.conversation_ids)

    def first_row_of_conversation(self) -> np.ndarray:
        """Return the row of each conversation's first event, indexed by conversation code."""
        is_first = np.r_[True, self.conversation_code[1:] != self.conversation_code[:-1]]
        return np.flatnonzero(is_first)


def order_events(events: pd.DataFrame) -> OrderedEvents:
    """Sort events by conversation and time, keeping the input order among equal times.

    Conversation codes are assigned in sorted id order, so rows of one conversation
    are contiguous and codes increase with the row position.
    """
    conversation_ids = events["conversation_id"].astype("string")
    codes, uniques = pd.factorize(conversation_ids, sort=True)
    time_ns = events["timestamp"].to_numpy(dtype="datetime64[ns]").view("int64")

    order = np.lexsort((np.arange(len(events)), time_ns, codes))
    frame = events.iloc[order].reset_index(drop=True)

    sender = frame["sender"]
    is_message = (frame["event_type"] == EventType.MESSAGE.value).to_numpy(
        dtype=bool, na_value=False
    )
    return OrderedEvents(
        frame=frame,
        conversation_code=codes[order].astype(np.int64),
        time_ns=time_ns[order],
        is_message=is_message,
        is_customer=(sender == Sender.CUSTOMER.value).to_numpy(dtype=bool, na_value=False),
        is_agent=(sender == Sender.AGENT.value).to_numpy(dtype=bool, na_value=False),
        is_bot=(sender == Sender.BOT.value).to_numpy(dtype=bool, na_value=False),
        conversation_ids=pd.Index(uniques, dtype="string"),
    )


def to_utc(time_ns: np.ndarray) -> pd.DatetimeIndex:
    """Convert int64 epoch nanoseconds to UTC timestamps; the int64 minimum becomes NaT."""
    return pd.DatetimeIndex(np.asarray(time_ns, dtype="int64").view("datetime64[ns]"), tz="UTC")
