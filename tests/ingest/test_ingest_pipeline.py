"""Tests of ingest_files: reconciliation, duplicates, rejections in the store, rollback."""

from __future__ import annotations

import csv
import gzip
import warnings
from pathlib import Path

import pytest
from ingest_builders import FIXTURES, write_text

from asyncwfm.errors import DataQualityWarning, FormatDetectionError, InputError
from asyncwfm.ingest import IngestOptions, IngestReport, detect_format, ingest_files
from asyncwfm.store import EventStore


def ingest(
    paths: list[Path], db: Path, options: IngestOptions | None = None, **kwargs: object
) -> list[IngestReport]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ingest_files(paths, db, options, **kwargs)  # type: ignore[arg-type]


def test_counts_reconcile_and_store_rejections(tmp_path: Path) -> None:
    db = tmp_path / "events.duckdb"
    report = ingest([FIXTURES / "bad_rows.csv"], db)[0]

    assert (report.rows_read, report.accepted, report.rejected) == (10, 3, 7)
    assert (report.inserted, report.duplicates) == (3, 0)
    assert report.status == "ingested"
    assert [r.line for r in report.rejections] == [3, 4, 5, 6, 9, 10, 11]
    with EventStore(db, read_only=True) as store:
        stored = store.rejections(report.run_id)
        runs = store.ingest_runs()
        assert list(stored["line"]) == [3, 4, 5, 6, 9, 10, 11]
        assert runs.loc[0, "rows_read"] == 10
        assert runs.loc[0, "source_sha256"] == report.source_sha256


def test_reingest_inserts_nothing(tmp_path: Path) -> None:
    db = tmp_path / "events.duckdb"
    sources = [FIXTURES / "generic_events.csv", FIXTURES / "bad_rows.csv"]
    first = ingest(sources, db)
    second = ingest(sources, db)

    assert [r.inserted for r in first] == [6, 3]
    assert [r.inserted for r in second] == [0, 0]
    assert [r.duplicates for r in second] == [6, 3]
    with EventStore(db, read_only=True) as store:
        assert store.count_events() == 9


def test_same_events_in_two_formats_are_duplicates(tmp_path: Path) -> None:
    db = tmp_path / "events.duckdb"
    reports = ingest([FIXTURES / "generic_events.csv", FIXTURES / "generic_events.jsonl"], db)

    assert reports[1].inserted == 0
    assert reports[1].duplicates == 6


def test_repeated_identical_messages_kept(tmp_path: Path) -> None:
    # No message ids: two identical messages in one file are two events, and a
    # second ingest of the file adds neither.
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,text\n"
        "t1,2024-03-04T09:00:00Z,customer,hi\n"
        "t1,2024-03-04T09:00:00Z,customer,hi\n",
    )
    db = tmp_path / "events.duckdb"
    first = ingest([path], db)[0]
    second = ingest([path], db)[0]

    assert (first.inserted, first.duplicates) == (2, 0)
    assert (second.inserted, second.duplicates) == (0, 2)


def test_duplicate_key_across_chunks(tmp_path: Path) -> None:
    rows = [f"t1,2024-03-04T09:00:{i % 60:02d}Z,customer,m{i % 400}\n" for i in range(2000)]
    path = write_text(
        tmp_path / "export.csv", "conversation_id,timestamp,sender,message_id\n" + "".join(rows)
    )
    db = tmp_path / "events.duckdb"
    report = ingest([path], db, IngestOptions(chunk_bytes=4096))[0]

    assert (report.accepted, report.inserted, report.duplicates) == (2000, 400, 1600)
    with EventStore(db, read_only=True) as store:
        lines = store.events()["source_line"]
        assert sorted(lines) == list(range(2, 402))


def test_out_of_order_rows_stored_in_order(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,message_id\n"
        "t2,2024-03-04T09:05:00Z,agent,d\n"
        "t1,2024-03-04T09:03:00Z,agent,b\n"
        "t2,2024-03-04T09:00:00Z,customer,c\n"
        "t1,2024-03-04T09:01:00Z,customer,a\n",
    )
    db = tmp_path / "events.duckdb"
    ingest([path], db)

    with EventStore(db, read_only=True) as store:
        assert list(store.events()["event_key"]) == ["a", "b", "c", "d"]


def test_failure_adds_nothing(tmp_path: Path) -> None:
    # The first chunks have offsets. A later chunk has naive times and no time zone
    # was given, so the file fails and the chunks already inserted are removed.
    aware = [f"k{i},2024-03-04T09:00:00Z,customer,a{i}\n" for i in range(300)]
    naive = [f"k{i},2024-03-04 09:00:00,customer,n{i}\n" for i in range(300)]
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,message_id\n" + "".join(aware + naive),
    )
    db = tmp_path / "events.duckdb"

    with pytest.raises(InputError, match="--timezone"):
        ingest([path], db, IngestOptions(chunk_bytes=4096))

    with EventStore(db, read_only=True) as store:
        assert store.count_events() == 0
        assert store.ingest_runs().empty


def test_on_error_report_continues(tmp_path: Path) -> None:
    broken = write_text(tmp_path / "broken.csv", "a,b\n1,2\n")
    db = tmp_path / "events.duckdb"
    reports = ingest([broken, FIXTURES / "generic_events.csv"], db, on_error="report")

    assert reports[0].status == "failed"
    assert "missing required column(s)" in (reports[0].error or "")
    assert reports[1].inserted == 6


def test_rejected_out_file(tmp_path: Path) -> None:
    out = tmp_path / "rejected.csv"
    ingest([FIXTURES / "bad_rows.csv"], tmp_path / "events.duckdb", rejected_out=out)

    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["line"] for row in rows] == ["3", "4", "5", "6", "9", "10", "11"]
    assert rows[1]["reason"] == "unparseable timestamp 'abc'"
    assert {row["file"] for row in rows} == {str(FIXTURES / "bad_rows.csv")}


def test_warnings_emitted_and_reported(tmp_path: Path) -> None:
    with pytest.warns(DataQualityWarning) as record:
        report = ingest_files(
            [FIXTURES / "naive_london.csv"],
            tmp_path / "events.duckdb",
            IngestOptions(timezone="Europe/London"),
        )[0]

    emitted = [str(warning.message) for warning in record]
    assert any("go forward" in message for message in emitted)
    assert any("go back" in message for message in emitted)
    assert len(report.warnings) == 2


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = write_text(tmp_path / "empty.csv", "")
    header = write_text(tmp_path / "header.csv", "conversation_id,timestamp,sender\n")
    reports = ingest([empty, header], tmp_path / "events.duckdb")

    assert [r.status for r in reports] == ["empty", "empty"]
    assert [r.rows_read for r in reports] == [0, 0]
    assert "has a header line but no rows" in reports[1].warnings[0]


def test_truncated_gzip_keeps_complete_rows(tmp_path: Path) -> None:
    rows = "".join(
        f"t1,2024-03-04T09:{i // 60:02d}:{i % 60:02d}Z,customer,m{i}\n" for i in range(2000)
    )
    data = gzip.compress(("conversation_id,timestamp,sender,message_id\n" + rows).encode())
    path = tmp_path / "export.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    report = ingest([path], tmp_path / "events.duckdb")[0]

    assert 0 < report.inserted < 2000
    assert report.rows_read == report.accepted + report.rejected
    assert any("gzip stream is truncated" in message for message in report.warnings)


def test_report_invariants_asserted() -> None:
    with pytest.raises(AssertionError):
        IngestReport(
            "f", "csv", "ingested", rows_read=3, accepted=2, rejected=0, duplicates=0, inserted=2
        )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.csv", "conversation_id,timestamp,sender\n", "csv"),
        ("a.tsv.gz", None, "tsv"),
        (
            "a.txt",
            "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n",
            "twcs",
        ),
        ("a.csv", ",tweet_id,author_id,inbound,created_at,text\n", "twcs"),
        ("a.ndjson", '{"a": 1}\n', "jsonl"),
        ("a.json", '{"conversation_id": "c"}\n', "jsonl"),
        ("export", "conversation_id,timestamp,sender\nc,1,customer\n", "csv"),
    ],
)
def test_detect_format(tmp_path: Path, name: str, content: str | None, expected: str) -> None:
    path = tmp_path / name
    if content is None:
        path.write_bytes(gzip.compress(b"conversation_id\ttimestamp\tsender\n"))
    else:
        write_text(path, content)

    assert detect_format(path) == expected


def test_detect_format_error_names_choices(tmp_path: Path) -> None:
    path = write_text(tmp_path / "notes.dat", "just some words\n")

    with pytest.raises(FormatDetectionError) as error:
        detect_format(path)

    message = str(error.value)
    assert str(path) in message
    assert "'just some words'" in message
    assert "--format" in message
    assert "twcs" in message


def binary_bytes(size: int, with_nul: bool) -> bytes:
    """Return ``size`` bytes that look like compressed data: every byte value in turn."""
    values = range(0 if with_nul else 1, 256)
    data = bytes(value for _ in range(size // 255 + 1) for value in values)
    return data[:size]


@pytest.mark.parametrize("with_nul", [True, False])
@pytest.mark.parametrize("name", ["data.csv", "data.dat", "data.csv.gz"])
def test_binary_file_is_not_text(tmp_path: Path, name: str, with_nul: bool) -> None:
    data = binary_bytes(5000, with_nul)
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)

    with pytest.raises(InputError, match="is not a text file") as error:
        ingest_files([path], tmp_path / "e.duckdb")

    assert "universal-newline" not in str(error.value)
    assert "found" not in str(error.value)


def test_binary_file_with_explicit_format(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(binary_bytes(5000, with_nul=True))

    with pytest.raises(InputError, match="is not a text file: its first line contains a NUL"):
        ingest_files([path], tmp_path / "e.duckdb", IngestOptions(format="csv"))


def test_cp1252_header_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        "conversation_id,timestamp,sender,catégorie\n"
        "t1,2024-03-04T09:00:00Z,customer,café\n".encode("cp1252")
    )

    with pytest.warns(DataQualityWarning, match="invalid UTF-8"):
        (report,) = ingest_files([path], tmp_path / "e.duckdb")

    assert report.inserted == 1
