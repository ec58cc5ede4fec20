"""The `asyncwfm plan` command: requirements per use case and interval, and the report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from asyncwfm.cli._common import planning_config, warnings_to_stderr, window_bound
from asyncwfm.measure import measure
from asyncwfm.plan.pipeline import build_plan
from asyncwfm.report.html import write_report
from asyncwfm.report.plan_report import plan_sections, requirements_for_export, use_case_summary
from asyncwfm.report.terminal import frame_table
from asyncwfm.store import EventStore


def register(app: typer.Typer) -> None:
    """Add the `plan` command to ``app``."""

    @app.command("plan")
    def plan_command(
        db: Annotated[
            Path, typer.Option("--db", help="Event store (DuckDB file) written by ingest.")
        ],
        config: Annotated[
            Path | None, typer.Option("--config", help="Planning configuration (TOML).")
        ] = None,
        out: Annotated[
            Path, typer.Option("--out", help="Folder for requirements.csv and report.html.")
        ] = Path("asyncwfm-plan"),
        start: Annotated[
            str | None,
            typer.Option(
                "--start",
                help="First day or time of the planning window, local to the business time zone "
                "(e.g. 2017-10-30). Default: the densest stretch of the log.",
            ),
        ] = None,
        end: Annotated[
            str | None,
            typer.Option("--end", help="End of the planning window (exclusive), local time."),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the per-use-case summary as JSON.")
        ] = False,
    ) -> None:
        """Plan agents per use case and interval from a measured log and write the report."""
        planning = planning_config(config)
        window_start = window_bound(start, planning.business_timezone, "--start")
        window_end = window_bound(end, planning.business_timezone, "--end")
        with EventStore(db, read_only=True) as store:
            events = store.events()

        with warnings_to_stderr():
            measurement = measure(events, planning, start=window_start, end=window_end)
            plan = build_plan(measurement.workload, measurement.conversations, planning)

        out.mkdir(parents=True, exist_ok=True)
        requirements_path = out / "requirements.csv"
        requirements_for_export(plan.requirements).to_csv(requirements_path, index=False)
        report_path = write_report(
            out / "report.html",
            "asyncwfm staffing plan",
            f"{db.name}: {measurement.events_measured:,} events",
            plan_sections(measurement, plan, planning),
        )

        summary = use_case_summary(measurement, plan, planning)
        if json_output:
            typer.echo(summary.to_json(orient="records", indent=2))
            return
        console = Console()
        console.print(frame_table(summary, "Plan per use case", ("measured within promise",)))
        total = plan.overstaffing[plan.overstaffing["use_case"] == "total"]
        if not total.empty:
            factor = float(total["overstaffing_factor"].iloc[0])
            console.print(
                f"Taking session length as handle time would need {factor:,.1f}x the agent-hours "
                f"({float(total['agent_hours_session'].iloc[0]):,.0f} instead of "
                f"{float(total['agent_hours_active'].iloc[0]):,.0f})."
            )
        console.print(f"Wrote {requirements_path} and {report_path}")
