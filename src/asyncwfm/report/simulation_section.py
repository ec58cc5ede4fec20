"""Report section of a simulated plan: attainment per interval and the tuned staffing."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from asyncwfm.report.charts import LAYOUT, local_naive, use_case_colours
from asyncwfm.report.html import ReportSection


def attainment_figure(attainment: pd.DataFrame, title: str) -> go.Figure:
    """Simulated share of turns within the promise per interval, with its confidence band.

    ``attainment`` is the simulation's attainment table; intervals without turns are
    left out, and each use case's target is drawn as a dotted line.
    """
    figure = go.Figure()
    colours = use_case_colours(attainment["use_case"])
    for use_case, rows in attainment.groupby("use_case", sort=True):
        rows = rows[rows["turns"] > 0].sort_values("interval_start")
        x_values = local_naive(rows["interval_start"])
        figure.add_scatter(
            x=x_values,
            y=rows["answered_within_promise"],
            name=str(use_case),
            mode="lines+markers",
            marker_size=4,
            line_color=colours[str(use_case)],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": rows["answered_within_promise_high"] - rows["answered_within_promise"],
                "arrayminus": rows["answered_within_promise"] - rows["answered_within_promise_low"],
                "thickness": 1,
                "width": 0,
            },
        )
        figure.add_scatter(
            x=x_values,
            y=rows["service_level_target"],
            name=f"{use_case} target",
            mode="lines",
            line={"dash": "dot", "color": colours[str(use_case)], "width": 1},
            showlegend=False,
        )
    figure.update_layout(
        title=title,
        yaxis={"title": "share within promise", "range": [0, 1.05], "tickformat": ".0%"},
        **LAYOUT,
    )
    return figure


def staffing_comparison_figure(requirements: pd.DataFrame) -> go.Figure:
    """Planned agents against simulation-tuned agents per interval, summed over use cases."""
    totals = requirements.groupby("interval_start")[["agents", "tuned_agents"]].sum()
    x_values = local_naive(totals.index.to_series())
    figure = go.Figure()
    figure.add_scatter(
        x=x_values,
        y=totals["agents"],
        name="queueing plan",
        mode="lines",
        line={"shape": "hv", "color": "#636EFA"},
    )
    figure.add_scatter(
        x=x_values,
        y=totals["tuned_agents"],
        name="tuned in simulation",
        mode="lines",
        line={"shape": "hv", "color": "#EF553B"},
    )
    figure.update_layout(
        title="Agents per interval: queueing plan against tuned", yaxis_title="agents", **LAYOUT
    )
    return figure


def agents_per_day(requirements: pd.DataFrame, interval_minutes: int) -> pd.DataFrame:
    """Return agent-hours per local day: one row per day, planned and tuned per use case."""
    frame = requirements.assign(day=requirements["interval_start"].map(lambda stamp: stamp.date()))
    hours = interval_minutes / 60.0
    columns = ["agents"] + (["tuned_agents"] if "tuned_agents" in frame else [])
    table = frame.groupby(["day", "use_case"])[columns].sum() * hours
    table = table.rename(columns={"agents": "planned", "tuned_agents": "tuned"})
    wide = table.unstack("use_case")
    wide.columns = [f"{use_case} {kind}" for kind, use_case in wide.columns]
    ordered = sorted(wide.columns, key=lambda name: (name.rsplit(" ", 1)[0], name))
    wide = wide.loc[:, ordered]
    wide["total planned"] = table["planned"].groupby("day").sum()
    if "tuned" in table:
        wide["total tuned"] = table["tuned"].groupby("day").sum()
    return wide.reset_index()


def simulation_section(
    verification_summary: pd.DataFrame | None,
    verification_attainment: pd.DataFrame | None,
    tuned_requirements: pd.DataFrame | None,
    tuned_summary: pd.DataFrame | None,
    interval_minutes: int,
    replications: int,
) -> ReportSection:
    """Return the section that shows how the plan fares in the discrete-event simulation.

    Any of the parts may be None: a verification without tuning shows attainment
    only, a tuning shows the tuned staffing beside the planned one.
    """
    figures: list[go.Figure] = []
    tables: list[tuple[str, pd.DataFrame]] = []
    if verification_attainment is not None and verification_summary is not None:
        figures.append(
            attainment_figure(verification_attainment, "Simulated attainment of the plan")
        )
        tables.append(("Plan in simulation, whole window", _summary_view(verification_summary)))
        missing = verification_attainment[verification_attainment["status"] == "misses"]
        tables.append(
            (
                f"Intervals that miss their promise ({len(missing)}; first 20)",
                _missing_view(missing.head(20)),
            )
        )
    if tuned_requirements is not None and tuned_summary is not None:
        figures.append(staffing_comparison_figure(tuned_requirements))
        tables.append(("Tuned plan in simulation, whole window", _summary_view(tuned_summary)))
        tables.append(
            (
                "Agent-hours per day, planned and tuned",
                agents_per_day(tuned_requirements, interval_minutes),
            )
        )
    return ReportSection(
        title="Simulation check",
        anchor="simulation",
        intro=(
            f"The plan replayed in a discrete-event simulation of asynchronous messaging "
            f"({replications} replications): conversations with think times between turns, "
            "threads that stay with their agent until idle, concurrency caps, and backlog "
            "carried from one interval to the next. Bars are 95% confidence intervals. An "
            "interval misses when its whole confidence interval lies below the target."
        ),
        figures=figures,
        tables=tables,
    )


def _summary_view(summary: pd.DataFrame) -> pd.DataFrame:
    columns = {
        "use_case": "use case",
        "turns": "turns per replication",
        "answered_within_promise": "within promise",
        "answered_within_promise_half_width": "± (95%)",
        "service_level_target": "target",
        "response_mean_seconds": "mean response s",
        "agent_hours": "agent-hours",
    }
    present = [c for c in columns if c in summary.columns]
    return summary.loc[:, present].rename(columns=columns)


def _missing_view(missing: pd.DataFrame) -> pd.DataFrame:
    view = missing.loc[
        :, ["interval_start", "use_case", "turns", "answered_within_promise", "agents"]
    ].copy()
    view["interval_start"] = [stamp.strftime("%Y-%m-%d %H:%M") for stamp in view["interval_start"]]
    return view.rename(columns={"answered_within_promise": "within promise"})
