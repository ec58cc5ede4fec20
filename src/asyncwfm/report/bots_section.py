"""Report section of a bot containment scenario, next to the naive volume-cut plan."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from asyncwfm.plan.bots import BotScenarioSummary
from asyncwfm.report.charts import LAYOUT, local_naive
from asyncwfm.report.html import ReportSection

PLAN_COLOURS = {"today": "#636EFA", "bot residue": "#EF553B", "naive": "#AB63FA"}
"""Line and bar colour of each plan, the same in every chart of the section."""


def bot_scenario_section(
    summary: BotScenarioSummary,
    requirements_before: pd.DataFrame,
    requirements_after: pd.DataFrame,
    requirements_naive: pd.DataFrame,
    *,
    interval_minutes: int | None = None,
) -> ReportSection:
    """Build the report section that shows a bot scenario beside the naive estimate.

    Parameters
    ----------
    summary : BotScenarioSummary
        Summary of :func:`asyncwfm.plan.bots.plan_bot_scenario`.
    requirements_before, requirements_after, requirements_naive : pandas.DataFrame
        Requirements tables of today's workload, the scenario's residue workload and the
        naive workload (``volume * (1 - containment)`` at today's AHT).
    interval_minutes : int, optional
        Planning interval length for agent-hours; taken from the spacing of
        ``interval_start`` when omitted.

    Returns
    -------
    ReportSection
        An introduction with the headline numbers, two charts (agents per interval,
        active hours and agent-hours per use case) and a table per use case.
    """
    minutes = interval_minutes or _interval_minutes(requirements_before)
    plans = {
        "today": requirements_before,
        "bot residue": requirements_after,
        "naive": requirements_naive,
    }
    agent_hours = {name: _agent_hours(frame, minutes) for name, frame in plans.items()}
    table = scenario_table(summary, agent_hours)
    return ReportSection(
        title="Bot containment scenario",
        intro=_introduction(summary, table),
        figures=(agents_per_interval_figure(plans), workload_per_use_case_figure(table)),
        tables=(("Human workload per use case: today, with the bot, and the naive plan", table),),
        anchor="bot-scenario",
    )


def scenario_table(summary: BotScenarioSummary, agent_hours: dict[str, pd.Series]) -> pd.DataFrame:
    """Return one row per use case and a total row: turns, hours, AHT and agent-hours.

    ``agent_hours`` maps ``today``, ``bot residue`` and ``naive`` to agent-hours per use
    case. Hours are agent active hours of handling work; agent-hours are required agents
    times interval length, before shrinkage.
    """
    rows = summary.by_use_case.set_index("use_case")
    table = pd.DataFrame(
        {
            "turns today": rows["turns_before"],
            "turns with bot": rows["turns_after"],
            "turns naive": rows["turns_naive"],
            "active hours today": rows["active_hours_before"],
            "active hours with bot": rows["active_hours_after"],
            "active hours naive": rows["active_hours_naive"],
            "AHT today (s)": _safe_divide(rows["active_hours_before"] * 3600, rows["turns_before"]),
            "AHT with bot (s)": _safe_divide(
                rows["active_hours_after"] * 3600, rows["turns_after"]
            ),
            "residue uplift": rows["residue_uplift"],
            "agent-hours today": agent_hours["today"].reindex(rows.index).fillna(0.0),
            "agent-hours with bot": agent_hours["bot residue"].reindex(rows.index).fillna(0.0),
            "agent-hours naive": agent_hours["naive"].reindex(rows.index).fillna(0.0),
        }
    )
    total = table.sum(numeric_only=True)
    total["AHT today (s)"] = summary.baseline_aht_seconds
    total["AHT with bot (s)"] = summary.residue_aht_seconds
    total["residue uplift"] = summary.residue_uplift
    table.loc["total"] = total
    table.index.name = "use case"
    return table.reset_index()


def agents_per_interval_figure(plans: dict[str, pd.DataFrame]) -> go.Figure:
    """Required agents per interval, summed over use cases, for each plan."""
    figure = go.Figure()
    for name, requirements in plans.items():
        totals = requirements.groupby("interval_start")["agents"].sum()
        figure.add_scatter(
            x=local_naive(totals.index.to_series()),
            y=totals.to_numpy(),
            name=name,
            mode="lines",
            line={"color": PLAN_COLOURS[name], "shape": "hv", "width": 1.5},
        )
    figure.update_layout(
        title="Agents needed per interval: today, with the bot, and the naive plan",
        yaxis_title="agents",
        **LAYOUT,
    )
    return figure


def workload_per_use_case_figure(table: pd.DataFrame) -> go.Figure:
    """Grouped bars per use case of active hours for the three plans."""
    rows = table[table["use case"] != "total"]
    figure = go.Figure()
    for name, column in (
        ("today", "active hours today"),
        ("bot residue", "active hours with bot"),
        ("naive", "active hours naive"),
    ):
        figure.add_bar(
            x=rows["use case"],
            y=rows[column],
            name=name,
            marker_color=PLAN_COLOURS[name],
        )
    figure.update_layout(
        barmode="group",
        title="Agent active hours per use case",
        yaxis_title="active hours",
        **{**LAYOUT, "hovermode": "closest"},
    )
    return figure


def _introduction(summary: BotScenarioSummary, table: pd.DataFrame) -> str:
    scenario = summary.scenario
    total = table.set_index("use case").loc["total"]
    ramp = (
        f"rising linearly over {scenario.ramp_weeks:g} weeks"
        if scenario.ramp_weeks > 0
        else "from the first day"
    )
    settings = (
        f"The bot contains {scenario.containment:.0%} of today's agent conversations, "
        f"{ramp}, with selectivity {scenario.selectivity:g} (0 random, 1 easiest first), "
        f"{scenario.handoff_seconds:g} s of agent work per handoff and "
        f"{_recontact_text(summary)}."
    )
    result = (
        f"Agent active hours go from {summary.active_hours_before:,.0f} to "
        f"{summary.active_hours_after:,.0f} ({_change(summary.active_hours_reduction)}), "
        f"while the naive plan (volume times 1 - containment at today's AHT) predicts "
        f"{summary.active_hours_naive:,.0f} ({_change(summary.naive_active_hours_reduction)}). "
        f"The residue's AHT changes by {_percent(summary.residue_uplift)} against today's "
        f"({_percent(summary.full_containment_uplift)} once containment has fully ramped up). "
        f"Agent-hours: {total['agent-hours today']:,.0f} today, "
        f"{total['agent-hours with bot']:,.0f} with the bot, "
        f"{total['agent-hours naive']:,.0f} by the naive plan."
    )
    status = ""
    if summary.status == "partial":
        status = (
            "\n\nSome use cases had no agent conversations to rank, so they were scaled like "
            "the naive plan."
        )
    return f"{settings}\n\n{result}{status}"


def _recontact_text(summary: BotScenarioSummary) -> str:
    if summary.scenario.recontact_rate is not None:
        return f"{summary.scenario.recontact_rate:.0%} of contained customers coming back"
    return "re-contact rates as measured per use case (0 where the log has no bot)"


def _change(reduction: float) -> str:
    if math.isnan(reduction):
        return "no change measurable"
    return f"{-reduction:+.1%}"


def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:+.1%}"


def _agent_hours(requirements: pd.DataFrame, interval_minutes: int) -> pd.Series:
    if requirements.empty:
        return pd.Series(dtype=float)
    agents = requirements.groupby("use_case", observed=True)["agents"].sum().astype(float)
    agents.index = agents.index.astype(str)
    return agents * interval_minutes / 60.0


def _interval_minutes(requirements: pd.DataFrame) -> int:
    """Return the smallest spacing of interval starts in minutes, 30 when it cannot tell."""
    starts = requirements["interval_start"].drop_duplicates().sort_values()
    spacing = starts.diff().dt.total_seconds().dropna()
    positive = spacing[spacing > 0]
    return int(positive.min() // 60) if len(positive) else 30


def _safe_divide(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator.where(denominator > 0) / denominator.where(denominator > 0)
