"""Map reader labels to configured use cases, one use case per conversation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import InputError
from asyncwfm.schema import EventType, Sender, validate_events


def assign_use_cases(events: pd.DataFrame, config: PlanningConfig) -> pd.DataFrame:
    """Give every event the configured use case of its conversation.

    Each event's reader label (``use_case``) and ``channel`` are mapped with
    :meth:`PlanningConfig.resolve_use_case`. A conversation then takes one use case for
    all its events: the use case of its first customer message, or of its first event
    when it has no customer message. Conversations whose use case resolves to nothing
    (unmatched labels with ``unmatched = "drop"``) are removed with all their events.

    Parameters
    ----------
    events : pandas.DataFrame
        The event table (:data:`asyncwfm.schema.EVENT_COLUMNS`).
    config : PlanningConfig
        Use-case mapping and the ``unmatched`` rule.

    Returns
    -------
    pandas.DataFrame
        The kept events in their input order, with ``use_case`` set to the configured
        use case of the conversation and the reader's label kept in ``use_case_label``.
        The ``channel`` column is left as it is.

    Raises
    ------
    InputError
        When ``events`` breaks the event table contract or lacks a conversation id.
    """
    validate_events(events)
    if events["conversation_id"].isna().any():
        raise InputError(
            "event table has missing conversation_id values; reject those rows at ingest "
            "or give every event a conversation."
        )
    if events.empty:
        empty = events.copy()
        empty["use_case_label"] = empty["use_case"].astype("string")
        return empty

    event_use_case = _resolve_each_event(events, config)

    conversation_use_case = _use_case_of_conversations(events, event_use_case)
    keep = conversation_use_case.notna().to_numpy()

    assigned = events.loc[keep].copy()
    assigned["use_case_label"] = assigned["use_case"].astype("string")
    assigned["use_case"] = conversation_use_case[keep].to_numpy()
    assigned["use_case"] = assigned["use_case"].astype("string")
    return assigned


def _resolve_each_event(events: pd.DataFrame, config: PlanningConfig) -> pd.Series:
    """Resolve the configured use case of each event, calling the config once per pair."""
    label_codes, labels = pd.factorize(events["use_case"].astype("string").fillna(""))
    channel_codes, channels = pd.factorize(events["channel"].astype("string").fillna("unknown"))
    pair_codes, pairs = pd.factorize(label_codes * len(channels) + channel_codes)

    resolved = [
        config.resolve_use_case(labels[pair // len(channels)], channels[pair % len(channels)])
        for pair in pairs
    ]
    resolved_array = pd.array(resolved, dtype="string")
    return pd.Series(resolved_array[pair_codes], index=events.index, dtype="string")


def _use_case_of_conversations(events: pd.DataFrame, event_use_case: pd.Series) -> pd.Series:
    """Spread the use case of each conversation's deciding event to all its events."""
    conversation_codes, _ = pd.factorize(events["conversation_id"])
    timestamps = events["timestamp"].to_numpy(dtype="datetime64[ns]").view("int64")
    is_customer_message = (
        (events["sender"] == Sender.CUSTOMER.value)
        & (events["event_type"] == EventType.MESSAGE.value)
    ).to_numpy(dtype=bool, na_value=False)

    # Customer messages sort before other events of the conversation, then by time and
    # input order, so the first row of each conversation is the deciding event.
    order = np.lexsort(
        (np.arange(len(events)), timestamps, ~is_customer_message, conversation_codes)
    )
    sorted_codes = conversation_codes[order]
    is_first = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]
    deciding_rows = order[is_first]

    use_case_by_code = np.empty(sorted_codes.max() + 1, dtype=object)
    use_case_by_code[conversation_codes[deciding_rows]] = event_use_case.iloc[
        deciding_rows
    ].to_numpy(dtype=object, na_value=None)
    return pd.Series(use_case_by_code[conversation_codes], index=events.index, dtype="string")
