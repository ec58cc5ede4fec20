"""Checks shared by every reader: from candidate columns to accepted events and rejections.

A reader turns its source format into :class:`CandidateEvents` (string columns as
found, timestamps already parsed, one source line per row). :func:`finish_chunk`
validates them column by column with vectorised pyarrow and numpy operations and
gives each bad row the first reason found. It returns the accepted rows as an Arrow
table in the event table's column order, and the rejected lines with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, TypeAlias

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from asyncwfm.ingest.options import IngestOptions
from asyncwfm.ingest.timestamps import TimestampResult, shown_value
from asyncwfm.schema import (
    EVENT_COLUMNS,
    EVENT_TYPE_VALUES,
    MAX_HANDLE_SECONDS,
    OPTIONAL_DEFAULTS,
    SENDER_VALUES,
)

LABEL_TYPE: Final = pa.dictionary(pa.int32(), pa.string())
"""Arrow type of the low-cardinality text columns (sender, channel, use case, event
type, source file): dictionary-encoded, which halves the memory of a chunk and the
time DuckDB takes to insert it."""

EVENT_ARROW_SCHEMA: Final = pa.schema(
    [
        ("event_key", pa.string()),
        ("conversation_id", pa.string()),
        ("timestamp", pa.timestamp("ns", tz="UTC")),
        ("sender", LABEL_TYPE),
        ("agent_id", pa.string()),
        ("customer_id", pa.string()),
        ("channel", LABEL_TYPE),
        ("use_case", LABEL_TYPE),
        ("event_type", LABEL_TYPE),
        ("text_length", pa.int64()),
        ("handle_seconds", pa.float64()),
        ("source_file", LABEL_TYPE),
        ("source_line", pa.int64()),
    ]
)
"""Arrow types of the event table, in :data:`asyncwfm.schema.EVENT_COLUMNS` order."""

assert tuple(EVENT_ARROW_SCHEMA.names) == EVENT_COLUMNS

CUSTOMER_ID_DIGEST_CHARS: Final = 24
"""Hex characters kept of a hashed customer id (96 bits)."""

_ALLOWED_SENDERS: Final = ", ".join(sorted(SENDER_VALUES))
_ALLOWED_EVENT_TYPES: Final = ", ".join(sorted(EVENT_TYPE_VALUES))

StringColumn: TypeAlias = pa.Array | pa.ChunkedArray


@dataclass
class CandidateEvents:
    """Columns of one chunk as a reader found them, before the shared checks.

    String columns hold source values (null or empty when absent). ``channel``,
    ``use_case`` and ``event_type`` may be one string for the whole chunk.
    ``reasons`` contains the rejections the reader already decided (None where none).
    """

    lines: np.ndarray
    conversation_id: StringColumn
    timestamps: TimestampResult
    sender: StringColumn
    author: StringColumn | None = None
    agent_id: StringColumn | None = None
    customer_id: StringColumn | None = None
    channel: StringColumn | str | None = None
    use_case: StringColumn | str | None = None
    event_type: StringColumn | str | None = None
    text_length: StringColumn | None = None
    handle_seconds: StringColumn | None = None
    event_key: StringColumn | None = None
    reasons: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ChunkResult:
    """Outcome of one chunk: accepted events, rejected lines and warning messages.

    ``rows_read`` is ``events.num_rows + len(rejected_lines)``.
    """

    events: pa.Table
    rejected_lines: np.ndarray
    rejected_reasons: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Records of the source in this chunk."""
        return self.events.num_rows + len(self.rejected_lines)


def finish_chunk(
    candidates: CandidateEvents, options: IngestOptions, source_file: str
) -> ChunkResult:
    """Validate candidate columns and split the chunk into accepted events and rejections."""
    size = len(candidates.lines)
    reasons = (
        np.full(size, None, dtype=object)
        if candidates.reasons is None
        else candidates.reasons.copy()
    )

    conversation = _clean(candidates.conversation_id)
    _reject(reasons, _is_empty(conversation), "missing conversation_id")
    _reject_where(reasons, candidates.timestamps.reasons)
    sender = _normalize_sender(candidates, options, reasons)
    event_type = _normalize_event_type(candidates.event_type, size, reasons)
    text_length = _parse_text_length(candidates.text_length, size, reasons)
    handle_seconds = _parse_handle_seconds(candidates.handle_seconds, size, reasons)

    customer_id = _optional(candidates.customer_id, size)
    if options.customer_id_salt is not None:
        customer_id = hash_ids(customer_id, options.customer_id_salt)

    table = pa.table(
        {
            "event_key": _optional(candidates.event_key, size),
            "conversation_id": conversation,
            "timestamp": pa.array(candidates.timestamps.values).cast(pa.timestamp("ns", tz="UTC")),
            "sender": _encoded(sender),
            "agent_id": _optional(candidates.agent_id, size),
            "customer_id": customer_id,
            "channel": _label(candidates.channel, options.channel, "channel", size),
            "use_case": _label(candidates.use_case, options.use_case, "use_case", size),
            "event_type": _encoded(event_type),
            "text_length": text_length,
            "handle_seconds": handle_seconds,
            "source_file": _constant(source_file, size),
            "source_line": pa.array(candidates.lines, type=pa.int64()),
        },
        schema=EVENT_ARROW_SCHEMA,
    )
    accepted = reasons == None  # noqa: E711
    rejected = ~accepted
    return ChunkResult(
        events=table.filter(pa.array(accepted)),
        rejected_lines=np.asarray(candidates.lines)[rejected].astype(np.int64),
        rejected_reasons=[str(reason) for reason in reasons[rejected]],
        warnings=[*candidates.timestamps.warnings, *candidates.warnings],
    )


def events_frame(table: pa.Table, *, decode_labels: bool = False) -> pd.DataFrame:
    """Return an event table from the readers' Arrow form, with pandas column types.

    Strings stay Arrow-backed (``string[pyarrow]``), so the conversion copies
    little; ``text_length`` and ``source_line`` become ``Int64``. The dictionary-
    encoded label columns become categoricals, or strings with ``decode_labels``.
    """
    if decode_labels:
        table = table.cast(
            pa.schema(
                [
                    pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f
                    for f in table.schema
                ]
            )
        )
    return table.to_pandas(
        types_mapper={
            pa.string(): pd.StringDtype("pyarrow"),
            pa.int64(): pd.Int64Dtype(),
        }.get
    )


def hash_ids(values: StringColumn, salt: str) -> pa.Array:
    """Return the salted SHA-256 digest of each id, shortened to 24 hex characters.

    The digest is ``sha256(salt + "\\x1f" + id)``; nulls stay null. The same salt maps
    the same id to the same digest in every file, so conversations and customers can
    still be followed across ingests without the original id.
    """
    table = pa.table({"id": values})
    with duckdb.connect() as connection:
        connection.register("ids", table)
        digests = connection.sql(
            f"SELECT substr(sha256($salt || chr(31) || id), 1, {CUSTOMER_ID_DIGEST_CHARS}) AS d "
            "FROM ids",
            params={"salt": salt},
        ).to_arrow_table()
    return digests.column("d").combine_chunks()


def _reject(reasons: np.ndarray, mask: np.ndarray, reason: str) -> None:
    reasons[mask & (reasons == None)] = reason  # noqa: E711


def _reject_where(reasons: np.ndarray, new_reasons: np.ndarray) -> None:
    fill = (reasons == None) & (new_reasons != None)  # noqa: E711
    reasons[fill] = new_reasons[fill]


def _reject_each(reasons: np.ndarray, mask: np.ndarray, texts: list[str]) -> None:
    """Set one reason per row of ``mask`` (in order), where no reason is set yet."""
    rows = np.flatnonzero(mask)
    for row, text in zip(rows.tolist(), texts, strict=True):
        if reasons[row] is None:
            reasons[row] = text


def _clean(values: StringColumn) -> pa.Array:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pc.utf8_trim_whitespace(array.cast(pa.string()))


def _is_empty(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.equal(values, ""), True), dtype=bool)


def _optional(values: StringColumn | None, size: int) -> pa.Array:
    if values is None:
        return pa.nulls(size, pa.string())
    cleaned = _clean(values)
    return pc.if_else(pc.equal(cleaned, ""), pa.scalar(None, pa.string()), cleaned)


def _label(
    values: StringColumn | str | None, override: str | None, column: str, size: int
) -> pa.Array:
    default = str(OPTIONAL_DEFAULTS[column])
    if override is not None:
        return _constant(override, size)
    if values is None or isinstance(values, str):
        return _constant(values or default, size)
    return _encoded(pc.fill_null(_optional(values, size), default))


def _constant(value: str, size: int) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(size, dtype=np.int32)), pa.array([value], type=pa.string())
    )


def _encoded(values: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(values.type):
        return values.cast(LABEL_TYPE)
    return pc.dictionary_encode(values).cast(LABEL_TYPE)


def _normalize_sender(
    candidates: CandidateEvents, options: IngestOptions, reasons: np.ndarray
) -> pa.Array:
    raw = _clean(candidates.sender)
    lowered = pc.utf8_lower(raw)
    mapping = options.sender_map()
    keys = pa.array(list(mapping), type=pa.string())
    positions = pc.index_in(lowered, value_set=keys)
    sender = pa.array(list(mapping.values()), type=pa.string()).take(positions)

    bots = {name.strip().lower() for name in options.bot_authors}
    if bots:
        bot_set = pa.array(sorted(bots), type=pa.string())
        is_bot = pc.is_in(pc.utf8_lower(_optional(candidates.author, len(raw))), value_set=bot_set)
        if candidates.agent_id is not None:
            agent = pc.utf8_lower(_optional(candidates.agent_id, len(raw)))
            is_bot = pc.or_kleene(is_bot, pc.is_in(agent, value_set=bot_set))
        sender = pc.if_else(pc.fill_null(is_bot, False), "bot", sender)

    empty = _is_empty(raw)
    _reject(reasons, empty & np.asarray(sender.is_null()), "missing sender")
    unknown = np.asarray(sender.is_null()) & ~empty
    if unknown.any():
        values = np.asarray(raw.to_numpy(zero_copy_only=False), dtype=object)[unknown]
        _reject_each(
            reasons,
            unknown,
            [
                f"unknown sender {shown_value(str(v))} (allowed: {_ALLOWED_SENDERS}; "
                f"map it with --sender-value {str(v).strip().lower()}=customer or =agent)"
                for v in values
            ],
        )
    return sender


def _normalize_event_type(
    values: StringColumn | str | None, size: int, reasons: np.ndarray
) -> pa.Array:
    default = str(OPTIONAL_DEFAULTS["event_type"])
    if values is None or isinstance(values, str):
        return pa.repeat(pa.scalar((values or default).lower(), pa.string()), size)
    lowered = pc.fill_null(pc.utf8_lower(_optional(values, size)), default)
    known = np.asarray(pc.is_in(lowered, value_set=pa.array(sorted(EVENT_TYPE_VALUES))))
    if not known.all():
        shown = np.asarray(lowered.to_numpy(zero_copy_only=False), dtype=object)[~known]
        _reject_each(
            reasons,
            ~known,
            [
                f"unknown event_type {shown_value(str(v))} (allowed: {_ALLOWED_EVENT_TYPES})"
                for v in shown
            ],
        )
    return lowered


def _parse_text_length(values: StringColumn | None, size: int, reasons: np.ndarray) -> pa.Array:
    if values is None:
        return pa.nulls(size, pa.int64())
    if pa.types.is_integer(values.type):
        lengths = values.cast(pa.int64())
        return lengths.combine_chunks() if isinstance(lengths, pa.ChunkedArray) else lengths
    numbers, invalid, text = _to_numbers(values, size)
    whole = np.isnan(numbers) | (numbers == np.floor(numbers))
    negative = numbers < 0
    bad = invalid | ~whole | negative
    if bad.any():
        _reject_each(
            reasons, bad, [f"invalid text_length {shown_value(str(v))}" for v in text[bad]]
        )
    clean = np.where(bad | np.isnan(numbers), np.nan, numbers)
    return pa.array(pd.array(clean, dtype="Float64").astype("Int64"), type=pa.int64())


def _parse_handle_seconds(values: StringColumn | None, size: int, reasons: np.ndarray) -> pa.Array:
    if values is None:
        return pa.nulls(size, pa.float64())
    if pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
        numbers = np.asarray(values.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        invalid = np.zeros(size, dtype=bool)
        text = numbers.astype(str).astype(object)
    else:
        numbers, invalid, text = _to_numbers(values, size)
    negative = numbers < 0
    infinite = np.isinf(numbers)
    bad = invalid | negative | infinite
    if bad.any():
        _reject_each(
            reasons, bad, [f"invalid handle_seconds {shown_value(str(v))}" for v in text[bad]]
        )
    too_long = ~bad & (numbers > MAX_HANDLE_SECONDS)
    if too_long.any():
        _reject_each(reasons, too_long, [handle_seconds_too_long(str(v)) for v in text[too_long]])
    return pa.array(np.where(bad | too_long, np.nan, numbers), type=pa.float64(), from_pandas=True)


def handle_seconds_too_long(value: str) -> str:
    """Return the rejection reason of a handle time above :data:`MAX_HANDLE_SECONDS`."""
    return (
        f"invalid handle_seconds {shown_value(value)}: more than {MAX_HANDLE_SECONDS:.0f} "
        "seconds (24 hours); if the column is in milliseconds, divide it by 1000"
    )


def _to_numbers(values: StringColumn, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return floats (NaN for empty), a mask of non-empty unparseable values, and the text."""
    cleaned = _optional(values, size)
    text = np.asarray(cleaned.to_numpy(zero_copy_only=False), dtype=object)
    numbers = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    present = np.asarray(cleaned.is_valid())
    invalid = present & np.isnan(numbers)
    return numbers, invalid, text
