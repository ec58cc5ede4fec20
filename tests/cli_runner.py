"""Run the ``asyncwfm`` console script in-process for CLI tests."""

from __future__ import annotations

import pytest

from asyncwfm.cli import main


def run_cli(
    arguments: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run the console script in-process and return its exit status, stdout and stderr."""
    monkeypatch.setattr("sys.argv", ["asyncwfm", *arguments])
    status = 0
    try:
        main()
    except SystemExit as exc:
        status = int(exc.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err
