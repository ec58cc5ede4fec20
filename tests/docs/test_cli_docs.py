"""docs/cli.md documents every command and option the CLI has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CLI_DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def generated_cli_docs() -> str:
    """Return what ``typer asyncwfm.cli utils docs`` writes for the current CLI."""
    typer_command = Path(sys.executable).with_name("typer")
    finished = subprocess.run(
        [str(typer_command), "asyncwfm.cli", "utils", "docs", "--name", "asyncwfm"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return finished.stdout


def test_cli_docs_are_current() -> None:
    # Regenerate with `make cli-docs` after changing a command or its help.
    assert CLI_DOCS.read_text() == generated_cli_docs()
