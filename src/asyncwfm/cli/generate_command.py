"""The `asyncwfm generate` command: write a synthetic messaging log with bots."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from asyncwfm.synthetic import (
    DEFAULT_START,
    DEFAULT_TIMEZONE,
    DEMO_SEED,
    GeneratedLog,
    generate_log,
)
from asyncwfm.synthetic.output import LOG_FORMATS, LogFormat, provenance_path, write_log


def register(app: typer.Typer) -> None:
    """Add the `generate` command to ``app``."""

    @app.command("generate")
    def generate_command(
        out: Annotated[
            Path,
            typer.Option("--out", help="File to write; .csv, .parquet or .jsonl (optionally .gz)."),
        ],
        days: Annotated[
            int, typer.Option("--days", min=1, max=366, help="Days with new conversations.")
        ] = 28,
        seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = DEMO_SEED,
        log_format: Annotated[
            str | None,
            typer.Option(
                "--format",
                help=f"Output format, one of {', '.join(LOG_FORMATS)}; "
                "taken from the file extension by default.",
            ),
        ] = None,
        start: Annotated[
            str, typer.Option("--start", help="First day, local midnight in --timezone.")
        ] = DEFAULT_START,
        timezone: Annotated[
            str, typer.Option("--timezone", help="IANA business time zone of the seasonality.")
        ] = DEFAULT_TIMEZONE,
        volume_scale: Annotated[
            float,
            typer.Option("--volume-scale", help="Factor on every use case's daily volume."),
        ] = 1.0,
        handle_seconds: Annotated[
            bool,
            typer.Option(
                "--handle-seconds/--no-handle-seconds",
                help="Write each agent message's work in handle_seconds.",
            ),
        ] = True,
        bot_author: Annotated[
            str | None,
            typer.Option(
                "--bot-author",
                help="Write bot events as agent events by this author id, as logs that do "
                "not flag bots do; ingest the file with --bot-author and the same id.",
            ),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the provenance record as JSON.")
        ] = False,
    ) -> None:
        """Write a SYNTHETIC messaging log with bots and the values it was generated with.

        Every conversation, customer, agent and time in the file is made up. A sidecar
        FILE.provenance.json states that and records the seed and the expected containment,
        handoff turn, re-contact rate and residue uplift per use case.
        """
        chosen = _checked_format(log_format)
        log = generate_log(
            seed,
            start=start,
            days=days,
            timezone=timezone,
            volume_scale=volume_scale,
            handle_seconds=handle_seconds,
        )
        written = write_log(log, out, chosen, bot_author=bot_author)
        sidecar = provenance_path(written)

        if json_output:
            typer.echo(sidecar.read_text(encoding="utf-8"))
            return
        console = Console()
        console.print(
            f"Wrote {len(log.events):,} synthetic events in "
            f"{log.events['conversation_id'].nunique():,} conversations to {written}",
            highlight=False,
        )
        console.print(f"Provenance and expected values: {sidecar}", highlight=False)
        console.print(_truth_table(log))


def _checked_format(log_format: str | None) -> LogFormat | None:
    if log_format is None:
        return None
    lowered = log_format.lower()
    if lowered not in LOG_FORMATS:
        raise typer.BadParameter(
            f"invalid format {log_format!r}; use one of {', '.join(LOG_FORMATS)}.",
            param_hint="--format",
        )
    return lowered  # type: ignore[return-value]


def _truth_table(log: GeneratedLog) -> Table:
    table = Table(title="Generated with (expected values per use case)")
    for header in (
        "use case",
        "bot coverage",
        "containment",
        "handoff turn",
        "re-contacts",
        "residue uplift",
    ):
        table.add_column(header, justify="left" if header == "use case" else "right")
    for truth in log.truth.values():
        table.add_row(
            truth.use_case,
            f"{truth.bot_coverage:.0%}",
            f"{truth.containment:.1%}",
            _optional(truth.handoff_turn_mean, "{:.2f}"),
            f"{truth.recontact_rate:.0%}",
            _optional(truth.residue_uplift, "{:+.1%}"),
        )
    return table


def _optional(value: float, pattern: str) -> str:
    return "-" if math.isnan(value) else pattern.format(value)
