"""The `asyncwfm measure` command: per-use-case turns, response times and active time."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from asyncwfm.config import PlanningConfig, load_config
from asyncwfm.errors import AsyncWfmWarning
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
                help="Start of the workload window (ISO 8601; UTC unless an offset is given). "
                "Default: the densest stretch of the log.",
            ),
        ] = None,
        end: Annotated[
            str | None,
            typer.Option("--end", help="End of the workload window (ISO 8601, exclusive)."),
        ] = None,
    ) -> None:
        """Measure customer turns, response times and active handling time per use case."""
        planning = load_config(config) if config is not None else PlanningConfig()
        with EventStore(db, read_only=True) as store:
            events = store.events()

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", AsyncWfmWarning)
            result = measure(events, planning, start=start, end=end)
        error_console = Console(stderr=True)
        for warning in caught:
            error_console.print(f"warning: {warning.message}", highlight=False, soft_wrap=True)

        if json_output:
            typer.echo(json.dumps({"use_cases": result.summary_records()}, indent=2))
        else:
            Console().print(_summary_table(result))


def _summary_table(result: Measurement) -> Table | str:
    if result.status == "no_events":
        return "No events to measure."
    window = f"{result.window_start:%Y-%m-%d %H:%M} to {result.window_end:%Y-%m-%d %H:%M} UTC"
    table = Table(
        title="Measured per use case",
        title_justify="left",
        caption=f"workload window {window}, {result.interval_minutes}-minute intervals. AHT "
        "is active agent work per handled turn; session length is for contrast only.",
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
    for row in result.summary_records():
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
