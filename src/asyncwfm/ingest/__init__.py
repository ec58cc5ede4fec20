"""The ingest stage: read message logs into the event store, with counts that reconcile.

Typical use::

    from asyncwfm.ingest import IngestOptions, ingest_files

    reports = ingest_files(["twcs.csv.gz"], "events.duckdb", IngestOptions(format="twcs"))
    print(reports[0].inserted, reports[0].rejections[:3])

Every record of a file is either accepted or rejected with its line and a reason.
Message bodies are read only to compute ``text_length`` and are never stored.
"""

from __future__ import annotations

from asyncwfm.ingest.detect import detect_format
from asyncwfm.ingest.normalize import events_frame
from asyncwfm.ingest.options import (
    COMMON_SENDER_SYNONYMS,
    FORMATS,
    IngestOptions,
)
from asyncwfm.ingest.pipeline import IngestReport, Rejection, ingest_files
from asyncwfm.ingest.read import ReadResult, read_file

__all__ = [
    "COMMON_SENDER_SYNONYMS",
    "FORMATS",
    "IngestOptions",
    "IngestReport",
    "ReadResult",
    "Rejection",
    "detect_format",
    "events_frame",
    "ingest_files",
    "read_file",
]
