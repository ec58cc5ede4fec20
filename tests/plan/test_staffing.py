"""Tests of the single-interval staffing calculator and the `asyncwfm staff` command."""

from __future__ import annotations

import json

import pytest
from test_erlang_command import run_cli

from asyncwfm.errors import InputError
from asyncwfm.plan.concurrency import SlowdownCurve, slot_agents, work_agents_with_slowdown
from asyncwfm.plan.erlang_a import erlang_a_required_agents
from asyncwfm.plan.peakedness import hayward_required_agents
from asyncwfm.plan.staffing import staff_interval

# 200 turns an hour at 180 s is the published example of test_erlang.py (10 Erlangs,
# README of the CRAN package ErlangC 0.1.0): 14 agents for 80 % within 20 s.
TURNS_PER_HOUR = 200.0
AHT_SECONDS = 180.0


def test_plain_interval_is_erlang_c() -> None:
    plan = staff_interval(TURNS_PER_HOUR, AHT_SECONDS, 20.0, 0.8)
    assert plan.model == "erlang_c"
    assert plan.workload_erlangs == pytest.approx(10.0)
    assert plan.agents == 14
    assert plan.work_agents == 14
    assert plan.slot_agents == 0
    assert plan.binding == "work"
    assert plan.wait_probability == pytest.approx(0.1741319, abs=5e-8)
    assert plan.service_level == pytest.approx(0.88835, abs=5e-6)
    assert plan.asa_seconds == pytest.approx(7.83593701177724, rel=1e-9)
    assert plan.abandonment_probability is None
    assert plan.slot_load_erlangs is None


@pytest.mark.parametrize("peakedness", [0.7, 1.5, 2.0, 3.5])
def test_peakedness_uses_hayward(peakedness: float) -> None:
    plan = staff_interval(TURNS_PER_HOUR, AHT_SECONDS, 20.0, 0.8, peakedness=peakedness)
    assert plan.work_agents == hayward_required_agents(10.0, AHT_SECONDS, 20.0, 0.8, peakedness)


def test_patience_uses_erlang_a() -> None:
    # pyworkforce's published Erlang A example (see test_erlang_a.py) needs 13 agents.
    plan = staff_interval(
        TURNS_PER_HOUR, AHT_SECONDS, 20.0, 0.8, patience_seconds=300.0, max_occupancy=0.85
    )
    assert plan.model == "erlang_a"
    assert plan.agents == 13
    assert plan.abandonment_probability == pytest.approx(0.025, abs=5e-4)
    assert plan.occupancy == pytest.approx(0.750, abs=5e-4)
    assert plan.service_level == pytest.approx(0.858, abs=5e-4)


def test_peaked_erlang_a_matches_scaled_search() -> None:
    plan = staff_interval(
        TURNS_PER_HOUR, AHT_SECONDS, 20.0, 0.8, peakedness=1.0, patience_seconds=300.0
    )
    assert plan.work_agents == erlang_a_required_agents(10.0, AHT_SECONDS, 300.0, 20.0, 0.8)
    peaked = staff_interval(
        TURNS_PER_HOUR, AHT_SECONDS, 20.0, 0.8, peakedness=2.0, patience_seconds=300.0
    )
    assert peaked.work_agents > plan.work_agents


def test_slot_constraint_binds() -> None:
    # 120 threads an hour held 30 minutes occupy 60 slots: at 4 per agent that needs
    # more agents than the 14 the work needs.
    plan = staff_interval(
        TURNS_PER_HOUR,
        AHT_SECONDS,
        20.0,
        0.8,
        conversations_per_hour=120.0,
        thread_hold_seconds=1_800.0,
        concurrency_cap=4,
    )
    assert plan.slot_load_erlangs == pytest.approx(60.0)
    assert plan.slot_agents == slot_agents(60.0, 4, 0.8)
    assert plan.slot_agents > plan.work_agents
    assert plan.agents == plan.slot_agents
    assert plan.binding == "concurrency"
    # Measured with the final head count, the service is better than the target.
    assert plan.service_level > 0.88835


def test_work_binds_with_a_high_cap() -> None:
    plan = staff_interval(
        TURNS_PER_HOUR,
        AHT_SECONDS,
        20.0,
        0.8,
        conversations_per_hour=120.0,
        thread_hold_seconds=1_800.0,
        concurrency_cap=10,
    )
    assert plan.binding == "work"
    assert plan.agents == plan.work_agents == 14


def test_slowdown_raises_work_agents() -> None:
    curve = SlowdownCurve(threads=(1.0, 2.0, 4.0), factors=(1.0, 1.15, 1.5))
    plan = staff_interval(
        TURNS_PER_HOUR,
        AHT_SECONDS,
        20.0,
        0.8,
        conversations_per_hour=60.0,
        thread_hold_seconds=1_800.0,
        concurrency_cap=4,
        slowdown=curve,
    )
    assert plan.work_agents == work_agents_with_slowdown(
        10.0, AHT_SECONDS, 20.0, 0.8, 30.0, 4, curve
    )
    assert plan.work_agents > 14
    assert plan.aht_seconds > AHT_SECONDS


def test_no_turns_needs_only_slots() -> None:
    plan = staff_interval(
        0.0,
        AHT_SECONDS,
        20.0,
        0.8,
        conversations_per_hour=10.0,
        thread_hold_seconds=900.0,
        concurrency_cap=2,
    )
    assert plan.work_agents == 0
    assert plan.agents == plan.slot_agents > 0
    assert plan.service_level == 1.0


def test_shrinkage_gives_scheduled_agents() -> None:
    plan = staff_interval(TURNS_PER_HOUR, AHT_SECONDS, 20.0, 0.8, shrinkage=0.3)
    assert plan.scheduled_agents == 20


def test_incomplete_slot_constraint_is_rejected() -> None:
    with pytest.raises(InputError, match="Missing: thread_hold_seconds"):
        staff_interval(
            TURNS_PER_HOUR, AHT_SECONDS, 20.0, 0.8, conversations_per_hour=10.0, concurrency_cap=3
        )
    with pytest.raises(InputError, match="slow-down curve needs the slot constraint"):
        staff_interval(
            TURNS_PER_HOUR,
            AHT_SECONDS,
            20.0,
            0.8,
            slowdown=SlowdownCurve(threads=(1.0,), factors=(1.0,)),
        )


STAFF_ARGS = [
    "staff",
    "--turns-per-hour",
    "200",
    "--aht-seconds",
    "180",
    "--target-seconds",
    "20",
    "--service-level",
    "0.8",
]


def test_staff_json_has_required_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli([*STAFF_ARGS, "--json"], monkeypatch, capsys)
    assert status == 0
    result = json.loads(out)
    for key in (
        "agents",
        "work_agents",
        "slot_agents",
        "binding",
        "service_level",
        "asa_seconds",
        "occupancy",
    ):
        assert key in result
    assert result["agents"] == 14
    assert result["binding"] == "work"
    assert "abandonment_probability" not in result


def test_staff_json_with_all_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [
        *STAFF_ARGS,
        "--peakedness",
        "1.5",
        "--conversations-per-hour",
        "120",
        "--thread-hold-seconds",
        "1800",
        "--concurrency-cap",
        "4",
        "--patience-seconds",
        "600",
        "--max-occupancy",
        "0.85",
        "--shrinkage",
        "0.3",
        "--slowdown",
        "1:1.0,2:1.1,4:1.4",
        "--json",
    ]
    status, out, _ = run_cli(arguments, monkeypatch, capsys)
    assert status == 0
    result = json.loads(out)
    assert result["agents"] == max(result["work_agents"], result["slot_agents"])
    expected_binding = "concurrency" if result["slot_agents"] > result["work_agents"] else "work"
    assert result["binding"] == expected_binding
    assert 0.0 <= result["abandonment_probability"] <= 1.0
    assert result["model"] == "erlang_a"


def test_staff_table_names_binding(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(STAFF_ARGS, monkeypatch, capsys)
    assert status == 0
    assert "set by work" in out


def test_staff_bad_slowdown_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [
        *STAFF_ARGS,
        "--conversations-per-hour",
        "120",
        "--thread-hold-seconds",
        "1800",
        "--concurrency-cap",
        "4",
        "--slowdown",
        "1=1.0",
    ]
    status, _, err = run_cli(arguments, monkeypatch, capsys)
    assert status == 2
    assert "invalid slow-down point" in err
