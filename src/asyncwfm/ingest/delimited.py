"""Splitting delimited text (CSV, TSV) into records with their physical line numbers.

Parsers such as pyarrow's are fast but do not say on which line a record starts, and
a record may span several lines when a quoted field contains line breaks. This module
finds the record boundaries itself, vectorised with numpy: a line feed ends a
record when an even number of double quotes precede it in the block. It checks that
every quote sits where RFC 4180 allows one (opening a field, closing it, or doubled
inside it) and counts the fields of each record from the unquoted delimiters. Records
with the wrong number of fields are rejected with their line. The others are parsed
by pyarrow into string columns, and the parse must return exactly as many rows as
there are records.

A file with quotes where RFC 4180 does not allow them (``ab"c``, ``"ab"c``) cannot
be split this way. From the first block with such a quote on, the rest of the file is
read with Python's ``csv`` module, one record at a time, which follows the quoting
rules of Excel and Python and still reports the line of every record.

Lines end at line feeds. A carriage return before a line feed is part of the line
ending; any other carriage return is read as a space (so text lengths do not change)
and named in a warning, except in files that use carriage returns alone as line
endings, which are converted first.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from asyncwfm.errors import InputError
from asyncwfm.ingest.source import (
    SourceStream,
    binary_data_reason,
    line_numbers_of,
    repair_utf8,
)

_QUOTE: Final = 34
_LF: Final = 10
_CR: Final = 13
_MAX_LINES_NAMED: Final = 10
_SLOW_BATCH_ROWS: Final = 50_000
_QUICK_STEPS: Final = 64


@dataclass
class RecordBatch:
    """Records of one chunk of a delimited file.

    Attributes
    ----------
    table : pyarrow.Table
        One string column per header name, one row per well-formed record.
    lines : numpy.ndarray
        1-based line on which each row of ``table`` starts (int64).
    rejected_lines, rejected_reasons : list
        Records that could not be split into the header's fields.
    """

    table: pa.Table
    lines: np.ndarray
    rejected_lines: list[int] = field(default_factory=list)
    rejected_reasons: list[str] = field(default_factory=list)


@dataclass
class _Scan:
    """Record boundaries of a block: where each record starts and stops, and its fields.

    ``bad_quote`` is the byte offset of the first quote that RFC 4180 does not allow,
    or None when every quote is in place.
    """

    starts: np.ndarray
    stops: np.ndarray
    lines: np.ndarray
    fields: np.ndarray
    bad_quote: int | None


class _Utf8Error(Exception):
    """pyarrow found invalid UTF-8 in a block."""


class _FallbackError(Exception):
    """The fast path cannot split this block; read the rest of the file with ``csv``."""


class DelimitedReader:
    """Iterate over the records of a delimited text source in chunks.

    Parameters
    ----------
    stream : SourceStream
        The open source.
    delimiter : str
        The field delimiter, one character.
    chunk_bytes : int
        Bytes read per chunk.
    max_record_bytes : int
        A record that runs longer (usually an unterminated quote) is damage.

    Attributes
    ----------
    header : list of str
        Column names from the first non-blank line. Empty names become
        ``column_<n>`` (1-based position) and repeated names get a ``_<k>`` suffix.
    warnings : list of str
        Problems found while splitting (bare carriage returns, invalid UTF-8,
        damaged quoting), one message each, naming lines.
    rows_read : int
        Records found so far, well-formed or not; blank lines are not records.
    """

    def __init__(
        self,
        stream: SourceStream,
        *,
        delimiter: str,
        chunk_bytes: int,
        max_record_bytes: int,
    ) -> None:
        self._stream = stream
        self._delimiter = delimiter
        self._delimiter_byte = delimiter.encode("utf-8")[0]
        self._chunk_bytes = chunk_bytes
        self._max_record_bytes = max_record_bytes
        self._carry = b""
        self._next_line = 1
        self._cr_line_endings = False
        self.warnings: list[str] = []
        self.rows_read = 0
        self.header = self._read_header()

    def __iter__(self) -> Iterator[RecordBatch]:
        while True:
            block, at_end = self._next_block()
            if block is None:
                return
            try:
                batch = self._split_block(block, at_end)
            except _FallbackError as reason:
                self._warn_fallback(str(reason))
                yield from self._read_rest_with_csv_module(block)
                return
            self.rows_read += len(batch.lines) + len(batch.rejected_lines)
            yield batch
            if at_end:
                return

    def _read_header(self) -> list[str]:
        block, _ = self._next_block(header_only=True)
        if block is None:
            return []
        self._next_line += block.count(b"\n")
        binary = binary_data_reason(block)
        if binary is not None:
            raise InputError(
                f"{self._stream.path} is not a text file: its first line contains {binary}. "
                "Pass a delimited text file, or --encoding if the text is not UTF-8."
            )
        text, _ = repair_utf8(block)
        decoded = text.decode("utf-8").rstrip("\r\n")
        try:
            row = next(csv.reader([decoded], delimiter=self._delimiter, strict=False), [])
        except csv.Error as exc:
            raise InputError(f"cannot read the header line of {self._stream.path}: {exc}") from None
        return unique_column_names(row)

    def _next_block(self, header_only: bool = False) -> tuple[bytes | None, bool]:
        """Return the next run of whole records and whether it is the end of the file."""
        while True:
            piece = self._stream.read(self._chunk_bytes)
            at_end = not piece
            data = self._carry + piece
            if self._next_line == 1 and not self._carry:
                data = self._convert_cr_line_endings(data)
            elif self._cr_line_endings:
                data = data.replace(b"\r", b"\n")
            if header_only:
                data = self._skip_leading_blank_lines(data)
            cut = _last_record_end(data, first_only=header_only)
            if at_end:
                self._carry = b""
                if not data:
                    return None, True
                return data, True
            if cut is None:
                self._carry = data
                if len(data) > self._max_record_bytes:
                    raise InputError(
                        f"{self._stream.path}: no complete record in the first "
                        f"{len(data)} bytes after line {self._next_line}; an opening "
                        "quote is probably never closed."
                    )
                continue
            self._carry = data[cut:]
            return data[:cut], False

    def _convert_cr_line_endings(self, data: bytes) -> bytes:
        if b"\n" not in data and b"\r" in data:
            self._cr_line_endings = True
            self.warnings.append(
                f"{self._stream.path.name}: lines end with a carriage return alone "
                "(classic Mac OS); read them as line feeds."
            )
            return data.replace(b"\r", b"\n")
        return data

    def _skip_leading_blank_lines(self, data: bytes) -> bytes:
        stripped = data.lstrip(b"\r\n")
        self._next_line += data[: len(data) - len(stripped)].count(b"\n")
        return stripped

    def _split_block(self, block: bytes, at_end: bool) -> RecordBatch:
        first_line = self._next_line
        self._next_line += block.count(b"\n")
        patched, bare_cr_lines = self._replace_bare_carriage_returns(block, first_line, at_end)
        invalid_utf8_lines = np.empty(0, dtype=np.int64)
        try:
            batch = self._parse_block(patched, first_line)
        except _Utf8Error:
            repaired, positions = repair_utf8(patched)
            invalid_utf8_lines = line_numbers_of(patched, positions, first_line)
            batch = self._parse_block(repaired, first_line)

        if len(bare_cr_lines):
            self.warnings.append(
                f"carriage return inside a line read as a space on {describe_lines(bare_cr_lines)}."
            )
        if len(invalid_utf8_lines):
            self.warnings.append(
                "invalid UTF-8 bytes replaced with U+FFFD on "
                f"{describe_lines(invalid_utf8_lines)}; pass --encoding if the file is not UTF-8."
            )
        return batch

    def _parse_block(self, block: bytes, first_line: int) -> RecordBatch:
        array = np.frombuffer(block, dtype=np.uint8)
        scan = _scan_block(array, self._delimiter_byte, first_line)
        if scan.bad_quote is not None:
            line = int(line_numbers_of(block, np.array([scan.bad_quote]), first_line)[0])
            raise _FallbackError(f"a double quote inside an unquoted field on line {line}")

        nonblank = scan.stops > scan.starts
        expected = len(self.header)
        good = nonblank & (scan.fields == expected)
        bad = nonblank & ~good
        rejected_lines = scan.lines[bad].tolist()
        rejected_reasons = [
            f"expected {expected} fields, found {count}" for count in scan.fields[bad].tolist()
        ]
        kept = _without_records(block, scan.starts, np.flatnonzero(bad)) if bad.any() else block
        table = self._parse_with_pyarrow(kept, expected_rows=int(good.sum()))
        return RecordBatch(table, scan.lines[good], rejected_lines, rejected_reasons)

    def _parse_with_pyarrow(self, block: bytes, *, expected_rows: int) -> pa.Table:
        if expected_rows == 0:
            return _empty_string_table(self.header)
        names = [f"f{index}" for index in range(len(self.header))]
        try:
            table = pacsv.read_csv(
                io.BytesIO(block),
                read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 26),
                parse_options=pacsv.ParseOptions(
                    delimiter=self._delimiter, newlines_in_values=True
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc) or "utf8" in str(exc).lower():
                raise _Utf8Error from None
            raise _FallbackError(f"the CSV parser stopped: {exc}") from None
        if table.num_rows != expected_rows:
            raise _FallbackError("the CSV parser split the records differently")
        return table.rename_columns(self.header)

    def _replace_bare_carriage_returns(
        self, block: bytes, first_line: int, at_end: bool
    ) -> tuple[bytes, np.ndarray]:
        none = np.empty(0, dtype=np.int64)
        if b"\r" not in block:
            return block, none
        array = np.frombuffer(block, dtype=np.uint8)
        returns = np.flatnonzero(array == _CR)
        following = np.append(array, _LF)[returns + 1]
        bare = returns[following != _LF]
        if at_end and len(bare) and bare[-1] == len(array) - 1:
            bare = bare[:-1]
        if len(bare) == 0:
            return block, none
        patched = array.copy()
        patched[bare] = ord(" ")
        return patched.tobytes(), line_numbers_of(block, bare, first_line)

    def _warn_fallback(self, reason: str) -> None:
        self.warnings.append(
            f"{reason}: the rest of the file is read record by record with Python's csv "
            "module, which is slower."
        )

    def _read_rest_with_csv_module(self, block: bytes) -> Iterator[RecordBatch]:
        lines = _iter_lines(block, self._carry, self._stream, self._chunk_bytes)
        self._carry = b""
        first_line = self._next_line - block.count(b"\n")
        for batch in _csv_module_batches(
            lines,
            first_line=first_line,
            header=self.header,
            delimiter=self._delimiter,
            max_record_bytes=self._max_record_bytes,
            warnings=self.warnings,
        ):
            self.rows_read += len(batch.lines) + len(batch.rejected_lines)
            yield batch


def unique_column_names(row: list[str]) -> list[str]:
    """Return ``row`` stripped, with empty names as ``column_<n>`` and repeats suffixed."""
    names: list[str] = []
    seen: set[str] = set()
    for position, raw in enumerate(row, start=1):
        name = raw.strip().lstrip("\ufeff") or f"column_{position}"
        candidate = name
        suffix = 2
        while candidate in seen:
            candidate = f"{name}_{suffix}"
            suffix += 1
        seen.add(candidate)
        names.append(candidate)
    return names


def describe_lines(lines: np.ndarray | list[int], noun: str = "line") -> str:
    """Return ``"lines 3, 7 and 9"`` or ``"lines 3, 7, ... (25 lines)"`` for messages."""
    values = [int(value) for value in np.unique(np.asarray(lines, dtype=np.int64))]
    if len(values) == 1:
        return f"{noun} {values[0]}"
    if len(values) <= _MAX_LINES_NAMED:
        listed = ", ".join(str(value) for value in values[:-1])
        return f"{noun}s {listed} and {values[-1]}"
    listed = ", ".join(str(value) for value in values[:_MAX_LINES_NAMED])
    return f"{noun}s {listed}, ... ({len(values)} {noun}s)"


def _last_record_end(data: bytes, first_only: bool = False) -> int | None:
    """Return the offset just after the last (or first) record-ending line feed, if any.

    A line feed ends a record when an even number of quotes precede it. The usual
    case, where the last line feed qualifies, costs one ``bytes.count``. Otherwise the
    search walks line by line for a few steps and then scans the block with numpy.
    """
    step = data.find if first_only else data.rfind
    position = data.find(b"\n") if first_only else data.rfind(b"\n")
    for _ in range(_QUICK_STEPS):
        if position < 0:
            return None
        if data.count(b'"', 0, position) % 2 == 0:
            return position + 1
        position = step(b"\n", position + 1) if first_only else step(b"\n", 0, position)

    array = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(array == _LF)
    quotes = np.flatnonzero(array == _QUOTE)
    ends = newlines[(np.searchsorted(quotes, newlines) & 1) == 0]
    if len(ends) == 0:
        return None
    return int(ends[0] if first_only else ends[-1]) + 1


def _scan_block(array: np.ndarray, delimiter: int, first_line: int) -> _Scan:
    quotes = np.flatnonzero(array == _QUOTE)
    newlines = np.flatnonzero(array == _LF)
    ending = (np.searchsorted(quotes, newlines) & 1) == 0
    end_index = np.flatnonzero(ending)
    ends = newlines[end_index]
    size = len(array)

    has_tail = len(ends) == 0 or ends[-1] != size - 1
    stops = np.append(ends, size) if has_tail else ends
    starts = np.concatenate(([0], ends + 1))[: len(stops)]
    lines = first_line + np.concatenate(([0], end_index + 1))[: len(stops)]
    carriage = (stops > starts) & (array[np.maximum(stops - 1, 0)] == _CR)
    stops = stops - carriage

    delimiters = np.flatnonzero(array == delimiter)
    unquoted = delimiters[(np.searchsorted(quotes, delimiters) & 1) == 0]
    fields = np.bincount(np.searchsorted(ends, unquoted), minlength=len(stops))[: len(stops)] + 1
    return _Scan(starts, stops, lines, fields, _first_bad_quote(array, quotes, delimiter))


def _first_bad_quote(array: np.ndarray, quotes: np.ndarray, delimiter: int) -> int | None:
    """Return the offset of the first quote that RFC 4180 does not allow, or None.

    A quote must open a field, close one, or be doubled inside one. When every quote
    is in place but their number is odd, the last one is never closed and is returned.
    """
    if len(quotes) == 0:
        return None
    size = len(array)
    openers = quotes[0::2]
    closers = quotes[1::2]
    before = array[np.maximum(openers - 1, 0)]
    opener_ok = (openers == 0) | (before == delimiter) | (before == _LF) | (before == _QUOTE)
    after = array[np.minimum(closers + 1, size - 1)]
    closer_ok = (
        (closers == size - 1)
        | (after == delimiter)
        | (after == _LF)
        | (after == _CR)
        | (after == _QUOTE)
    )
    bad = np.concatenate((openers[~opener_ok], closers[~closer_ok]))
    if len(bad):
        return int(bad.min())
    if len(quotes) % 2:
        return int(quotes[-1])
    return None


def _without_records(block: bytes, starts: np.ndarray, removed: np.ndarray) -> bytes:
    """Return ``block`` without the records at positions ``removed`` (and their line ends)."""
    pieces = []
    kept_from = 0
    for record in removed.tolist():
        pieces.append(block[kept_from : int(starts[record])])
        kept_from = int(starts[record + 1]) if record + 1 < len(starts) else len(block)
    pieces.append(block[kept_from:])
    return b"".join(pieces)


def _empty_string_table(names: list[str]) -> pa.Table:
    return pa.table({name: pa.array([], type=pa.string()) for name in names})


_BARE_CR = re.compile(r"\r(?!\n)")


def _iter_lines(
    block: bytes, carry: bytes, stream: SourceStream, chunk_bytes: int
) -> Iterator[bytes]:
    """Yield the lines of ``block``, ``carry`` and the rest of ``stream``, each ending in LF."""
    pending = block + carry
    while True:
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield line + b"\n"
        piece = stream.read(chunk_bytes)
        if not piece:
            break
        pending += piece
    if pending:
        yield pending


def _csv_module_batches(
    raw_lines: Iterator[bytes],
    *,
    first_line: int,
    header: list[str],
    delimiter: str,
    max_record_bytes: int,
    warnings: list[str],
) -> Iterator[RecordBatch]:
    """Read records one at a time with ``csv``; the slow path for damaged quoting."""
    invalid_utf8_lines: list[int] = []
    bare_cr_lines: list[int] = []
    line_counter = [first_line - 1]

    def decoded_lines() -> Iterator[str]:
        for raw in raw_lines:
            line_counter[0] += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
                invalid_utf8_lines.append(line_counter[0])
            if "\r" in text[:-2]:
                patched = _BARE_CR.sub(" ", text[:-1]) + text[-1:]
                if patched != text:
                    bare_cr_lines.append(line_counter[0])
                text = patched
            yield text

    previous_limit = csv.field_size_limit()
    csv.field_size_limit(max_record_bytes)
    try:
        yield from _csv_rows_to_batches(
            csv.reader(decoded_lines(), delimiter=delimiter, strict=True),
            header=header,
            first_line=first_line,
        )
    finally:
        csv.field_size_limit(previous_limit)

    if invalid_utf8_lines:
        warnings.append(
            f"invalid UTF-8 bytes replaced with U+FFFD on {describe_lines(invalid_utf8_lines)}; "
            "pass --encoding if the file is not UTF-8."
        )
    if bare_cr_lines:
        warnings.append(
            f"carriage return inside a line read as a space on {describe_lines(bare_cr_lines)}."
        )


def _csv_rows_to_batches(
    reader: Iterator[list[str]], *, header: list[str], first_line: int
) -> Iterator[RecordBatch]:
    expected = len(header)
    columns: list[list[str]] = [[] for _ in header]
    lines: list[int] = []
    rejected_lines: list[int] = []
    rejected_reasons: list[str] = []
    consumed = first_line - 1

    while True:
        start_line = consumed + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            consumed = reader.line_num + first_line - 1  # type: ignore[attr-defined]
            span = f" (lines {start_line}-{consumed})" if consumed > start_line else ""
            rejected_lines.append(start_line)
            rejected_reasons.append(f"unreadable CSV record{span}: {exc}")
            continue
        consumed = reader.line_num + first_line - 1  # type: ignore[attr-defined]
        if not row or (len(row) == 1 and not row[0].strip("\r\n")):
            continue
        if len(row) != expected:
            rejected_lines.append(start_line)
            rejected_reasons.append(f"expected {expected} fields, found {len(row)}")
        else:
            lines.append(start_line)
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        if len(lines) + len(rejected_lines) >= _SLOW_BATCH_ROWS:
            yield _batch_from_lists(header, columns, lines, rejected_lines, rejected_reasons)
            columns = [[] for _ in header]
            lines, rejected_lines, rejected_reasons = [], [], []

    if lines or rejected_lines:
        yield _batch_from_lists(header, columns, lines, rejected_lines, rejected_reasons)


def _batch_from_lists(
    header: list[str],
    columns: list[list[str]],
    lines: list[int],
    rejected_lines: list[int],
    rejected_reasons: list[str],
) -> RecordBatch:
    table = pa.table(
        {
            name: pa.array(values, type=pa.string())
            for name, values in zip(header, columns, strict=True)
        }
    )
    return RecordBatch(table, np.asarray(lines, dtype=np.int64), rejected_lines, rejected_reasons)
