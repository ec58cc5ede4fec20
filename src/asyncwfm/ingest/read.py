"""Reading one source file into an event table in memory, without a store."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from asyncwfm.errors import DataQualityWarning
from asyncwfm.ingest.detect import check_readable, detect_format
from asyncwfm.ingest.normalize import EVENT_ARROW_SCHEMA, events_frame
from asyncwfm.ingest.options import IngestOptions
from asyncwfm.ingest.readers import reader_for
from asyncwfm.ingest.readers.base import SourceContext
from asyncwfm.schema import validate_events


@dataclass(frozen=True)
class ReadResult:
    """Events and rejections of one file read in memory.

    Attributes
    ----------
    format : str
        The reader used.
    events : pandas.DataFrame
        Accepted rows in the event table layout, in source order; events repeated
        within the file are still there (the store drops them on insert).
    rejections : pandas.DataFrame
        Columns ``line`` and ``reason``, by line.
    warnings : tuple of str
        Problems with accepted rows or with the file.
    """

    format: str
    events: pd.DataFrame
    rejections: pd.DataFrame
    warnings: tuple[str, ...]

    @property
    def rows_read(self) -> int:
        """Records found in the file: accepted plus rejected."""
        return len(self.events) + len(self.rejections)


def read_file(path: str | Path, options: IngestOptions | None = None) -> ReadResult:
    """Read one source file into memory: accepted events and rejected lines.

    Meant for files that fit in memory, tests and notebooks; :func:`ingest_files`
    streams any size into the store. Emits a
    :class:`~asyncwfm.errors.DataQualityWarning` per warning message.
    """
    options = options or IngestOptions()
    source = Path(path)
    check_readable(source)
    format_name = (
        options.format if options.format != "auto" else detect_format(source, options.encoding)
    )
    context = SourceContext(path=source, source_file=str(source), options=options)
    tables: list[pa.Table] = []
    lines: list[np.ndarray] = []
    reasons: list[str] = []
    messages: list[str] = []
    try:
        for chunk in reader_for(format_name, options)(context):
            tables.append(chunk.events)
            lines.append(chunk.rejected_lines)
            reasons.extend(chunk.rejected_reasons)
            messages.extend(chunk.warnings)
    finally:
        if context.stream is not None:
            if context.stream.damage is not None:
                context.warnings.append(context.stream.damage)
            context.stream.close()

    table = pa.concat_tables(tables) if tables else EVENT_ARROW_SCHEMA.empty_table()
    events = events_frame(table, decode_labels=True)
    validate_events(events)
    rejections = pd.DataFrame(
        {
            "line": np.concatenate(lines) if lines else np.empty(0, dtype=np.int64),
            "reason": reasons,
        }
    ).sort_values("line", kind="stable", ignore_index=True)
    all_messages = tuple(dict.fromkeys([*messages, *context.warnings]))
    for message in all_messages:
        warnings.warn(f"{source}: {message}", DataQualityWarning, stacklevel=2)
    return ReadResult(format_name, events, rejections, all_messages)
