"""Tests of `asyncwfm generate` and of writing generated logs to files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from asyncwfm.errors import InputError
from asyncwfm.synthetic import generate_log
from asyncwfm.synthetic.output import FILE_COLUMNS, provenance_path, write_log
from cli_runner import run_cli


def test_generate_writes_csv_and_provenance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "log.csv"
    status, out, _ = run_cli(
        ["generate", "--out", str(target), "--days", "2", "--seed", "4", "--volume-scale", "0.2"],
        monkeypatch,
        capsys,
    )
    assert status == 0
    assert "synthetic events" in out

    frame = pd.read_csv(target)
    assert tuple(frame.columns) == FILE_COLUMNS
    assert set(frame["sender"]) == {"customer", "agent", "bot"}
    assert frame["timestamp"].str.endswith("Z").all()

    record = json.loads(provenance_path(target).read_text(encoding="utf-8"))
    assert record["synthetic"] is True
    assert "SYNTHETIC" in record["statement"]
    assert record["seed"] == 4
    assert record["events"] == len(frame)
    assert {row["use_case"] for row in record["expected_per_use_case"]} == set(frame["use_case"])


def test_generate_json_prints_provenance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "log.jsonl"
    status, out, _ = run_cli(
        ["generate", "--out", str(target), "--days", "1", "--volume-scale", "0.1", "--json"],
        monkeypatch,
        capsys,
    )
    assert status == 0
    assert json.loads(out)["format"] == "jsonl"
    first = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    assert first["conversation_id"].startswith("syn-")


def test_generate_rejects_unknown_extension(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_cli(
        ["generate", "--out", str(tmp_path / "log.txt"), "--days", "1"], monkeypatch, capsys
    )
    assert status == 2
    assert "cannot tell the format" in err
    assert "Traceback" not in err


def test_parquet_without_handle_seconds(tmp_path: Path) -> None:
    log = generate_log(8, days=1, volume_scale=0.1, handle_seconds=False)
    target = write_log(log, tmp_path / "log.parquet")
    table = pq.read_table(target)
    assert "handle_seconds" not in table.column_names
    assert table.schema.metadata[b"asyncwfm.synthetic"] == b"true"
    assert str(table.schema.field("timestamp").type) == "timestamp[ns, tz=UTC]"


def test_explicit_format_overrides_extension(tmp_path: Path) -> None:
    log = generate_log(8, days=1, volume_scale=0.1)
    target = write_log(log, tmp_path / "log.data", "csv")
    assert pd.read_csv(target)["event_key"].is_unique
    with pytest.raises(InputError, match="invalid format"):
        write_log(log, tmp_path / "log.data", "xml")  # type: ignore[arg-type]


def test_gzip_csv_and_parquet_suffix(tmp_path: Path) -> None:
    log = generate_log(8, days=1, volume_scale=0.1)
    target = write_log(log, tmp_path / "log.csv.gz")
    assert target.read_bytes()[:2] == b"\x1f\x8b"
    assert len(pd.read_csv(target)) == len(log.events)
    with pytest.raises(InputError, match=r"drop the \.gz suffix"):
        write_log(log, tmp_path / "log.parquet.gz")


def test_bot_author_writes_bots_as_agents(tmp_path: Path) -> None:
    log = generate_log(8, days=1, volume_scale=0.1)
    target = write_log(log, tmp_path / "log.csv", bot_author="helper-bot")
    frame = pd.read_csv(target)
    written_by_bot = frame["agent_id"] == "helper-bot"
    assert written_by_bot.sum() == (log.events["sender"] == "bot").sum()
    assert (frame.loc[written_by_bot, "sender"] == "agent").all()
    record = json.loads(provenance_path(target).read_text(encoding="utf-8"))
    assert record["bot_author"] == "helper-bot"
