"""Reader of Twilio message logs: the Console CSV export and BulkExport JSON Lines.

The Console's message log export is a CSV with the columns ``From, To, Body,
Status, SentDate, ApiVersion, NumSegments, ErrorCode, AccountSid, Sid, Direction,
Price, PriceUnit``. BulkExport writes one day of messages per file, gzip-compressed
JSON Lines with the fields of the Message resource in snake case (``sid, from, to,
body, status, direction, date_sent, date_created, ...``) and UTC ISO 8601 times
(Twilio docs, "Bulk Export API: Day resource"). Both read the same way:

* ``direction`` ``inbound`` is a customer message; ``outbound-api`` and
  ``outbound-call`` are agent messages and ``outbound-reply`` (an automatic TwiML
  reply) is a bot message. ``--sender-value outbound-reply=agent`` and the like
  change that mapping.
* The customer is ``From`` of inbound and ``To`` of outbound messages; the business
  number is the other one. ``conversation_id`` is
  ``twilio:<business number>:<customer number>``, because SMS has no threads, and
  ``use_case`` is the business number.
* ``channel`` is ``whatsapp`` or ``messenger`` for addresses with that prefix
  (``whatsapp:+1555...``), else ``sms``.
* ``event_key`` is ``twilio:<Sid>``. The time is ``SentDate`` (``date_sent``), or
  ``date_created`` when the message was never sent.
* Failed and undelivered outbound messages are kept, because the agent wrote them;
  a warning counts them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from asyncwfm.errors import InputError
from asyncwfm.ingest.delimited import DelimitedReader
from asyncwfm.ingest.normalize import CandidateEvents, ChunkResult, finish_chunk
from asyncwfm.ingest.readers.base import SourceContext, empty_reasons
from asyncwfm.ingest.readers.generic import (
    add_rejections,
    frame_to_strings,
    parse_json_lines,
)
from asyncwfm.ingest.source import iter_line_blocks
from asyncwfm.ingest.timestamps import parse_timestamps, shown_value

TWILIO_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "from": ("from",),
    "to": ("to",),
    "body": ("body",),
    "status": ("status",),
    "sent": ("sentdate", "date_sent", "datesent"),
    "created": ("datecreated", "date_created"),
    "direction": ("direction",),
    "sid": ("sid", "messagesid", "message_sid"),
}
"""Canonical Twilio fields and the source names each may have (case-insensitive)."""

DIRECTION_SENDERS: Final[Mapping[str, str]] = {
    "inbound": "customer",
    "outbound-api": "agent",
    "outbound-call": "agent",
    "outbound-reply": "bot",
}
"""Sender of each Twilio ``direction`` value, unless ``--sender-value`` maps it."""

_NOT_DELIVERED: Final = ("failed", "undelivered", "canceled")


def read_twilio(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a Twilio Console CSV export or a BulkExport JSON Lines file."""
    stream = context.open_text()
    head = stream.peek(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"{":
        yield from _read_json_lines(context)
    else:
        yield from _read_csv(context)


def _read_csv(context: SourceContext) -> Iterator[ChunkResult]:
    assert context.stream is not None
    reader = DelimitedReader(
        context.stream,
        delimiter=context.options.delimiter or ",",
        chunk_bytes=context.options.chunk_bytes,
        max_record_bytes=context.options.max_record_bytes,
    )
    if not reader.header:
        context.warnings.append(f"{context.source_file} is empty.")
        return
    columns = _resolve(reader.header, context)
    for batch in reader:
        result = _finish(batch.table, batch.lines, columns, context)
        yield add_rejections(result, batch.rejected_lines, batch.rejected_reasons)
        context.report_progress()
    context.warnings.extend(reader.warnings)


def _read_json_lines(context: SourceContext) -> Iterator[ChunkResult]:
    assert context.stream is not None
    columns: dict[str, str] | None = None
    for block, first_line in iter_line_blocks(context.stream, context.options.chunk_bytes):
        records, lines, rejected_lines, rejected_reasons = parse_json_lines(
            block, first_line, context.warnings
        )
        frame = pd.DataFrame(records, dtype=object)
        if columns is None and len(frame.columns):
            columns = _resolve([str(c) for c in frame.columns], context)
        if columns is None or not records:
            yield add_rejections(_finish_empty(context), rejected_lines, rejected_reasons)
            continue
        table = frame_to_strings(frame, columns)
        result = _finish(table, lines, columns, context)
        yield add_rejections(result, rejected_lines, rejected_reasons)
        context.report_progress()


def _resolve(found: list[str], context: SourceContext) -> dict[str, str]:
    by_lower = {name.lower().replace(" ", ""): name for name in reversed(found)}
    columns: dict[str, str] = {}
    for canonical, names in TWILIO_COLUMNS.items():
        for name in names:
            if name in by_lower:
                columns[canonical] = by_lower[name]
                break
    missing = [name for name in ("from", "to", "direction") if name not in columns]
    if "sent" not in columns and "created" not in columns:
        missing.append("sentdate")
    if missing:
        raise InputError(
            f"{context.source_file}: missing Twilio column(s) {missing}; found {found}. "
            "A Twilio export has From, To, Body, Status, SentDate and Direction."
        )
    return columns


def _finish(
    table: pa.Table, lines: np.ndarray, columns: dict[str, str], context: SourceContext
) -> ChunkResult:
    def column(name: str) -> pa.Array:
        source = columns.get(name)
        if source is None:
            return pa.nulls(table.num_rows, pa.string())
        return pc.utf8_trim_whitespace(table.column(source).combine_chunks().cast(pa.string()))

    reasons = empty_reasons(table.num_rows)
    direction = pc.utf8_lower(column("direction"))
    sender = _senders(direction, reasons, context)
    inbound = pc.fill_null(pc.equal(direction, "inbound"), False)
    customer = pc.if_else(inbound, column("from"), column("to"))
    business = pc.if_else(inbound, column("to"), column("from"))

    sent = column("sent")
    when = pc.if_else(pc.fill_null(pc.equal(sent, ""), True), column("created"), sent)
    status = pc.utf8_lower(column("status"))
    _warn_not_delivered(status, direction, context)

    sid = column("sid")
    event_key = pc.if_else(
        pc.fill_null(pc.equal(sid, ""), True),
        pa.scalar(None, pa.string()),
        pc.binary_join_element_wise("twilio:", sid, ""),
    )
    candidates = CandidateEvents(
        lines=lines,
        conversation_id=pc.binary_join_element_wise("twilio", business, customer, ":"),
        timestamps=parse_timestamps(
            when, lines, context.options, timestamp_format=context.options.timestamp_format
        ),
        sender=sender,
        author=pc.if_else(inbound, customer, business),
        customer_id=customer,
        channel=_channels(customer),
        use_case=pc.replace_substring_regex(business, r"^[a-z]+:", ""),
        event_type="message",
        text_length=pc.utf8_length(column("body")).cast(pa.int64()),
        event_key=event_key,
        reasons=reasons,
    )
    _reject_missing_numbers(customer, business, reasons)
    return finish_chunk(candidates, context.options, context.source_file)


def _senders(direction: pa.Array, reasons: np.ndarray, context: SourceContext) -> pa.Array:
    mapping = dict(DIRECTION_SENDERS)
    mapping.update({k.strip().lower(): v for k, v in context.options.sender_values.items()})
    keys = pa.array(list(mapping), type=pa.string())
    sender = pa.array(list(mapping.values()), type=pa.string()).take(
        pc.index_in(direction, value_set=keys)
    )
    unknown = np.asarray(sender.is_null(), dtype=bool)
    if unknown.any():
        shown = direction.filter(pa.array(unknown)).to_pylist()
        for row, value in zip(np.flatnonzero(unknown).tolist(), shown, strict=True):
            reasons[row] = (
                f"unknown Direction {shown_value(str(value or ''))} (expected inbound, "
                "outbound-api, outbound-reply or outbound-call)"
            )
    return pc.fill_null(sender, "customer")


def _channels(customer: pa.Array) -> pa.Array:
    prefix = pc.struct_field(pc.extract_regex(customer, r"^(?P<p>[a-z]+):"), "p")
    return pc.if_else(
        pc.is_in(prefix, value_set=pa.array(["whatsapp", "messenger"])), prefix, "sms"
    )


def _reject_missing_numbers(customer: pa.Array, business: pa.Array, reasons: np.ndarray) -> None:
    for values, name in ((customer, "customer number"), (business, "business number")):
        empty = np.asarray(pc.fill_null(pc.equal(values, ""), True), dtype=bool)
        reasons[empty & (reasons == None)] = f"missing {name} (From/To)"  # noqa: E711


def _warn_not_delivered(status: pa.Array, direction: pa.Array, context: SourceContext) -> None:
    outbound = pc.fill_null(pc.starts_with(direction, "outbound"), False)
    failed = pc.and_(outbound, pc.is_in(status, value_set=pa.array(_NOT_DELIVERED)))
    count = int(pc.sum(failed.cast(pa.int64())).as_py() or 0)
    if count:
        context.warnings.append(
            f"{count} outbound message(s) have status failed, undelivered or canceled; they "
            "are kept as written by the business but never reached the customer."
        )


def _finish_empty(context: SourceContext) -> ChunkResult:
    from asyncwfm.ingest.normalize import EVENT_ARROW_SCHEMA

    return ChunkResult(EVENT_ARROW_SCHEMA.empty_table(), np.empty(0, dtype=np.int64), [])
