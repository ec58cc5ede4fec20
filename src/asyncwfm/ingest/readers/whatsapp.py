"""Reader of WhatsApp "Export chat" text files (Android and iOS).

Each message starts on a line with its date and time:

* Android: ``12/31/23, 9:15 PM - Ana: text`` or ``31.12.23, 21:15 - Ana: text``;
* iOS: ``[31/12/2023, 21:15:07] Ana: text`` or ``[12/31/23, 9:15:07 PM] Ana: text``.

Dates are day/month/year, month/day/year or year-month-day with ``/``, ``.`` or
``-``. Times have 12- or 24-hour clocks, with or without seconds, and AM/PM markers
(``PM``, ``p.m.``, ``p. m.``) after a space, a no-break space or the narrow no-break
space (U+202F) of newer exports. Invisible direction marks (U+200E, U+200F, U+202A
to U+202E) are ignored. Lines that do not start with a date and time continue the
previous message, so multi-line messages keep their line breaks in the text length.

How events are built:

* One file is one conversation, ``whatsapp:<file name without extension>``, on
  channel ``whatsapp``. A file named ``WhatsApp Chat with Ana.txt`` becomes
  ``whatsapp:WhatsApp Chat with Ana``.
* The author is the text before the first ``": "`` after the time. Authors listed in
  ``IngestOptions.business_authors`` are agents (``agent_id`` = author), authors in
  ``bot_authors`` are bots, everyone else is a customer (``customer_id`` = author).
  The business authors must be given; the error lists the authors found.
* Lines without an author (``Messages and calls are end-to-end encrypted...``), and
  iOS notices whose text starts with a left-to-right mark, are ``system`` events.
* Media placeholders (``<Media omitted>``, ``image omitted``, ``<attached: ...>``)
  and deleted-message notices have no text length.
* The day/month order comes from the whole file: a first number above 12 means
  day first, a second number above 12 means month first. When no date decides, the
  order under which the messages run forward in time is taken, with a warning.
  When that does not decide either, ``IngestOptions.day_first`` must be set.
* Times are local, so ``IngestOptions.timezone`` is required; DST gaps and overlaps
  follow the usual rules (see :mod:`asyncwfm.ingest.timestamps`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from asyncwfm.errors import InputError
from asyncwfm.ingest.delimited import describe_lines
from asyncwfm.ingest.normalize import CandidateEvents, ChunkResult, finish_chunk
from asyncwfm.ingest.readers.base import SourceContext, empty_reasons
from asyncwfm.ingest.readers.generic import add_rejections
from asyncwfm.ingest.source import line_numbers_of, repair_utf8
from asyncwfm.ingest.timestamps import TimestampResult, localize, shown_value

_MARKS: Final = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff"
_SPACES: Final = r"[ \x{00A0}\x{202F}]"
HEADER_PATTERN: Final = (
    rf"^[{_MARKS}]*\[?(?P<date>\d{{1,4}}[./\-]\d{{1,2}}[./\-]\d{{1,4}})[,.]?{_SPACES}+"
    rf"(?P<time>\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?)"
    rf"(?:{_SPACES}*(?P<ampm>[AaPp]\.?{_SPACES}?[Mm]\.?))?"
    rf"(?:\]{_SPACES}*|{_SPACES}+[-–]{_SPACES}+)(?P<rest>.*)$"
)
"""RE2 pattern of the first line of a message: date, time, AM/PM and the rest."""

_AUTHOR_PATTERN: Final = rf"^[{_MARKS}]*(?P<author>[^:]{{1,60}}?): (?P<text>.*)$"
_MEDIA_PATTERN: Final = (
    rf"^[{_MARKS}]*(?:<Media omitted>|<attached: [^>]*>|(?:image|video|audio|sticker|GIF|"
    r"document|Contact card) omitted|This message was deleted|You deleted this message)"
    rf"[{_MARKS}\s]*$"
)
_EDITED: Final = " <This message was edited>"
_DATE_PARTS: Final = r"^(?P<a>\d+)[./\-](?P<b>\d+)[./\-](?P<c>\d+)$"
_TIME_PARTS: Final = r"^(?P<h>\d+)[:.](?P<m>\d+)(?:[:.](?P<s>\d+))?$"


def read_whatsapp(context: SourceContext) -> Iterator[ChunkResult]:
    """Read one WhatsApp chat export (see the module docstring for the rules)."""
    stream = context.open_text()
    # NOTE: a chat export is read whole, because the day/month order is inferred
    # from every date in it. Exports are text files of at most some tens of MB.
    data = stream.read_all_remaining()
    context.report_progress()
    if not data.strip():
        context.warnings.append(f"{context.source_file} is empty.")
        return
    data = _valid_utf8(data, context)
    lines = _split_lines(data)

    header = pc.extract_regex(lines, HEADER_PATTERN)
    is_header = np.asarray(header.is_valid(), dtype=bool)
    line_numbers = np.arange(1, len(lines) + 1, dtype=np.int64)
    orphans = _orphan_lines(is_header, lines)
    if not is_header.any():
        raise InputError(
            f"{context.source_file}: no line starts with a WhatsApp date and time "
            f"(first line {shown_value(str(lines[0].as_py()))}); check --format."
        )

    starts = np.flatnonzero(is_header)
    messages = header.filter(pa.array(is_header))
    rest = pc.struct_field(messages, "rest")
    authored = pc.extract_regex(rest, _AUTHOR_PATTERN)
    author = pc.struct_field(authored, "author")
    first_text = pc.coalesce(pc.struct_field(authored, "text"), rest)

    text_length = _text_lengths(lines, starts, first_text)
    media = np.asarray(pc.fill_null(pc.match_substring_regex(first_text, _MEDIA_PATTERN), False))
    notice = np.asarray(
        pc.fill_null(pc.starts_with(pc.struct_field(authored, "text"), "\u200e"), False)
    )
    system = np.asarray(author.is_null()) | (notice & ~media)
    text_length = pa.array(np.where(media | system, np.nan, text_length), from_pandas=True).cast(
        pa.int64()
    )

    reasons = empty_reasons(len(starts))
    naive = _naive_times(messages, line_numbers[starts], reasons, context)
    timestamps = _local_to_utc(naive, line_numbers[starts], reasons, context)
    sender, clean_author = _senders(author, system, context)

    candidates = CandidateEvents(
        lines=line_numbers[starts],
        conversation_id=pa.repeat(pa.scalar(f"whatsapp:{context.path.stem}"), len(starts)),
        timestamps=timestamps,
        sender=sender,
        author=clean_author,
        agent_id=pc.if_else(pc.equal(sender, "agent"), clean_author, pa.scalar(None, pa.string())),
        customer_id=pc.if_else(
            pc.equal(sender, "customer"), clean_author, pa.scalar(None, pa.string())
        ),
        channel="whatsapp",
        use_case=None,
        event_type="message",
        text_length=text_length,
        reasons=reasons,
    )
    result = finish_chunk(candidates, context.options, context.source_file)
    yield add_rejections(
        result,
        line_numbers[orphans].tolist(),
        ["line does not start with a WhatsApp date and time"] * int(orphans.sum()),
    )


def _valid_utf8(data: bytes, context: SourceContext) -> bytes:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        repaired, positions = repair_utf8(data)
        context.warnings.append(
            "invalid UTF-8 bytes replaced with U+FFFD on "
            f"{describe_lines(line_numbers_of(data, positions, 1))}; pass --encoding if the "
            "file is not UTF-8."
        )
        return repaired
    return data


def _split_lines(data: bytes) -> pa.Array:
    """Return the lines of ``data`` without line endings, as one Arrow string array."""
    if data.endswith(b"\n"):
        data = data[:-1]
    lines = pa.array([data], type=pa.string())
    split = pc.split_pattern(lines, "\n")
    return pc.utf8_rtrim(pc.list_flatten(split), characters="\r")


def _orphan_lines(is_header: np.ndarray, lines: pa.Array) -> np.ndarray:
    """Mark non-blank lines before the first message: they continue nothing."""
    first = int(np.argmax(is_header)) if is_header.any() else len(is_header)
    before = np.zeros(len(is_header), dtype=bool)
    before[:first] = True
    blank = np.asarray(pc.equal(pc.utf8_trim_whitespace(lines), ""), dtype=bool)
    return before & ~blank


def _text_lengths(lines: pa.Array, starts: np.ndarray, first_text: pa.Array) -> np.ndarray:
    """Return each message's length: its first line's text plus continuation lines.

    The `` <This message was edited>`` that newer exports append to edited messages
    is not part of the text and is not counted.
    """
    line_lengths = np.asarray(pc.utf8_length(lines), dtype=np.int64)
    boundaries = np.append(starts, len(line_lengths))
    continuation_chars = np.add.reduceat(line_lengths, starts) - line_lengths[starts]
    continuation_lines = np.diff(boundaries) - 1
    first = np.asarray(pc.utf8_length(first_text), dtype=np.int64)
    last_lines = lines.take(pa.array(boundaries[1:] - 1))
    edited = np.asarray(pc.fill_null(pc.ends_with(last_lines, _EDITED), False), dtype=bool)
    return (first + continuation_chars + continuation_lines - edited * len(_EDITED)).astype(
        np.float64
    )


def _naive_times(
    messages: pa.Array, lines: np.ndarray, reasons: np.ndarray, context: SourceContext
) -> np.ndarray:
    """Return naive local ``datetime64[ns]`` of each message, NaT where invalid."""
    date = pc.struct_field(messages, "date")
    parts = pc.extract_regex(date, _DATE_PARTS)
    first, second, third = (
        np.asarray(pc.struct_field(parts, name).cast(pa.int64()), dtype=np.int64)
        for name in ("a", "b", "c")
    )
    year_first = first >= 1000
    day_first = _day_first(first, second, year_first, lines, context)

    year = np.where(year_first, first, third)
    year = np.where(year < 100, year + 2000, year)
    month = np.where(year_first, second, np.where(day_first, second, first))
    day = np.where(year_first, third, np.where(day_first, first, second))

    clock = pc.extract_regex(pc.struct_field(messages, "time"), _TIME_PARTS)
    hour = np.asarray(pc.struct_field(clock, "h").cast(pa.int64()), dtype=np.int64)
    minute = np.asarray(pc.struct_field(clock, "m").cast(pa.int64()), dtype=np.int64)
    seconds_text = pc.struct_field(clock, "s")
    second_of_minute = np.asarray(
        pc.if_else(pc.equal(seconds_text, ""), "0", seconds_text).cast(pa.int64()),
        dtype=np.int64,
    )
    hour, bad_clock = _twelve_hour(hour, pc.struct_field(messages, "ampm"))
    bad_clock |= (hour > 23) | (minute > 59) | (second_of_minute > 59)

    stamps = pd.to_datetime(
        pd.DataFrame(
            {
                "year": year,
                "month": month,
                "day": day,
                "hour": hour,
                "minute": minute,
                "second": second_of_minute,
            }
        ),
        errors="coerce",
    ).to_numpy(dtype="datetime64[ns]")
    invalid = np.isnat(stamps) | bad_clock
    if invalid.any():
        shown = np.asarray(
            pc.binary_join_element_wise(date, pc.struct_field(messages, "time"), " ").to_pylist(),
            dtype=object,
        )
        for row in np.flatnonzero(invalid).tolist():
            reasons[row] = f"invalid date or time {shown_value(str(shown[row]))}"
        stamps[invalid] = np.datetime64("NaT")
    return stamps


def _day_first(
    first: np.ndarray,
    second: np.ndarray,
    year_first: np.ndarray,
    lines: np.ndarray,
    context: SourceContext,
) -> bool:
    """Decide the day/month order of the file's numeric dates (see the module docstring)."""
    if context.options.day_first is not None:
        return context.options.day_first
    numeric = ~year_first
    if not numeric.any():
        return True
    first_big = bool((first[numeric] > 12).any())
    second_big = bool((second[numeric] > 12).any())
    if first_big and not second_big:
        return True
    if second_big and not first_big:
        return False
    if first_big and second_big:
        raise InputError(
            f"{context.source_file}: dates have numbers above 12 in both the first and the "
            "second place, so the day/month order differs between lines; split the file or "
            "pass --day-first or --month-first."
        )

    backwards_if_day_first = _backward_steps(first[numeric], second[numeric])
    backwards_if_month_first = _backward_steps(second[numeric], first[numeric])
    if backwards_if_day_first != backwards_if_month_first:
        chosen = backwards_if_day_first < backwards_if_month_first
        context.warnings.append(
            "no date has a day above 12, so the day/month order was taken as "
            f"{'day first' if chosen else 'month first'} because the messages then run forward "
            "in time; pass --day-first or --month-first to set it."
        )
        return chosen
    raise InputError(
        f"{context.source_file}: the day/month order of its dates cannot be inferred (no "
        f"number above 12, first dates on {describe_lines(lines[:3])}); pass --day-first "
        "or --month-first."
    )


def _backward_steps(day: np.ndarray, month: np.ndarray) -> int:
    ordinal = month * 32 + day
    return int((np.diff(ordinal) < 0).sum())


def _twelve_hour(hour: np.ndarray, ampm: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Convert 12-hour clock hours to 24-hour ones where an AM/PM marker is present."""
    marker = pc.utf8_lower(pc.replace_substring_regex(ampm, r"[^AaPp]", ""))
    is_pm = np.asarray(pc.fill_null(pc.equal(marker, "p"), False), dtype=bool)
    is_am = np.asarray(pc.fill_null(pc.equal(marker, "a"), False), dtype=bool)
    twelve = is_pm | is_am
    bad = twelve & ((hour < 1) | (hour > 12))
    converted = np.where(is_am & (hour == 12), 0, hour)
    converted = np.where(is_pm & (hour != 12), converted + 12, converted)
    return converted, bad


def _local_to_utc(
    naive: np.ndarray, lines: np.ndarray, reasons: np.ndarray, context: SourceContext
) -> TimestampResult:
    zone = context.options.zone
    if zone is None:
        raise InputError(
            f"{context.source_file}: WhatsApp exports have local times without UTC offset; "
            "pass --timezone with the time zone of the phone that exported the chat, e.g. "
            "--timezone Europe/Madrid."
        )
    values, local_reasons, warnings = localize(naive, lines, zone, context.options)
    fill = (reasons == None) & (local_reasons != None)  # noqa: E711
    reasons[fill] = local_reasons[fill]
    return TimestampResult(values, empty_reasons(len(naive)), warnings)


def _senders(
    author: pa.Array, system: np.ndarray, context: SourceContext
) -> tuple[pa.Array, pa.Array]:
    options = context.options
    clean = pc.utf8_trim(author, characters=_MARKS + " ")
    lowered = pc.utf8_lower(clean)
    business = pa.array(
        sorted({name.strip().lower() for name in options.business_authors}), type=pa.string()
    )
    bots = pa.array(
        sorted({name.strip().lower() for name in options.bot_authors}), type=pa.string()
    )
    is_business = np.asarray(pc.fill_null(pc.is_in(lowered, value_set=business), False))
    is_bot = np.asarray(pc.fill_null(pc.is_in(lowered, value_set=bots), False))

    if not options.business_authors:
        found = sorted({str(name) for name in clean.filter(pa.array(~system)).to_pylist()})
        raise InputError(
            f"{context.source_file}: WhatsApp exports name only the author of each message; "
            f"pass --business-author for each author who writes for the business "
            f"(authors found: {', '.join(found[:10])}{', ...' if len(found) > 10 else ''})."
        )
    sender = np.select(
        [system, is_bot, is_business], ["system", "bot", "agent"], default="customer"
    )
    authors = pc.if_else(pa.array(system), pa.scalar(None, pa.string()), clean)
    return pa.array(sender, type=pa.string()), authors
