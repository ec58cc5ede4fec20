"""Options of the ingest stage, validated once when they are built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from asyncwfm.errors import InputError
from asyncwfm.schema import EVENT_COLUMNS, SENDER_VALUES
from asyncwfm.timezones import close_timezones

FORMATS: Final[tuple[str, ...]] = (
    "auto",
    "csv",
    "tsv",
    "parquet",
    "jsonl",
    "twcs",
    "bank",
    "whatsapp",
    "twilio",
    "zendesk",
    "intercom",
    "freshchat",
    "helpdesk",
)
"""Values of ``IngestOptions.format`` and of ``--format``."""

GENERIC_FORMATS: Final[tuple[str, ...]] = ("csv", "tsv", "parquet", "jsonl")
"""Formats of files with one event per row and the event table's column names."""

TEXT_COLUMNS: Final[tuple[str, ...]] = ("text", "body", "message")
"""Source column names read as the message body; only their length is kept."""

MAPPABLE_COLUMNS: Final[frozenset[str]] = frozenset(
    (*EVENT_COLUMNS, "text", "author", "message_id")
) - {"source_file", "source_line"}
"""Canonical names that ``IngestOptions.columns`` may map to a source column.

``text`` is the message body (only its length is kept), ``author`` an author name or
id that ``bot_authors`` and ``business_authors`` are compared with, and
``message_id`` the source's own message id, from which ``event_key`` is built.
"""

COMMON_SENDER_SYNONYMS: Final[Mapping[str, str]] = {
    "user": "customer",
    "client": "customer",
    "contact": "customer",
    "end-user": "customer",
    "end_user": "customer",
    "enduser": "customer",
    "visitor": "customer",
    "lead": "customer",
    "requester": "customer",
    "inbound": "customer",
    "operator": "agent",
    "staff": "agent",
    "admin": "agent",
    "teammate": "agent",
    "representative": "agent",
    "rep": "agent",
    "support": "agent",
    "outbound": "agent",
    "chatbot": "bot",
    "automation": "bot",
    "assistant": "bot",
    "workflow": "bot",
}
"""Sender values mapped when ``IngestOptions.sender_synonyms`` is set (compared lowercased)."""

DEFAULT_CHUNK_BYTES: Final[int] = 32 * 2**20
"""Bytes of a text source read per chunk; about 170,000 TWCS rows."""

DEFAULT_MAX_RECORD_BYTES: Final[int] = 64 * 2**20
"""Largest single record a text source may hold before the reader gives up on quoting."""


@dataclass(frozen=True)
class IngestOptions:
    """Settings of the ingest stage: how source files are read and turned into events.

    Attributes
    ----------
    format : str
        One of :data:`FORMATS`; ``auto`` detects it from the file name and header.
    columns : Mapping[str, str]
        Canonical column name to source column name, for the generic readers
        (``{"timestamp": "created"}``). Keys must be in :data:`MAPPABLE_COLUMNS`.
    timezone : str or None
        IANA time zone of naive timestamps in the source. Required when a file has
        naive timestamps; aware timestamps are converted to UTC whatever it is.
    use_case : str or None
        Use-case label for every event, replacing the reader's own label.
    channel : str or None
        Channel for every event, replacing the reader's default.
    sender : str or None
        Sender of every row of a generic file (``csv``, ``tsv``, ``parquet``,
        ``jsonl``), one of ``customer``, ``agent``, ``bot``, ``system``. It replaces
        a sender column, for files that hold one side of the conversation, such as
        an export of inbound messages only. Other formats reject it.
    sender_values : Mapping[str, str]
        Source sender value (compared lowercased) to one of ``customer``, ``agent``,
        ``bot``, ``system``.
    sender_synonyms : bool
        Also map the values in :data:`COMMON_SENDER_SYNONYMS`.
    bot_authors : tuple of str
        Author names or ids whose messages are bot messages (case-insensitive).
    business_authors : tuple of str
        Author names or ids that write for the business in sources that only name
        the author, such as WhatsApp chat exports (case-insensitive). Their messages
        are agent messages, everyone else's are customer messages.
    dst_ambiguous : {"first", "last", "reject"}
        Naive local time that occurs twice when clocks go back: read it as the first
        (daylight-saving) or the last (standard) occurrence, or reject the row.
    dst_nonexistent : {"shift_forward", "reject"}
        Naive local time skipped when clocks go forward: move it forward by the size
        of the gap, or reject the row.
    day_first : bool or None
        Day/month order of numeric dates in WhatsApp exports; None infers it from
        the whole file.
    customer_id_salt : str or None
        When set, customer ids are replaced by a salted SHA-256 digest on ingest.
    encoding : str
        Text encoding of text sources when they have no byte order mark.
    delimiter : str or None
        Field delimiter of delimited text; None means ``,`` (``\\t`` for ``.tsv``).
    timestamp_format : str or None
        ``strftime`` format of the generic readers' timestamps; None accepts ISO
        8601 and Unix epoch seconds or milliseconds.
    chunk_bytes : int
        Bytes of a text source read per chunk; bounds memory.
    max_record_bytes : int
        Largest record of a delimited text source; a quoted field that runs longer
        is treated as damaged quoting.
    """

    format: str = "auto"
    columns: Mapping[str, str] = field(default_factory=dict)
    timezone: str | None = None
    use_case: str | None = None
    channel: str | None = None
    sender: str | None = None
    sender_values: Mapping[str, str] = field(default_factory=dict)
    sender_synonyms: bool = False
    bot_authors: tuple[str, ...] = ()
    business_authors: tuple[str, ...] = ()
    dst_ambiguous: Literal["first", "last", "reject"] = "first"
    dst_nonexistent: Literal["shift_forward", "reject"] = "shift_forward"
    day_first: bool | None = None
    customer_id_salt: str | None = None
    encoding: str = "utf-8"
    delimiter: str | None = None
    timestamp_format: str | None = None
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise InputError(f"unknown format {self.format!r}; use one of {', '.join(FORMATS)}.")
        _check_columns(self.columns)
        if self.timezone is not None:
            check_timezone(self.timezone)
        if self.sender is not None and self.sender not in SENDER_VALUES:
            raise InputError(
                f"invalid sender {self.sender!r}; use one of {', '.join(sorted(SENDER_VALUES))}."
            )
        _check_sender_values(self.sender_values)
        if self.dst_ambiguous not in ("first", "last", "reject"):
            raise InputError(
                f"invalid dst_ambiguous {self.dst_ambiguous!r}; use first, last or reject."
            )
        if self.dst_nonexistent not in ("shift_forward", "reject"):
            raise InputError(
                f"invalid dst_nonexistent {self.dst_nonexistent!r}; use shift_forward or reject."
            )
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise InputError(f"delimiter must be one character, got {self.delimiter!r}.")
        if self.delimiter is not None and self.delimiter in '"\r\n':
            raise InputError(f"delimiter {self.delimiter!r} is not allowed; use , ; | or a tab.")
        _check_encoding(self.encoding)
        if self.timestamp_format is not None:
            _check_timestamp_format(self.timestamp_format)
        if self.chunk_bytes < 4096:
            raise InputError(f"chunk_bytes must be at least 4096, got {self.chunk_bytes}.")
        if self.max_record_bytes < self.chunk_bytes:
            raise InputError(
                f"max_record_bytes ({self.max_record_bytes}) must not be below "
                f"chunk_bytes ({self.chunk_bytes})."
            )
        if self.customer_id_salt is not None and not self.customer_id_salt:
            raise InputError("customer_id_salt must not be empty; omit it to keep ids as they are.")

    @property
    def zone(self) -> ZoneInfo | None:
        """The time zone of naive timestamps, or None when not given."""
        return None if self.timezone is None else ZoneInfo(self.timezone)

    def sender_map(self) -> dict[str, str]:
        """Return the lowercased source sender values mapped to canonical senders."""
        mapping = {value: value for value in SENDER_VALUES}
        if self.sender_synonyms:
            mapping.update(COMMON_SENDER_SYNONYMS)
        mapping.update({key.strip().lower(): value for key, value in self.sender_values.items()})
        return mapping


def check_timezone(name: str) -> ZoneInfo:
    """Return the ZoneInfo of an IANA time zone name, or raise InputError naming close matches."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = close_timezones(name)
        hint = f" Did you mean {_either(close)}?" if close else ""
        raise InputError(
            f"unknown time zone {name!r}.{hint} Pass an IANA name such as 'Europe/London' "
            "or 'America/New_York'."
        ) from None


def _either(names: list[str]) -> str:
    quoted = [repr(name) for name in names]
    if len(quoted) == 1:
        return quoted[0]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _check_columns(columns: Mapping[str, str]) -> None:
    unknown = sorted(set(columns) - MAPPABLE_COLUMNS)
    if unknown:
        raise InputError(
            f"unknown canonical column(s) {unknown} in the column mapping; "
            f"map one of {sorted(MAPPABLE_COLUMNS)} as canonical=source."
        )
    empty = sorted(key for key, value in columns.items() if not value)
    if empty:
        raise InputError(f"empty source column name for {empty} in the column mapping.")


def _check_sender_values(values: Mapping[str, str]) -> None:
    for source, sender in values.items():
        if sender not in SENDER_VALUES:
            raise InputError(
                f"sender value {source!r} is mapped to {sender!r}; "
                f"map it to one of {sorted(SENDER_VALUES)}."
            )


def _check_timestamp_format(timestamp_format: str) -> None:
    # With errors="coerce", pandas still raises ValueError for an unknown directive or
    # a stray %, while a valid format that does not match the placeholder gives NaT.
    try:
        pd.to_datetime(["placeholder"], format=timestamp_format, errors="coerce")
    except ValueError as exc:
        raise InputError(
            f"invalid timestamp format {timestamp_format!r}: {exc}. Use strftime codes "
            "such as %Y, %m, %d, %H, %M, %S and %z, e.g. '%d/%m/%Y %H:%M'."
        ) from None


def _check_encoding(encoding: str) -> None:
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(
            f"unknown text encoding {encoding!r}; use a Python codec name such as "
            "'utf-8', 'cp1252' or 'utf-16'."
        ) from None
