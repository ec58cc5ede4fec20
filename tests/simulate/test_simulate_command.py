"""The `asyncwfm simulate` command on a small synthetic log."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asyncwfm.cli import app
from asyncwfm.config import PlanningConfig
from asyncwfm.measure import measure
from asyncwfm.plan.requirements import plan_requirements
from asyncwfm.store import EventStore
from asyncwfm.synthetic.generator import generate_log


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
