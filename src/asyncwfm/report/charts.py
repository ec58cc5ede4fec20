"""Plotly figures for the HTML report, built from the stage tables.

Each function takes the documented table (workload, turns, conversations,
requirements) and returns a :class:`plotly.graph_objects.Figure`. Times on axes are
local interval starts in the business time zone. Durations are shown in minutes
because planners read them that way, while the tables keep seconds.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from asyncwfm.config import PlanningConfig

_PALETTE = qualitative.Plotly + qualitative.D3 + qualitative.Set2
LAYOUT = {
    "template": "plotly_white",
    "height": 420,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "legend": {"orientation": "h", "y": -0.2},
    "hovermode": "x unified",
}


def colour(index: int) -> str:
    """Return the palette colour at ``index``, repeating the palette when it runs out."""
    return _PALETTE[index % len(_PALETTE)]


def use_case_colours(names: Iterable[object]) -> dict[str, str]:
    """Return a colour per use case by its rank in name order, plus grey for ``other``.

    Every chart of a report shows the same use cases, so ranking by name (not by
    volume, which differs per chart) gives each use case one colour throughout.
    """
    ordered = sorted({str(name) for name in names})
    mapping = {name: colour(index) for index, name in enumerate(ordered)}
    mapping.setdefault("other", "#9e9e9e")
    return mapping


def local_naive(values: pd.Series) -> pd.Series:
    """Drop the zone after conversion so plotly shows local wall-clock times."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_localize(None)
    return values


def _top_use_cases(frame: pd.DataFrame, weight: str, limit: int) -> list[str]:
    totals = frame.groupby("use_case", observed=True)[weight].sum().sort_values(ascending=False)
    return [str(u) for u in totals.index[:limit]]


def _group_minor_use_cases(frame: pd.DataFrame, weight: str, limit: int) -> pd.DataFrame:
    """Keep the ``limit`` largest use cases and sum the rest into ``other``."""
    keep = set(_top_use_cases(frame, weight, limit))
    if frame["use_case"].nunique() <= limit:
        return frame
    grouped = frame.copy()
    grouped["use_case"] = grouped["use_case"].where(grouped["use_case"].isin(keep), "other")
    return grouped


def volume_figure(workload: pd.DataFrame, max_use_cases: int = 8) -> go.Figure:
    """Stacked bars of customer turns that need an agent, per interval and use case."""
    colours = use_case_colours(workload["use_case"])
    frame = _group_minor_use_cases(workload, "turns", max_use_cases)
    table = (
        frame.groupby(["interval_start", "use_case"], observed=True)["turns"]
        .sum()
        .unstack(fill_value=0)
    )
    figure = go.Figure()
    for use_case in table.columns:
        figure.add_bar(
            x=local_naive(table.index.to_series()),
            y=table[use_case],
            name=str(use_case),
            marker_color=colours[str(use_case)],
        )
    figure.update_layout(
        barmode="stack",
        title="Customer turns that need an agent, per interval",
        yaxis_title="turns",
        **LAYOUT,
    )
    return figure


def aht_figure(workload: pd.DataFrame, max_use_cases: int = 8) -> go.Figure:
    """Lines of active handling minutes per turn, per interval and use case."""
    figure = go.Figure()
    colours = use_case_colours(workload["use_case"])
    shown = sorted(_top_use_cases(workload, "turns", max_use_cases))
    for use_case in shown:
        rows = workload[(workload["use_case"] == use_case) & (workload["turns"] > 0)]
        figure.add_scatter(
            x=local_naive(rows["interval_start"]),
            y=rows["active_seconds_per_turn"] / 60.0,
            name=use_case,
            mode="lines+markers",
            marker_size=4,
            line_color=colours[use_case],
        )
    figure.update_layout(
        title="Active handling minutes per turn (AHT), per interval",
        yaxis_title="minutes per turn",
        **LAYOUT,
    )
    return figure


def agents_figure(requirements: pd.DataFrame, max_use_cases: int = 8) -> go.Figure:
    """Stacked areas of required agents per use case, with scheduled agents as a line."""
    colours = use_case_colours(requirements["use_case"])
    frame = _group_minor_use_cases(requirements, "agents", max_use_cases)
    agents = (
        frame.groupby(["interval_start", "use_case"], observed=True)["agents"]
        .sum()
        .unstack(fill_value=0)
    )
    scheduled = frame.groupby("interval_start")["scheduled_agents"].sum()
    x_values = local_naive(agents.index.to_series())
    figure = go.Figure()
    for use_case in agents.columns:
        figure.add_scatter(
            x=x_values,
            y=agents[use_case],
            name=str(use_case),
            stackgroup="agents",
            mode="lines",
            line={"width": 0.5, "color": colours[str(use_case)], "shape": "hv"},
        )
    figure.add_scatter(
        x=local_naive(scheduled.index.to_series()),
        y=scheduled.values,
        name="scheduled (with shrinkage)",
        mode="lines",
        line={"color": "black", "dash": "dot", "shape": "hv"},
    )
    figure.update_layout(
        title="Agents needed per interval and use case",
        yaxis_title="agents",
        **LAYOUT,
    )
    return figure


def response_figure(
    turns: pd.DataFrame, config: PlanningConfig, max_use_cases: int = 8
) -> go.Figure:
    """Cumulative distribution of response times per use case, with each promise marked.

    Each use case gets the share of its answered turns answered within x minutes, and a
    marker at its promise (target minutes, promised share). The promise view (first or
    every response) follows the use case's configuration.
    """
    figure = go.Figure()
    colours = use_case_colours(turns["use_case"])
    answered = turns[turns["response_seconds"].notna()]
    shown = sorted(_top_use_cases(answered.assign(count=1), "count", max_use_cases))
    for use_case in shown:
        promise = config.use_case_named(use_case).promise
        rows = answered[answered["use_case"] == use_case]
        if promise.response == "first":
            rows = rows[rows["is_first_turn"]]
        if rows.empty:
            continue
        minutes = np.sort(rows["response_seconds"].to_numpy(dtype=float)) / 60.0
        share = np.arange(1, len(minutes) + 1) / len(minutes)
        line_colour = colours[use_case]
        figure.add_scatter(
            x=np.maximum(minutes, 1.0 / 60.0),
            y=share,
            name=f"{use_case} ({promise.response} response)",
            mode="lines",
            line={"shape": "hv", "color": line_colour},
        )
        if promise.same_business_day:
            # A same-day promise has no fixed target to mark on this axis.
            continue
        figure.add_scatter(
            x=[promise.target_seconds / 60.0],
            y=[promise.service_level],
            name=f"{use_case} promise",
            mode="markers",
            marker={"symbol": "x", "size": 12, "color": line_colour},
            showlegend=False,
            hovertemplate=(
                f"promise: {promise.service_level:.0%} within "
                f"{promise.target_seconds / 60.0:g} min<extra>{use_case}</extra>"
            ),
        )
    figure.update_layout(
        title="Response times against each promise (x marks the promise)",
        xaxis={"type": "log", "title": "response time, minutes (log scale)"},
        yaxis={"title": "share of answered turns", "range": [0, 1.02], "tickformat": ".0%"},
        **{**LAYOUT, "hovermode": "closest"},
    )
    return figure


def concurrency_figure(concurrency: pd.DataFrame) -> go.Figure:
    """Open threads against threads with agent work in progress, summed over use cases.

    ``concurrency`` has one row per minute and use case with columns ``minute``,
    ``open_threads`` and ``active_threads``.
    """
    totals = concurrency.groupby("minute")[["open_threads", "active_threads"]].sum()
    x_values = local_naive(totals.index.to_series())
    figure = go.Figure()
    figure.add_scatter(
        x=x_values,
        y=totals["open_threads"],
        name="open threads",
        mode="lines",
        line_color="#636EFA",
    )
    figure.add_scatter(
        x=x_values,
        y=totals["active_threads"],
        name="active threads (agent work in progress)",
        mode="lines",
        line_color="#EF553B",
    )
    figure.update_layout(
        title="Open against active threads, per minute",
        yaxis_title="threads",
        **LAYOUT,
    )
    return figure


def session_contrast_figure(contrast: pd.DataFrame) -> go.Figure:
    """Agent-hours per use case planned from active handling time against session length.

    ``contrast`` has columns ``use_case``, ``agent_hours_active`` and
    ``agent_hours_session``.
    """
    frame = contrast.sort_values("agent_hours_session", ascending=False)
    figure = go.Figure()
    figure.add_bar(
        x=frame["use_case"],
        y=frame["agent_hours_active"],
        name="planned from active handling time",
        marker_color="#00CC96",
    )
    figure.add_bar(
        x=frame["use_case"],
        y=frame["agent_hours_session"],
        name="if session length were handle time",
        marker_color="#AB63FA",
    )
    figure.update_layout(
        barmode="group",
        title="Agent-hours: active handling time against session length",
        yaxis={"title": "agent-hours (log scale)", "type": "log", "dtick": 1},
        **{**LAYOUT, "hovermode": "closest"},
    )
    return figure


def handling_distribution_figure(conversations: pd.DataFrame) -> go.Figure:
    """Per-conversation active minutes against session minutes, on a log scale."""
    figure = go.Figure()
    worked = conversations[conversations["active_seconds"] > 0]
    figure.add_box(
        x=np.maximum(worked["active_seconds"] / 60.0, 0.01),
        name="active handling",
        marker_color="#00CC96",
        boxpoints=False,
    )
    figure.add_box(
        x=np.maximum(worked["session_seconds"] / 60.0, 0.01),
        name="session length",
        marker_color="#AB63FA",
        boxpoints=False,
    )
    figure.update_layout(
        title="Minutes per conversation: active handling time against session length",
        xaxis={"type": "log", "title": "minutes (log scale)"},
        **{**LAYOUT, "hovermode": "closest", "height": 300},
    )
    return figure


BINDING_CODES = {"closed": 0, "none": 1, "work": 2, "concurrency": 3, "deadline": 4}
_BINDING_COLOURS = ["#e4e7eb", "#f5f7fa", "#00CC96", "#EF553B", "#636EFA"]


def binding_figure(requirements: pd.DataFrame) -> go.Figure:
    """Heat map of the constraint that sets the agents, per use case and interval.

    ``work`` is the promise on the turns' work (Erlang C, Erlang A or Hayward),
    ``concurrency`` the thread slots under the concurrency cap, ``deadline`` the
    backlog plan of a deferred promise; ``none`` means no agent was needed and
    ``closed`` outside opening hours.
    """
    table = requirements.pivot_table(
        index="use_case", columns="interval_start", values="binding", aggfunc="first"
    )
    codes = table.apply(lambda column: column.map(BINDING_CODES)).to_numpy(dtype=float)
    size = len(BINDING_CODES)
    scale = []
    for index, colour_value in enumerate(_BINDING_COLOURS):
        scale.append([index / size, colour_value])
        scale.append([(index + 1) / size, colour_value])
    figure = go.Figure(
        go.Heatmap(
            z=codes,
            x=local_naive(table.columns.to_series()),
            y=[str(name) for name in table.index],
            text=table.to_numpy(dtype=object),
            hovertemplate="%{y} %{x}: %{text}<extra></extra>",
            colorscale=scale,
            zmin=-0.5,
            zmax=size - 0.5,
            colorbar={
                "tickvals": list(BINDING_CODES.values()),
                "ticktext": list(BINDING_CODES),
                "title": "binds",
            },
        )
    )
    figure.update_layout(
        title="Which constraint sets the agents",
        **{**LAYOUT, "height": 120 + 40 * len(table.index), "hovermode": "closest"},
    )
    return figure


def constraint_figure(requirements: pd.DataFrame) -> go.Figure:
    """Agents the work constraint and the concurrency cap need, summed over use cases."""
    totals = requirements.groupby("interval_start")[["work_agents", "slot_agents", "agents"]].sum()
    x_values = local_naive(totals.index.to_series())
    figure = go.Figure()
    series = (
        ("work_agents", "work (promise on the turns' work)", "#00CC96"),
        ("slot_agents", "concurrency cap (thread slots)", "#EF553B"),
        ("agents", "planned (larger of the two per use case)", "black"),
    )
    for column, name, colour_value in series:
        figure.add_scatter(
            x=x_values,
            y=totals[column],
            name=name,
            mode="lines",
            line={
                "shape": "hv",
                "color": colour_value,
                "dash": "dot" if column == "agents" else "solid",
            },
        )
    figure.update_layout(
        title="Work constraint against concurrency cap", yaxis_title="agents", **LAYOUT
    )
    return figure


def spike_figure(requirements: pd.DataFrame, max_use_cases: int = 8) -> go.Figure:
    """Spike allowance (extra agents for peaked arrivals) and the chance that work overflows.

    Bars are the agents Hayward's approximation adds over Poisson arrivals; the line
    is the highest probability, over use cases, that more turns are in service at
    once than there are agents.
    """
    colours = use_case_colours(requirements["use_case"])
    frame = _group_minor_use_cases(requirements, "agents", max_use_cases)
    allowance = (
        frame.groupby(["interval_start", "use_case"], observed=True)["spike_agents"]
        .sum()
        .unstack(fill_value=0)
    )
    overflow = requirements.groupby("interval_start")["overflow_probability"].max()
    figure = go.Figure()
    has_allowance = bool(allowance.to_numpy().sum() > 0)
    for use_case in allowance.columns if has_allowance else []:
        figure.add_bar(
            x=local_naive(allowance.index.to_series()),
            y=allowance[use_case],
            name=f"{use_case} spike allowance",
            marker_color=colours[str(use_case)],
        )
    figure.add_scatter(
        x=local_naive(overflow.index.to_series()),
        y=overflow.to_numpy(),
        name="P(turns in service exceed agents), worst use case",
        mode="lines",
        yaxis="y2" if has_allowance else "y",
        line={"color": "black", "width": 1},
    )
    probability_axis = {"title": "probability", "range": [0, 1], "tickformat": ".0%"}
    if has_allowance:
        figure.update_layout(
            yaxis={"title": "extra agents"},
            yaxis2={**probability_axis, "overlaying": "y", "side": "right"},
        )
    else:
        figure.update_layout(yaxis=probability_axis)
    title = "Spike allowance and overflow probability"
    if not has_allowance:
        title += " (no spike allowance: arrivals are not peaked)"
    figure.update_layout(barmode="stack", title=title, **LAYOUT)
    return figure


def backlog_figure(requirements: pd.DataFrame) -> go.Figure:
    """Deferred work waiting at each interval end, in agent-hours, per deferred use case."""
    deferred = requirements[requirements["promise_kind"] == "deferred"]
    colours = use_case_colours(requirements["use_case"])
    figure = go.Figure()
    for use_case, rows in deferred.groupby("use_case", sort=True):
        rows = rows.sort_values("interval_start")
        figure.add_scatter(
            x=local_naive(rows["interval_start"]),
            y=rows["deferred_backlog_seconds"] / 3600.0,
            name=f"{use_case} backlog",
            mode="lines",
            fill="tozeroy",
            line={"shape": "hv", "color": colours[str(use_case)]},
        )
    figure.update_layout(
        title="Deferred backlog against its deadline",
        yaxis_title="agent-hours waiting",
        **LAYOUT,
    )
    return figure


def forecast_band_figure(turns: pd.DataFrame, max_use_cases: int = 6) -> go.Figure:
    """Forecast customer turns per interval with 80% and 95% bands, per use case.

    ``turns`` has the rows of ``forecast.csv`` for the ``turns`` series.
    """
    figure = go.Figure()
    colours = use_case_colours(turns["use_case"])
    shown = sorted(_top_use_cases(turns, "forecast", max_use_cases))
    for use_case in shown:
        rows = turns[turns["use_case"] == use_case].sort_values("interval_start")
        x_values = local_naive(rows["interval_start"])
        line_colour = colours[use_case]
        for lower, upper, opacity in (
            ("lower_95", "upper_95", 0.12),
            ("lower_80", "upper_80", 0.22),
        ):
            figure.add_scatter(
                x=pd.concat([x_values, x_values[::-1]]),
                y=pd.concat([rows[upper], rows[lower][::-1]]),
                fill="toself",
                fillcolor=line_colour,
                opacity=opacity,
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            )
        figure.add_scatter(
            x=x_values, y=rows["forecast"], name=use_case, mode="lines", line_color=line_colour
        )
    figure.update_layout(
        title="Forecast customer turns per interval", yaxis_title="turns", **LAYOUT
    )
    return figure
