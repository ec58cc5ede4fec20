"""The `asyncwfm measure` command."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `measure` command to ``app``."""
    # NOTE: placeholder until the command is built.
    del app
