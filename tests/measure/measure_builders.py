"""Builders of small event tables for the measure tests."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from asyncwfm.schema import EVENT_COLUMNS, with_event_dtypes

BASE_TIME = pd.Timestamp("2024-03-04 09:00:00", tz="UTC")
"""A Monday; every builder offset is in seconds after it."""

EventRow = tuple[object, ...]


def build_events(rows: Sequence[EventRow], **defaults: object) -> pd.DataFrame:
    """Build an event table from ``(conversation_id, seconds, sender, agent_id, text_length)`` rows.

    Extra keyword arguments set a column for every row (``use_case="sms"``). A row may
    carry a sixth item, a dict of column values for that row only
    (``{"event_type": "note"}``, ``{"handle_seconds": 90.0}``).
    """
    records = []
    for number, row in enumerate(rows):
        conversation_id, seconds, sender, agent_id, text_length, *extra = row
        record: dict[str, object] = {
            "event_key": f"e{number}",
            "conversation_id": conversation_id,
            "timestamp": BASE_TIME + pd.to_timedelta(float(seconds), unit="s"),
            "sender": sender,
            "agent_id": agent_id,
            "customer_id": None,
            "channel": "sms",
            "use_case": "default",
            "event_type": "message",
            "text_length": text_length,
            "handle_seconds": float("nan"),
            "source_file": "built",
            "source_line": number + 1,
        }
        record.update(defaults)
        if extra:
            record.update(extra[0])
        records.append(record)
    return as_event_table(pd.DataFrame.from_records(records, columns=list(EVENT_COLUMNS)))


def as_event_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame with the event columns the store's column types."""
    return with_event_dtypes(frame)
