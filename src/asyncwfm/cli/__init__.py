"""The ``asyncwfm`` command: a thin layer that parses options, calls the library and renders.

Each command lives in its own module with a ``register(app)`` function. Errors derived
from :class:`~asyncwfm.errors.AsyncWfmError` are printed as one line on standard error
with exit status 2, never as a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from asyncwfm import __version__
from asyncwfm.errors import AsyncWfmError

app = typer.Typer(
    name="asyncwfm",
    help="Workforce planning for asynchronous messaging: ingest logs, measure active "
    "handling time, forecast, plan agents per use case and interval, simulate and report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

error_console = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"asyncwfm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Workforce planning for asynchronous messaging channels."""


def _register_commands() -> None:
    from asyncwfm.cli import (
        demo_command,
        erlang_command,
        forecast_command,
        generate_command,
        ingest_command,
        measure_command,
        plan_command,
        simulate_command,
        staff_command,
    )

    for module in (
        ingest_command,
        measure_command,
        forecast_command,
        erlang_command,
        staff_command,
        plan_command,
        simulate_command,
        demo_command,
        generate_command,
    ):
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point of the console script: run the app and map our errors to exit status 2.

    The app runs in typer's standalone mode, which prints usage errors and sets the
    exit status itself; errors of ours pass through it and are printed here as one line.
    """
    try:
        app()
    except AsyncWfmError as exc:
        error_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
