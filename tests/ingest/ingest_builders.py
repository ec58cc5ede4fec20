"""Paths and small helpers shared by the ingest tests."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from asyncwfm.ingest import IngestOptions, ReadResult, read_file

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "data" / "ingest"
SHARED_DATA = REPO / ".." / "shared" / "data"
TWCS_SAMPLE = SHARED_DATA / "twcs_head_sample" / "twcs_head_5000.csv.gz"


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
