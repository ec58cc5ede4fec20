"""The `asyncwfm demo` command: the whole pipeline on the bundled real sample."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from asyncwfm.cli._common import warnings_to_stderr
from asyncwfm.cli.plan_command import print_plan_run
from asyncwfm.demo import run_demo, run_synthetic_demo
from asyncwfm.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the `demo` command to ``app``."""

    @app.command("demo")
    def demo_command(
        out: Annotated[
            Path, typer.Option("--out", help="Folder for the event store, CSV files and report.")
        ] = Path("asyncwfm-demo"),
        data: Annotated[
            str,
            typer.Option(
                "--data",
                help="Data set: 'twcs' (the bundled real Twitter sample) or 'synthetic' "
                "(a generated log with bots, planned with a 45% containment scenario).",
            ),
        ] = "twcs",
        simulate: Annotated[
            bool,
            typer.Option(
                "--simulate/--no-simulate",
                help="Verify and tune the plan in simulation (on by default).",
            ),
        ] = True,
    ) -> None:
        """Ingest, measure, plan, simulate and report a bundled sample (real by default)."""
        console = Console()
        with warnings_to_stderr(), Progress(console=console, transient=True) as progress:
            task = progress.add_task("simulating", total=None, visible=False)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, visible=True)

            if data not in ("twcs", "synthetic"):
                raise InputError(f"unknown demo data {data!r}; use 'twcs' or 'synthetic'.")
            runner = run_demo if data == "twcs" else run_synthetic_demo
            result = runner(
                out,
                verify=simulate,
                tune=simulate,
                on_step=lambda message: progress.console.print(f"[dim]-> {message}[/]"),
                on_progress=on_progress,
            )

        report = result.ingest[0]
        console.print(
            f"Ingested {report.rows_read:,} rows of {Path(report.file).name}: {report.accepted:,} "
            f"accepted, {report.rejected:,} rejected, {report.inserted:,} new events in "
            f"{result.database_path}."
        )
        print_plan_run(result.run, console, json_output=False)
        console.print("Open the report in a browser; it works offline.")
