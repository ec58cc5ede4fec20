"""Opening DuckDB files that are not asyncwfm event stores, or not of this layout."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from ingest_builders import FIXTURES

from asyncwfm.cli import main
from asyncwfm.errors import StoreError
from asyncwfm.ingest import ingest_files
from asyncwfm.store import SCHEMA_VERSION, EventStore


def duckdb_file(path: Path, *statements: str) -> Path:
    """Create a DuckDB file and run ``statements`` in it."""
    with duckdb.connect(str(path)) as connection:
        for statement in statements:
            connection.execute(statement)
    return path


def table_names(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {row[0] for row in connection.execute("SHOW TABLES").fetchall()}


def test_foreign_database_not_written(tmp_path: Path) -> None:
    other = duckdb_file(tmp_path / "other.duckdb", "CREATE TABLE t (a INTEGER)")

    with pytest.raises(StoreError, match=r"is not an asyncwfm event store.*use a new file"):
        ingest_files([FIXTURES / "generic_events.csv"], other)

    assert table_names(other) == {"t"}


def test_foreign_events_table_not_written(tmp_path: Path) -> None:
    other = duckdb_file(tmp_path / "other.duckdb", "CREATE TABLE events (a INTEGER)")

    with pytest.raises(StoreError, match="no store_metadata table; use a new file"):
        EventStore(other)

    assert table_names(other) == {"events"}


def test_empty_database_becomes_store(tmp_path: Path) -> None:
    empty = duckdb_file(tmp_path / "empty.duckdb")

    (report,) = ingest_files([FIXTURES / "generic_events.csv"], empty)

    assert report.inserted == 6
    assert table_names(empty) == {"events", "ingest_runs", "rejections", "store_metadata"}


def test_events_table_of_other_layout(tmp_path: Path) -> None:
    # store_metadata marks the file as a store, but its events table has another layout.
    path = duckdb_file(
        tmp_path / "odd.duckdb",
        "CREATE TABLE store_metadata (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        f"INSERT INTO store_metadata VALUES ('schema_version', '{SCHEMA_VERSION}')",
        "CREATE TABLE events (a INTEGER)",
    )

    with pytest.raises(StoreError, match=r"table 'events' has columns \(a INTEGER\), expected"):
        ingest_files([FIXTURES / "generic_events.csv"], path)
    with pytest.raises(StoreError, match="use a new file"):
        EventStore(path, read_only=True)


def test_store_with_missing_table_read_only(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    ingest_files([FIXTURES / "generic_events.csv"], path)
    duckdb_file(path, "DROP TABLE rejections")

    with pytest.raises(StoreError, match="table 'rejections' is missing"):
        EventStore(path, read_only=True)


def test_store_with_derived_table_opens(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    ingest_files([FIXTURES / "generic_events.csv"], path)
    with EventStore(path) as store:
        store.write_table("requirements", store.events().head(2))

    with EventStore(path) as store:
        assert store.count_events() == 6


@pytest.mark.parametrize("command", ["ingest", "measure"])
def test_cli_reports_wrong_layout_without_traceback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    path = duckdb_file(
        tmp_path / "odd.duckdb",
        "CREATE TABLE store_metadata (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        f"INSERT INTO store_metadata VALUES ('schema_version', '{SCHEMA_VERSION}')",
        "CREATE TABLE events (a INTEGER)",
    )
    source = [str(FIXTURES / "generic_events.csv")] if command == "ingest" else []
    monkeypatch.setattr("sys.argv", ["asyncwfm", command, *source, "--db", str(path)])

    with pytest.raises(SystemExit) as exit_info:
        main()

    output = capsys.readouterr()
    assert exit_info.value.code == 2
    assert "is not an asyncwfm event store" in output.err
    assert "Traceback" not in output.err + output.out
