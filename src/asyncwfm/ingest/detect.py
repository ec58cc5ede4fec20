"""Recognising the format of a source file from its name and first bytes."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Final

from asyncwfm.errors import FormatDetectionError, InputError
from asyncwfm.ingest.options import FORMATS
from asyncwfm.ingest.source import SourceStream, binary_data_reason

SNIFF_BYTES: Final = 64 * 1024
"""Bytes of the (decompressed) start of a file read to recognise its format."""

BINARY_CHECK_BYTES: Final = 8 * 1024
"""Bytes of the (decompressed) start of a file checked for binary data."""

TWCS_SIGNATURE: Final = frozenset({"tweet_id", "author_id", "inbound", "created_at"})
TWILIO_CSV_SIGNATURE: Final = frozenset({"from", "to", "body", "status", "sentdate", "direction"})
TWILIO_JSON_SIGNATURE: Final = frozenset({"sid", "from", "to", "direction", "status"})
HELPDESK_SIGNATURE: Final = frozenset({"ticket_id", "comment_id"})
BANK_SIGNATURE: Final = frozenset({"vru+line", "call_id", "q_start", "ser_start", "server"})

_EXTENSIONS: Final[dict[str, str]] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".txt": "text",
}

# A WhatsApp export line starts with a date, a time and a separator, for example
# "12/31/23, 9:15 PM - Name: text" (Android) or "[31.12.23, 21:15:07] Name: text" (iOS).
WHATSAPP_LINE: Final = re.compile(
    r"^[\u200e\u200f\u202a-\u202e\ufeff]*\[?\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4},?\s+"
    r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:[\s\u202f\u00a0]*[AaPp]\.?\s?[Mm]\.?)?\]?\s*(?:-|–)?\s"
)


def detect_format(path: Path, encoding: str = "utf-8") -> str:
    """Return the reader format of ``path``: one of :data:`~asyncwfm.ingest.options.FORMATS`.

    The extension (``.gz`` removed) decides between text, Parquet and JSON; the first
    bytes decide the flavour: TWCS, Twilio or help-desk columns, WhatsApp chat lines,
    or a JSON document from Zendesk, Intercom or Freshchat.

    Raises
    ------
    FormatDetectionError
        When neither the name nor the content is recognised; the message names the
        file, what was found and the ``--format`` values.
    """
    suffix = _suffix(path)
    kind = _EXTENSIONS.get(suffix)
    if kind == "parquet":
        return "parquet"

    head = _read_head(path, encoding)
    if not head.strip():
        if kind in ("csv", "tsv", "jsonl"):
            return kind
        _fail(path, "the file is empty")

    first_line = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip("\r\ufeff")
    if head.startswith(b"PAR1"):
        return "parquet"
    binary = binary_data_reason(head[:BINARY_CHECK_BYTES])
    if binary is not None:
        raise InputError(
            f"{path} is not a text file: {binary}. Pass a CSV, TSV, JSON Lines, Parquet or "
            "WhatsApp export file, or --encoding if the text is not UTF-8."
        )
    if WHATSAPP_LINE.match(first_line) or (kind == "text" and _looks_like_whatsapp(head)):
        return "whatsapp"
    if kind in ("jsonl", "json") or first_line.lstrip().startswith(("{", "[")):
        return _detect_json(path, head, kind)
    delimiter = "\t" if kind == "tsv" or first_line.count("\t") > first_line.count(",") else ","
    header = {name.strip().lower() for name in _split_header(first_line, delimiter)}
    if header >= TWCS_SIGNATURE:
        return "twcs"
    if header >= BANK_SIGNATURE:
        return "bank"
    if header >= TWILIO_CSV_SIGNATURE:
        return "twilio"
    if header >= HELPDESK_SIGNATURE:
        return "helpdesk"
    if kind in ("csv", "tsv"):
        return kind
    if len(header) > 1 and kind in (None, "text"):
        return "tsv" if delimiter == "\t" else "csv"
    _fail(path, f"first line {first_line[:80]!r}")
    raise AssertionError("unreachable")


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _read_head(path: Path, encoding: str) -> bytes:
    with SourceStream(path, encoding=encoding) as stream:
        return stream.read(SNIFF_BYTES)


def _split_header(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def _looks_like_whatsapp(head: bytes) -> bool:
    lines = head.decode("utf-8", errors="replace").splitlines()[:20]
    return sum(bool(WHATSAPP_LINE.match(line)) for line in lines) >= max(1, len(lines) // 2)


def _detect_json(path: Path, head: bytes, kind: str | None) -> str:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    first_line = text.split("\n", 1)[0].strip()
    try:
        first = json.loads(first_line)
    except ValueError:
        first = None
    if isinstance(first, dict):
        keys = {str(key).lower() for key in first}
        if keys >= TWILIO_JSON_SIGNATURE and str(first.get("sid", "")).startswith(("SM", "MM")):
            return "twilio"
        return "jsonl"
    lowered = text[:SNIFF_BYTES].lower()
    if '"conversation_parts"' in lowered or '"type": "conversation"' in lowered:
        return "intercom"
    if '"ticket_events"' in lowered or ('"tickets"' in lowered and '"comments"' in lowered):
        return "zendesk"
    if '"conversations"' in lowered and '"messages"' in lowered and '"actor_type"' in lowered:
        return "freshchat"
    if '"comments"' in lowered and '"author_id"' in lowered:
        return "zendesk"
    if kind == "jsonl":
        return "jsonl"
    _fail(path, "a JSON document that is not JSON Lines and not a known help-desk export")
    raise AssertionError("unreachable")


def _fail(path: Path, found: str) -> None:
    choices = ", ".join(f for f in FORMATS if f != "auto")
    raise FormatDetectionError(
        f"cannot detect the format of {path}: found {found}. Pass --format with one of: {choices}."
    )


def check_readable(path: Path) -> None:
    """Raise InputError unless ``path`` is an existing regular file."""
    if not path.exists():
        raise InputError(f"source file not found: {path}")
    if not path.is_file():
        raise InputError(f"{path} is not a regular file.")
