"""Paths and small helpers shared by the ingest tests."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from asyncwfm.demo import bundled_sample_path
from asyncwfm.ingest import IngestOptions, ReadResult, read_file

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "data" / "ingest"
TWCS_SAMPLE = bundled_sample_path()
"""The first 5,000 tweets of the TWCS corpus, bundled with the package."""


def read_quietly(path: Path, options: IngestOptions | None = None) -> ReadResult:
    """Read a file with :func:`read_file`, ignoring its DataQualityWarnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_file(path, options)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` exactly as given (no newline translation) and return the path."""
    path.write_bytes(text.encode(encoding))
    return path


def rejection_lines(result: ReadResult) -> list[int]:
    """Return the rejected lines of a read result, in order."""
    return [int(line) for line in result.rejections["line"]]


def by_key(events: pd.DataFrame) -> pd.DataFrame:
    """Index an event table by ``event_key``."""
    return events.set_index("event_key")
