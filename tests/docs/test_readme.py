"""The README's commands and Python example run as written, on a fresh folder."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```(console|python)\n(.*?)```", re.DOTALL)


def readme_blocks() -> list[tuple[str, str]]:
    """Return the README's console and python code blocks, in order."""
    return [(match.group(1), match.group(2)) for match in BLOCK.finditer(README.read_text())]


def asyncwfm_commands() -> list[str]:
    """Return every ``$ asyncwfm ...`` line of the console blocks, without the prompt."""
    commands = []
    for kind, body in readme_blocks():
        if kind != "console":
            continue
        for line in body.splitlines():
            if line.startswith("$ asyncwfm "):
                commands.append(line.removeprefix("$ ").split("  #")[0].strip())
    return commands


def test_readme_lists_the_two_commands() -> None:
    text = README.read_text()

    assert "$ make demo" in text
    assert "$ make test" in text


def test_readme_commands_and_example_run(tmp_path: Path) -> None:
    commands = asyncwfm_commands()
    assert commands, "README has no asyncwfm commands"
    environment = {**os.environ, "COLUMNS": "100"}

    for command in commands:
        arguments = shlex.split(command)[1:]
        finished = subprocess.run(
            [sys.executable, "-m", "asyncwfm", *arguments],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert finished.returncode == 0, f"{command}\n{finished.stdout}\n{finished.stderr}"
        assert "Traceback" not in finished.stderr, command

    assert (tmp_path / "asyncwfm-demo" / "report.html").is_file()
    examples = [body for kind, body in readme_blocks() if kind == "python"]
    assert examples, "README has no Python example"
    for example in examples:
        finished = subprocess.run(
            [sys.executable, "-c", example],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert finished.returncode == 0, f"{example}\n{finished.stderr}"


@pytest.mark.parametrize("target", ["demo", "test", "bench", "fuzz", "sim-sweep"])
def test_readme_make_targets_exist(target: str) -> None:
    makefile = (README.parent / "Makefile").read_text()

    assert re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE)
