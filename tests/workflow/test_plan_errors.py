"""The main job on awkward logs: odd labels, empty windows, inbound-only exports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from asyncwfm.config import PlanningConfig, Promise, config_from_dict
from asyncwfm.errors import ConfigError, FallbackWarning, InputError
from asyncwfm.report.plan_report import _promise_text
from asyncwfm.schema import EVENT_COLUMNS, with_event_dtypes
from asyncwfm.workflow import PlanOptions, run_plan

START = pd.Timestamp("2024-03-04 09:00", tz="UTC")


def _events(label: str, with_agents: bool = True, conversations: int = 40) -> pd.DataFrame:
    rows = []
    for number in range(conversations):
        asked = START + pd.Timedelta(minutes=3 * number)
        rows.append((f"c{number}", asked, "customer", None, 40))
        if with_agents:
            rows.append(
                (f"c{number}", asked + pd.Timedelta(minutes=4), "agent", f"a{number % 3}", 120)
            )
    frame = pd.DataFrame(
        {
            "event_key": [f"e{index}" for index in range(len(rows))],
            "conversation_id": [row[0] for row in rows],
            "timestamp": [row[1] for row in rows],
            "sender": [row[2] for row in rows],
            "agent_id": [row[3] for row in rows],
            "customer_id": None,
            "channel": "sms",
            "use_case": label,
            "event_type": "message",
            "text_length": [row[4] for row in rows],
            "handle_seconds": float("nan"),
            "source_file": "built",
            "source_line": range(1, len(rows) + 1),
        }
    )
    return with_event_dtypes(frame.loc[:, list(EVENT_COLUMNS)])


def test_label_with_space_keeps_its_agents(tmp_path: Path) -> None:
    run = run_plan(_events("US Airways"), PlanningConfig(), PlanOptions(), tmp_path)

    assert set(run.plan.requirements["use_case"]) == {"US Airways"}
    row = run.summary.set_index("use case").loc["US Airways"]
    assert row["peak agents"] > 0
    assert row["agent-hours"] == pytest.approx(run.plan.agent_hours())


def test_window_without_turns_is_an_error(tmp_path: Path) -> None:
    options = PlanOptions(
        start=pd.Timestamp("2024-03-04 20:00", tz="UTC"), end=pd.Timestamp("2024-03-05", tz="UTC")
    )

    with pytest.raises(InputError, match="no customer turns"):
        run_plan(_events("sms"), PlanningConfig(), options, tmp_path)


def test_inbound_only_log_needs_default_aht(tmp_path: Path) -> None:
    events = _events("sms", with_agents=False)

    with pytest.raises(InputError, match="default_aht_seconds"):
        run_plan(events, PlanningConfig(), PlanOptions(), tmp_path)

    run = run_plan(events, PlanningConfig(default_aht_seconds=180), PlanOptions(), tmp_path)
    assert run.plan.requirements["agents"].sum() > 0
    assert run.plan.requirements["aht_seconds"].max() == pytest.approx(180.0)


def test_forecast_of_other_use_cases_is_rejected(tmp_path: Path) -> None:
    forecast = tmp_path / "forecast.csv"
    starts = pd.date_range("2024-03-11", periods=2, freq="30min", tz="UTC")
    rows = [
        {
            "interval_start": start.isoformat(),
            "use_case": "bank",
            "series": series,
            "model": "m",
            "forecast": 5.0,
            "lower_80": 4.0,
            "upper_80": 6.0,
            "lower_95": 3.0,
            "upper_95": 7.0,
        }
        for start in starts
        for series in ("turns", "new_conversations", "active_seconds_per_turn")
    ]
    pd.DataFrame(rows).to_csv(forecast, index=False)

    with pytest.raises(InputError, match="none of which is in the log"):
        run_plan(
            _events("sms"), PlanningConfig(), PlanOptions(forecast_path=forecast), tmp_path / "out"
        )


def test_out_that_is_a_file_is_rejected(tmp_path: Path) -> None:
    target = tmp_path / "taken.csv"
    target.write_text("x\n")

    with pytest.raises(InputError, match="is a file, not a folder"):
        run_plan(_events("sms"), PlanningConfig(), PlanOptions(), target)


def test_config_rejects_overlapping_spans() -> None:
    with pytest.raises(ConfigError, match="overlap"):
        config_from_dict({"opening_hours": {"monday": ["08:00-09:00", "08:30-10:00"]}})


def test_config_rejects_extreme_shrinkage() -> None:
    with pytest.raises(ConfigError, match="shrinkage"):
        config_from_dict({"shrinkage": 0.99})


@pytest.mark.parametrize(
    ("promise", "text"),
    [
        (Promise(service_level=0.8, target_seconds=20), "80% in 20 s (every)"),
        (Promise(service_level=0.9, target_seconds=900, response="first"), "90% in 15 min (first)"),
        (Promise(service_level=0.8, target_seconds=5400), "80% in 1.5 h (every)"),
        (Promise(service_level=0.8, same_business_day=True), "80% same day (every)"),
    ],
)
def test_promise_text_reads_naturally(promise: Promise, text: str) -> None:
    assert _promise_text(promise) == text


def test_use_case_without_work_borrows_pooled_aht(tmp_path: Path) -> None:
    worked = _events("sms")
    silent = _events("chat", with_agents=False, conversations=5)
    silent["conversation_id"] = "q" + silent["conversation_id"].astype(str)
    silent["event_key"] = "q" + silent["event_key"].astype(str)
    events = pd.concat([worked, silent], ignore_index=True)

    with pytest.warns(FallbackWarning, match="'chat'"):
        run = run_plan(events, PlanningConfig(), PlanOptions(), tmp_path)

    chat = run.plan.requirements[run.plan.requirements["use_case"] == "chat"]
    sms = run.plan.requirements[run.plan.requirements["use_case"] == "sms"]
    assert chat["agents"].sum() > 0
    assert chat["aht_seconds"].max() == pytest.approx(sms["aht_seconds"].max(), rel=0.5)
