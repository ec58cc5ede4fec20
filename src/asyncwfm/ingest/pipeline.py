"""Ingesting source files into the event store, with counts that reconcile.

For each file, the reader's chunks are validated and appended to a staging table in
the store's DuckDB connection. When the whole file has been read, one statement
inserts the staged events that are not already stored, in conversation and time
order, and the ingest run with its rejected lines is recorded in the same
transaction. A file that fails half-way (a missing column, naive timestamps without
a time zone) therefore adds nothing.

Every record of a file ends in exactly one bucket::

    rows_read = accepted + rejected
    accepted  = inserted + duplicates

where duplicates are events already in the store or repeated within the file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from asyncwfm.errors import AsyncWfmError, DataQualityWarning, InputError
from asyncwfm.ingest.detect import check_readable, detect_format
from asyncwfm.ingest.normalize import EVENT_ARROW_SCHEMA, ChunkResult
from asyncwfm.ingest.options import IngestOptions
from asyncwfm.ingest.readers import reader_for
from asyncwfm.ingest.readers.base import ProgressCallback, SourceContext
from asyncwfm.ingest.writer import EventWriter
from asyncwfm.schema import EVENT_COLUMNS
from asyncwfm.store import EventStore

REPORTED_REJECTIONS: Final = 20
"""Rejected lines kept in an :class:`IngestReport` (all of them go to the store)."""

IngestStatus = Literal["ingested", "nothing_accepted", "empty", "failed"]


@dataclass(frozen=True)
class Rejection:
    """A source record that was not ingested: its 1-based line and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class IngestReport:
    """Outcome of ingesting one file.

    Attributes
    ----------
    file : str
        The source file as given.
    format : str
        The reader used.
    status : {"ingested", "nothing_accepted", "empty", "failed"}
        ``ingested`` when at least one row was accepted; ``nothing_accepted`` when
        the file had rows but all were rejected; ``empty`` when it had no rows;
        ``failed`` when the file could not be read at all (see ``error``).
    rows_read : int
        Records found in the file (blank lines are not records).
    accepted : int
        Records that passed validation (``inserted + duplicates``).
    rejected : int
        Records that did not (``rows_read - accepted``).
    duplicates : int
        Accepted events already in the store or repeated within the file.
    inserted : int
        Events added to the store.
    rejections : tuple of Rejection
        The first :data:`REPORTED_REJECTIONS` rejected records, by line.
    warnings : tuple of str
        Problems with accepted rows or with the file (DST adjustments, invalid
        UTF-8, a truncated gzip stream).
    run_id : str or None
        Id of the ingest run in the store; None when nothing was recorded.
    source_sha256 : str or None
        SHA-256 of the file bytes that were read.
    error : str or None
        Why the file could not be read, when ``status == "failed"``.
    """

    file: str
    format: str
    status: IngestStatus
    rows_read: int
    accepted: int
    rejected: int
    duplicates: int
    inserted: int
    rejections: tuple[Rejection, ...] = ()
    warnings: tuple[str, ...] = ()
    run_id: str | None = None
    source_sha256: str | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        assert self.rows_read == self.accepted + self.rejected, self
        assert self.accepted == self.inserted + self.duplicates, self

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain data for JSON output."""
        return asdict(self)


@dataclass
class _FileOutcome:
    rejected_lines: list[np.ndarray] = field(default_factory=list)
    rejected_reasons: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    accepted: int = 0

    def add(self, chunk: ChunkResult) -> None:
        self.rejected_lines.append(chunk.rejected_lines)
        self.rejected_reasons.extend(chunk.rejected_reasons)
        self.messages.extend(chunk.warnings)
        self.accepted += chunk.events.num_rows

    def rejections_frame(self) -> pd.DataFrame:
        lines = (
            np.concatenate(self.rejected_lines) if self.rejected_lines else np.empty(0, np.int64)
        )
        frame = pd.DataFrame({"line": lines, "reason": self.rejected_reasons})
        return frame.sort_values("line", kind="stable").reset_index(drop=True)


def ingest_files(
    paths: Iterable[str | Path],
    db_path: str | Path,
    options: IngestOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    on_error: Literal["raise", "report"] = "raise",
    rejected_out: str | Path | None = None,
) -> list[IngestReport]:
    """Read source files and insert their events into the event store at ``db_path``.

    Parameters
    ----------
    paths : iterable of str or Path
        Source files, ingested in order; each is its own transaction and ingest run.
    db_path : str or Path
        DuckDB event store, created when missing.
    options : IngestOptions, optional
        How to read the files; the default detects each file's format.
    progress : callable, optional
        Called with (bytes done, bytes total) of the current file.
    on_error : {"raise", "report"}
        On a file that cannot be read: raise its :class:`~asyncwfm.errors.AsyncWfmError`
        (files before it stay ingested), or return a report with status ``failed``
        and go on with the next file.
    rejected_out : str or Path, optional
        CSV file that receives every rejected record of every file as ``file, line,
        reason`` (message text is never written).

    Returns
    -------
    list of IngestReport
        One per file, in order.

    Warns
    -----
    DataQualityWarning
        For each problem with accepted rows or with a file, also listed in the
        report's ``warnings``.
    """
    options = options or IngestOptions()
    reports: list[IngestReport] = []
    all_rejections: list[pd.DataFrame] = []
    for path in (Path(p) for p in paths):
        try:
            report, rejections = _ingest_one(path, db_path, options, progress)
        except AsyncWfmError as exc:
            if on_error == "raise":
                raise
            report = _failed_report(path, options, str(exc))
            rejections = pd.DataFrame({"line": [], "reason": []})
        for message in report.warnings:
            warnings.warn(f"{path}: {message}", DataQualityWarning, stacklevel=2)
        reports.append(report)
        all_rejections.append(rejections.assign(file=str(path)))
    if rejected_out is not None:
        _write_rejections(all_rejections, Path(rejected_out))
    return reports


def _ingest_one(
    path: Path,
    db_path: str | Path,
    options: IngestOptions,
    progress: ProgressCallback | None,
) -> tuple[IngestReport, pd.DataFrame]:
    check_readable(path)
    format_name = (
        options.format if options.format != "auto" else detect_format(path, options.encoding)
    )
    reader = reader_for(format_name, options)
    context = SourceContext(path=path, source_file=str(path), options=options, progress=progress)
    outcome = _FileOutcome()

    with EventStore(db_path) as store:
        writer = EventWriter(store)
        try:
            try:
                with writer.in_background() as write:
                    for chunk in reader(context):
                        outcome.add(chunk)
                        write(chunk.events)
            finally:
                _close_stream(context)
            rejections = outcome.rejections_frame()
            rows_read = outcome.accepted + len(rejections)
            with store.transaction():
                writer.finish()
                run_id = store.record_ingest_run(
                    source_file=str(path),
                    source_format=format_name,
                    source_sha256=context.sha256(),
                    rows_read=rows_read,
                    accepted=outcome.accepted,
                    rejected=len(rejections),
                    duplicates=writer.duplicates,
                    inserted=writer.inserted,
                    rejections=rejections,
                )
        except BaseException:
            writer.undo()
            raise
        finally:
            writer.close()

    report = IngestReport(
        file=str(path),
        format=format_name,
        status=_status(rows_read, outcome.accepted),
        rows_read=rows_read,
        accepted=outcome.accepted,
        rejected=len(rejections),
        duplicates=writer.duplicates,
        inserted=writer.inserted,
        rejections=tuple(
            Rejection(int(line), str(reason))
            for line, reason in rejections.head(REPORTED_REJECTIONS).itertuples(index=False)
        ),
        warnings=tuple(_unique([*outcome.messages, *context.warnings])),
        run_id=run_id,
        source_sha256=context.sha256(),
    )
    return report, rejections


def _close_stream(context: SourceContext) -> None:
    if context.stream is None:
        return
    if context.stream.damage is not None:
        context.warnings.append(context.stream.damage)
    context.stream.close()


def _status(rows_read: int, accepted: int) -> IngestStatus:
    if accepted:
        return "ingested"
    return "nothing_accepted" if rows_read else "empty"


def _failed_report(path: Path, options: IngestOptions, error: str) -> IngestReport:
    return IngestReport(
        file=str(path),
        format=options.format,
        status="failed",
        rows_read=0,
        accepted=0,
        rejected=0,
        duplicates=0,
        inserted=0,
        error=error,
    )


def _unique(messages: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def _write_rejections(frames: list[pd.DataFrame], path: Path) -> None:
    from asyncwfm.report.export import write_csv

    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    table = pd.DataFrame(
        {
            "file": combined.get("file", pd.Series(dtype=str)),
            "line": combined.get("line", pd.Series(dtype="Int64")).astype("Int64"),
            "reason": combined.get("reason", pd.Series(dtype=str)),
        }
    )
    try:
        write_csv(table, path)
    except OSError as exc:
        raise InputError(f"cannot write rejected rows to {path}: {exc.strerror}") from None


assert EVENT_ARROW_SCHEMA.names == list(EVENT_COLUMNS)
