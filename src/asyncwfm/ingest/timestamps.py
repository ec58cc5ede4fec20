"""Parsing source timestamps into UTC, with explicit rules for naive local times.

Aware timestamps (with ``Z`` or a UTC offset, or Unix epoch numbers) are converted
to UTC. Naive timestamps are local times of a time zone that the user must name;
without one, :func:`parse_timestamps` raises :class:`~asyncwfm.errors.InputError`.

Naive local times that fall into a daylight-saving change are handled explicitly:

* a time that occurs twice when clocks go back (an overlap) is read as its first
  occurrence by default (PEP 495 ``fold=0``), as the last one with
  ``dst_ambiguous="last"``, or rejected with ``dst_ambiguous="reject"``;
* a time skipped when clocks go forward (a gap) is read with the UTC offset in force
  before the change by default, as Python's ``zoneinfo`` does for ``fold=0``. That
  moves it forward by the length of the gap: 02:30 becomes 03:30 when clocks go
  forward one hour. ``dst_nonexistent="reject"`` rejects it instead.

Either way a :class:`~asyncwfm.errors.DataQualityWarning` message names the lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from asyncwfm.errors import InputError
from asyncwfm.ingest.delimited import describe_lines
from asyncwfm.ingest.options import IngestOptions

_AWARE_ISO: Final = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
_EPOCH: Final = r"^-?\d{9,13}(?:\.\d+)?$"
_UTC_WORD: Final = r"\s*(?:UTC|GMT)$"
_RFC2822: Final = r"^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
_RFC2822_FORMAT: Final = "%a, %d %b %Y %H:%M:%S %z"
_EPOCH_MILLISECONDS_FROM: Final = 1e11
_MAX_NANOSECONDS: Final = 9.2e18
_VALUE_SHOWN_CHARS: Final = 40


@dataclass
class TimestampResult:
    """Parsed timestamps of one chunk.

    Attributes
    ----------
    values : numpy.ndarray
        ``datetime64[ns]`` UTC instants; NaT where the row is rejected.
    reasons : numpy.ndarray
        Object array of rejection reasons, None where the timestamp was accepted.
    warnings : list of str
        Messages about accepted but adjusted values (DST gaps and overlaps).
    """

    values: np.ndarray
    reasons: np.ndarray
    warnings: list[str] = field(default_factory=list)


def shown_value(value: str) -> str:
    """Return ``value`` quoted and shortened for an error message."""
    if len(value) > _VALUE_SHOWN_CHARS:
        value = value[: _VALUE_SHOWN_CHARS - 3] + "..."
    return repr(value)


def parse_timestamps(
    raw: pa.Array | pa.ChunkedArray,
    lines: np.ndarray,
    options: IngestOptions,
    *,
    timestamp_format: str | None = None,
    column: str = "timestamp",
) -> TimestampResult:
    """Parse source timestamps into UTC.

    Parameters
    ----------
    raw : pyarrow string array
        The source values, one per row.
    lines : numpy.ndarray
        Source line of each row, for messages.
    options : IngestOptions
        Supplies the time zone of naive values and the DST policies.
    timestamp_format : str, optional
        ``strftime`` format of every value. Without it, values may be ISO 8601, with
        or without offset, with ``T`` or a space between date and time, and with
        ``UTC`` or ``GMT`` after the time meaning ``Z``. RFC 2822 values (``Mon, 04
        Mar 2024 09:00:00 +0000``, as the Twilio REST API writes them) and Unix epoch
        seconds or milliseconds (9 to 13 digits, and 11 digits or fewer are seconds)
        are accepted too.
    column : str
        Source column name, for messages.

    Raises
    ------
    InputError
        When naive values are present and ``options.timezone`` is not set.
    """
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    if not (pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type)):
        typed = _parse_typed(raw, lines, options, column)
        if typed is not None:
            return typed
    text = pc.utf8_trim_whitespace(raw.cast(pa.string()))
    if timestamp_format is None:
        text = pc.replace_substring_regex(text, _UTC_WORD, "Z")
    values = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    size = len(values)
    result = np.full(size, np.datetime64("NaT", "ns"))
    reasons = np.full(size, None, dtype=object)
    warnings: list[str] = []

    missing = np.asarray(pc.fill_null(pc.equal(text, ""), True), dtype=bool)
    reasons[missing] = f"missing {column}"

    if timestamp_format is not None:
        aware_format = "%z" in timestamp_format or "%Z" in timestamp_format
        groups = [(~missing, aware_format, timestamp_format)]
    else:
        epoch = np.asarray(pc.fill_null(pc.match_substring_regex(text, _EPOCH), False), dtype=bool)
        aware = np.asarray(
            pc.fill_null(pc.match_substring_regex(text, _AWARE_ISO), False), dtype=bool
        )
        rfc2822 = np.asarray(
            pc.fill_null(pc.match_substring_regex(text, _RFC2822), False), dtype=bool
        )
        _parse_epoch(values, epoch & ~missing, result)
        aware &= ~epoch & ~missing & ~rfc2822
        groups = [
            (aware, True, "ISO8601"),
            (rfc2822 & ~missing, True, _RFC2822_FORMAT),
            (~aware & ~epoch & ~rfc2822 & ~missing, False, "ISO8601"),
        ]

    for mask, is_aware, fmt in groups:
        if not mask.any():
            continue
        if is_aware:
            result[mask] = _parse_aware(text, values, mask, fmt)
        else:
            naive = _parse_naive(text, values, mask, fmt)
            naive_ok = np.asarray(naive.notna())
            if naive_ok.any():
                zone = _require_zone(options, values[mask][naive_ok][0], lines[mask][naive_ok][0])
                localized, local_reasons, local_warnings = localize(
                    naive.to_numpy(dtype="datetime64[ns]"), lines[mask], zone, options
                )
                result[mask] = localized
                subset = reasons[mask]
                subset[local_reasons != None] = local_reasons[local_reasons != None]  # noqa: E711
                reasons[mask] = subset
                warnings.extend(local_warnings)

    unparsed = np.isnat(result) & (reasons == None)  # noqa: E711
    if unparsed.any():
        reasons[unparsed] = [f"unparseable {column} {shown_value(v)}" for v in values[unparsed]]
    return TimestampResult(result, reasons, warnings)


def _parse_aware(text: pa.Array, values: np.ndarray, mask: np.ndarray, fmt: str) -> np.ndarray:
    """Parse values with a UTC offset; Arrow's ISO 8601 cast first, pandas when it fails."""
    if fmt == "ISO8601":
        try:
            parsed = pc.cast(text.filter(pa.array(mask)), pa.timestamp("ns", tz="UTC"))
        except pa.ArrowInvalid:
            pass
        else:
            return np.asarray(parsed.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False))
    stamps = pd.to_datetime(values[mask], format=fmt, utc=True, errors="coerce")
    return stamps.tz_convert(None).to_numpy(dtype="datetime64[ns]")


def _parse_naive(
    text: pa.Array, values: np.ndarray, mask: np.ndarray, fmt: str
) -> pd.DatetimeIndex:
    """Parse values without offset; Arrow's ISO 8601 cast first, pandas when it fails."""
    if fmt == "ISO8601":
        try:
            parsed = pc.cast(text.filter(pa.array(mask)), pa.timestamp("ns"))
        except pa.ArrowInvalid:
            pass
        else:
            return pd.DatetimeIndex(np.asarray(parsed.to_numpy(zero_copy_only=False)))
    return pd.DatetimeIndex(pd.to_datetime(values[mask], format=fmt, errors="coerce"))


def _parse_typed(
    raw: pa.Array, lines: np.ndarray, options: IngestOptions, column: str
) -> TimestampResult | None:
    """Parse timestamp, date and number columns of typed sources such as Parquet."""
    size = len(raw)
    reasons = np.full(size, None, dtype=object)
    missing = np.asarray(raw.is_null())
    reasons[missing] = f"missing {column}"
    if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
        values = raw.cast(pa.timestamp("ns", tz="UTC")).cast(pa.timestamp("ns"))
        return TimestampResult(values.to_numpy(zero_copy_only=False), reasons)
    if pa.types.is_timestamp(raw.type) or pa.types.is_date(raw.type):
        naive = raw.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        if (~missing).any():
            first = int(np.flatnonzero(~missing)[0])
            zone = _require_zone(options, str(raw[first].as_py()), int(lines[first]))
            values, local_reasons, warnings = localize(naive, lines, zone, options)
            fill = local_reasons != None  # noqa: E711
            reasons[fill & ~missing] = local_reasons[fill & ~missing]
            return TimestampResult(values, reasons, warnings)
        return TimestampResult(naive, reasons)
    if pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type):
        numbers = np.asarray(raw.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        values = np.full(size, np.datetime64("NaT", "ns"))
        finite = np.isfinite(numbers)
        _parse_epoch(numbers.astype(object), finite, values)
        bad = np.isnat(values) & ~missing
        reasons[bad] = [f"unparseable {column} {number!r}" for number in numbers[bad].tolist()]
        return TimestampResult(values, reasons)
    return None


def localize(
    naive: np.ndarray, lines: np.ndarray, zone: ZoneInfo, options: IngestOptions
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Convert naive local ``datetime64[ns]`` values of ``zone`` to UTC.

    Returns the UTC values (NaT where rejected or missing), the rejection reasons
    (None where accepted) and warning messages. Times in a DST gap or overlap follow
    ``options.dst_nonexistent`` and ``options.dst_ambiguous``.
    """
    series = pd.Series(naive)
    localized = series.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    result = localized.dt.tz_convert("UTC").dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    reasons = np.full(len(naive), None, dtype=object)
    warnings: list[str] = []

    unresolved = np.flatnonzero(np.isnat(result) & ~np.isnat(naive))
    if len(unresolved) == 0:
        return result, reasons, warnings

    ambiguous_rows: list[int] = []
    gap_rows: list[int] = []
    for row in unresolved.tolist():
        wall = pd.Timestamp(naive[row]).to_pydatetime()
        first = wall.replace(tzinfo=zone, fold=0)
        last = wall.replace(tzinfo=zone, fold=1)
        if first.utcoffset() != last.utcoffset() and _round_trips(first):
            ambiguous_rows.append(row)
            chosen = first if options.dst_ambiguous == "first" else last
            if options.dst_ambiguous == "reject":
                reasons[row] = (
                    f"ambiguous local time {wall.isoformat(sep=' ')} in {zone.key}: it occurs "
                    "twice when clocks go back"
                )
                continue
        else:
            gap_rows.append(row)
            chosen = first
            if options.dst_nonexistent == "reject":
                reasons[row] = (
                    f"nonexistent local time {wall.isoformat(sep=' ')} in {zone.key}: clocks "
                    "skip it when they go forward"
                )
                continue
        result[row] = np.datetime64(chosen.astimezone(UTC).replace(tzinfo=None), "ns")

    if ambiguous_rows:
        warnings.append(_ambiguous_message(lines[ambiguous_rows], zone, options))
    if gap_rows:
        warnings.append(_gap_message(lines[gap_rows], zone, options))
    return result, reasons, warnings


def _round_trips(moment: datetime) -> bool:
    back = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def _ambiguous_message(lines: np.ndarray, zone: ZoneInfo, options: IngestOptions) -> str:
    where = describe_lines(lines)
    if options.dst_ambiguous == "reject":
        return (
            f"{len(lines)} local time(s) on {where} occur twice when clocks go back in "
            f"{zone.key}; rejected (dst_ambiguous='reject')."
        )
    return (
        f"{len(lines)} local time(s) on {where} occur twice when clocks go back in {zone.key}; "
        f"read as the {options.dst_ambiguous} occurrence. Pass --dst-ambiguous reject to "
        "reject them instead."
    )


def _gap_message(lines: np.ndarray, zone: ZoneInfo, options: IngestOptions) -> str:
    where = describe_lines(lines)
    if options.dst_nonexistent == "reject":
        return (
            f"{len(lines)} local time(s) on {where} do not exist in {zone.key} because clocks "
            "go forward; rejected (dst_nonexistent='reject')."
        )
    return (
        f"{len(lines)} local time(s) on {where} do not exist in {zone.key} because clocks go "
        "forward; moved forward by the length of the gap. Pass --dst-nonexistent reject to "
        "reject them instead."
    )


def _parse_epoch(values: np.ndarray, mask: np.ndarray, result: np.ndarray) -> None:
    if not mask.any():
        return
    numbers = values[mask].astype(np.float64)
    milliseconds = np.abs(numbers) >= _EPOCH_MILLISECONDS_FROM
    nanoseconds = np.where(milliseconds, numbers * 1e6, numbers * 1e9)
    in_range = np.abs(nanoseconds) < _MAX_NANOSECONDS
    parsed = np.full(len(numbers), np.datetime64("NaT", "ns"))
    parsed[in_range] = nanoseconds[in_range].astype(np.int64).astype("datetime64[ns]")
    result[mask] = parsed


def _require_zone(options: IngestOptions, example: str, line: int) -> ZoneInfo:
    zone = options.zone
    if zone is None:
        raise InputError(
            f"timestamps have no UTC offset (e.g. {shown_value(str(example))} on line "
            f"{int(line)}); pass --timezone with the IANA time zone they were recorded in, "
            "e.g. --timezone Europe/London."
        )
    return zone
