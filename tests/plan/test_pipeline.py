"""The plan pipeline: session length per interval and the plan result's status."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from asyncwfm.config import PlanningConfig
from asyncwfm.plan.pipeline import build_plan, session_seconds_per_interval
from asyncwfm.plan.requirements import hold_kernel


def _workload(turns: list[float]) -> pd.DataFrame:
    starts = pd.date_range(
        pd.Timestamp("2024-03-04 08:00", tz="UTC"), periods=len(turns), freq="30min"
    )
    return pd.DataFrame(
        {
            "interval_start": starts,
            "use_case": "sms",
            "turns": turns,
            "new_conversations": turns,
            "active_seconds_per_turn": [120.0 if t else np.nan for t in turns],
        }
    )


def test_session_seconds_placed_in_start_interval() -> None:
    workload = _workload([2.0, 0.0, 1.0])
    conversations = pd.DataFrame(
        {
            "use_case": ["sms", "sms", "sms"],
            "started_at": pd.to_datetime(
                ["2024-03-04 08:05", "2024-03-04 08:20", "2024-03-04 09:10"], utc=True
            ),
            "session_seconds": [100.0, 300.0, 50.0],
        }
    )

    seconds = session_seconds_per_interval(workload, conversations, 30)

    assert seconds.iloc[0] == pytest.approx(200.0)
    # No conversation started at 08:30: the use case's mean over all conversations.
    assert seconds.iloc[1] == pytest.approx(150.0)
    assert seconds.iloc[2] == pytest.approx(50.0)


def test_build_plan_without_turns_has_status() -> None:
    result = build_plan(_workload([0.0, 0.0]), pd.DataFrame(), PlanningConfig())

    assert result.status == "no_workload"
    assert result.requirements.empty


def test_build_plan_counts_agent_hours() -> None:
    result = build_plan(_workload([40.0, 40.0]), pd.DataFrame(), PlanningConfig(shrinkage=0.5))

    assert result.status == "ok"
    assert result.agent_hours() == pytest.approx(result.requirements["agents"].sum() / 2)
    assert result.scheduled_hours() >= 2 * result.agent_hours() - 1e-9


def test_hold_kernel_sums_to_mean_hold() -> None:
    holds = np.array([0.0, 900.0, 3600.0, 7200.0])

    kernel = hold_kernel(holds, 1800.0)

    # Little's law in time: the kernel's sum is the mean hold in intervals.
    assert kernel.sum() == pytest.approx(holds.mean() / 1800.0)
    # A hold starting mid-interval covers at most half of its first interval.
    assert kernel[0] <= 0.5 + 1e-12
