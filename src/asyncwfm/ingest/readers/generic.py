"""Readers of generic event logs: CSV, TSV, Parquet and JSON Lines with canonical columns.

Each row is one event. Columns named like the event table's columns are read as
they are (case-insensitive), and ``IngestOptions.columns`` maps other names
(``canonical=source``). Required: ``conversation_id``, ``timestamp`` and ``sender``;
``sender`` may instead come from an ``author`` column and
``IngestOptions.business_authors``. A ``text``, ``body`` or ``message`` column is
read only to compute ``text_length``. ``message_id`` (or ``event_key``) becomes the
event key; without one the store derives a key from the event's content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from asyncwfm.errors import InputError
from asyncwfm.ingest.delimited import DelimitedReader
from asyncwfm.ingest.normalize import CandidateEvents, ChunkResult, finish_chunk
from asyncwfm.ingest.readers.base import (
    SourceContext,
    empty_reasons,
    resolve_columns,
    sender_from_authors,
    string_column,
)
from asyncwfm.ingest.source import iter_line_blocks, line_numbers_of, repair_utf8
from asyncwfm.ingest.timestamps import parse_timestamps

GENERIC_COLUMNS: Final[tuple[str, ...]] = (
    "conversation_id",
    "timestamp",
    "sender",
    "author",
    "agent_id",
    "customer_id",
    "channel",
    "use_case",
    "event_type",
    "text",
    "text_length",
    "handle_seconds",
    "event_key",
    "message_id",
)
"""Canonical columns the generic readers look for."""

_PARQUET_BATCH_ROWS: Final = 200_000


def read_csv(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a generic CSV file (``,`` unless ``IngestOptions.delimiter`` sets another)."""
    yield from _read_delimited(context, context.options.delimiter or ",")


def read_tsv(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a generic tab-separated file."""
    yield from _read_delimited(context, context.options.delimiter or "\t")


def read_parquet(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a generic Parquet file; the line of a row is its 1-based row number."""
    try:
        parquet = pq.ParquetFile(context.path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{context.path} is not a readable Parquet file: {exc}") from None
    _hash_file(context)

    found = parquet.schema_arrow.names
    columns = _resolve_generic(found, context)
    needed = sorted({name for name in columns.values() if name in found})
    first_row = 1
    try:
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, columns=needed):
            table = pa.Table.from_batches([batch])
            lines = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
            first_row += table.num_rows
            yield finish_chunk(
                _generic_candidates(table, lines, columns, context),
                context.options,
                context.source_file,
            )
            if context.progress is not None:
                context.progress(first_row - 1, parquet.metadata.num_rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(
            f"{context.path}: Parquet data is damaged after row {first_row - 1}: {exc}"
        ) from None


def read_jsonl(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a JSON Lines file: one JSON object per line; nested fields as ``a.b`` mappings."""
    stream = context.open_text()
    columns: dict[str, str] | None = None
    for block, first_line in iter_line_blocks(stream, context.options.chunk_bytes):
        records, lines, rejected_lines, rejected_reasons = parse_json_lines(
            block, first_line, context.warnings
        )
        frame = pd.DataFrame(records, dtype=object) if records else pd.DataFrame()
        if columns is None and len(frame.columns):
            columns = _resolve_generic([str(c) for c in frame.columns], context)
        if columns is None or not records:
            yield _only_rejections(rejected_lines, rejected_reasons)
            context.report_progress()
            continue
        table = frame_to_strings(frame, columns)
        result = finish_chunk(
            _generic_candidates(table, lines, columns, context),
            context.options,
            context.source_file,
        )
        yield add_rejections(result, rejected_lines, rejected_reasons)
        context.report_progress()


def parse_json_lines(
    block: bytes, first_line: int, warnings: list[str]
) -> tuple[list[dict[str, Any]], np.ndarray, list[int], list[str]]:
    """Parse the lines of ``block`` as JSON objects, rejecting lines that are not one.

    The whole block is parsed in one call when it is valid. Otherwise each line is
    parsed alone, so that every bad line gets its own reason. Invalid UTF-8 is
    replaced with U+FFFD and named in ``warnings``.

    Returns
    -------
    records, lines, rejected_lines, rejected_reasons
        The objects with their 1-based lines, and the rejected lines with reasons.
    """
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        block = _repair_and_locate(block, first_line, warnings)

    raw_lines = block.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    numbers = np.arange(first_line, first_line + len(raw_lines), dtype=np.int64)
    stripped = [line.strip() for line in raw_lines]
    keep = np.fromiter((bool(line) for line in stripped), dtype=bool, count=len(stripped))
    lines_kept = numbers[keep]
    payload = [line for line, kept in zip(stripped, keep.tolist(), strict=True) if kept]
    if not payload:
        return [], lines_kept, [], []

    values = _parse_all_at_once(payload)
    if values is not None:
        return values, lines_kept, [], []
    return _parse_one_by_one(payload, lines_kept)


def frame_to_strings(frame: pd.DataFrame, columns: dict[str, str]) -> pa.Table:
    """Return the mapped source columns of ``frame`` as string columns named by source name.

    A source name with dots (``conversation.id``) digs into nested objects.
    """
    data = {}
    for source in set(columns.values()):
        series = _dig(frame, source)
        data[source] = pa.array(series.astype("string"), type=pa.string(), from_pandas=True)
    return pa.table(data)


def add_rejections(
    result: ChunkResult, lines: Sequence[int], reasons: Sequence[str]
) -> ChunkResult:
    """Return ``result`` with more rejected lines (structural problems found by the reader)."""
    if not lines:
        return result
    result.rejected_lines = np.concatenate(
        (result.rejected_lines, np.asarray(lines, dtype=np.int64))
    )
    result.rejected_reasons = [*result.rejected_reasons, *reasons]
    return result


def _read_delimited(context: SourceContext, delimiter: str) -> Iterator[ChunkResult]:
    stream = context.open_text()
    reader = DelimitedReader(
        stream,
        delimiter=delimiter,
        chunk_bytes=context.options.chunk_bytes,
        max_record_bytes=context.options.max_record_bytes,
    )
    if not reader.header:
        context.warnings.append(f"{context.source_file} is empty.")
        return
    columns = _resolve_generic(reader.header, context)
    for batch in reader:
        result = finish_chunk(
            _generic_candidates(batch.table, batch.lines, columns, context),
            context.options,
            context.source_file,
        )
        yield add_rejections(result, batch.rejected_lines, batch.rejected_reasons)
        context.report_progress()
    context.warnings.extend(reader.warnings)
    if reader.rows_read == 0:
        context.warnings.append(f"{context.source_file} has a header line but no rows.")


def _resolve_generic(found: Sequence[str], context: SourceContext) -> dict[str, str]:
    """Map the generic columns to source columns, naming every missing one at once."""
    options = context.options
    columns = resolve_columns(
        found, options, required=(), wanted=GENERIC_COLUMNS, source=context.source_file
    )
    missing = [name for name in ("conversation_id", "timestamp") if name not in columns]
    sender_known = (
        "sender" in columns
        or options.sender is not None
        or ("author" in columns and bool(options.business_authors))
    )
    if not sender_known:
        missing.append("sender")
    if not missing:
        return columns

    message = (
        f"{context.source_file}: missing required column(s) {missing}; found {list(found)}. "
        f"Rename them or map each with --column, e.g. --column {missing[0]}=<source column>."
    )
    if "sender" in missing:
        message += (
            " The sender can also come from an author column with --business-author NAME "
            "for the authors who write for the business, or from --sender customer (or "
            "agent) when every row has the same sender."
        )
    raise InputError(message)


def _generic_candidates(
    table: pa.Table, lines: np.ndarray, columns: dict[str, str], context: SourceContext
) -> CandidateEvents:
    options = context.options

    def column(name: str) -> pa.Array | None:
        return string_column(table, columns.get(name))

    author = column("author")
    sender = column("sender")
    if options.sender is not None:
        sender = pa.repeat(pa.scalar(options.sender, pa.string()), table.num_rows)
    elif sender is None:
        assert author is not None
        sender = sender_from_authors(author, options)

    text = column("text")
    text_length = (
        pc.utf8_length(text).cast(pa.int64()) if text is not None else column("text_length")
    )
    timestamp_source = columns["timestamp"]
    raw_timestamps = (
        table.column(timestamp_source).combine_chunks()
        if timestamp_source in table.column_names
        else pa.nulls(table.num_rows, pa.string())
    )
    conversation = column("conversation_id")
    assert conversation is not None
    handle = columns.get("handle_seconds")
    return CandidateEvents(
        lines=lines,
        conversation_id=conversation,
        timestamps=parse_timestamps(
            raw_timestamps, lines, options, timestamp_format=options.timestamp_format
        ),
        sender=sender,
        author=author,
        agent_id=column("agent_id"),
        customer_id=column("customer_id"),
        channel=column("channel"),
        use_case=column("use_case"),
        event_type=column("event_type"),
        text_length=text_length,
        handle_seconds=None if handle is None else table.column(handle).combine_chunks(),
        event_key=column("event_key") or column("message_id"),
        reasons=empty_reasons(table.num_rows),
    )


def _only_rejections(lines: Sequence[int], reasons: Sequence[str]) -> ChunkResult:
    from asyncwfm.ingest.normalize import EVENT_ARROW_SCHEMA

    return ChunkResult(
        events=EVENT_ARROW_SCHEMA.empty_table(),
        rejected_lines=np.asarray(lines, dtype=np.int64),
        rejected_reasons=list(reasons),
    )


def _parse_all_at_once(payload: list[bytes]) -> list[dict[str, Any]] | None:
    # Each line is wrapped in its own array, and lines are joined by a raw line feed,
    # which JSON forbids inside strings. So a string cannot run from one line into
    # the next, and the element counts below catch lines that merge or split otherwise.
    document = b"[[" + b"]\n,[".join(payload) + b"]]"
    try:
        wrapped = json.loads(document)
    except (ValueError, RecursionError):
        return None
    if len(wrapped) != len(payload):
        return None
    if not all(len(item) == 1 and type(item[0]) is dict for item in wrapped):
        return None
    return [item[0] for item in wrapped]


def _parse_one_by_one(
    payload: list[bytes], lines: np.ndarray
) -> tuple[list[dict[str, Any]], np.ndarray, list[int], list[str]]:
    records: list[dict[str, Any]] = []
    kept: list[int] = []
    rejected_lines: list[int] = []
    rejected_reasons: list[str] = []
    for line_number, line in zip(lines.tolist(), payload, strict=True):
        try:
            value = json.loads(line)
        except ValueError as exc:
            rejected_lines.append(line_number)
            rejected_reasons.append(f"invalid JSON: {str(exc).split(':')[0]}")
            continue
        except RecursionError:
            rejected_lines.append(line_number)
            rejected_reasons.append("invalid JSON: nested too deeply")
            continue
        if type(value) is not dict:
            rejected_lines.append(line_number)
            rejected_reasons.append(f"not a JSON object (found {type(value).__name__})")
            continue
        records.append(value)
        kept.append(line_number)
    return records, np.asarray(kept, dtype=np.int64), rejected_lines, rejected_reasons


def _repair_and_locate(block: bytes, first_line: int, warnings: list[str]) -> bytes:
    from asyncwfm.ingest.delimited import describe_lines

    repaired, positions = repair_utf8(block)
    lines = line_numbers_of(block, positions, first_line)
    warnings.append(
        f"invalid UTF-8 bytes replaced with U+FFFD on {describe_lines(lines)}; "
        "pass --encoding if the file is not UTF-8."
    )
    return repaired


def _dig(frame: pd.DataFrame, source: str) -> pd.Series:
    if source in frame.columns:
        return frame[source]
    head, _, rest = source.partition(".")
    if not rest or head not in frame.columns:
        return pd.Series([None] * len(frame), dtype=object, index=frame.index)
    series = frame[head]
    for key in rest.split("."):
        # NOTE: nested paths are followed with a Python call per row; flat columns are not.
        series = series.map(lambda value, key=key: _get(value, key))
    return series


def _get(value: object, key: str) -> object:
    return value.get(key) if isinstance(value, dict) else None


def _hash_file(context: SourceContext) -> None:
    digest = hashlib.sha256()
    with context.path.open("rb") as handle:
        while piece := handle.read(1 << 22):
            digest.update(piece)
    context.file_sha256 = digest.hexdigest()
