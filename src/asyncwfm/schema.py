"""The normalized event table that every reader produces and every later stage reads.

One row is one event of a messaging log: a message, or a work or routing event.
Timestamps are timezone-aware UTC. Message bodies are never part of the table, only
their length in characters.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import pandas as pd

from asyncwfm.errors import InputError


class Sender(StrEnum):
    """Who wrote or caused an event."""

    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"
    SYSTEM = "system"


class EventType(StrEnum):
    """Kind of event. Only ``message`` events form customer turns and replies."""

    MESSAGE = "message"
    NOTE = "note"
    ASSIGNMENT = "assignment"
    TRANSFER = "transfer"
    CLOSE = "close"
    WORK = "work"


EVENT_COLUMNS: Final[tuple[str, ...]] = (
    "event_key",
    "conversation_id",
    "timestamp",
    "sender",
    "agent_id",
    "customer_id",
    "channel",
    "use_case",
    "event_type",
    "text_length",
    "handle_seconds",
    "source_file",
    "source_line",
)
"""Columns of the event table, in store order.

``event_key`` identifies an event across ingests so that duplicates are dropped.
``agent_id`` is set for agent events when known, ``customer_id`` for customer events
when known (hashed when the ingest asks for it). ``handle_seconds`` is the agent work
attributed to the event by the source system, missing when the source has none.
``source_file`` and ``source_line`` point back to the row of the input.
"""

REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("conversation_id", "timestamp", "sender")
"""Columns that a generic input file must provide (under any mapped name)."""

OPTIONAL_DEFAULTS: Final[dict[str, object]] = {
    "agent_id": None,
    "customer_id": None,
    "channel": "unknown",
    "use_case": "default",
    "event_type": EventType.MESSAGE.value,
    "text_length": None,
    "handle_seconds": None,
}
"""Value used for an optional column that the input does not have."""

MAX_HANDLE_SECONDS: Final = 86_400.0
"""Largest ``handle_seconds`` of one event: 24 hours. A larger value is almost always
a handle time in milliseconds, and values near 1e10 overflow the nanosecond clock."""

SENDER_VALUES: Final[frozenset[str]] = frozenset(s.value for s in Sender)
EVENT_TYPE_VALUES: Final[frozenset[str]] = frozenset(t.value for t in EventType)


def empty_events() -> pd.DataFrame:
    """Return an event table with no rows and the store's column types."""
    return pd.DataFrame(
        {
            "event_key": pd.Series(dtype="string"),
            "conversation_id": pd.Series(dtype="string"),
            "timestamp": pd.Series(dtype="datetime64[ns, UTC]"),
            "sender": pd.Series(dtype="string"),
            "agent_id": pd.Series(dtype="string"),
            "customer_id": pd.Series(dtype="string"),
            "channel": pd.Series(dtype="string"),
            "use_case": pd.Series(dtype="string"),
            "event_type": pd.Series(dtype="string"),
            "text_length": pd.Series(dtype="Int64"),
            "handle_seconds": pd.Series(dtype="float64"),
            "source_file": pd.Series(dtype="string"),
            "source_line": pd.Series(dtype="Int64"),
        }
    )


STRING_COLUMNS: Final[tuple[str, ...]] = (
    "event_key",
    "conversation_id",
    "sender",
    "agent_id",
    "customer_id",
    "channel",
    "use_case",
    "event_type",
    "source_file",
)
"""Event columns held as pandas ``string`` dtype."""


def with_event_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of an event table with the store's column types.

    Timestamps become ``datetime64[ns, UTC]`` (naive values are taken as UTC), text
    columns ``string``, ``text_length`` and ``source_line`` nullable ``Int64`` and
    ``handle_seconds`` ``float64``.
    """
    typed = frame.copy()
    typed["timestamp"] = pd.to_datetime(typed["timestamp"], utc=True).astype("datetime64[ns, UTC]")
    for column in STRING_COLUMNS:
        typed[column] = typed[column].astype("string")
    typed["text_length"] = typed["text_length"].astype("Int64")
    typed["source_line"] = typed["source_line"].astype("Int64")
    typed["handle_seconds"] = typed["handle_seconds"].astype("float64")
    return typed


def validate_events(events: pd.DataFrame) -> None:
    """Raise InputError unless ``events`` follows the event table contract.

    Checks the column set, UTC timestamps, sender and event type values, that
    ``handle_seconds`` lies between 0 and :data:`MAX_HANDLE_SECONDS` and that
    ``text_length`` is not negative. Readers call it on their accepted rows, so a
    later stage can rely on the contract without checking again.
    """
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise InputError(
            f"event table is missing columns {missing}; found {list(events.columns)}. "
            "Build it with asyncwfm.schema.empty_events() or a reader."
        )

    timestamps = events["timestamp"]
    if not isinstance(timestamps.dtype, pd.DatetimeTZDtype) or str(timestamps.dt.tz) != "UTC":
        raise InputError(
            f"event timestamps must be timezone-aware UTC, got dtype {timestamps.dtype}; "
            "convert with Series.dt.tz_convert('UTC')."
        )
    if timestamps.isna().any():
        raise InputError("event table has missing timestamps; reject those rows at ingest.")

    bad_senders = set(events["sender"].dropna().unique()) - SENDER_VALUES
    if bad_senders or events["sender"].isna().any():
        raise InputError(
            f"invalid sender values {sorted(map(str, bad_senders)) or ['<missing>']}; "
            f"allowed: {sorted(SENDER_VALUES)}."
        )

    bad_types = set(events["event_type"].dropna().unique()) - EVENT_TYPE_VALUES
    if bad_types:
        raise InputError(
            f"invalid event_type values {sorted(map(str, bad_types))}; "
            f"allowed: {sorted(EVENT_TYPE_VALUES)}."
        )

    handle_seconds = events["handle_seconds"].dropna()
    if (handle_seconds < 0).any():
        raise InputError("handle_seconds must not be negative.")
    if (handle_seconds > MAX_HANDLE_SECONDS).any():
        raise InputError(
            f"handle_seconds must not exceed {MAX_HANDLE_SECONDS:.0f} (24 hours), got "
            f"{handle_seconds.max():g}; convert a handle time in milliseconds to seconds "
            "and ingest the source again."
        )
    if (events["text_length"].dropna() < 0).any():
        raise InputError("text_length must not be negative.")
