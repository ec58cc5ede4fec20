"""The `asyncwfm plan` command: requirements per use case and interval, and the report."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from asyncwfm.cli._common import planning_config, warnings_to_stderr, window_bound
from asyncwfm.errors import InputError
from asyncwfm.plan.bots import BotScenario
from asyncwfm.report.terminal import (
    bot_summary_line,
    plan_summary_table,
    simulation_summary_lines,
)
from asyncwfm.store import EventStore
from asyncwfm.workflow import PlanOptions, PlanRun, run_plan


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
        forecast: Annotated[
            Path | None,
            typer.Option(
                "--forecast",
                help="Plan from this forecast.csv (written by 'asyncwfm forecast') instead of "
                "the measured workload; the log still supplies the history.",
            ),
        ] = None,
        quantile: Annotated[
            float | None,
            typer.Option(
                "--quantile",
                min=0.025,
                max=0.975,
                help="With --forecast: plan volumes to this quantile of the forecast "
                "(e.g. 0.8) instead of the mean.",
            ),
        ] = None,
        bot_containment: Annotated[
            float | None,
            typer.Option(
                "--bot-containment",
                min=0.0,
                max=0.99,
                help="Plan a bot scenario: the share of today's agent-handled conversations "
                "the bot will contain (e.g. 0.45).",
            ),
        ] = None,
        selectivity: Annotated[
            float,
            typer.Option(
                "--selectivity",
                min=0.0,
                max=1.0,
                help="With --bot-containment: 0 contains a random share, 1 the easiest "
                "conversations first.",
            ),
        ] = 1.0,
        ramp_weeks: Annotated[
            float,
            typer.Option(
                "--ramp-weeks",
                min=0.0,
                help="With --bot-containment: weeks over which containment rises to its level.",
            ),
        ] = 0.0,
        handoff_seconds: Annotated[
            float,
            typer.Option(
                "--handoff-seconds",
                min=0.0,
                help="With --bot-containment: agent seconds added to each handed-off turn.",
            ),
        ] = 0.0,
        verify: Annotated[
            bool,
            typer.Option("--verify", help="Check the plan in a discrete-event simulation."),
        ] = False,
        tune: Annotated[
            bool,
            typer.Option(
                "--tune", help="Find the smallest staffing that keeps every promise in simulation."
            ),
        ] = False,
        replications: Annotated[
            int | None,
            typer.Option(
                "--replications", min=1, help="Simulation replications (default: from the config)."
            ),
        ] = None,
        seed: Annotated[
            int | None, typer.Option("--seed", help="Simulation seed (default: from the config).")
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the per-use-case summary as JSON.")
        ] = False,
    ) -> None:
        """Plan agents per use case and interval from a measured log and write the report."""
        planning = planning_config(config)
        options = PlanOptions(
            start=window_bound(start, planning.business_timezone, "--start"),
            end=window_bound(end, planning.business_timezone, "--end"),
            verify=verify,
            tune=tune,
            replications=replications or planning.simulation.replications,
            seed=planning.simulation.seed if seed is None else seed,
            forecast_path=forecast,
            quantile=quantile,
            bot_scenario=None
            if bot_containment is None
            else BotScenario(
                containment=bot_containment,
                selectivity=selectivity,
                ramp_weeks=ramp_weeks,
                handoff_seconds=handoff_seconds,
            ),
        )
        if quantile is not None and forecast is None:
            raise InputError("--quantile needs --forecast: it picks a quantile of a forecast.")
        with EventStore(db, read_only=True) as store:
            events = store.events()

        console = Console(stderr=json_output)
        with warnings_to_stderr(), Progress(console=console, transient=True) as progress:
            task = progress.add_task("simulating", total=None, visible=False)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, visible=True)

            run = run_plan(
                events,
                planning,
                options,
                out,
                subtitle=f"{db.name}: {len(events):,} events",
                on_step=lambda message: progress.console.print(f"[dim]-> {message}[/]"),
                on_progress=on_progress,
            )
        print_plan_run(run, console, json_output)


def print_plan_run(run: PlanRun, console: Console, json_output: bool) -> None:
    """Print the plan summary as a table (or JSON) and the paths written."""
    if json_output:
        typer.echo(run.summary.to_json(orient="records", indent=2))
        return
    console.print(plan_summary_table(run.summary))
    total = run.plan.overstaffing
    total = total[total["use_case"] == "total"] if not total.empty else total
    if not total.empty and math.isfinite(float(total["overstaffing_factor"].iloc[0])):
        console.print(
            "Taking session length as handle time would need "
            f"{float(total['overstaffing_factor'].iloc[0]):,.1f}x the agent-hours "
            f"({float(total['agent_hours_session'].iloc[0]):,.0f} instead of "
            f"{float(total['agent_hours_active'].iloc[0]):,.0f})."
        )
    if run.bot_summary is not None:
        console.print(bot_summary_line(run.bot_summary, run.bot_agent_hours))
    for line in simulation_summary_lines(run.verification, run.tuning, run.plan.interval_minutes):
        console.print(line)
    console.print(f"Requirements: {run.requirements_path} (and .xlsx)")
    if run.attainment_path is not None:
        console.print(f"Attainment:   {run.attainment_path}")
    console.print(f"Report:       {run.report_path}")
