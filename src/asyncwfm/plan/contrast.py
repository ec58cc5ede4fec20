"""What the plan would be if session length were taken as handle time.

Tools built for live chat or voice treat a conversation as one job that occupies an
agent from first to last message. For asynchronous messaging that over-staffs by a
large factor, because most of a thread's life is spent waiting for the customer.
This module plans that naive view with the same promises and Erlang C, so the report
can show the cost of the mistake next to the real plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig, Promise
from asyncwfm.plan.erlang import scheduled_agents
from asyncwfm.plan.requirements import minimal_agents


def session_length_requirements(workload: pd.DataFrame, config: PlanningConfig) -> pd.DataFrame:
    """Plan agents with each conversation's session length as its handle time.

    Parameters
    ----------
    workload : pandas.DataFrame
        Workload rows with ``interval_start``, ``use_case``, ``new_conversations`` and
        ``session_seconds_per_conversation`` (mean session length of conversations
        starting in the interval, in seconds).
    config : PlanningConfig
        Promises, interval length, occupancy cap and shrinkage.

    Returns
    -------
    pandas.DataFrame
        ``interval_start, use_case, conversations, session_seconds, workload_erlangs,
        agents, scheduled_agents``.
    """
    interval_seconds = float(config.interval_seconds)
    parts = []
    for use_case, rows in workload.groupby("use_case", sort=True, observed=True):
        rows = rows.sort_values("interval_start")
        promise = config.use_case_named(str(use_case)).promise
        every_promise = Promise(
            service_level=promise.service_level,
            target_seconds=promise.target_seconds,
            response="every",
        )
        conversations = rows["new_conversations"].to_numpy(dtype=float)
        session = np.nan_to_num(rows["session_seconds_per_conversation"].to_numpy(dtype=float))
        handle = np.maximum(session, 1.0)
        load = conversations * handle / interval_seconds
        agents = minimal_agents(load, load, handle, every_promise, config.max_occupancy)
        parts.append(
            pd.DataFrame(
                {
                    "interval_start": rows["interval_start"].to_numpy(),
                    "use_case": str(use_case),
                    "conversations": conversations,
                    "session_seconds": session,
                    "workload_erlangs": load,
                    "agents": agents,
                    "scheduled_agents": scheduled_agents(agents, config.shrinkage),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=[
                "interval_start",
                "use_case",
                "conversations",
                "session_seconds",
                "workload_erlangs",
                "agents",
                "scheduled_agents",
            ]
        )
    return pd.concat(parts, ignore_index=True)


def overstaffing_table(
    requirements: pd.DataFrame, session_requirements: pd.DataFrame, interval_minutes: int
) -> pd.DataFrame:
    """Compare agent-hours per use case: the real plan against the session-length plan.

    Returns one row per use case plus a ``total`` row with ``agent_hours_active``,
    ``agent_hours_session`` and ``overstaffing_factor`` (session over active; NaN
    when the real plan needs no agent-hours).
    """
    hours_per_interval = interval_minutes / 60.0
    active = requirements.groupby("use_case")["agents"].sum() * hours_per_interval
    session = session_requirements.groupby("use_case")["agents"].sum() * hours_per_interval
    table = pd.DataFrame({"agent_hours_active": active, "agent_hours_session": session}).fillna(0.0)
    table.loc["total"] = table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = table["agent_hours_session"] / table["agent_hours_active"].replace(0.0, np.nan)
    table["overstaffing_factor"] = factor
    return table.rename_axis("use_case").reset_index()
