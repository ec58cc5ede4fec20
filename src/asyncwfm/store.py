"""The DuckDB event store: one database file holding events, ingest runs and rejections.

Events are keyed by ``event_key`` and inserted with an anti-join, so ingesting the
same file twice changes nothing. Readers set ``event_key`` from the source's own
message id when it has one (a tweet id, a message SID). Otherwise the store derives
it from the event's content (conversation, timestamp, sender, agent, event type, text
length) plus the occurrence number of that content within the batch, so two identical
messages in one file stay two events while a re-ingest of the file adds none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Self

import duckdb
import pandas as pd

from asyncwfm.errors import InputError, StoreError
from asyncwfm.schema import EVENT_COLUMNS, validate_events, with_event_dtypes

SCHEMA_VERSION = "1"

_CREATE_STATEMENTS = (
    """
    CREATE TABLE IF NOT EXISTS store_metadata (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS events (
        event_key VARCHAR NOT NULL,
        conversation_id VARCHAR NOT NULL,
        timestamp TIMESTAMPTZ NOT NULL,
        sender VARCHAR NOT NULL,
        agent_id VARCHAR,
        customer_id VARCHAR,
        channel VARCHAR NOT NULL,
        use_case VARCHAR NOT NULL,
        event_type VARCHAR NOT NULL,
        text_length INTEGER,
        handle_seconds DOUBLE,
        source_file VARCHAR,
        source_line BIGINT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS ingest_runs (
        run_id VARCHAR NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        source_file VARCHAR NOT NULL,
        source_format VARCHAR NOT NULL,
        source_sha256 VARCHAR,
        rows_read BIGINT NOT NULL,
        accepted BIGINT NOT NULL,
        rejected BIGINT NOT NULL,
        duplicates BIGINT NOT NULL,
        inserted BIGINT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS rejections (
        run_id VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        line BIGINT,
        reason VARCHAR NOT NULL
    )
    """,
)


@dataclass(frozen=True)
class InsertCounts:
    """Outcome of inserting a batch of accepted events.

    Attributes
    ----------
    inserted : int
        Events new to the store.
    duplicates : int
        Events already in the store or repeated within the batch, dropped.
    """

    inserted: int
    duplicates: int


class EventStore:
    """A DuckDB database file holding the event table and ingest bookkeeping.

    Parameters
    ----------
    path : str or Path
        Database file; created with its tables when missing unless ``read_only``.
    read_only : bool
        Open without write access, so several readers can share the file.

    Examples
    --------
    >>> with EventStore("events.duckdb") as store:  # doctest: +SKIP
    ...     frame = store.events()
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise StoreError(
                f"event store not found: {self.path}. "
                f"Create it with 'asyncwfm ingest SOURCE --db {self.path}'."
            )
        try:
            self._connection = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"cannot open event store {self.path}: {exc}") from None
        except duckdb.Error as exc:
            raise StoreError(f"{self.path} is not a DuckDB event store: {exc}") from None
        try:
            self._connection.execute("SET TimeZone = 'UTC'")
            if not read_only:
                self._check_not_foreign()
                self._create_tables()
            self._check_version()
            self._check_layout()
        except BaseException:
            self._connection.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        self._connection.close()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The open DuckDB connection, for queries the store has no method for."""
        return self._connection

    def _create_tables(self) -> None:
        for statement in _CREATE_STATEMENTS:
            self._connection.execute(statement)
        self._connection.execute(
            "INSERT OR IGNORE INTO store_metadata VALUES ('schema_version', ?)", [SCHEMA_VERSION]
        )

    def _check_not_foreign(self) -> None:
        """Raise StoreError when the file has tables but none of them is ``store_metadata``.

        Creating the store's tables there would mix them into someone else's database.
        """
        tables = _table_names(self._connection)
        if tables and "store_metadata" not in tables:
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise StoreError(
                f"{self.path} is not an asyncwfm event store: it is a DuckDB file with other "
                f"tables ({shown}) and no store_metadata table; use a new file."
            )

    def _check_layout(self) -> None:
        """Raise StoreError unless every store table has the columns and types of this version."""
        found = _table_columns(self._connection)
        for table, expected in _expected_columns().items():
            columns = found.get(table)
            if columns == expected:
                continue
            what = "is missing" if columns is None else f"has columns {_describe(columns)}"
            raise StoreError(
                f"{self.path} is not an asyncwfm event store of schema version "
                f"{SCHEMA_VERSION}: table {table!r} {what}, expected {_describe(expected)}; "
                "use a new file."
            )

    def _check_version(self) -> None:
        try:
            rows = self._connection.execute(
                "SELECT value FROM store_metadata WHERE key = 'schema_version'"
            ).fetchall()
        except duckdb.CatalogException:
            raise StoreError(
                f"{self.path} is a DuckDB file but not an asyncwfm event store "
                "(no store_metadata table)."
            ) from None
        found = rows[0][0] if rows else None
        if found != SCHEMA_VERSION:
            raise StoreError(
                f"event store {self.path} has schema version {found!r}, this asyncwfm needs "
                f"{SCHEMA_VERSION!r}; ingest the sources again into a new file."
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the enclosed statements as one transaction, rolled back on error."""
        self._connection.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def insert_events(self, events: pd.DataFrame) -> InsertCounts:
        """Insert accepted events, dropping those already stored or repeated in the batch.

        Parameters
        ----------
        events : pandas.DataFrame
            Rows following :data:`asyncwfm.schema.EVENT_COLUMNS`. ``event_key`` may be
            missing on some rows; the store derives it from the content.

        Returns
        -------
        InsertCounts
            Rows inserted and rows dropped as duplicates; they add up to ``len(events)``.
        """
        validate_events(events)
        if events.empty:
            return InsertCounts(inserted=0, duplicates=0)

        batch = events.loc[:, list(EVENT_COLUMNS)]
        before = self.count_events()
        self._connection.register("incoming_events", batch)
        try:
            self._connection.execute(_INSERT_NEW_EVENTS)
        finally:
            self._connection.unregister("incoming_events")
        inserted = self.count_events() - before
        return InsertCounts(inserted=inserted, duplicates=len(batch) - inserted)

    def insert_staged_events(self, table: str) -> InsertCounts:
        """Insert the events of a staging table on this connection, like :meth:`insert_events`.

        ``table`` has the events table's columns and was filled chunk by chunk, so
        the content keys of rows without ``event_key`` count repeated messages over
        the whole staged batch, as :meth:`insert_events` does for one DataFrame.
        """
        if not table.isidentifier():
            raise InputError(f"invalid staging table name {table!r}")
        before = self.count_events()
        statement = _INSERT_NEW_EVENTS.replace("FROM incoming_events", f"FROM {table}")
        self._connection.execute(statement)
        inserted = self.count_events() - before
        staged = self._connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        return InsertCounts(inserted=inserted, duplicates=int(staged) - inserted)

    def count_events(self) -> int:
        """Return the number of stored events."""
        rows = self._connection.execute("SELECT count(*) FROM events").fetchall()
        return int(rows[0][0])

    def events(
        self,
        use_cases: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """Return stored events ordered by conversation and time.

        Parameters
        ----------
        use_cases : sequence of str, optional
            Keep only events whose reader label is one of these.
        start, end : datetime, optional
            Keep events with ``start <= timestamp < end``; naive values are taken as UTC.
        """
        clauses: list[str] = []
        parameters: list[object] = []
        if use_cases is not None:
            clauses.append("use_case IN (SELECT unnest(?))")
            parameters.append(list(use_cases))
        if start is not None:
            clauses.append("timestamp >= ?")
            parameters.append(_as_utc(start))
        if end is not None:
            clauses.append("timestamp < ?")
            parameters.append(_as_utc(end))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        frame = self._connection.execute(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events {where} "
            "ORDER BY conversation_id, timestamp, source_file, source_line",
            parameters,
        ).df()
        return with_event_dtypes(frame)

    def record_ingest_run(
        self,
        *,
        source_file: str,
        source_format: str,
        source_sha256: str | None,
        rows_read: int,
        accepted: int,
        rejected: int,
        duplicates: int,
        inserted: int,
        rejections: pd.DataFrame | None = None,
    ) -> str:
        """Store the counts of one ingested file and its rejected lines; return the run id.

        ``rejections`` has columns ``line`` and ``reason``; message text is never stored.
        """
        run_id = uuid.uuid4().hex
        self._connection.execute(
            "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                datetime.now(UTC),
                source_file,
                source_format,
                source_sha256,
                rows_read,
                accepted,
                rejected,
                duplicates,
                inserted,
            ],
        )
        if rejections is not None and not rejections.empty:
            table = pd.DataFrame(
                {
                    "run_id": run_id,
                    "source_file": source_file,
                    "line": rejections["line"].astype("Int64"),
                    "reason": rejections["reason"].astype(str),
                }
            )
            self._connection.register("incoming_rejections", table)
            try:
                self._connection.execute("INSERT INTO rejections SELECT * FROM incoming_rejections")
            finally:
                self._connection.unregister("incoming_rejections")
        return run_id

    def ingest_runs(self) -> pd.DataFrame:
        """Return one row per ingested file, oldest first."""
        return self._connection.execute("SELECT * FROM ingest_runs ORDER BY started_at").df()

    def rejections(self, run_id: str | None = None) -> pd.DataFrame:
        """Return rejected lines (file, line, reason), for one run or all runs."""
        if run_id is None:
            return self._connection.execute(
                "SELECT * FROM rejections ORDER BY source_file, line"
            ).df()
        return self._connection.execute(
            "SELECT * FROM rejections WHERE run_id = ? ORDER BY line", [run_id]
        ).df()

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace the derived table ``name`` (turns, workload, requirements) with ``frame``."""
        if not name.isidentifier() or name in {
            "events",
            "ingest_runs",
            "rejections",
            "store_metadata",
        }:
            raise InputError(
                f"invalid derived table name {name!r}; use an identifier not used by the store"
            )
        self._connection.register("incoming_table", frame)
        try:
            self._connection.execute(
                f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM incoming_table'
            )
        finally:
            self._connection.unregister("incoming_table")

    def read_table(self, name: str) -> pd.DataFrame:
        """Return a derived table written by :meth:`write_table`."""
        try:
            return self._connection.execute(f'SELECT * FROM "{name}"').df()
        except duckdb.CatalogException:
            raise StoreError(f"table {name!r} not found in {self.path}") from None


_CONTENT = """concat_ws('|', conversation_id, epoch_us(timestamp), sender, coalesce(agent_id, ''),
    event_type, coalesce(CAST(text_length AS VARCHAR), ''))"""

# Keys missing in the batch become a digest of the content and its occurrence number
# in the batch, then rows repeated in the batch or already stored are dropped.
_INSERT_NEW_EVENTS = f"""
INSERT INTO events
WITH keyed AS (
    SELECT * REPLACE (
        coalesce(
            event_key,
            'c:' || md5({_CONTENT} || '#' || CAST(
                row_number() OVER (PARTITION BY {_CONTENT} ORDER BY source_line) AS VARCHAR))
        ) AS event_key
    )
    FROM incoming_events
), first_copies AS (
    SELECT * FROM keyed
    QUALIFY row_number() OVER (PARTITION BY event_key ORDER BY source_line) = 1
)
SELECT {", ".join(EVENT_COLUMNS)} FROM first_copies
WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.event_key = first_copies.event_key)
"""


def _table_names(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND NOT temporary "
        "UNION SELECT view_name FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT temporary AND NOT internal"
    ).fetchall()
    return {str(row[0]) for row in rows}


def _table_columns(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Return (column name, type) pairs of each table of the open database, in column order."""
    rows = connection.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "ORDER BY table_name, column_index"
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        columns.setdefault(str(table), []).append((str(column), str(data_type)))
    return columns


@cache
def _expected_columns() -> dict[str, list[tuple[str, str]]]:
    """Return the columns of the store tables, as DuckDB creates them from the statements."""
    with duckdb.connect(":memory:") as connection:
        for statement in _CREATE_STATEMENTS:
            connection.execute(statement)
        return _table_columns(connection)


def _describe(columns: list[tuple[str, str]]) -> str:
    return "(" + ", ".join(f"{name} {data_type}" for name, data_type in columns) + ")"


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
