"""The `asyncwfm simulate` command on a small synthetic log."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from asyncwfm.cli import app
from asyncwfm.config import PlanningConfig
from asyncwfm.measure import measure
from asyncwfm.plan.requirements import plan_requirements
from asyncwfm.store import EventStore
from asyncwfm.synthetic.generator import generate_log
from cli_runner import run_cli


@pytest.fixture(scope="module")
def store_and_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("simulate")
    log = generate_log(7, days=2)
    db = folder / "events.duckdb"
    with EventStore(db) as store:
        store.insert_events(log.events)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        requirements = plan_requirements(
            measure(log.events, PlanningConfig()).workload, PlanningConfig()
        )
    requirements["interval_start"] = requirements["interval_start"].map(lambda t: t.isoformat())
    plan = folder / "requirements.csv"
    requirements.to_csv(plan, index=False)
    return db, plan


def test_simulate_json_output(store_and_plan: tuple[Path, Path], tmp_path: Path) -> None:
    db, plan = store_and_plan
    out = tmp_path / "attainment.csv"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--db",
            str(db),
            "--plan",
            str(plan),
            "--replications",
            "5",
            "--seed",
            "3",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout[result.stdout.index("{") :])
    assert payload["status"] in {"meets", "misses"}
    assert payload["replications"] == 5
    assert {"use_case", "answered_within_promise", "turns"} <= set(payload["use_cases"][0])
    assert out.exists()


def test_simulate_missing_plan_is_input_error(store_and_plan: tuple[Path, Path]) -> None:
    db, _ = store_and_plan
    result = CliRunner().invoke(app, ["simulate", "--db", str(db), "--plan", "missing.csv"])
    assert result.exit_code != 0
    assert "plan file not found" in str(result.exception)


def edited_plan(plan: Path, folder: Path, edit: Callable[[pd.DataFrame], None]) -> Path:
    """Write a copy of ``plan`` changed by ``edit`` and return its path."""
    table = pd.read_csv(plan, dtype={"agents": object})
    edit(table)
    path = folder / "edited.csv"
    table.to_csv(path, index=False)
    return path


def simulate_args(db: Path, plan: Path) -> list[str]:
    return ["simulate", "--db", str(db), "--plan", str(plan), "--replications", "2"]


def test_simulate_rejects_non_numeric_agents(
    store_and_plan: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, plan = store_and_plan

    def set_lots(table: pd.DataFrame) -> None:
        table.loc[5, "agents"] = "lots"

    path = edited_plan(plan, tmp_path, set_lots)
    status, _, err = run_cli(simulate_args(db, path), monkeypatch, capsys)

    assert status == 2
    assert str(path) in err
    # Row 5 of the table is line 7 of the file: the header is line 1.
    assert "line 7" in err
    assert "'lots'" in err


def test_simulate_rejects_empty_agents_cell(
    store_and_plan: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, plan = store_and_plan

    def blank(table: pd.DataFrame) -> None:
        table.loc[0, "agents"] = None

    path = edited_plan(plan, tmp_path, blank)
    status, _, err = run_cli(simulate_args(db, path), monkeypatch, capsys)

    assert status == 2
    assert "line 2" in err
    assert "empty" in err


def test_simulate_rejects_plan_of_other_store(
    store_and_plan: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, plan = store_and_plan

    def rename_all(table: pd.DataFrame) -> None:
        table["use_case"] = "retail_" + table["use_case"].astype(str)

    path = edited_plan(plan, tmp_path, rename_all)
    status, _, err = run_cli(simulate_args(db, path), monkeypatch, capsys)

    assert status == 2
    assert "none of" in err
    assert "retail_sms_delivery" in err
    assert "Traceback" not in err


def test_simulate_warns_on_use_case_not_in_log(
    store_and_plan: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, plan = store_and_plan

    def rename_one(table: pd.DataFrame) -> None:
        table["use_case"] = table["use_case"].replace("sms_delivery", "voice_callback")

    path = edited_plan(plan, tmp_path, rename_one)
    status, _, err = run_cli(simulate_args(db, path), monkeypatch, capsys)

    assert status == 0, err
    lines = [line for line in err.splitlines() if "voice_callback" in line]
    assert lines
    assert all(line.startswith("warning: ") for line in lines)


def test_simulate_prints_warnings_as_lines(
    store_and_plan: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, plan = store_and_plan

    status, _, err = run_cli(simulate_args(db, plan), monkeypatch, capsys)

    assert status == 0
    # Two replications are below the minimum for confidence intervals.
    assert "warning: 2 replications give wide" in err
    assert "Warning:" not in err


def test_simulate_zero_staffing_reads_none_answered(
    store_and_plan: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, plan = store_and_plan

    def no_agents(table: pd.DataFrame) -> None:
        table["agents"] = 0

    path = edited_plan(plan, tmp_path, no_agents)
    status, out, _ = run_cli(simulate_args(db, path), monkeypatch, capsys)

    assert status == 0
    assert "none answered" in out
    assert "nan" not in out


def test_simulate_rejects_staffing_far_beyond_load(
    store_and_plan: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, plan = store_and_plan

    def huge(table: pd.DataFrame) -> None:
        table["agents"] = 100_000

    path = edited_plan(plan, tmp_path, huge)
    status, _, err = run_cli(simulate_args(db, path), monkeypatch, capsys)

    assert status == 2
    assert "100000 agents" in err
    assert "offered load" in err


def test_simulate_table_keeps_whole_names(
    store_and_plan: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, plan = store_and_plan

    # Captured output is not a terminal, so rich would cut the table to 80 columns.
    status, out, _ = run_cli(simulate_args(db, plan), monkeypatch, capsys)

    assert status == 0
    assert "in_app_account" in out
    assert "…" not in out
