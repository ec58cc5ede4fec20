"""The demo's main job on the bundled real sample: outputs, report and idempotence."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from asyncwfm.demo import DemoResult, run_demo
from asyncwfm.store import EventStore


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo"), verify=True, tune=False)


def test_demo_writes_every_output(demo: DemoResult) -> None:
    folder = demo.database_path.parent

    for name in (
        "events.duckdb",
        "requirements.csv",
        "requirements.xlsx",
        "attainment.csv",
        "report.html",
        "demo_config.toml",
    ):
        assert (folder / name).is_file(), name


def test_demo_ingest_reconciles(demo: DemoResult) -> None:
    report = demo.ingest[0]

    assert report.rows_read == 5000
    assert report.rows_read == report.accepted + report.rejected
    assert report.accepted == report.inserted + report.duplicates


def test_demo_requirements_columns(demo: DemoResult) -> None:
    requirements = pd.read_csv(demo.run.requirements_path)

    for column in (
        "interval_start",
        "use_case",
        "turns",
        "aht_seconds",
        "workload_erlangs",
        "agents",
        "scheduled_agents",
        "binding",
    ):
        assert column in requirements.columns, column
    assert set(requirements["use_case"]) == {"banking", "retail_food", "telecom_tech", "travel"}
    assert (requirements["scheduled_agents"] >= requirements["agents"]).all()
    assert (
        requirements["interval_start"]
        .str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-0[45]:00$")
        .all()
    )


def test_demo_session_length_overstaffs(demo: DemoResult) -> None:
    total = demo.run.plan.overstaffing.set_index("use_case").loc["total"]

    assert total["agent_hours_session"] > 5 * total["agent_hours_active"]


def test_demo_report_is_self_contained(demo: DemoResult) -> None:
    html = demo.run.report_path.read_text()

    assert not re.search(r"<script[^>]+src=", html), (
        "the report must not load scripts from elsewhere"
    )
    assert "Plotly" in html
    for anchor in (
        "summary",
        "volume",
        "aht",
        "agents",
        "constraints",
        "promises",
        "concurrency",
        "session",
        "simulation",
    ):
        assert f'id="{anchor}"' in html, anchor


def test_demo_rerun_inserts_nothing(demo: DemoResult) -> None:
    again = run_demo(demo.database_path.parent, verify=False, tune=False)

    assert again.ingest[0].inserted == 0
    assert again.ingest[0].duplicates == 5000
    with EventStore(demo.database_path, read_only=True) as store:
        assert store.count_events() == 5000
    first = pd.read_csv(demo.run.requirements_path)
    assert first["agents"].sum() > 0


def test_demo_out_folder_is_created(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "nested" / "demo", verify=False, tune=False)

    assert result.run.report_path.is_file()
