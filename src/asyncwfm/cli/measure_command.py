"""The `asyncwfm measure` command: per-use-case turns, response times and active time."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from asyncwfm.cli._common import warnings_to_stderr, window_bound
from asyncwfm.config import PlanningConfig, load_config
from asyncwfm.measure import Measurement, measure
from asyncwfm.report.terminal import duration_text
from asyncwfm.store import EventStore

_TABLE_COLUMNS = (
    ("use_case", "use case", "text"),
    ("conversations", "conv.", "count"),
    ("customer_turns", "turns", "count"),
    ("bot_turns", "by bot", "count"),
    ("active_seconds_per_turn", "AHT", "duration"),
    ("median_session_seconds", "session", "duration"),
    ("response_seconds_p50", "resp p50", "duration"),
    ("response_seconds_p90", "resp p90", "duration"),
    ("peakedness", "VMR", "ratio"),
)
"""Summary columns shown in the terminal (key, header, kind); ``--json`` has them all.
AHT is agent work per handled turn, session the median first-to-last-event span, and
VMR the variance-to-mean ratio of turn arrivals in short windows (1 for Poisson)."""


def register(app: typer.Typer) -> None:
    """Add the `measure` command to ``app``."""

    @app.command("measure")
    def measure_command(
        db: Annotated[
            Path, typer.Option("--db", help="Event store (DuckDB file) written by ingest.")
        ],
        config: Annotated[
            Path | None,
            typer.Option(
                "--config", help="Planning configuration (TOML); defaults apply without it."
            ),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the per-use-case summary as JSON.")
        ] = False,
        start: Annotated[
            str | None,
            typer.Option(
                "--start",
                help="Start of the workload window: a date or time local to the business time "
                "zone (e.g. 2017-10-30), or ISO 8601 with an offset. Default: the busiest "
                "stretch of the log. With --start or --end the figures cover the window only.",
            ),
        ] = None,
        end: Annotated[
            str | None,
            typer.Option(
                "--end", help="End of the workload window (exclusive), written like --start."
            ),
        ] = None,
    ) -> None:
        """Measure customer turns, response times and active handling time per use case."""
        planning = load_config(config) if config is not None else PlanningConfig()
        window_start = window_bound(start, planning.business_timezone, "--start")
        window_end = window_bound(end, planning.business_timezone, "--end")
        with EventStore(db, read_only=True) as store:
            events = store.events()

        with warnings_to_stderr():
            result = measure(events, planning, start=window_start, end=window_end)

        window_only = start is not None or end is not None
        if json_output:
            records = result.summary_records(window_only=window_only)
            typer.echo(json.dumps({"use_cases": records}, indent=2))
        else:
            Console().print(_summary_table(result, window_only))


def _summary_table(result: Measurement, window_only: bool) -> Table | str:
    if result.status == "no_events":
        return "No events to measure."
    if len(result.turns) == 0:
        return (
            "The log has no customer messages, so there are no customer turns to measure: "
            "it holds agent (or bot) messages only. Ingest an export with the customers' "
            "messages to measure response times and plan."
        )
    window = f"{result.window_start:%Y-%m-%d %H:%M} to {result.window_end:%Y-%m-%d %H:%M} UTC"
    table = Table(
        title="Measured per use case",
        title_justify="left",
        caption=f"workload window {window}, {result.interval_minutes}-minute intervals"
        + ("; figures cover the window only" if window_only else "; figures cover the whole log")
        + ". AHT is active agent work per handled turn; session length is for contrast only.",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 0),
        collapse_padding=True,
    )
    for _, header, kind in _TABLE_COLUMNS:
        table.add_column(
            header,
            justify="left" if kind == "text" else "right",
            no_wrap=True,
            min_width=len(header) + 1,
        )
    for row in result.summary_records(window_only=window_only):
        table.add_row(*(_format(row[key], kind) for key, _, kind in _TABLE_COLUMNS))
    return table


def _format(value: object, kind: str) -> str:
    if value is None or kind == "text" or not isinstance(value, int | float):
        return "-" if value is None else str(value)
    if math.isnan(value):
        return "-"
    if kind == "count":
        return f"{value:,}"
    if kind == "seconds":
        return f"{value:,.0f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return _duration(float(value))


def _duration(seconds: float) -> str:
    return duration_text(seconds)
