"""The plan stage end to end: workload in, requirements and the session-length contrast out."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig
from asyncwfm.measure.slowdown import estimate_slowdown
from asyncwfm.plan.concurrency import SlowdownCurve
from asyncwfm.plan.contrast import overstaffing_table, session_length_requirements
from asyncwfm.plan.requirements import (
    REQUIREMENT_COLUMNS,
    UseCaseProfile,
    plan_requirements,
    profile_from_measurement,
)

PlanStatus = Literal["ok", "no_workload"]


@dataclass(frozen=True, eq=False)
class PlanResult:
    """Requirements of every use case and interval, with the session-length contrast.

    Attributes
    ----------
    status : {"ok", "no_workload"}
        ``no_workload`` when the workload table has no turns at all; the tables are
        then empty.
    requirements : pandas.DataFrame
        The requirements table (see :data:`asyncwfm.plan.requirements.REQUIREMENT_COLUMNS`).
    session_requirements : pandas.DataFrame
        The plan that taking session length as handle time would give.
    overstaffing : pandas.DataFrame
        Agent-hours per use case of both plans and their ratio.
    interval_minutes : int
        Planning interval length.
    business_timezone : str
        Zone of ``interval_start``.
    """

    status: PlanStatus
    requirements: pd.DataFrame
    session_requirements: pd.DataFrame
    overstaffing: pd.DataFrame
    interval_minutes: int
    business_timezone: str

    def agent_hours(self) -> float:
        """Return the total agent-hours of the plan (agents at work, before shrinkage)."""
        return float(self.requirements["agents"].sum()) * self.interval_minutes / 60.0

    def scheduled_hours(self) -> float:
        """Return the total paid agent-hours (after shrinkage)."""
        return float(self.requirements["scheduled_agents"].sum()) * self.interval_minutes / 60.0


def session_seconds_per_interval(
    workload: pd.DataFrame, conversations: pd.DataFrame, interval_minutes: int
) -> pd.Series:
    """Return the mean session length of conversations starting in each workload row.

    Conversations are placed in the workload interval that contains their
    ``started_at``. A row with no measured conversation (a forecast interval, or a
    quiet one) gets its use case's mean session length over all conversations. The
    result is aligned with ``workload``'s index, and NaN only for a use case without
    conversations.
    """
    interval_ns = interval_minutes * 60 * 1_000_000_000
    starts = _utc_ns(workload["interval_start"])
    result = pd.Series(np.nan, index=workload.index, dtype=float)
    if conversations.empty:
        return result

    conversation_start = _utc_ns(conversations["started_at"])
    for use_case, rows in workload.groupby("use_case", observed=True):
        order = np.argsort(starts[rows.index.to_numpy()])
        positions = rows.index.to_numpy()[order]
        row_starts = starts[positions]
        own = (conversations["use_case"] == use_case).to_numpy()
        times = conversation_start[own]
        slot = np.searchsorted(row_starts, times, side="right") - 1
        inside = (slot >= 0) & (times < row_starts[np.clip(slot, 0, None)] + interval_ns)
        frame = pd.DataFrame(
            {
                "slot": slot[inside],
                "seconds": conversations["session_seconds"].to_numpy()[own][inside],
            }
        )
        means = frame.groupby("slot")["seconds"].mean()
        result.loc[positions] = (
            float(conversations["session_seconds"][own].mean()) if own.any() else np.nan
        )
        result.loc[positions[means.index.to_numpy()]] = means.to_numpy()
    return result


def build_plan(
    workload: pd.DataFrame,
    conversations: pd.DataFrame,
    config: PlanningConfig,
    history: pd.DataFrame | None = None,
    work: pd.DataFrame | None = None,
) -> PlanResult:
    """Plan agents per use case and interval, and the session-length plan beside it.

    Parameters
    ----------
    workload : pandas.DataFrame
        The workload table of the planning window (measured or forecast).
    conversations : pandas.DataFrame
        The conversations table, for the session-length contrast. An empty table
        leaves the contrast empty.
    config : PlanningConfig
        Promises, interval length, occupancy cap, shrinkage and opening hours.
    history : pandas.DataFrame, optional
        The measured workload behind a forecast ``workload``: fallback AHT,
        peakedness and thread holds per use case come from it. By default they come
        from ``workload`` itself.
    work : pandas.DataFrame, optional
        The measured work table, for use cases that ask for a slow-down curve measured
        from the log (``measure_slowdown``).
    """
    if workload.empty or float(workload["turns"].sum()) == 0.0:
        empty = pd.DataFrame(columns=list(REQUIREMENT_COLUMNS))
        return PlanResult(
            status="no_workload",
            requirements=empty,
            session_requirements=pd.DataFrame(),
            overstaffing=pd.DataFrame(),
            interval_minutes=config.interval_minutes,
            business_timezone=config.business_timezone,
        )

    measured = workload if history is None else history
    profiles = {
        str(use_case): profile_from_measurement(
            rows, conversations, str(use_case), config.interval_seconds
        )
        for use_case, rows in measured.groupby("use_case", observed=True)
    }
    if work is not None and any(u.measure_slowdown for u in config.use_cases):
        profiles = _with_measured_slowdown(profiles, work, config)
    requirements = plan_requirements(workload, config, profiles)
    with_sessions = workload.reset_index(drop=True)
    with_sessions["session_seconds_per_conversation"] = session_seconds_per_interval(
        with_sessions, conversations, config.interval_minutes
    )
    session_requirements = session_length_requirements(with_sessions, config)
    overstaffing = overstaffing_table(requirements, session_requirements, config.interval_minutes)
    return PlanResult(
        status="ok",
        requirements=requirements,
        session_requirements=session_requirements,
        overstaffing=overstaffing,
        interval_minutes=config.interval_minutes,
        business_timezone=config.business_timezone,
    )


def _with_measured_slowdown(
    profiles: dict[str, UseCaseProfile], work: pd.DataFrame, config: PlanningConfig
) -> dict[str, UseCaseProfile]:
    """Attach the slow-down curve measured from ``work`` to the profiles that can have one."""
    estimates = estimate_slowdown(work, config.simulation.idle_timeout_seconds)
    updated = dict(profiles)
    for name, estimate in estimates.items():
        if name in updated and estimate.status == "ok":
            threads, factors = estimate.curve_points()
            updated[name] = dataclasses.replace(
                updated[name],
                slowdown=SlowdownCurve(threads, factors),
                mean_threads=estimate.mean_threads,
            )
    return updated


def _utc_ns(values: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(values, utc=True)
    return stamps.to_numpy(dtype="datetime64[ns]").view("int64")
