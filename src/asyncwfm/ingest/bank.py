"""Reader of the Anonymous Bank call-centre log (Technion SEE lab, February 1999).

The log is a tab-separated text file (plain or gzip) with a header row and one row
per telephone call: ``vru+line, call_id, customer_id, priority, type, date,
vru_entry, vru_exit, vru_time, q_start, q_exit, q_time, outcome, ser_start, ser_exit,
ser_time, server``. Dates are ``YYMMDD``; times are ``H:MM:SS`` local wall-clock times
of the bank in Israel, naive, with ``0:00:00`` meaning "did not happen". Outcomes are
``AGENT`` (served), ``HANG`` (abandoned) and ``PHANTOM`` (a virtual or unknown call).
The data set is described at https://see-center.iem.technion.ac.il/databases/AnonymousBank/.

Each call becomes one conversation ``bank:<vru+line>:<call_id>`` (call ids repeat
across VRU lines, the pair does not) on channel ``voice``, labelled with the call
``type`` (PS, PE, IN, NE, NW, TT) as its use case:

- a ``customer`` message when the call requests an agent: at ``q_start`` when it
  queued, else at ``vru_exit``;
- for served (``AGENT``) calls, two agent events with the ``server`` as agent (none
  for ``NO_SERVER``): a ``message`` at ``ser_start`` with ``handle_seconds = 0``,
  which answers the call, and a ``work`` event at ``ser_start + ser_time`` with
  ``handle_seconds = ser_time``. The measure stage ends a stretch of work at its
  event's timestamp, so the work is booked from ``ser_start`` to the end of service
  and the response time is the wait until ``ser_start``. The 50 served calls of
  February 1999 without a ``ser_start`` start service when they left the queue
  (``q_exit``) or the VRU (``vru_exit``);
- the source's clocks differ by a few seconds, so ``ser_start`` is sometimes equal
  to or before ``q_start`` or ``vru_exit``; service then starts one second after the
  customer event, so that the answer follows the call in every sort order;
- abandoned (``HANG``) calls have no agent event, so they are unanswered turns;
- ``PHANTOM`` calls get a single ``system`` event at the same moment as a customer
  event would be. They stay countable as conversations but form no customer turn,
  because the source marks them as not being real customer demand.

So the conversations reconcile with the calls (33,344 in February 1999), and the
customer turns with the AGENT plus HANG calls (27,162 + 5,904 = 33,066).

Times more than 12 hours earlier than ``vru_entry`` belong to the next day, because
the log has no date rollover (a call that crosses midnight carries its VRU entry
date). A time less than 12 hours earlier is clock skew and stays on the entry's day:
25 calls of February 1999 leave the VRU up to 192 seconds before they enter it.

Local times are converted to UTC in ``timezone`` (default ``Asia/Jerusalem``;
February 1999 has no DST change there). Local times in a DST gap or overlap follow
the ingest stage's rules (``asyncwfm.ingest.timestamps.localize``): by default an
overlap takes its first occurrence and a gap moves forward by its length, with a
warning naming the lines; either can reject the call instead.

:func:`read_bank_log` returns the events as a pandas table; :func:`read_bank` is the
``bank`` format of ``asyncwfm ingest``.

Rows are rejected, with their physical line number (the header is line 1) and a
reason, when they have the wrong number of fields, an unparseable date or time, an
unknown outcome or a ``ser_time`` that is negative, non-numeric or more than 24 hours.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa

from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.ingest.normalize import EVENT_ARROW_SCHEMA, ChunkResult, hash_ids
from asyncwfm.ingest.options import IngestOptions, check_timezone
from asyncwfm.ingest.timestamps import localize
from asyncwfm.schema import (
    EVENT_COLUMNS,
    MAX_HANDLE_SECONDS,
    EventType,
    validate_events,
    with_event_dtypes,
)

if TYPE_CHECKING:
    # Imported for annotations only: the reader registry imports this module.
    from asyncwfm.ingest.readers.base import SourceContext

DstAmbiguous = Literal["first", "last", "reject"]
DstNonexistent = Literal["shift_forward", "reject"]

BANK_COLUMNS: Final[tuple[str, ...]] = (
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)
"""Header of the bank log, in file order."""

BANK_TIMEZONE: Final = "Asia/Jerusalem"
"""Time zone of the bank's local times."""

OUTCOMES: Final[frozenset[str]] = frozenset({"AGENT", "HANG", "PHANTOM"})

_TIME_PATTERN = re.compile(r"^\d{1,2}:\d{2}:\d{2}$")
_NOT_HAPPENED = "0:00:00"
_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, eq=False)
class BankLog:
    """Events and rejected rows read from one bank log file.

    Attributes
    ----------
    events : pandas.DataFrame
        Accepted events in the event table layout (``asyncwfm.schema``).
    rejections : pandas.DataFrame
        Columns ``line`` (physical line, header = 1) and ``reason``.
    rows_read : int
        Data rows in the file; ``accepted_calls + len(rejections)``.
    accepted_calls : int
        Calls turned into events.
    outcomes : dict of str to int
        Accepted calls per outcome.
    warnings : tuple of str
        File-level problems, such as local times moved out of a DST gap.
    """

    events: pd.DataFrame
    rejections: pd.DataFrame
    rows_read: int
    accepted_calls: int
    outcomes: dict[str, int]
    warnings: tuple[str, ...] = ()


def looks_like_bank_log(header_line: str) -> bool:
    """Return whether a header line is the bank log's header."""
    fields = tuple(field.strip() for field in header_line.rstrip("\r\n").split("\t"))
    return fields == BANK_COLUMNS


def read_bank_log(
    path: str | Path,
    *,
    timezone: str = BANK_TIMEZONE,
    dst_ambiguous: DstAmbiguous = "first",
    dst_nonexistent: DstNonexistent = "shift_forward",
) -> BankLog:
    """Read a bank call-centre log into events.

    Parameters
    ----------
    path : str or Path
        The tab-separated log, plain or gzip-compressed.
    timezone : str
        IANA time zone of the log's local times.
    dst_ambiguous : {"first", "last", "reject"}
        A local time that occurs twice when clocks go back: take its first
        (daylight-saving) or last occurrence, or reject the call.
    dst_nonexistent : {"shift_forward", "reject"}
        A local time skipped when clocks go forward: move it forward by the gap, or
        reject the call.

    Warns
    -----
    DataQualityWarning
        When local times were moved out of a DST gap or overlap.

    Raises
    ------
    InputError
        When the file is missing, is not a bank log or the time zone is unknown.
    """
    log = _read_bank(Path(path), _zone(timezone), dst_ambiguous, dst_nonexistent, None)
    for message in log.warnings:
        warnings.warn(message, DataQualityWarning, stacklevel=2)
    return log


def read_bank(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a bank log for ``asyncwfm ingest --format bank`` as one chunk of events.

    Honours the ingest options ``timezone`` (default ``Asia/Jerusalem``),
    ``use_case``, ``channel``, ``customer_id_salt`` and the DST policies. A call
    yields one to three events, so the ingest report counts events, not calls: the
    February 1999 log reads as 87,668 events from 33,344 calls.
    """
    options = context.options
    zone = _zone(options.timezone or BANK_TIMEZONE)
    log = _read_bank(
        context.path, zone, options.dst_ambiguous, options.dst_nonexistent, context.source_file
    )
    context.file_sha256 = hashlib.sha256(context.path.read_bytes()).hexdigest()
    if context.progress is not None:
        size = context.path.stat().st_size
        context.progress(size, size)

    events = log.events
    if options.use_case is not None:
        events = events.assign(use_case=options.use_case)
    if options.channel is not None:
        events = events.assign(channel=options.channel)
    table = _arrow_events(events)
    if options.customer_id_salt is not None:
        hashed = hash_ids(table.column("customer_id"), options.customer_id_salt)
        table = table.set_column(table.schema.get_field_index("customer_id"), "customer_id", hashed)
    yield ChunkResult(
        events=table,
        rejected_lines=log.rejections["line"].to_numpy(dtype=np.int64),
        rejected_reasons=log.rejections["reason"].astype(str).tolist(),
        warnings=list(log.warnings),
    )


def _read_bank(
    source: Path,
    zone: ZoneInfo,
    dst_ambiguous: DstAmbiguous,
    dst_nonexistent: DstNonexistent,
    source_name: str | None,
) -> BankLog:
    rows = _read_rows(source)
    fields, reasons = _split_and_check(rows)
    valid = fields.loc[reasons.isna()]
    times = _call_times(valid, zone, dst_ambiguous, dst_nonexistent)
    reasons.loc[times.reasons.index] = times.reasons

    accepted = reasons.isna()
    events = _events(fields.loc[accepted], times, source_name or source.name)
    validate_events(events)

    rejected = reasons.dropna()
    rejections = pd.DataFrame(
        {"line": (rejected.index + 2).astype("int64"), "reason": rejected.astype(str).to_numpy()}
    )
    outcomes = fields.loc[accepted, "outcome"].value_counts().to_dict()
    return BankLog(
        events=events,
        rejections=rejections,
        rows_read=len(rows),
        accepted_calls=int(accepted.sum()),
        outcomes={str(key): int(value) for key, value in outcomes.items()},
        warnings=tuple(times.messages),
    )


def _zone(timezone: str) -> ZoneInfo:
    try:
        return check_timezone(timezone)
    except InputError as exc:
        raise InputError(f"{exc} The bank log uses {BANK_TIMEZONE!r}.") from None


def _read_rows(source: Path) -> pd.Series:
    if not source.is_file():
        raise InputError(f"bank log not found: {source}")
    with source.open("rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    try:
        with opener(source, "rt", encoding="utf-8", newline="") as text:
            lines = text.read().splitlines()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"cannot read bank log {source}: {exc}") from None

    if not lines or not looks_like_bank_log(lines[0]):
        found = lines[0][:120] if lines else "an empty file"
        expected = "\t".join(BANK_COLUMNS)
        raise InputError(
            f"{source} is not a bank call-centre log: expected the tab-separated header "
            f"{expected!r}, found {found!r}."
        )
    return pd.Series(lines[1:], dtype=object)


def _split_and_check(rows: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Split rows into named fields and return a rejection reason per row (NaN = valid)."""
    reasons = pd.Series(np.nan, index=rows.index, dtype=object)
    field_count = rows.str.count("\t") + 1
    bad_count = field_count != len(BANK_COLUMNS)
    reasons[bad_count] = f"expected {len(BANK_COLUMNS)} tab-separated fields, found " + field_count[
        bad_count
    ].astype(str)

    padded = rows.where(~bad_count, "\t".join([""] * len(BANK_COLUMNS)))
    fields = padded.str.split("\t", expand=True)
    fields.columns = list(BANK_COLUMNS)
    fields = fields.apply(lambda column: column.str.strip())

    _reject(
        reasons, fields["call_id"].eq("") | fields["vru+line"].eq(""), "missing call_id or vru+line"
    )
    dates = pd.to_datetime(fields["date"], format="%y%m%d", errors="coerce")
    _reject(reasons, dates.isna(), "unparseable date " + fields["date"].map(repr))
    for column in ("vru_entry", "vru_exit", "q_start", "q_exit", "ser_start"):
        bad_time = ~fields[column].str.match(_TIME_PATTERN.pattern).fillna(False)
        _reject(reasons, bad_time, f"unparseable {column} " + fields[column].map(repr))
    _reject(
        reasons,
        ~fields["outcome"].isin(OUTCOMES),
        "unknown outcome " + fields["outcome"].map(repr) + f" (allowed: {sorted(OUTCOMES)})",
    )
    service = pd.to_numeric(fields["ser_time"], errors="coerce")
    _reject(
        reasons, service.isna() | (service < 0), "invalid ser_time " + fields["ser_time"].map(repr)
    )
    _reject(
        reasons,
        service > MAX_HANDLE_SECONDS,
        "invalid ser_time "
        + fields["ser_time"].map(repr)
        + f": more than {MAX_HANDLE_SECONDS:.0f} seconds (24 hours)",
    )
    _reject(reasons, fields["vru_entry"].eq(_NOT_HAPPENED), "missing vru_entry")
    return fields, reasons


def _reject(reasons: pd.Series, condition: pd.Series, reason: str | pd.Series) -> None:
    # The first reason found for a row is kept.
    new = condition.fillna(True).astype(bool) & reasons.isna()
    if isinstance(reason, str):
        reasons[new] = reason
    else:
        reasons[new] = reason[new]


@dataclass(frozen=True, eq=False)
class _CallTimes:
    """UTC times of each valid call's customer and agent event, and calls rejected on DST."""

    request_at: pd.Series
    service_at: pd.Series
    reasons: pd.Series
    messages: list[str]


def _call_times(
    calls: pd.DataFrame,
    zone: ZoneInfo,
    dst_ambiguous: DstAmbiguous,
    dst_nonexistent: DstNonexistent,
) -> _CallTimes:
    day_start = pd.to_datetime(calls["date"], format="%y%m%d")
    entry = _seconds(calls["vru_entry"])
    queued = (calls["q_start"] != _NOT_HAPPENED).to_numpy()
    no_vru_exit = (calls["vru_exit"] == _NOT_HAPPENED).to_numpy()
    request_seconds = np.where(queued, _seconds(calls["q_start"]), _seconds(calls["vru_exit"]))
    request_seconds = np.where(~queued & no_vru_exit, entry, request_seconds)

    has_service = (calls["ser_start"] != _NOT_HAPPENED).to_numpy()
    left_queue = np.where(
        (calls["q_exit"] != _NOT_HAPPENED).to_numpy(), _seconds(calls["q_exit"]), request_seconds
    )
    service_seconds = np.where(has_service, _seconds(calls["ser_start"]), left_queue)

    dst_options = IngestOptions(dst_ambiguous=dst_ambiguous, dst_nonexistent=dst_nonexistent)
    request = _to_utc(day_start, entry, request_seconds, zone, dst_options)
    service = _to_utc(day_start, entry, service_seconds, zone, dst_options)
    earliest_answer = request.values + pd.Timedelta(seconds=1)
    service_at = service.values.where(service.values >= earliest_answer, earliest_answer)

    # A call is rejected for its request time, or for its service time when served.
    needs_service = (calls["outcome"] == "AGENT").to_numpy()
    combined = request.reasons.copy()
    use_service = (combined == None) & needs_service  # noqa: E711
    combined[use_service] = service.reasons[use_service]
    rejected = combined != None  # noqa: E711
    reasons = pd.Series(combined[rejected], index=calls.index[rejected], dtype=object)
    messages = list(dict.fromkeys(request.messages + service.messages))
    return _CallTimes(request.values, service_at, reasons, messages)


def _events(calls: pd.DataFrame, times: _CallTimes, source_name: str) -> pd.DataFrame:
    request_at = times.request_at.loc[calls.index]
    service_at = times.service_at.loc[calls.index]
    conversation = "bank:" + calls["vru+line"] + ":" + calls["call_id"]
    line = calls.index.to_numpy() + 2
    customer_id = calls["customer_id"].where(calls["customer_id"] != "0")
    phantom = (calls["outcome"] == "PHANTOM").to_numpy()
    served = (calls["outcome"] == "AGENT").to_numpy()

    requests = pd.DataFrame(
        {
            "event_key": conversation + ":request",
            "conversation_id": conversation,
            "timestamp": request_at,
            "sender": np.where(phantom, "system", "customer"),
            "agent_id": None,
            "customer_id": customer_id,
            "use_case": calls["type"],
            "handle_seconds": np.nan,
            "source_line": line,
        }
    )
    requests["event_type"] = EventType.MESSAGE.value

    # The answer at service start sets the response time and carries no work. The
    # work event at service end books the whole ser_time, because the measure stage
    # ends a stretch of work at its event's timestamp.
    agent = calls["server"].where(calls["server"] != "NO_SERVER")
    service_seconds = pd.to_numeric(calls["ser_time"]).astype(float)
    answers = pd.DataFrame(
        {
            "event_key": conversation + ":service",
            "conversation_id": conversation,
            "timestamp": service_at,
            "sender": "agent",
            "agent_id": agent,
            "customer_id": None,
            "use_case": calls["type"],
            "event_type": EventType.MESSAGE.value,
            "handle_seconds": 0.0,
            "source_line": line,
        }
    ).loc[served]
    work = answers.assign(
        event_key=(conversation + ":work").loc[served],
        timestamp=(service_at + pd.to_timedelta(service_seconds, unit="s")).loc[served],
        event_type=EventType.WORK.value,
        handle_seconds=service_seconds.loc[served],
    )

    events = pd.concat([requests, answers, work], ignore_index=True)
    events["channel"] = "voice"
    events["text_length"] = pd.NA
    events["source_file"] = source_name
    return _typed(events.loc[:, list(EVENT_COLUMNS)])


def _seconds(times: pd.Series) -> np.ndarray:
    parts = times.str.split(":", expand=True).astype("int64")
    return (parts[0] * 3600 + parts[1] * 60 + parts[2]).to_numpy()


@dataclass(frozen=True, eq=False)
class _Converted:
    values: pd.Series
    reasons: np.ndarray
    messages: list[str]


def _to_utc(
    day_start: pd.Series,
    entry_seconds: np.ndarray,
    seconds: np.ndarray,
    zone: ZoneInfo,
    dst_options: IngestOptions,
) -> _Converted:
    # A time far before the VRU entry happened after midnight, on the next day.
    after_midnight = seconds < entry_seconds - _SECONDS_PER_DAY // 2
    rolled = np.where(after_midnight, seconds + _SECONDS_PER_DAY, seconds)
    local = (day_start + pd.to_timedelta(rolled, unit="s")).to_numpy(dtype="datetime64[ns]")
    lines = day_start.index.to_numpy() + 2
    utc, reasons, messages = localize(local, lines, zone, dst_options)
    values = pd.Series(pd.DatetimeIndex(utc).tz_localize("UTC"), index=day_start.index)
    return _Converted(values, reasons, messages)


def _arrow_events(events: pd.DataFrame) -> pa.Table:
    columns = {}
    for field in EVENT_ARROW_SCHEMA:
        values = events[field.name]
        if pa.types.is_dictionary(field.type):
            columns[field.name] = pa.array(
                values.astype(object), type=pa.string()
            ).dictionary_encode()
        elif pa.types.is_timestamp(field.type):
            columns[field.name] = pa.array(values, type=field.type)
        else:
            columns[field.name] = pa.array(
                values.astype(object).where(values.notna(), None), type=field.type
            )
    return pa.table(columns).cast(EVENT_ARROW_SCHEMA)


def _typed(events: pd.DataFrame) -> pd.DataFrame:
    typed = with_event_dtypes(events)
    return typed.sort_values(["conversation_id", "timestamp"], kind="stable").reset_index(drop=True)
