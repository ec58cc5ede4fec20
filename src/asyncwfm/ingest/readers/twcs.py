"""Reader of the Customer Support on Twitter (TWCS) corpus, Kaggle ``twcs.csv`` layout.

Columns: ``tweet_id, author_id, inbound, created_at, text, response_tweet_id,
in_response_to_tweet_id`` (a leading unnamed index column, as pandas writes it, is
ignored). Ids may be written as floats (``3.0``). ``created_at`` looks like
``Tue Oct 31 22:10:47 +0000 2017``.

How events are built:

* ``event_key`` is ``twcs:<tweet_id>``; a tweet id seen twice is a duplicate event.
* Threads are rebuilt by following ``in_response_to_tweet_id`` to the root. A parent
  missing from the file makes the tweet a root. Tweets whose parents form a cycle
  are rooted at the smallest tweet id of the cycle, with a warning.
  ``conversation_id`` is ``twcs:<root tweet id>``.
* ``inbound`` tweets are customer events with ``customer_id`` = ``author_id``; the
  others are agent events of the brand.
* ``use_case`` is a brand's screen name. Brand tweets take their own author. A
  customer tweet takes the brand of the earliest brand reply in its thread. Without
  one, it takes the first of its first three ``@handles`` that is a brand of the
  file, then the first non-numeric ``@handle`` (customer handles are anonymised to
  numbers in TWCS), and else ``unknown``.
* ``agent_id`` is the brand and the sign-off at the end of a brand reply, as in
  ``AppleSupport/JK``, and missing when the reply has no sign-off. Sign-offs of a
  brand that differ only in case are one agent. See :data:`SIGNOFF_PATTERN`.
* ``channel`` is ``twitter``.

Reading takes two passes over memory, not over the file: the first streams the file
in chunks and keeps only compact columns (ids, author, time, text length, sign-off,
mentions; never the text), the second builds threads for the whole file and returns
events in chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from asyncwfm.ingest.delimited import DelimitedReader, describe_lines
from asyncwfm.ingest.normalize import CandidateEvents, ChunkResult, finish_chunk
from asyncwfm.ingest.readers.base import SourceContext, empty_reasons, resolve_columns
from asyncwfm.ingest.readers.generic import add_rejections
from asyncwfm.ingest.timestamps import TimestampResult, parse_timestamps, shown_value

TWCS_COLUMNS: Final[tuple[str, ...]] = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
"""Columns of the public TWCS file."""

TWCS_TIME_FORMAT: Final = "%a %b %d %H:%M:%S %z %Y"

_SPACE: Final = r"[\s\x{00A0}\x{202F}]"
_LATIN_LETTERS: Final = r"A-Za-z\x{00C0}-\x{00D6}\x{00D8}-\x{00F6}\x{00F8}-\x{024F}"
_TRAILER: Final = rf"(?:{_SPACE}+(?:https?://\S+|\(?\d{{1,2}}/\d{{1,2}}\)?))*{_SPACE}*$"
SIGNOFF_PATTERN: Final = (
    rf"(?:(?:^|[^{_LATIN_LETTERS}0-9_])(?:--?|[/*~–—])|\^){_SPACE}?"
    rf"(?P<name>[{_LATIN_LETTERS}]{{1,20}})\.?" + _TRAILER
)
"""RE2 pattern of the agent sign-off at the end of a brand reply.

A sign-off is a marker and a name of 1 to 20 Latin letters (A to Z and the accented
Latin letters of Unicode's Latin-1 Supplement and Latin Extended-A and -B blocks) at
the end of the text:

* markers ``^``, ``-``, ``--``, ``/``, ``*``, ``~``, en or em dash, optionally followed
  by one space (``^JK``, ``-Becky``, ``/CB``, ``*TMT``, ``- Nick``, ``*DannyHarvey``);
* every marker but ``^`` must follow a character that is not a letter or digit, so
  ``Wi-Fi``, ``T-Mobile`` and ``and/or`` are not sign-offs. ``^`` may follow anything
  (``2/2^Corry``);
* after the name may come a full stop, thread counters (``2/2``, ``(1/2)``) and links
  (``https://t.co/...``), separated by spaces.

Not recognised: names without a marker (``Thanks, James.``, ``Reid 2/2``), a marker
glued to the previous word (``Thanks-Sha``), names in other scripts, and sign-offs
followed by other text. Only the last 60 characters of a reply are searched.
"""

_SIGNOFF_TAIL_CHARS: Final = 60
_NOT_NAMES: Final = frozenset({"THANKS", "THANK", "THX", "CHEERS", "REGARDS", "BEST"})
_MENTION_HEAD_CHARS: Final = 120
_MENTIONS_KEPT: Final = 3
_ID_PATTERN: Final = r"^\d{1,18}$"
_CREATED_AT_CHARS: Final = 30
_CREATED_AT_SEPARATORS: Final = {3: 32, 7: 32, 10: 32, 13: 58, 16: 58, 19: 32, 25: 32}
"""Byte position and value (space or colon) of the separators in ``created_at``."""


def _month_digits() -> np.ndarray:
    """Return a table from three month-name letters to two ASCII digits.

    The key is the low 5 bits of each letter, so it ignores case. Other names map to
    NUL bytes, which the ISO 8601 conversion then rejects.
    """
    table = np.zeros((1 << 15, 2), dtype=np.uint8)
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    for number, name in enumerate(names, start=1):
        first, second, third = name.encode()
        table[((first & 31) << 10) | ((second & 31) << 5) | (third & 31)] = list(
            f"{number:02d}".encode()
        )
    return table


_MONTH_DIGITS: Final = _month_digits()
_FLOAT_ZERO: Final = r"\.0+$"
_EVENT_ROWS_PER_CHUNK: Final = 250_000
_TRUE_VALUES: Final = ("true", "1", "yes", "t")
_FALSE_VALUES: Final = ("false", "0", "no", "f")


@dataclass
class _Tweets:
    """Compact columns of every record of the file (the first pass)."""

    lines: np.ndarray
    tweet_id: np.ndarray
    parent_id: np.ndarray
    inbound: np.ndarray
    timestamp: np.ndarray
    text_length: pa.Array
    author: pa.Array
    signoff: pa.Array
    mentions: list[pa.Array]
    reasons: np.ndarray


def read_twcs(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a TWCS CSV file (see the module docstring for the rules)."""
    # NOTE: the compact columns of every tweet stay in memory until the threads are
    # built: the process peaked at 1.6 GiB for the 2.8 million tweets of the full
    # corpus (docs/benchmarks.md), and grows in proportion for larger files.
    stream = context.open_text()
    reader = DelimitedReader(
        stream,
        delimiter=",",
        chunk_bytes=context.options.chunk_bytes,
        max_record_bytes=context.options.max_record_bytes,
    )
    if not reader.header:
        context.warnings.append(f"{context.source_file} is empty.")
        return
    columns = resolve_columns(
        reader.header,
        context.options,
        required=tuple(name for name in TWCS_COLUMNS if name != "response_tweet_id"),
        wanted=TWCS_COLUMNS,
        source=context.source_file,
    )

    parts: list[_Tweets] = []
    structural_lines: list[int] = []
    structural_reasons: list[str] = []
    timestamp_warnings: list[str] = []
    for batch in reader:
        parts.append(_read_batch(batch.table, batch.lines, columns, context, timestamp_warnings))
        structural_lines.extend(batch.rejected_lines)
        structural_reasons.extend(batch.rejected_reasons)
        context.report_progress()
    context.warnings.extend(reader.warnings)
    if reader.rows_read == 0:
        context.warnings.append(f"{context.source_file} has a header line but no rows.")

    if structural_lines:
        yield add_rejections(_empty_result(), structural_lines, structural_reasons)
    if not parts:
        return
    tweets = _concatenate(parts)
    yield from _build_events(tweets, context, timestamp_warnings)


def extract_signoffs(texts: pa.Array) -> pa.Array:
    """Return the sign-off name at the end of each text as written, null where none."""
    tails = pc.utf8_slice_codeunits(texts, -_SIGNOFF_TAIL_CHARS)
    found = pc.struct_field(pc.extract_regex(tails, SIGNOFF_PATTERN), "name")
    stop_words = pa.array(sorted(_NOT_NAMES))
    is_stop_word = pc.is_in(pc.utf8_upper(found), value_set=stop_words)
    return pc.if_else(is_stop_word, pa.scalar(None, pa.string()), found)


def agent_ids(brands: pa.Array, signoffs: pa.Array) -> pa.Array:
    """Return ``<brand>/<sign-off>`` per row, null where there is no sign-off.

    Sign-offs of one brand that differ only in case (``Prabu``, ``prabu``) are one
    agent, written in the spelling used most often (the alphabetically first on a tie).
    """
    keys = pc.binary_join_element_wise(brands, pc.utf8_upper(signoffs), "/")
    present = pc.is_valid(keys)
    table = pa.table({"key": keys, "name": signoffs}).filter(present)
    if table.num_rows == 0:
        return pa.nulls(len(brands), pa.string())
    counts = table.group_by(["key", "name"]).aggregate([([], "count_all")])
    ranked = counts.sort_by(
        [("key", "ascending"), ("count_all", "descending"), ("name", "ascending")]
    )
    key_column = ranked.column("key").combine_chunks()
    first = np.ones(len(key_column), dtype=bool)
    first[1:] = np.asarray(pc.not_equal(key_column[1:], key_column[:-1]))
    winners = ranked.filter(pa.array(first))
    position = pc.index_in(keys, value_set=winners.column("key").combine_chunks())
    spelling = winners.column("name").combine_chunks().take(position)
    return pc.binary_join_element_wise(brands, spelling, "/")


def thread_roots(parent_index: np.ndarray, order_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each node's thread root and whether its reply chain runs into a cycle.

    Parameters
    ----------
    parent_index : numpy.ndarray
        Index of each node's parent, -1 for a root.
    order_key : numpy.ndarray
        Unique key per node (the tweet id); a cycle is rooted at its smallest key.

    Notes
    -----
    Pointer jumping: ``jump = jump[jump]`` doubles the distance followed each round,
    so a chain of length L needs about log2(L) rounds. After ceil(log2(n)) + 1
    rounds without convergence, the nodes whose jump target is not a root lead into
    a cycle. The smallest key on the cycle is found by the same doubling on minima.
    """
    size = len(parent_index)
    nodes = np.arange(size)
    following = np.where(parent_index < 0, nodes, parent_index)
    rounds = int(np.ceil(np.log2(max(size, 2)))) + 1
    jump = following
    for _ in range(rounds):
        jumped = jump[jump]
        if np.array_equal(jumped, jump):
            return jump, np.zeros(size, dtype=bool)
        jump = jumped

    cyclic = following[jump] != jump
    minimum = order_key.copy()
    step = following
    for _ in range(rounds):
        minimum = np.minimum(minimum, minimum[step])
        step = step[step]
    smallest_key = minimum[jump]
    position_of_key = np.argsort(order_key)
    roots = jump.copy()
    roots[cyclic] = position_of_key[
        np.searchsorted(order_key[position_of_key], smallest_key[cyclic])
    ]
    return roots, cyclic


def _read_batch(
    table: pa.Table,
    lines: np.ndarray,
    columns: dict[str, str],
    context: SourceContext,
    timestamp_warnings: list[str],
) -> _Tweets:
    size = table.num_rows
    reasons = empty_reasons(size)

    def text_of(name: str) -> pa.Array:
        return pc.utf8_trim_whitespace(table.column(columns[name]).combine_chunks())

    tweet_id = _parse_ids(text_of("tweet_id"), "tweet_id", reasons, required=True)
    parent_id = _parse_ids(
        text_of("in_response_to_tweet_id"), "in_response_to_tweet_id", reasons, required=False
    )
    author = text_of("author_id")
    missing_author = np.asarray(pc.fill_null(pc.equal(author, ""), True))
    reasons[missing_author & (reasons == None)] = "missing author_id"  # noqa: E711
    inbound = _parse_inbound(text_of("inbound"), reasons)

    timestamps = parse_created_at(
        table.column(columns["created_at"]).combine_chunks(), lines, context
    )
    fill = (reasons == None) & (timestamps.reasons != None)  # noqa: E711
    reasons[fill] = timestamps.reasons[fill]
    timestamp_warnings.extend(timestamps.warnings)

    text = table.column(columns["text"]).combine_chunks()
    return _Tweets(
        lines=np.asarray(lines, dtype=np.int64),
        tweet_id=tweet_id,
        parent_id=parent_id,
        inbound=inbound,
        timestamp=timestamps.values.astype("datetime64[ns]").view(np.int64),
        text_length=pc.utf8_length(text).cast(pa.int64()),
        author=author,
        signoff=_on_rows(text, ~inbound, extract_signoffs),
        mentions=_mentions(text, inbound),
        reasons=reasons,
    )


def _on_rows(
    values: pa.Array, rows: np.ndarray, function: Callable[[pa.Array], pa.Array]
) -> pa.Array:
    """Apply ``function`` to the selected rows only; the other rows get null."""
    selected = np.flatnonzero(rows)
    result = function(values.take(pa.array(selected)))
    position = np.full(len(values), -1, dtype=np.int64)
    position[selected] = np.arange(len(selected))
    return result.take(pa.array(position, mask=position < 0))


def _mentions(text: pa.Array, inbound: np.ndarray) -> list[pa.Array]:
    """Return the first three ``@handles`` of each customer tweet (null elsewhere).

    Only the first :data:`_MENTION_HEAD_CHARS` characters are searched; Twitter
    handles are at most 15 ASCII letters, digits or underscores.
    """
    selected = np.flatnonzero(inbound)
    heads = pc.utf8_slice_codeunits(text.take(pa.array(selected)), 0, _MENTION_HEAD_CHARS)
    pieces = pc.split_pattern(heads, "@", max_splits=_MENTIONS_KEPT)
    offsets = np.asarray(pieces.offsets)
    flat = pc.list_flatten(pieces)
    parent = np.asarray(pc.list_parent_indices(pieces))
    place = np.arange(len(flat)) - offsets[parent]
    handles = pc.struct_field(pc.extract_regex(flat, r"^(?P<h>[A-Za-z0-9_]{1,15})"), "h")

    result = []
    for k in range(1, _MENTIONS_KEPT + 1):
        at_place = np.flatnonzero(place == k)
        position = np.full(len(text), -1, dtype=np.int64)
        position[selected[parent[at_place]]] = at_place
        result.append(handles.take(pa.array(position, mask=position < 0)))
    return result


def parse_created_at(raw: pa.Array, lines: np.ndarray, context: SourceContext) -> TimestampResult:
    """Parse ``created_at`` values such as ``Tue Oct 31 22:10:47 +0000 2017`` into UTC.

    When every value has exactly that 30-character layout, the bytes are rearranged
    into ISO 8601 (``2017-10-31T22:10:47+0000``) with numpy and converted by Arrow in
    one step. Any other value sends the chunk through the general parser, which
    rejects what it cannot read.
    """
    fast = _created_at_fixed_layout(raw)
    if fast is not None:
        return TimestampResult(fast, empty_reasons(len(raw)))
    return parse_timestamps(
        raw, lines, context.options, timestamp_format=TWCS_TIME_FORMAT, column="created_at"
    )


def _created_at_fixed_layout(raw: pa.Array) -> np.ndarray | None:
    """Return UTC ``datetime64[ns]`` for a chunk in the exact TWCS layout, else None."""
    size = len(raw)
    if size == 0 or raw.null_count or raw.type != pa.string():
        return None
    offsets = np.frombuffer(raw.buffers()[1], dtype=np.int32)[raw.offset : raw.offset + size + 1]
    if not (np.diff(offsets) == _CREATED_AT_CHARS).all():
        return None
    data = np.frombuffer(raw.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    data = data.reshape(size, _CREATED_AT_CHARS)
    separators = data[:, list(_CREATED_AT_SEPARATORS)]
    if not (separators == np.frombuffer(bytes(_CREATED_AT_SEPARATORS.values()), np.uint8)).all():
        return None
    lowered = data[:, 4:7] | 32
    if not ((lowered >= ord("a")) & (lowered <= ord("z"))).all():
        return None

    iso = np.empty((size, 24), dtype=np.uint8)
    iso[:, 0:4] = data[:, 26:30]
    iso[:, [4, 7]] = ord("-")
    iso[:, 10] = ord("T")
    month_key = (
        ((data[:, 4].astype(np.int32) & 31) << 10)
        | ((data[:, 5].astype(np.int32) & 31) << 5)
        | (data[:, 6] & 31)
    )
    iso[:, 5:7] = _MONTH_DIGITS[month_key]
    iso[:, 8:10] = data[:, 8:10]
    iso[:, 11:19] = data[:, 11:19]
    iso[:, 19:24] = data[:, 20:25]
    text = pa.StringArray.from_buffers(
        size,
        pa.py_buffer(np.arange(0, 24 * (size + 1), 24, dtype=np.int32)),
        pa.py_buffer(iso),
    )
    try:
        parsed = pc.cast(text, pa.timestamp("ns", tz="UTC"))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return np.asarray(parsed.cast(pa.timestamp("ns")).to_numpy(zero_copy_only=False))


def _parse_ids(values: pa.Array, column: str, reasons: np.ndarray, *, required: bool) -> np.ndarray:
    """Return ids as int64 (-1 where missing or invalid), rejecting invalid ones."""
    float_zero = pc.ends_with(values, ".0")
    normalized = pc.if_else(float_zero, pc.utf8_slice_codeunits(values, 0, -2), values)
    if pc.any(pc.match_substring(normalized, ".")).as_py():
        normalized = pc.replace_substring_regex(normalized, _FLOAT_ZERO, "")
    empty = np.asarray(pc.fill_null(pc.equal(normalized, ""), True))
    valid = np.asarray(pc.fill_null(pc.match_substring_regex(normalized, _ID_PATTERN), False))
    ids = np.full(len(values), -1, dtype=np.int64)
    if valid.any():
        ids[valid] = np.asarray(normalized.filter(pa.array(valid)).cast(pa.int64()), dtype=np.int64)
    if required:
        reasons[empty & (reasons == None)] = f"missing {column}"  # noqa: E711
    invalid = ~valid & ~empty
    if invalid.any():
        shown = np.asarray(values.filter(pa.array(invalid)).to_pylist(), dtype=object)
        rows = np.flatnonzero(invalid)
        for row, value in zip(rows.tolist(), shown.tolist(), strict=True):
            if reasons[row] is None:
                reasons[row] = f"invalid {column} {shown_value(str(value))}"
    return ids


def _parse_inbound(values: pa.Array, reasons: np.ndarray) -> np.ndarray:
    lowered = pc.utf8_lower(values)
    is_true = np.asarray(pc.fill_null(pc.is_in(lowered, value_set=pa.array(_TRUE_VALUES)), False))
    is_false = np.asarray(pc.fill_null(pc.is_in(lowered, value_set=pa.array(_FALSE_VALUES)), False))
    invalid = ~is_true & ~is_false
    if invalid.any():
        shown = values.filter(pa.array(invalid)).to_pylist()
        for row, value in zip(np.flatnonzero(invalid).tolist(), shown, strict=True):
            if reasons[row] is None:
                reasons[row] = f"invalid inbound {shown_value(str(value))} (expected True or False)"
    return is_true


def _concatenate(parts: list[_Tweets]) -> _Tweets:
    return _Tweets(
        lines=np.concatenate([p.lines for p in parts]),
        tweet_id=np.concatenate([p.tweet_id for p in parts]),
        parent_id=np.concatenate([p.parent_id for p in parts]),
        inbound=np.concatenate([p.inbound for p in parts]),
        timestamp=np.concatenate([p.timestamp for p in parts]),
        text_length=pa.concat_arrays([p.text_length for p in parts]),
        author=pa.concat_arrays([p.author for p in parts]),
        signoff=pa.concat_arrays([p.signoff for p in parts]),
        mentions=[pa.concat_arrays([p.mentions[k] for p in parts]) for k in range(3)],
        reasons=np.concatenate([p.reasons for p in parts]),
    )


def _build_events(
    tweets: _Tweets, context: SourceContext, timestamp_warnings: list[str]
) -> Iterator[ChunkResult]:
    roots, cyclic = _rebuild_threads(tweets)
    if cyclic.any():
        context.warnings.append(
            "in_response_to_tweet_id forms a reply cycle on "
            f"{describe_lines(tweets.lines[cyclic])}; each cycle is rooted at its smallest "
            "tweet id."
        )
    root_ids = pa.array(tweets.tweet_id[roots]).cast(pa.string())
    conversation = pc.binary_join_element_wise("twcs:", root_ids, "")
    use_case = _use_cases(tweets, roots, context)
    agent_id = agent_ids(tweets.author, tweets.signoff)
    inbound = pa.array(tweets.inbound)
    sender = pc.if_else(inbound, "customer", "agent")
    customer_id = pc.if_else(inbound, tweets.author, pa.scalar(None, pa.string()))
    event_key = pc.binary_join_element_wise(
        "twcs:", pa.array(tweets.tweet_id).cast(pa.string()), ""
    )
    timestamps = tweets.timestamp.view("datetime64[ns]")

    size = len(tweets.lines)
    for start in range(0, size, _EVENT_ROWS_PER_CHUNK):
        stop = min(start + _EVENT_ROWS_PER_CHUNK, size)
        window = slice(start, stop)
        candidates = CandidateEvents(
            lines=tweets.lines[window],
            conversation_id=conversation[start:stop],
            timestamps=TimestampResult(timestamps[window], empty_reasons(stop - start)),
            sender=sender[start:stop],
            author=tweets.author[start:stop],
            agent_id=agent_id[start:stop],
            customer_id=customer_id[start:stop],
            channel="twitter",
            use_case=use_case[start:stop],
            event_type="message",
            text_length=tweets.text_length[start:stop],
            event_key=event_key[start:stop],
            reasons=tweets.reasons[window],
            warnings=timestamp_warnings if start == 0 else [],
        )
        yield finish_chunk(candidates, context.options, context.source_file)


def _rebuild_threads(tweets: _Tweets) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's root row and whether its chain runs into a cycle.

    Rows with an unparseable tweet id are their own root. The first row of a
    repeated tweet id stands for that id when children look up their parent.
    """
    size = len(tweets.tweet_id)
    has_id = tweets.tweet_id >= 0
    order = np.argsort(tweets.tweet_id, kind="stable")
    ordered_ids = tweets.tweet_id[order]
    first_of_id = np.ones(size, dtype=bool)
    first_of_id[1:] = ordered_ids[1:] != ordered_ids[:-1]
    unique_ids = ordered_ids[first_of_id]
    unique_rows = order[first_of_id]

    position = np.searchsorted(unique_ids, tweets.parent_id)
    position = np.minimum(position, len(unique_ids) - 1)
    found = (tweets.parent_id >= 0) & (unique_ids[position] == tweets.parent_id) & has_id
    parent_index = np.where(found, unique_rows[position], -1)
    parent_index[parent_index == np.arange(size)] = -1

    rank = np.empty(size, dtype=np.int64)
    rank[order] = np.arange(size)
    return thread_roots(parent_index, rank)


def _use_cases(tweets: _Tweets, roots: np.ndarray, context: SourceContext) -> pa.Array:
    """Brand of each tweet: its author for brand tweets, the thread's brand for customers."""
    outbound = ~tweets.inbound & (tweets.reasons == None)  # noqa: E711
    thread_brand = _first_brand_per_thread(tweets, roots, outbound)
    label = pc.if_else(pa.array(tweets.inbound), thread_brand, tweets.author)

    # Only customer tweets without a brand reply in their thread look at their mentions.
    orphans = np.flatnonzero(tweets.inbound & np.asarray(thread_brand.is_null()))
    if len(orphans) == 0:
        return label
    brands = pc.unique(tweets.author.filter(pa.array(outbound)))
    mentions = [mention.take(pa.array(orphans)) for mention in tweets.mentions]
    addressed = _first_brand_mentioned(mentions, brands)
    fallback = pc.coalesce(addressed, _first_non_numeric(mentions), pa.scalar("unknown"))

    unknown = np.asarray(pc.equal(fallback, "unknown"), dtype=bool)
    if unknown.any():
        context.warnings.append(
            f"{int(unknown.sum())} customer tweet(s) have no brand reply in their thread and "
            f"address no brand, on {describe_lines(tweets.lines[orphans[unknown]])}; their "
            "use_case is 'unknown'."
        )
    position = np.full(len(roots), -1, dtype=np.int64)
    position[orphans] = np.arange(len(orphans))
    return pc.coalesce(label, fallback.take(pa.array(position, mask=position < 0)))


def _first_brand_mentioned(mentions: list[pa.Array], brands: pa.Array) -> pa.Array:
    """Return the first mention that is a brand of the file (case-insensitive), spelt as
    the brand writes its name."""
    brand_lower = pc.utf8_lower(brands)
    addressed = pa.nulls(len(mentions[0]), pa.string())
    for mention in reversed(mentions):
        position = pc.index_in(pc.utf8_lower(mention), value_set=brand_lower)
        addressed = pc.coalesce(brands.take(position), addressed)
    return addressed


def _first_brand_per_thread(tweets: _Tweets, roots: np.ndarray, outbound: np.ndarray) -> pa.Array:
    rows = np.flatnonzero(outbound)
    if len(rows) == 0:
        return pa.nulls(len(roots), pa.string())
    order = rows[np.lexsort((tweets.timestamp[rows], roots[rows]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = roots[order][1:] != roots[order][:-1]
    first_rows = order[first]
    brand_row = np.full(len(roots), -1, dtype=np.int64)
    brand_row[roots[first_rows]] = first_rows
    per_row = brand_row[roots]
    taken = tweets.author.take(pa.array(np.where(per_row < 0, 0, per_row)))
    return pc.if_else(pa.array(per_row < 0), pa.scalar(None, pa.string()), taken)


def _first_non_numeric(mentions: list[pa.Array]) -> pa.Array:
    result = pa.nulls(len(mentions[0]), pa.string())
    for mention in reversed(mentions):
        numeric = pc.fill_null(pc.match_substring_regex(mention, r"^\d+$"), True)
        result = pc.if_else(numeric, result, mention)
    return result


def _empty_result() -> ChunkResult:
    from asyncwfm.ingest.normalize import EVENT_ARROW_SCHEMA

    return ChunkResult(
        events=EVENT_ARROW_SCHEMA.empty_table(),
        rejected_lines=np.empty(0, dtype=np.int64),
        rejected_reasons=[],
    )
