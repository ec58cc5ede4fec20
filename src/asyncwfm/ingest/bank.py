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
- for served (``AGENT``) calls, an ``agent`` message at ``ser_start`` with
  ``handle_seconds = ser_time`` and the ``server`` as agent (none for
  ``NO_SERVER``). The 50 served calls of February 1999 without a ``ser_start`` get
  the agent event when they left the queue (``q_exit``) or the VRU (``vru_exit``);
- the source's clocks differ by about a second, so ``ser_start`` is sometimes equal
  to or a second before ``q_start`` or ``vru_exit``; the agent event is then placed
  one second after the customer event, so that it answers the call in every sort
  order;
- abandoned (``HANG``) calls have no agent event, so they are unanswered turns;
- ``PHANTOM`` calls get a single ``system`` event at the same moment as a customer
  event would be. They stay countable as conversations but form no customer turn,
  because the source marks them as not being real customer demand.

So the conversations reconcile with the calls (33,344 in February 1999), and the
customer turns with the AGENT plus HANG calls (27,162 + 5,904 = 33,066).

Times earlier than ``vru_entry`` belong to the next day, because the log has no date
rollover (a call that crosses midnight carries its VRU entry date). Local times are
converted to UTC in ``timezone`` (default ``Asia/Jerusalem``; February 1999 has no DST
change there). A local time in a DST overlap takes its first occurrence and one in a
DST gap is shifted forward, with a :class:`~asyncwfm.errors.DataQualityWarning`.

Rows are rejected, with their physical line number (the header is line 1) and a
reason, when they have the wrong number of fields, an unparseable date or time, an
unknown outcome or a negative or non-numeric ``ser_time``.
"""

from __future__ import annotations

import gzip
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.schema import EVENT_COLUMNS, validate_events

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


@dataclass(frozen=True)
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
    """

    events: pd.DataFrame
    rejections: pd.DataFrame
    rows_read: int
    accepted_calls: int
    outcomes: dict[str, int]


def looks_like_bank_log(header_line: str) -> bool:
    """Return whether a header line is the bank log's header."""
    fields = tuple(field.strip() for field in header_line.rstrip("\r\n").split("\t"))
    return fields == BANK_COLUMNS


def read_bank_log(path: str | Path, *, timezone: str = BANK_TIMEZONE) -> BankLog:
    """Read a bank call-centre log into events.

    Parameters
    ----------
    path : str or Path
        The tab-separated log, plain or gzip-compressed.
    timezone : str
        IANA time zone of the log's local times.

    Raises
    ------
    InputError
        When the file is missing, is not a bank log or the time zone is unknown.
    """
    zone = _zone(timezone)
    source = Path(path)
    rows = _read_rows(source)

    fields, reasons = _split_and_check(rows)
    accepted = fields.loc[reasons.isna()]
    events = _events(accepted, zone, source.name)
    validate_events(events)

    rejected = reasons.dropna()
    rejections = pd.DataFrame(
        {"line": (rejected.index + 2).astype("int64"), "reason": rejected.astype(str).to_numpy()}
    )
    outcomes = accepted["outcome"].value_counts().to_dict()
    return BankLog(
        events=events,
        rejections=rejections,
        rows_read=len(rows),
        accepted_calls=len(accepted),
        outcomes={str(key): int(value) for key, value in outcomes.items()},
    )


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown IANA time zone {timezone!r}; the bank log uses {BANK_TIMEZONE!r}."
        ) from None


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
    _reject(reasons, fields["vru_entry"].eq(_NOT_HAPPENED), "missing vru_entry")
    return fields, reasons


def _reject(reasons: pd.Series, condition: pd.Series, reason: str | pd.Series) -> None:
    # The first reason found for a row is kept.
    new = condition.fillna(True).astype(bool) & reasons.isna()
    if isinstance(reason, str):
        reasons[new] = reason
    else:
        reasons[new] = reason[new]


def _events(calls: pd.DataFrame, zone: ZoneInfo, source_name: str) -> pd.DataFrame:
    day_start = pd.to_datetime(calls["date"], format="%y%m%d")
    entry = _seconds(calls["vru_entry"])
    queued = calls["q_start"] != _NOT_HAPPENED
    request_seconds = np.where(queued, _seconds(calls["q_start"]), _seconds(calls["vru_exit"]))
    request_seconds = np.where(
        ~queued & (calls["vru_exit"] == _NOT_HAPPENED), entry, request_seconds
    )
    request_at = _to_utc(day_start, entry, request_seconds, zone)

    served = calls["outcome"] == "AGENT"
    has_service = calls["ser_start"] != _NOT_HAPPENED
    left_queue = np.where(
        calls["q_exit"] != _NOT_HAPPENED, _seconds(calls["q_exit"]), request_seconds
    )
    service_seconds = np.where(has_service, _seconds(calls["ser_start"]), left_queue)
    service_at = _to_utc(day_start, entry, service_seconds, zone)
    earliest_answer = request_at + pd.Timedelta(seconds=1)
    service_at = service_at.where(service_at >= earliest_answer, earliest_answer)

    conversation = "bank:" + calls["vru+line"] + ":" + calls["call_id"]
    line = calls.index.to_numpy() + 2
    customer_id = calls["customer_id"].where(calls["customer_id"] != "0")
    phantom = (calls["outcome"] == "PHANTOM").to_numpy()

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
    agent = calls["server"].where(calls["server"] != "NO_SERVER")
    services = pd.DataFrame(
        {
            "event_key": conversation + ":service",
            "conversation_id": conversation,
            "timestamp": service_at,
            "sender": "agent",
            "agent_id": agent,
            "customer_id": None,
            "use_case": calls["type"],
            "handle_seconds": pd.to_numeric(calls["ser_time"]).astype(float),
            "source_line": line,
        }
    ).loc[served.to_numpy()]

    events = pd.concat([requests, services], ignore_index=True)
    events["channel"] = "voice"
    events["event_type"] = "message"
    events["text_length"] = pd.NA
    events["source_file"] = source_name
    return _typed(events.loc[:, list(EVENT_COLUMNS)])


def _seconds(times: pd.Series) -> np.ndarray:
    parts = times.str.split(":", expand=True).astype("int64")
    return (parts[0] * 3600 + parts[1] * 60 + parts[2]).to_numpy()


def _to_utc(
    day_start: pd.Series, entry_seconds: np.ndarray, seconds: np.ndarray, zone: ZoneInfo
) -> pd.Series:
    # A time before the VRU entry happened after midnight, on the next day.
    rolled = np.where(seconds < entry_seconds, seconds + _SECONDS_PER_DAY, seconds)
    local = day_start + pd.to_timedelta(rolled, unit="s")
    aware = pd.DatetimeIndex(local).tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    unclear = aware.isna()
    if unclear.any():
        warnings.warn(
            f"{int(unclear.sum())} bank log times fall in a DST gap or overlap of {zone.key}; "
            "overlaps take the first occurrence and gaps are shifted forward.",
            DataQualityWarning,
            stacklevel=4,
        )
        first = np.ones(len(local), dtype=bool)
        aware = pd.DatetimeIndex(local).tz_localize(
            zone, ambiguous=first, nonexistent="shift_forward"
        )
    return pd.Series(aware.tz_convert("UTC"), index=day_start.index)


def _typed(events: pd.DataFrame) -> pd.DataFrame:
    events = events.copy()
    for column in (
        "event_key",
        "conversation_id",
        "sender",
        "agent_id",
        "customer_id",
        "channel",
        "use_case",
        "event_type",
        "source_file",
    ):
        events[column] = events[column].astype("string")
    events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True).astype(
        "datetime64[ns, UTC]"
    )
    events["text_length"] = events["text_length"].astype("Int64")
    events["handle_seconds"] = events["handle_seconds"].astype("float64")
    events["source_line"] = events["source_line"].astype("Int64")
    return events.sort_values(["conversation_id", "timestamp"], kind="stable").reset_index(
        drop=True
    )
