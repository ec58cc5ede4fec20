"""Rich tables for the terminal: the plan summary per use case."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
from rich import box
from rich.table import Table

if TYPE_CHECKING:
    from asyncwfm.plan.bots import BotScenarioSummary
    from asyncwfm.simulate import TuningResult, VerificationResult


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    return str(value)


def frame_table(
    frame: pd.DataFrame, title: str | None = None, percent_columns: tuple[str, ...] = ()
) -> Table:
    """Return a rich table of ``frame``: text left-aligned, numbers right-aligned.

    Columns named in ``percent_columns`` are shown as percentages.
    """
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if column in percent_columns and isinstance(value, float) and not math.isnan(value):
                cells.append(f"{value:.0%}")
            else:
                cells.append(_cell(value))
        table.add_row(*cells)
    return table


def duration_text(seconds: float) -> str:
    """Return a short duration for a terminal cell: ``45s``, ``12.5m``, ``3.2h``, ``2.1d``."""
    if seconds is None or math.isnan(seconds):
        return "-"
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f}m"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def plan_summary_table(summary: pd.DataFrame, title: str = "Plan per use case") -> Table:
    """Return the per-use-case plan summary as a narrow rich table (fits 80 columns).

    Paid hours after shrinkage are left out here; the CSV and the report have them.

    ``summary`` is :func:`asyncwfm.report.plan_report.use_case_summary`'s table.
    """
    table = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 0),
        collapse_padding=True,
    )
    headers = ["use case", "promise", "turns", "p50", "in time", "AHT", "session"]
    headers += ["peak", "agent h"]
    for index, header in enumerate(headers):
        table.add_column(
            header,
            justify="left" if index < 2 else "right",
            no_wrap=True,
            min_width=max(len(header) + 1, 6),
        )
    for row in summary.to_dict(orient="records"):
        table.add_row(
            str(row["use case"]),
            _short_promise(str(row["promise"])),
            f"{row['turns']:,}",
            duration_text(row["median response min"] * 60),
            _percent(row["measured within promise"]),
            duration_text(row["active min per turn"] * 60),
            duration_text(row["median session min"] * 60),
            f"{row['peak agents']}",
            f"{row['agent-hours']:,.1f}",
        )
    return table


def _short_promise(text: str) -> str:
    """Shorten ``80% in 30 min (first)`` to ``80% 30m 1st``."""
    text = text.replace(" same day", " in same-day")
    share, _, rest = text.partition(" in ")
    target, _, view = rest.partition(" (")
    target = target.replace(" min", "m").replace(" h", "h").replace(" s", "s")
    return f"{share} {target}" + (" 1st" if view.startswith("first") else "")


def _percent(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.0%}"


def simulation_summary_lines(
    verification: VerificationResult | None, tuning: TuningResult | None, interval_minutes: int
) -> list[str]:
    """Return one line per simulation check for the terminal, empty when none ran."""
    lines = []
    if verification is not None:
        attainment = verification.attainment
        planned = int((attainment["turns"] > 0).sum())
        missing = len(verification.missing_intervals)
        shares = _shares_text(verification.summary)
        lines.append(
            f"Plan in simulation: {missing} of {planned} busy use-case intervals "
            f"miss their promise; within promise {shares}."
        )
    if tuning is not None:
        hours = interval_minutes / 60.0
        planned_hours = float(tuning.requirements["agents"].sum()) * hours
        tuned_hours = float(tuning.requirements["tuned_agents"].sum()) * hours
        outcome = (
            "every interval keeps its promise" if tuning.meets else "some intervals still miss"
        )
        lines.append(
            f"Tuned plan ({tuning.status}, {tuning.iterations} simulations): "
            f"{tuned_hours:,.1f} agent-hours against {planned_hours:,.1f} planned; {outcome}; "
            f"within promise {_shares_text(tuning.result.summary_table())}."
        )
    return lines


def _shares_text(summary: pd.DataFrame) -> str:
    parts = [
        f"{row.use_case} {row.answered_within_promise:.0%}"
        for row in summary.itertuples(index=False)
    ]
    return ", ".join(parts)


def bot_summary_line(
    summary: BotScenarioSummary, agent_hours: tuple[float, float, float] | None
) -> str:
    """Return the headline of a bot scenario: human work and agents today, with the bot, naive."""
    scenario = summary.scenario
    text = (
        f"Bot scenario (containment {scenario.containment:.0%}, selectivity "
        f"{scenario.selectivity:g}): human turns {summary.human_turns_before:,.0f} -> "
        f"{summary.human_turns_after:,.0f} (naive {summary.human_turns_naive:,.0f}); active "
        f"hours {summary.active_hours_before:,.0f} -> {summary.active_hours_after:,.0f} "
        f"(naive {summary.active_hours_naive:,.0f}); residue AHT {summary.residue_uplift:+.1%}"
    )
    if agent_hours is not None:
        before, after, naive = agent_hours
        text += f"; agent-hours {before:,.0f} -> {after:,.0f} (naive {naive:,.0f})"
    return text + "."
