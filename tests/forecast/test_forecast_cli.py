"""The `asyncwfm forecast` command, run in-process like the console script."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from asyncwfm.forecast import FORECAST_COLUMNS, read_forecast_csv
from asyncwfm.schema import EVENT_COLUMNS
from asyncwfm.store import EventStore
from cli_runner import run_cli

CONFIG_TEXT = """
business_timezone = "Europe/London"
interval_minutes = 60

[[use_cases]]
name = "sms"
match_channels = ["sms"]
"""


def office_events(days: int, seed: int = 3) -> pd.DataFrame:
    """Return one-turn conversations on weekdays 09:00-17:00 UTC: a customer message and
    an agent reply two minutes later with 90 s of work."""
    rng = np.random.default_rng(seed)
    starts = pd.date_range("2024-01-08", periods=days * 24, freq="h", tz="UTC")
    busy = (starts.hour >= 9) & (starts.hour < 17) & (starts.weekday < 5)
    counts = np.where(busy, rng.poisson(6, len(starts)), 0)
    times = np.repeat(starts, counts) + pd.to_timedelta(
        rng.uniform(0, 3000, counts.sum()), unit="s"
    )
    conversations = [f"c{i}" for i in range(len(times))]
    customer = pd.DataFrame(
        {"conversation_id": conversations, "timestamp": times, "sender": "customer"}
    )
    agent = pd.DataFrame(
        {
            "conversation_id": conversations,
            "timestamp": times + pd.Timedelta(minutes=2),
            "sender": "agent",
            "agent_id": "a1",
            "handle_seconds": 90.0,
        }
    )
    events = pd.concat([customer, agent], ignore_index=True)
    events["event_key"] = [f"e{i}" for i in range(len(events))]
    events["channel"] = "sms"
    events["use_case"] = "sms"
    events["event_type"] = "message"
    events["source_file"] = "built"
    events["source_line"] = np.arange(1, len(events) + 1)
    for column in EVENT_COLUMNS:
        if column not in events:
            events[column] = None
    events["text_length"] = events["text_length"].astype("Int64")
    events["source_line"] = events["source_line"].astype("Int64")
    events["handle_seconds"] = events["handle_seconds"].astype(float)
    return events.loc[:, list(EVENT_COLUMNS)]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cli")
    store_path = folder / "events.duckdb"
    with EventStore(store_path) as store:
        store.insert_events(office_events(days=21))
    config_path = folder / "config.toml"
    config_path.write_text(CONFIG_TEXT)
    return store_path, config_path


def test_forecast_writes_files_and_table(
    project: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_path, config_path = project
    out = tmp_path / "out"

    status, stdout, _ = run_cli(
        ["forecast", "--db", str(store_path), "--config", str(config_path), "--horizon-days", "7",
         "--out", str(out)],
        monkeypatch,
        capsys,
    )  # fmt: skip

    assert status == 0
    assert "Forecast per use case and series" in stdout
    assert (out / "forecast.csv").is_file()
    assert (out / "backtest.csv").is_file()
    assert "<h1>Forecast</h1>" in (out / "forecast.html").read_text()
    forecast = pd.read_csv(out / "forecast.csv")
    assert tuple(forecast.columns) == FORECAST_COLUMNS
    assert len(forecast) == 3 * 7 * 24
    workload = read_forecast_csv(out / "forecast.csv", "Europe/London", quantile=0.9)
    assert workload["turns"].sum() > 0


def test_forecast_json_summary(
    project: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_path, config_path = project

    status, stdout, _ = run_cli(
        ["forecast", "--db", str(store_path), "--config", str(config_path), "--out",
         str(tmp_path), "--horizon-days", "2", "--json"],
        monkeypatch,
        capsys,
    )  # fmt: skip

    assert status == 0
    summary = json.loads(stdout)
    assert summary["horizon_days"] == 2
    # The last message is on Friday 2024-01-26, so the forecast starts on Saturday.
    assert summary["first_day"] == "2024-01-27"
    assert {row["series"] for row in summary["series"]} == {
        "turns",
        "new_conversations",
        "active_seconds_per_turn",
    }
    assert set(summary) >= {"forecast_csv", "backtest_csv", "report_html", "status", "warnings"}


def test_forecast_rejects_bad_start(
    project: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_path, config_path = project

    status, _, stderr = run_cli(
        ["forecast", "--db", str(store_path), "--config", str(config_path), "--out",
         str(tmp_path), "--start", "next monday"],
        monkeypatch,
        capsys,
    )  # fmt: skip

    assert status == 2
    assert "invalid --start 'next monday'" in stderr
    assert "Traceback" not in stderr


def test_forecast_rejects_unknown_model(
    project: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_path, config_path = project

    status, _, stderr = run_cli(
        ["forecast", "--db", str(store_path), "--config", str(config_path), "--out",
         str(tmp_path), "--models", "seasonal_naive,prophet"],
        monkeypatch,
        capsys,
    )  # fmt: skip

    assert status == 2
    assert "unknown forecast model 'prophet'" in stderr


def test_forecast_missing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, stderr = run_cli(
        ["forecast", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path)],
        monkeypatch,
        capsys,
    )

    assert status == 2
    assert "event store not found" in stderr


def test_short_history_warns_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store_path = tmp_path / "short.duckdb"
    with EventStore(store_path) as store:
        store.insert_events(office_events(days=9))
    config_path = tmp_path / "config.toml"
    config_path.write_text(CONFIG_TEXT)

    status, _, stderr = run_cli(
        ["forecast", "--db", str(store_path), "--config", str(config_path), "--out",
         str(tmp_path / "out")],
        monkeypatch,
        capsys,
    )  # fmt: skip

    assert status == 0
    assert "warning: sms/turns: 9 days of history are too few" in stderr


def test_forecast_table_is_whole_in_a_log(
    project: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store_path, config_path = project

    # Captured output is not a terminal, like a log file.
    status, stdout, _ = run_cli(
        ["forecast", "--db", str(store_path), "--config", str(config_path), "--out",
         str(tmp_path)],
        monkeypatch,
        capsys,
    )  # fmt: skip

    assert status == 0
    assert "active_seconds_per_turn" in stdout
    assert "backtest_errors" in stdout
    assert "…" not in stdout
    assert "cover 80" in stdout
