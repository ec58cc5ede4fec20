"""The time spans and arrival instants that the workload and per-minute tables count."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from asyncwfm.measure.concurrency import Spans


@dataclass(frozen=True)
class Timelines:
    """Spans and instants per use case, all in epoch nanoseconds UTC.

    Attributes
    ----------
    use_cases : pandas.Index
        Use-case names; span keys index into it.
    open : Spans
        Each conversation from its first to its last event.
    awaiting : Spans
        Each customer turn from its first message to its reply, or to the
        conversation's last event when unanswered.
    active : Spans
        Each stretch of agent work.
    held : Spans
        Each span in which an agent holds a thread (see :mod:`asyncwfm.measure.holds`).
    arrival_key, arrival_ns : numpy.ndarray
        Use case and first message of every turn that needs an agent.
    """

    use_cases: pd.Index
    open: Spans
    awaiting: Spans
    active: Spans
    held: Spans
    arrival_key: np.ndarray
    arrival_ns: np.ndarray

    def split_by_use_case(self) -> list[Timelines]:
        """Return one Timelines per use case, in ``use_cases`` order, each keyed 0."""
        count = len(self.use_cases)
        open_parts = _split_spans(self.open, count)
        awaiting_parts = _split_spans(self.awaiting, count)
        active_parts = _split_spans(self.active, count)
        held_parts = _split_spans(self.held, count)
        arrival_parts = _split_spans(
            Spans(self.arrival_key, self.arrival_ns, self.arrival_ns), count
        )
        return [
            Timelines(
                use_cases=self.use_cases[[key]],
                open=open_parts[key],
                awaiting=awaiting_parts[key],
                active=active_parts[key],
                held=held_parts[key],
                arrival_key=arrival_parts[key].key,
                arrival_ns=arrival_parts[key].start_ns,
            )
            for key in range(count)
        ]


def _split_spans(spans: Spans, key_count: int) -> list[Spans]:
    """Split spans by key with one sort, re-keying each part to 0."""
    order = np.argsort(spans.key, kind="stable")
    key = spans.key[order]
    bounds = np.searchsorted(key, np.arange(key_count + 1))
    parts = []
    for index in range(key_count):
        rows = order[bounds[index] : bounds[index + 1]]
        parts.append(
            Spans(
                key=np.zeros(len(rows), dtype=np.int64),
                start_ns=spans.start_ns[rows],
                end_ns=spans.end_ns[rows],
            )
        )
    return parts


def use_case_codes(values: pd.Series, use_cases: pd.Index) -> np.ndarray:
    """Return the position of each use-case name in ``use_cases`` as int64."""
    return np.asarray(use_cases.get_indexer(values.astype("string")), dtype=np.int64)
