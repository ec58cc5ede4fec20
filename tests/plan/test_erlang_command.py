"""Tests of the `asyncwfm erlang` command."""

from __future__ import annotations

import json

import pytest

from cli_runner import run_cli

PUBLISHED_ARGS = [
    "erlang",
    "--calls",
    "100",
    "--interval-minutes",
    "30",
    "--aht-seconds",
    "180",
    "--target-seconds",
    "20",
    "--service-level",
    "0.8",
    "--max-occupancy",
    "0.85",
    "--shrinkage",
    "0.3",
]


def test_erlang_json_gives_published_example(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli([*PUBLISHED_ARGS, "--json"], monkeypatch, capsys)
    assert status == 0
    result = json.loads(out)
    assert result["agents"] == 14
    assert result["scheduled_agents"] == 20
    assert result["wait_probability"] == pytest.approx(0.1741319, abs=5e-8)
    assert result["service_level"] == pytest.approx(0.88835, abs=5e-6)
    assert result["asa_seconds"] == pytest.approx(7.835937, abs=1e-6)
    assert result["occupancy"] == pytest.approx(0.7142857, abs=5e-8)


def test_erlang_table_shows_agents(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(PUBLISHED_ARGS, monkeypatch, capsys)
    assert status == 0
    assert "scheduled agents" in out
    assert "88.84%" in out


def test_erlang_invalid_service_level_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [*PUBLISHED_ARGS[:10], "1.0"]
    status, out, err = run_cli(arguments, monkeypatch, capsys)
    assert status == 2
    assert out == ""
    assert "--service-level" in err
    assert "Traceback" not in err


def test_erlang_huge_load_names_the_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["erlang", "--calls", "1e9", *PUBLISHED_ARGS[3:]]
    status, _, err = run_cli(arguments, monkeypatch, capsys)
    assert status == 2
    assert "--calls" in err
    assert "Traceback" not in err
