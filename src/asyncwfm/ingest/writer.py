"""Writing one file's events into the store chunk by chunk, with bounded memory.

Events that carry their own ``event_key`` (a tweet id, a message SID) are inserted
as each chunk arrives. A row is a duplicate when its key is already stored (from an
earlier file or an earlier chunk of this one) or repeats an earlier row of its
chunk. The stored keys are found with a semi-join that hashes the chunk and scans
the key column, so the cost per chunk does not grow with a hash table of the store.

Each chunk is committed on its own. DuckDB keeps the Arrow buffers of every insert
alive until the transaction ends, so one transaction over a 2.8-million-row file
would hold all of it in memory. If reading fails half-way, :meth:`EventWriter.undo`
deletes the rows this writer inserted, by key, so the file adds nothing.

Events without a key are staged in a temporary table and inserted at the end by
:meth:`asyncwfm.store.EventStore.insert_staged_events`, which derives their keys
from their content and counts repeated identical messages over the whole file.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from asyncwfm.ingest.normalize import events_frame
from asyncwfm.schema import EVENT_COLUMNS, validate_events
from asyncwfm.store import EventStore

_STAGING_TABLE: Final = "asyncwfm_ingest_staging"
_QUEUED_CHUNKS: Final = 2


class EventWriter:
    """Insert the events of one source file into an open store.

    Attributes
    ----------
    inserted, duplicates : int
        Events added so far, and accepted events dropped as duplicates so far.
    """

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._connection = store.connection
        self._inserted_keys: list[pa.Array] = []
        self._staged = 0
        self.inserted = 0
        self.duplicates = 0
        self._connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {_STAGING_TABLE} AS SELECT * FROM events LIMIT 0"
        )

    def write(self, events: pa.Table) -> None:
        """Validate a chunk; insert its keyed rows and stage the others."""
        if events.num_rows == 0:
            return
        validate_events(events_frame(events))
        has_key = events.column("event_key").is_valid()
        keyed = events.filter(has_key)
        if keyed.num_rows:
            self._insert_keyed(keyed)
        keyless = events.filter(pc.invert(has_key))
        if keyless.num_rows:
            self._append(_STAGING_TABLE, keyless)
            self._staged += keyless.num_rows

    @contextmanager
    def in_background(self) -> Iterator[Callable[[pa.Table], None]]:
        """Yield a function that queues chunks for :meth:`write` in a second thread.

        The reader builds the next chunk while DuckDB inserts the previous one (both
        release the GIL for most of their work). At most two chunks wait in the
        queue. On leaving the block the thread is joined, and an error it raised is
        raised here.
        """
        pending: queue.Queue[pa.Table | None] = queue.Queue(maxsize=_QUEUED_CHUNKS)
        failure: list[BaseException] = []

        def work() -> None:
            while (events := pending.get()) is not None:
                if not failure:
                    try:
                        self.write(events)
                    except BaseException as error:  # re-raised in the calling thread
                        failure.append(error)

        thread = threading.Thread(target=work, name="asyncwfm-ingest-writer", daemon=True)
        thread.start()

        def submit(events: pa.Table) -> None:
            if failure:
                raise failure[0]
            pending.put(events)

        try:
            yield submit
        finally:
            pending.put(None)
            thread.join()
        if failure:
            raise failure[0]

    def finish(self) -> None:
        """Insert the staged rows without a key; call inside the run's transaction."""
        if self._staged:
            counts = self._store.insert_staged_events(_STAGING_TABLE)
            self.inserted += counts.inserted
            self.duplicates += counts.duplicates

    def undo(self) -> None:
        """Delete the keyed rows this writer inserted (after a failure)."""
        if not self._inserted_keys:
            return
        keys = pa.table({"event_key": pa.concat_arrays(self._inserted_keys)})
        self._connection.register("asyncwfm_undo_keys", keys)
        try:
            self._connection.execute(
                "DELETE FROM events WHERE event_key IN (SELECT event_key FROM asyncwfm_undo_keys)"
            )
        finally:
            self._connection.unregister("asyncwfm_undo_keys")
        self._inserted_keys.clear()

    def close(self) -> None:
        """Drop the staging table."""
        self._connection.execute(f"DROP TABLE IF EXISTS {_STAGING_TABLE}")

    def _insert_keyed(self, events: pa.Table) -> None:
        keys = events.column("event_key").combine_chunks()
        first = _first_occurrences(keys, events.column("source_line"))
        stored = self._stored_keys(keys)
        new_rows = events.filter(pa.array(first & ~stored))
        self._append("events", new_rows)
        self._inserted_keys.append(new_rows.column("event_key").combine_chunks())
        self.inserted += new_rows.num_rows
        self.duplicates += events.num_rows - new_rows.num_rows

    def _stored_keys(self, keys: pa.Array) -> np.ndarray:
        self._connection.register("asyncwfm_incoming_keys", pa.table({"event_key": keys}))
        try:
            stored = self._connection.sql(
                "SELECT event_key FROM events "
                "WHERE event_key IN (SELECT event_key FROM asyncwfm_incoming_keys)"
            ).to_arrow_table()
        finally:
            self._connection.unregister("asyncwfm_incoming_keys")
        found = stored.column(0).combine_chunks().cast(pa.string())
        return np.asarray(pc.is_in(keys, value_set=found), dtype=bool)

    def _append(self, table: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        self._connection.register("asyncwfm_incoming_rows", rows.select(list(EVENT_COLUMNS)))
        try:
            self._connection.execute(f"INSERT INTO {table} SELECT * FROM asyncwfm_incoming_rows")
        finally:
            self._connection.unregister("asyncwfm_incoming_rows")


def _first_occurrences(keys: pa.Array, lines: pa.ChunkedArray) -> np.ndarray:
    """Return a mask of the rows that are the first (lowest line) with their key."""
    codes = np.asarray(pc.dictionary_encode(keys).indices)
    line_numbers = np.asarray(lines.combine_chunks().fill_null(0), dtype=np.int64)
    order = np.argsort(line_numbers, kind="stable")
    _, first_in_order = np.unique(codes[order], return_index=True)
    first = np.zeros(len(keys), dtype=bool)
    first[order[first_in_order]] = True
    return first
