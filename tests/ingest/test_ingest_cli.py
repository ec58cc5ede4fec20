"""Tests of the `asyncwfm ingest` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_builders import FIXTURES, TWCS_SAMPLE, write_text
from typer.testing import CliRunner

from asyncwfm.cli import app
from asyncwfm.store import EventStore

runner = CliRunner()


def run(*arguments: str) -> object:
    return runner.invoke(app, ["ingest", *arguments])


def test_table_and_reconciliation(tmp_path: Path) -> None:
    result = run(str(FIXTURES / "bad_rows.csv"), "--db", str(tmp_path / "e.duckdb"))

    assert result.exit_code == 0
    assert "10 read = 3 inserted + 7 rejected + 0 duplicates" in result.stdout
    assert "line 4: unparseable timestamp 'abc'" in result.stdout
    assert "Traceback" not in result.output


def test_json_output(tmp_path: Path) -> None:
    db = str(tmp_path / "e.duckdb")
    run(str(FIXTURES / "generic_events.csv"), "--db", db)
    result = run(str(FIXTURES / "generic_events.csv"), "--db", db, "--json")

    reports = json.loads(result.stdout)
    assert result.exit_code == 0
    assert reports[0]["rows_read"] == 6
    assert reports[0]["duplicates"] == 6
    assert reports[0]["inserted"] == 0


def test_options_reach_reader(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "thread,sent,role,body\nt1,2024-03-31 01:30,user,hi\nt1,2024-03-31 03:10,operator,hey\n",
    )
    db = tmp_path / "e.duckdb"
    result = run(
        str(path),
        "--db",
        str(db),
        "--column",
        "conversation_id=thread",
        "--column",
        "timestamp=sent",
        "--column",
        "sender=role",
        "--column",
        "text=body",
        "--sender-synonyms",
        "--timezone",
        "Europe/London",
        "--use-case",
        "support",
        "--channel",
        "web",
    )

    assert result.exit_code == 0
    assert "warning:" in result.output
    assert "go forward" in result.output
    with EventStore(db, read_only=True) as store:
        events = store.events()
    assert list(events["sender"]) == ["customer", "agent"]
    assert set(events["use_case"]) == {"support"}
    assert set(events["channel"]) == {"web"}


def test_naive_without_timezone_is_clean_error(tmp_path: Path) -> None:
    result = run(str(FIXTURES / "naive_london.csv"), "--db", str(tmp_path / "e.duckdb"))

    assert result.exit_code == 2
    assert "error:" in result.output
    assert "--timezone" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--timezone", "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (["--timezone", "Europe/Londn"], "Did you mean 'Europe/London'"),
        (["--timestamp-format", "%Q"], "invalid timestamp format '%Q'"),
        (["--format", "xml"], "unknown format 'xml'"),
        (["--column", "timestamp"], "invalid --column 'timestamp'"),
        (["--sender-value", "user=client"], "map it to one of"),
        (["--hash-customer-ids"], "ASYNCWFM_CUSTOMER_ID_SALT"),
    ],
)
def test_invalid_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str], message: str
) -> None:
    monkeypatch.delenv("ASYNCWFM_CUSTOMER_ID_SALT", raising=False)
    result = run(
        str(FIXTURES / "generic_events.csv"), "--db", str(tmp_path / "e.duckdb"), *arguments
    )

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_file_and_nothing_accepted(tmp_path: Path) -> None:
    db = str(tmp_path / "e.duckdb")
    missing = run(str(tmp_path / "nope.csv"), "--db", db)
    header_only = write_text(tmp_path / "h.csv", "conversation_id,timestamp,sender\n")
    empty = run(str(header_only), "--db", db)

    assert missing.exit_code == 2
    assert "source file not found" in missing.output
    assert empty.exit_code == 1


def test_rejected_out_and_hashing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYNCWFM_CUSTOMER_ID_SALT", "s3cret")
    out = tmp_path / "rejected.csv"
    result = run(
        str(FIXTURES / "bad_rows.csv"),
        "--db",
        str(tmp_path / "e.duckdb"),
        "--rejected-out",
        str(out),
        "--hash-customer-ids",
    )

    assert result.exit_code == 0
    assert out.read_text().splitlines()[0] == "file,line,reason"
    assert len(out.read_text().splitlines()) == 8


def test_twcs_sample_detected(tmp_path: Path) -> None:
    result = run(str(TWCS_SAMPLE), "--db", str(tmp_path / "e.duckdb"), "--json")

    report = json.loads(result.stdout)[0]
    assert report["format"] == "twcs"
    assert report["inserted"] == 5000


def test_config_bot_authors(tmp_path: Path) -> None:
    config = write_text(tmp_path / "plan.toml", '[bots]\nauthor_ids = ["HelpBot"]\n')
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,author\n"
        "t1,2024-03-04T09:00:00Z,customer,Ana\n"
        "t1,2024-03-04T09:00:05Z,agent,HelpBot\n"
        "t1,2024-03-04T09:03:00Z,agent,Luis\n",
    )
    db = tmp_path / "e.duckdb"
    result = run(str(path), "--db", str(db), "--config", str(config))

    assert result.exit_code == 0
    with EventStore(db, read_only=True) as store:
        assert list(store.events()["sender"]) == ["customer", "bot", "agent"]
