"""Report sections of a measured plan: volume, AHT, agents, promises, concurrency, contrast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig, Promise
from asyncwfm.measure import Measurement
from asyncwfm.plan.pipeline import PlanResult
from asyncwfm.report import charts
from asyncwfm.report.html import ReportSection


def use_case_summary(
    measurement: Measurement, plan: PlanResult, config: PlanningConfig
) -> pd.DataFrame:
    """Return one row per use case: promise, turns, response time, AHT, session length, agents.

    Durations are in minutes here because the table is for planners to read;
    the library tables keep seconds. Measured figures cover the measurement window,
    the period the plan was built on (its history, for a plan from a forecast).
    """
    summary = measurement.summary(window_only=True).set_index("use_case")
    turns = _turns_in_window(measurement)
    requirements = plan.requirements
    hours = plan.interval_minutes / 60.0
    rows = []
    for use_case in summary.index:
        promise = config.use_case_named(str(use_case)).promise
        own = requirements[requirements["use_case"] == use_case]
        attained = _attained_share(turns, str(use_case), promise, config.business_timezone)
        rows.append(
            {
                "use case": use_case,
                "promise": _promise_text(promise),
                "conversations": int(summary.at[use_case, "conversations"]),
                "turns": int(summary.at[use_case, "customer_turns"]),
                "planned turns": float(own["turns"].sum()) if not own.empty else 0.0,
                "median response min": _minutes(summary.at[use_case, "response_seconds_p50"]),
                "measured within promise": attained,
                "active min per turn": _minutes(summary.at[use_case, "active_seconds_per_turn"]),
                "median session min": _minutes(summary.at[use_case, "median_session_seconds"]),
                "peak agents": int(own["agents"].max()) if not own.empty else 0,
                "agent-hours": float(own["agents"].sum() * hours),
                "scheduled hours": float(own["scheduled_agents"].sum() * hours),
            }
        )
    return pd.DataFrame(rows)


def plan_sections(
    measurement: Measurement,
    plan: PlanResult,
    config: PlanningConfig,
    planned_workload: pd.DataFrame | None = None,
) -> list[ReportSection]:
    """Return the report sections of a plan.

    ``planned_workload`` is the workload the plan was built from when it is not the
    measured one (a forecast); volume and AHT charts show it, while response times,
    concurrency and the session contrast come from the measured log.
    """
    workload = measurement.workload if planned_workload is None else planned_workload
    window = _window_text(plan.requirements)
    sections = [
        ReportSection(
            title="Summary",
            anchor="summary",
            intro=(
                f"Planning window {window}, {config.interval_minutes}-minute intervals in "
                f"{config.business_timezone}. Agents are planned on customer turns with the "
                f"measured active handling time per turn, shrinkage {config.shrinkage:.0%}"
                + (
                    f", occupancy at most {config.max_occupancy:.0%}"
                    if config.max_occupancy
                    else ""
                )
                + "."
            ),
            tables=[("Per use case", _percent_view(use_case_summary(measurement, plan, config)))],
        ),
        ReportSection(
            title="Volume",
            anchor="volume",
            intro="Customer turns that need an agent, by the interval in which the turn started.",
            figures=[charts.volume_figure(workload)],
        ),
        ReportSection(
            title="Active handling time",
            anchor="aht",
            intro=(
                "Agent minutes actually worked per turn, estimated from each agent's own "
                "timeline (or taken from the log's handle times). Intervals without turns "
                "are left out."
            ),
            figures=[charts.aht_figure(workload)],
        ),
        ReportSection(
            title="Agents per interval",
            anchor="agents",
            intro=(
                "Agents each use case needs, stacked: the larger of the promise on the turns' "
                "work and the thread slots under the concurrency cap (see the next section). "
                "The dotted line adds shrinkage to give scheduled agents."
            ),
            figures=[charts.agents_figure(plan.requirements)],
        ),
        _constraints_section(measurement, plan, config),
        ReportSection(
            title="Response times against each promise",
            anchor="promises",
            intro=(
                "Share of answered turns answered within each time, per use case, as measured "
                "in the log; the cross marks the promise. A curve passing left of and above its "
                "cross keeps the promise."
            ),
            figures=[charts.response_figure(measurement.turns, config)],
        ),
        ReportSection(
            title="Open against active threads",
            anchor="concurrency",
            intro=(
                "Open threads (started and not yet past their last event) against threads with "
                "agent work in progress, per minute, over all use cases. Most open threads wait "
                "on the customer."
            ),
            figures=[charts.concurrency_figure(_concurrency_in_window(measurement))],
        ),
        ReportSection(
            title="Session length is not handle time",
            anchor="session",
            intro=(
                "What the plan would need if each conversation's session length (first to last "
                "message) were taken as its handle time, as live-chat tools do, against the plan "
                "from active handling time."
            ),
            figures=[
                charts.session_contrast_figure(
                    plan.overstaffing[plan.overstaffing["use_case"] != "total"]
                ),
                charts.handling_distribution_figure(measurement.conversations),
            ],
            tables=[("Agent-hours over the window", plan.overstaffing)],
        ),
    ]
    return sections


def _constraints_section(
    measurement: Measurement, plan: PlanResult, config: PlanningConfig
) -> ReportSection:
    requirements = plan.requirements
    figures = [charts.binding_figure(requirements), charts.constraint_figure(requirements)]
    figures.append(charts.spike_figure(requirements))
    if (requirements["promise_kind"] == "deferred").any():
        figures.append(charts.backlog_figure(requirements))
    spikes = measurement.spikes
    spike_rule = (
        f"a minute with at least {config.measure.spike_min_turns} turn arrivals whose Poisson "
        f"tail probability at the interval's rate is below {config.measure.spike_p_value:g}"
    )
    tables = [
        (
            "Per use case: what binds, peakedness and spike risk",
            constraint_summary(requirements, config),
        )
    ]
    if spikes.empty:
        spike_text = f"No spike moment was found ({spike_rule})."
    else:
        spike_text = f"Spike moments ({spike_rule}) are listed below, largest first."
        top = spikes.sort_values("turn_arrivals", ascending=False).head(15)
        view = top.loc[
            :, ["minute_start", "use_case", "turn_arrivals", "expected_turns", "active_threads"]
        ].copy()
        view["minute_start"] = [stamp.strftime("%Y-%m-%d %H:%M") for stamp in view["minute_start"]]
        tables.append(("Spike moments: many threads waking at once", view))
    return ReportSection(
        title="Concurrency caps, spikes and deferred promises",
        anchor="constraints",
        intro=(
            "Each interval's agents are the larger of the work constraint (the promise on the "
            "turns' active handling time; deferred promises planned as a backlog against their "
            "deadline) and the concurrency cap (thread slots for the threads agents hold, from "
            "the measured hold time). Peaked arrivals (Hayward peakedness z above 1, from the "
            "variance-to-mean ratio of turn arrivals in short windows) add a spike allowance."
            f"\n\n{spike_text}"
        ),
        figures=figures,
        tables=tables,
    )


def constraint_summary(requirements: pd.DataFrame, config: PlanningConfig) -> pd.DataFrame:
    """Return per use case the intervals each constraint binds, z, spike agents and backlog."""
    rows = []
    hours = config.interval_minutes / 60.0
    for use_case, own in requirements.groupby("use_case", sort=True):
        counts = own["binding"].value_counts()
        settings = config.use_case_named(str(use_case))
        rows.append(
            {
                "use case": use_case,
                "promise kind": str(own["promise_kind"].iloc[0]),
                "concurrency cap": settings.concurrency_cap if settings.concurrency_cap else "-",
                "work binds": int(counts.get("work", 0) + counts.get("deadline", 0)),
                "cap binds": int(counts.get("concurrency", 0)),
                "peakedness z": float(own["peakedness"].iloc[0]),
                "spike agent-hours": float(own["spike_agents"].sum() * hours),
                "max P(overflow)": float(own["overflow_probability"].max()),
                "max backlog agent-h": float(own["deferred_backlog_seconds"].max() / 3600.0),
            }
        )
    return pd.DataFrame(rows)


def forecast_plan_section(
    forecast: pd.DataFrame, config: PlanningConfig, quantile: float | None
) -> ReportSection:
    """Return the section that shows the forecast a plan was built from.

    ``forecast`` is the content of ``forecast.csv``: point forecasts with 80% and 95%
    bounds per use case, series and interval.
    """
    turns = forecast[forecast["series"] == "turns"].copy()
    turns["interval_start"] = pd.to_datetime(turns["interval_start"], utc=True).dt.tz_convert(
        config.business_timezone
    )
    basis = (
        "the mean forecast" if quantile is None else f"the {quantile:.0%} quantile of the forecast"
    )
    models = (
        forecast.groupby(["use_case", "series"])["model"].first().unstack().reset_index()
        if "model" in forecast
        else pd.DataFrame()
    )
    return ReportSection(
        title="Forecast",
        anchor="forecast",
        intro=(
            f"The plan staffs {basis} of customer turns, new conversations and active "
            "handling seconds per turn, per use case and interval. Bands are the 80% and "
            "95% prediction intervals."
        ),
        figures=[charts.forecast_band_figure(turns)],
        tables=[("Model chosen per series by backtest", models)] if not models.empty else [],
    )


def _percent_view(summary: pd.DataFrame) -> pd.DataFrame:
    """Show the measured share within the promise as a percentage for the HTML table."""
    view = summary.copy()
    view["measured within promise"] = [
        "-" if pd.isna(value) else f"{value:.0%}" for value in view["measured within promise"]
    ]
    return view


def _concurrency_in_window(measurement: Measurement) -> pd.DataFrame:
    frame = measurement.concurrency.rename(columns={"minute_start": "minute"})
    return frame


def _turns_in_window(measurement: Measurement) -> pd.DataFrame:
    turns = measurement.turns
    if measurement.window_start is None or measurement.window_end is None:
        return turns
    starts = turns["first_message_at"]
    return turns[(starts >= measurement.window_start) & (starts < measurement.window_end)]


def _attained_share(turns: pd.DataFrame, use_case: str, promise: Promise, timezone: str) -> float:
    """Return the measured share of the use case's promised turns answered in time.

    Unanswered turns count as late. A same-business-day promise is kept when the
    answer comes on the local date the turn started.
    """
    rows = turns[(turns["use_case"] == use_case) & turns["needs_agent"]]
    if promise.response == "first":
        rows = rows[rows["is_first_turn"]]
    if rows.empty:
        return float("nan")
    if promise.same_business_day:
        asked = rows["first_message_at"].dt.tz_convert(timezone).dt.date
        answered = rows["answered_at"].dt.tz_convert(timezone).dt.date
        return float(np.mean((asked == answered).to_numpy(dtype=bool, na_value=False)))
    within = rows["response_seconds"].to_numpy(dtype=float) <= promise.target_seconds
    return float(np.mean(within))


def _minutes(seconds: float) -> float:
    return float(seconds) / 60.0 if pd.notna(seconds) else float("nan")


def _promise_text(promise: Promise) -> str:
    if promise.same_business_day:
        return f"{promise.service_level:.0%} same day ({promise.response})"
    target = _duration_text(promise.target_seconds)
    return f"{promise.service_level:.0%} in {target} ({promise.response})"


def _duration_text(seconds: float) -> str:
    """Return a target for planners: ``20 s``, ``15 min``, ``1.5 h``."""
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600 or (seconds % 60 and seconds < 7200):
        return f"{seconds / 60:.4g} min"
    return f"{seconds / 3600:.4g} h"


def _window_text(requirements: pd.DataFrame) -> str:
    if requirements.empty:
        return "(empty)"
    first = requirements["interval_start"].min()
    last = requirements["interval_start"].max()
    return f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}"


REQUIREMENTS_CSV_COLUMNS = (
    "interval_start",
    "use_case",
    "turns",
    "aht_seconds",
    "workload_erlangs",
    "agents",
    "scheduled_agents",
    "work_agents",
    "slot_agents",
    "binding",
    "expected_service_level",
)


def frame_for_export(frame: pd.DataFrame, leading_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return a stage table as written to CSV: ``leading_columns`` first, then the rest.

    ``interval_start`` becomes ISO 8601 local time with its UTC offset, so a DST
    overlap hour stays unambiguous in a spreadsheet; the other columns keep their
    library units (seconds, Erlangs, agents). The internal ``is_open`` flag is left out.
    """
    first = [c for c in leading_columns if c in frame.columns]
    rest = [c for c in frame.columns if c not in first and c != "is_open"]
    export = frame.loc[:, first + rest].copy()
    if "interval_start" in export:
        export["interval_start"] = [stamp.isoformat() for stamp in export["interval_start"]]
    return export


def requirements_for_export(requirements: pd.DataFrame) -> pd.DataFrame:
    """Return the requirements table as written to ``requirements.csv``."""
    return frame_for_export(requirements, REQUIREMENTS_CSV_COLUMNS)
