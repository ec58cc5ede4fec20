"""Tests of the `asyncwfm measure` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from measure_builders import build_events

from asyncwfm.measure import SUMMARY_COLUMNS
from asyncwfm.store import EventStore
from cli_runner import run_cli

JSON_KEYS = (
    "use_case",
    "conversations",
    "customer_turns",
    "answered_turns",
    "active_seconds_per_turn",
    "active_seconds_per_conversation",
    "median_session_seconds",
    "response_seconds_p50",
    "response_seconds_p90",
)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    events = build_events(
        [
            ("c1", 0, "customer", None, 10),
            ("c1", 300, "agent", "a1", 120),
            ("c2", 60, "customer", None, 10),
            ("c2", 62, "bot", None, 100),
            ("c3", 90, "customer", None, 10),
        ],
        use_case="AppleSupport",
    )
    path = tmp_path / "events.duckdb"
    with EventStore(path) as store:
        store.insert_events(events)
    return path


def test_json_keys_and_values(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(["measure", "--db", str(store_path), "--json"], monkeypatch, capsys)

    assert status == 0
    use_cases = json.loads(out)["use_cases"]
    assert len(use_cases) == 1
    record = use_cases[0]
    assert tuple(record)[: len(JSON_KEYS)] == JSON_KEYS
    assert tuple(record) == SUMMARY_COLUMNS
    assert record["use_case"] == "AppleSupport"
    assert record["conversations"] == 3
    assert record["customer_turns"] == 3
    assert record["answered_turns"] == 2
    # AHT is over handled turns: c1's reply worked 120 s; the unanswered c3 is not handled.
    assert record["active_seconds_per_turn"] == pytest.approx(120.0)


def test_config_maps_use_case(
    store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "plan.toml"
    config.write_text('[[use_cases]]\nname = "apple"\nmatch_use_cases = ["apple*"]\n')

    status, out, _ = run_cli(
        ["measure", "--db", str(store_path), "--config", str(config), "--json"], monkeypatch, capsys
    )

    assert status == 0
    assert json.loads(out)["use_cases"][0]["use_case"] == "apple"


def test_table_output(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    status, out, _ = run_cli(["measure", "--db", str(store_path)], monkeypatch, capsys)

    assert status == 0
    assert "AppleSupport" in out
    assert "AHT" in out


def test_missing_store_is_clean_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(
        ["measure", "--db", str(tmp_path / "none.duckdb")], monkeypatch, capsys
    )

    assert status == 2
    assert "event store not found" in err
    assert "Traceback" not in err + out


def test_invalid_config_is_clean_error(
    store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "plan.toml"
    config.write_text("[measure]\npeakedness_window_minutes = 9\n")

    status, _, err = run_cli(
        ["measure", "--db", str(store_path), "--config", str(config)], monkeypatch, capsys
    )

    assert status == 2
    assert "peakedness_window_minutes" in err


def test_window_options(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["measure", "--db", str(store_path), "--json"]
    window = ["--start", "2024-03-04T00:00:00Z", "--end", "2024-03-05T00:00:00Z"]

    status, out, err = run_cli([*arguments, *window], monkeypatch, capsys)

    assert status == 0
    assert err == ""
    assert json.loads(out)["use_cases"][0]["conversations"] == 3
