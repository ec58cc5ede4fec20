"""Readers of help-desk exports: Zendesk, Intercom and Freshchat JSON, and comment CSVs.

The JSON readers accept the objects the vendors' REST APIs return, either as one
JSON document or as JSON Lines with one container (ticket or conversation) per line:

* **Zendesk**: tickets with their comments, as ``{"tickets": [...], "users": [...]}``,
  one ticket object, or one ticket per line. A ticket has ``id``, ``requester_id``,
  ``group_id``, ``via.channel`` and ``comments``. A comment (Ticket Comments API) has
  ``id``, ``author_id``, ``body`` or ``plain_body``, ``public`` and ``created_at``.
  A comment's author is a customer when the side-loaded user has role ``end-user``,
  or, without users, when the author is the ticket's requester. Other authors are
  agents.
  Private comments (``public: false``) are ``note`` events.
* **Intercom**: conversations (Conversations API), as ``{"conversations": [...]}``,
  a JSON array, one conversation, or one per line. The conversation's ``source`` is
  its first message, at the conversation's ``created_at``, and the
  ``conversation_parts`` follow. Bodies are HTML, so tags are removed before the
  text length is taken (entities such as ``&amp;`` still count as written). Author
  types ``user``, ``lead`` and ``contact`` are customers, ``admin`` and ``team``
  agents, ``bot`` and parts with ``from_ai_agent`` bots. Part types: ``comment`` is a
  message, ``note`` a note, ``assignment`` and ``default_assignment`` assignments,
  ``close`` a close. Other part types (``open``, ``snoozed``, ...) are state changes,
  which are rejected with their type as reason, so that the counts still reconcile.
  Times are Unix seconds.
* **Freshchat**: messages (Conversations API), as ``{"conversations": [{...,
  "messages": [...]}]}``, ``{"messages": [...]}``, or one message per line. A message
  has ``id``, ``conversation_id``, ``actor_type`` (``user``, ``agent``, ``bot``,
  ``system``), ``actor_id``, ``message_type`` (``normal``, ``private``, ``system``),
  ``message_parts`` (text length from their ``text.content``) and ``created_time``.

The line of an event is the line of its container in JSON Lines, and its 1-based
position among the export's messages in a JSON document (which may be a single line).

The **help-desk CSV** has one row per ticket comment with the columns
``ticket_id, comment_id, created_at, author_role`` and optionally ``author_id``,
``public``, ``body`` (or ``text``), ``channel``, ``group`` (or ``queue``, the use
case) and ``requester_id``. ``author_role`` is ``end-user``/``customer``/
``requester`` for customers, ``agent``/``admin``/``staff`` for agents, or ``bot``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from asyncwfm.errors import InputError
from asyncwfm.ingest.delimited import DelimitedReader
from asyncwfm.ingest.normalize import CandidateEvents, ChunkResult, finish_chunk
from asyncwfm.ingest.readers.base import SourceContext, empty_reasons, resolve_columns
from asyncwfm.ingest.readers.generic import add_rejections, parse_json_lines
from asyncwfm.ingest.timestamps import parse_timestamps

Record = dict[str, Any]

ROLE_SENDERS: Final[Mapping[str, str]] = {
    "end-user": "customer",
    "end_user": "customer",
    "enduser": "customer",
    "customer": "customer",
    "requester": "customer",
    "user": "customer",
    "lead": "customer",
    "contact": "customer",
    "agent": "agent",
    "admin": "agent",
    "staff": "agent",
    "team": "agent",
    "bot": "bot",
    "system": "system",
}
"""Sender of each author role or actor type found in help-desk exports (lowercased)."""

INTERCOM_PART_TYPES: Final[Mapping[str, str]] = {
    "comment": "message",
    "note": "note",
    "assignment": "assignment",
    "default_assignment": "assignment",
    "assign_and_unsnooze": "assignment",
    "close": "close",
}
"""Event type of each Intercom part type that asyncwfm stores."""

HELPDESK_COLUMNS: Final[tuple[str, ...]] = (
    "ticket_id",
    "comment_id",
    "created_at",
    "author_role",
    "author_id",
    "public",
    "body",
    "channel",
    "group",
    "requester_id",
)

_HTML_TAG: Final = r"<[^>]*>"
_HELPDESK_SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "author_role": ("author_type", "role", "sender"),
    "body": ("text", "comment", "message"),
    "group": ("queue", "use_case"),
    "created_at": ("timestamp", "created"),
    "public": ("is_public",),
}


def read_zendesk(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a Zendesk tickets-with-comments export (see the module docstring)."""
    yield from _read_json_export(context, "zendesk", ("tickets", "ticket"), _zendesk_rows)


def read_intercom(context: SourceContext) -> Iterator[ChunkResult]:
    """Read an Intercom conversations export (see the module docstring)."""
    yield from _read_json_export(context, "intercom", ("conversations", "data"), _intercom_rows)


def read_freshchat(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a Freshchat conversation messages export (see the module docstring)."""
    yield from _read_json_export(context, "freshchat", ("conversations",), _freshchat_rows)


def read_helpdesk_csv(context: SourceContext) -> Iterator[ChunkResult]:
    """Read a help-desk CSV with one row per ticket comment (see the module docstring)."""
    stream = context.open_text()
    reader = DelimitedReader(
        stream,
        delimiter=context.options.delimiter or ",",
        chunk_bytes=context.options.chunk_bytes,
        max_record_bytes=context.options.max_record_bytes,
    )
    if not reader.header:
        context.warnings.append(f"{context.source_file} is empty.")
        return
    columns = resolve_columns(
        reader.header,
        context.options,
        required=("ticket_id", "comment_id", "created_at", "author_role"),
        wanted=HELPDESK_COLUMNS,
        source=context.source_file,
        synonyms=_HELPDESK_SYNONYMS,
    )
    for batch in reader:
        frame = pd.DataFrame(
            {name: batch.table.column(source).to_pandas() for name, source in columns.items()}
        )
        rows = pd.DataFrame(
            {
                "conversation_id": "helpdesk:" + frame["ticket_id"].astype(str).str.strip(),
                "message_id": _prefixed("helpdesk:", frame["comment_id"]),
                "timestamp": frame["created_at"],
                "role": frame["author_role"],
                "author_id": frame.get("author_id"),
                "public": frame.get("public"),
                "text": frame.get("body"),
                "channel": frame.get("channel"),
                "use_case": frame.get("group"),
                "customer_id": frame.get("requester_id"),
            }
        )
        result = _finish_rows(rows, batch.lines, context)
        yield add_rejections(result, batch.rejected_lines, batch.rejected_reasons)
        context.report_progress()
    context.warnings.extend(reader.warnings)


def _read_json_export(
    context: SourceContext,
    vendor: str,
    list_keys: tuple[str, ...],
    to_rows: Callable[[list[Record], list[int], object], tuple[pd.DataFrame, list[int]]],
) -> Iterator[ChunkResult]:
    stream = context.open_text()
    # NOTE: help-desk exports are read whole, because a JSON document cannot be
    # split into chunks without parsing it; JSON Lines files are read the same way.
    data = stream.read_all_remaining()
    context.report_progress()
    if not data.strip():
        context.warnings.append(f"{context.source_file} is empty.")
        return
    document, containers, lines, rejected_lines, rejected_reasons = _containers(
        data, list_keys, vendor, context
    )
    rows, row_lines = to_rows(containers, lines, document)
    positional = document is not None
    if positional:
        row_lines = list(range(1, len(row_lines) + 1))
    if rows.empty:
        yield add_rejections(_empty_result(), rejected_lines, rejected_reasons)
        return
    result = _finish_rows(
        rows, np.asarray(row_lines, dtype=np.int64), context, html=vendor == "intercom"
    )
    yield add_rejections(result, rejected_lines, rejected_reasons)


def _containers(
    data: bytes, list_keys: tuple[str, ...], vendor: str, context: SourceContext
) -> tuple[object, list[Record], list[int], list[int], list[str]]:
    """Return the parsed document (None for JSON Lines), its containers with their
    lines, and the rejected lines with reasons."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        document = None
    if document is not None:
        found = _container_list(document, list_keys)
        if found is None:
            raise InputError(
                f"{context.source_file} is not a {vendor} export: expected a list under "
                f"{' or '.join(repr(k) for k in list_keys)}, found "
                f"{_describe(document)}; check --format."
            )
        return document, found, [1] * len(found), [], []

    records, lines, rejected_lines, rejected_reasons = parse_json_lines(data, 1, context.warnings)
    return None, records, lines.tolist(), rejected_lines, rejected_reasons


def _container_list(document: object, list_keys: tuple[str, ...]) -> list[Record] | None:
    if isinstance(document, list):
        return [item for item in document if isinstance(item, dict)]
    if not isinstance(document, dict):
        return None
    for key in list_keys:
        value = document.get(key)
        if isinstance(value, list):
            return [item for item in value if isinstance(item, dict)]
        if isinstance(value, dict):
            return [value | {"comments": document.get("comments", value.get("comments"))}]
    if "messages" in document and isinstance(document["messages"], list):
        return [document]
    if "comments" in document or "conversation_parts" in document or "source" in document:
        return [document]
    return None


def _describe(document: object) -> str:
    if isinstance(document, dict):
        return f"an object with keys {sorted(map(str, document))[:8]}"
    return f"a JSON {type(document).__name__}"


def _user_roles(document: object) -> dict[str, str]:
    """Return the role of each side-loaded Zendesk user, by user id."""
    if not isinstance(document, dict) or not isinstance(document.get("users"), list):
        return {}
    return {
        str(user.get("id")): str(user.get("role", ""))
        for user in document["users"]
        if isinstance(user, dict)
    }


def _zendesk_rows(
    tickets: list[Record], lines: list[int], document: object
) -> tuple[pd.DataFrame, list[int]]:
    roles = _user_roles(document)
    rows: list[Record] = []
    row_lines: list[int] = []
    for ticket, line in zip(tickets, lines, strict=True):
        comments = ticket.get("comments") or []
        requester = _text(ticket.get("requester_id"))
        via = _object(ticket.get("via"))
        group = ticket.get("group_id")
        for comment in comments if isinstance(comments, list) else []:
            if not isinstance(comment, dict):
                continue
            author = _text(comment.get("author_id"))
            role = roles.get(author) or ("end-user" if author and author == requester else "agent")
            comment_via = _object(comment.get("via"))
            rows.append(
                {
                    "conversation_id": f"zendesk:{_text(ticket.get('id'))}",
                    "message_id": _key("zendesk:", comment.get("id")),
                    "timestamp": _text(comment.get("created_at")),
                    "role": role,
                    "author_id": author,
                    "public": comment.get("public", True),
                    "text": comment.get("plain_body", comment.get("body")),
                    "channel": _text(comment_via.get("channel") or via.get("channel")) or None,
                    "use_case": f"group_{group}" if group is not None else None,
                    "customer_id": requester,
                }
            )
            row_lines.append(line)
    return pd.DataFrame(rows), row_lines


def _intercom_rows(
    conversations: list[Record], lines: list[int], document: object
) -> tuple[pd.DataFrame, list[int]]:
    rows: list[Record] = []
    row_lines: list[int] = []
    for conversation, line in zip(conversations, lines, strict=True):
        conversation_id = f"intercom:{_text(conversation.get('id'))}"
        team = conversation.get("team_assignee_id")
        source = _object(conversation.get("source"))
        channel = _text(source.get("type")) or None
        customer = _intercom_customer(conversation, source)
        common = {
            "conversation_id": conversation_id,
            "channel": "in_app" if channel == "conversation" else channel,
            "use_case": f"team_{team}" if team not in (None, 0, "0") else None,
            "customer_id": customer,
        }
        if source:
            rows.append(
                common | _intercom_part(source, "comment", conversation.get("created_at"), "source")
            )
            row_lines.append(line)
        parts_holder = conversation.get("conversation_parts")
        parts = (
            parts_holder.get("conversation_parts", [])
            if isinstance(parts_holder, dict)
            else parts_holder or []
        )
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict):
                part_row = _intercom_part(
                    part, part.get("part_type"), part.get("created_at"), "part"
                )
                rows.append(common | part_row)
                row_lines.append(line)
    return pd.DataFrame(rows), row_lines


def _intercom_part(part: Record, part_type: object, created_at: object, kind: str) -> Record:
    author = _object(part.get("author"))
    role = _text(author.get("type"))
    if author.get("from_ai_agent") or author.get("is_ai_answer"):
        role = "bot"
    event_type = INTERCOM_PART_TYPES.get(_text(part_type))
    identifier = part.get("id")
    unsupported = (
        None
        if event_type
        else f"not stored: Intercom part_type {_text(part_type)!r} (a state change)"
    )
    return {
        "message_id": _key(f"intercom:{kind}:", identifier),
        "timestamp": _text(created_at),
        "role": role,
        "author_id": _text(author.get("id")) or None,
        "public": event_type != "note",
        "event_type": event_type,
        "unsupported": unsupported,
        "text": part.get("body"),
    }


def _intercom_customer(conversation: Record, source: Record) -> str | None:
    contacts = conversation.get("contacts")
    if isinstance(contacts, dict):
        listed = contacts.get("contacts")
        if isinstance(listed, list) and listed and isinstance(listed[0], dict):
            return _text(listed[0].get("id")) or None
    author = _object(source.get("author"))
    if _text(author.get("type")) in ("user", "lead", "contact"):
        return _text(author.get("id")) or None
    return None


def _freshchat_rows(
    containers: list[Record], lines: list[int], document: object
) -> tuple[pd.DataFrame, list[int]]:
    rows: list[Record] = []
    row_lines: list[int] = []
    for container, line in zip(containers, lines, strict=True):
        messages = container.get("messages") if "messages" in container else [container]
        for message in messages if isinstance(messages, list) else []:
            if not isinstance(message, dict):
                continue
            parts = message.get("message_parts")
            texts = [
                part["text"].get("content", "")
                for part in (parts if isinstance(parts, list) else [])
                if isinstance(part, dict) and isinstance(part.get("text"), dict)
            ]
            message_type = _text(message.get("message_type")) or "normal"
            conversation = message.get("conversation_id", container.get("conversation_id"))
            actor = "system" if message_type == "system" else _text(message.get("actor_type"))
            group = container.get("assigned_group_id") or message.get("channel_id")
            rows.append(
                {
                    "conversation_id": _key("freshchat:", conversation),
                    "message_id": _key("freshchat:", message.get("id")),
                    "timestamp": _text(message.get("created_time")),
                    "role": actor,
                    "author_id": _text(message.get("actor_id")) or None,
                    "public": message_type != "private",
                    "text": "\n".join(str(text) for text in texts) if texts else None,
                    "channel": "freshchat",
                    "use_case": _text(group) or None,
                    "customer_id": None,
                }
            )
            row_lines.append(line)
    return pd.DataFrame(rows), row_lines


def _finish_rows(
    rows: pd.DataFrame, lines: np.ndarray, context: SourceContext, *, html: bool = False
) -> ChunkResult:
    """Turn flat help-desk rows (one per message) into checked events.

    With ``html``, tags are removed from the text before its length is taken.
    """
    size = len(rows)
    reasons = empty_reasons(size)
    if "unsupported" in rows:
        unsupported = rows["unsupported"].notna().to_numpy()
        reasons[unsupported] = rows.loc[unsupported, "unsupported"].to_numpy()

    role = _strings(rows.get("role"), size)
    sender = _role_senders(role, context)
    public = _flags(rows.get("public"), size)
    event_type = (
        _strings(rows["event_type"], size) if "event_type" in rows else pa.nulls(size, pa.string())
    )
    event_type = pc.coalesce(event_type, pc.if_else(pa.array(public), "message", "note"))
    author = _strings(rows.get("author_id"), size)
    is_customer = pc.fill_null(pc.equal(sender, "customer"), False)
    customer = pc.coalesce(
        pc.if_else(is_customer, author, pa.scalar(None, pa.string())),
        _strings(rows.get("customer_id"), size),
    )
    text = None if rows.get("text") is None else _strings(rows.get("text"), size)
    if text is not None and html:
        text = pc.replace_substring_regex(text, _HTML_TAG, "")
    candidates = CandidateEvents(
        lines=lines,
        conversation_id=_strings(rows.get("conversation_id"), size),
        timestamps=parse_timestamps(
            _strings(rows.get("timestamp"), size),
            lines,
            context.options,
            timestamp_format=context.options.timestamp_format,
            column="created_at",
        ),
        sender=sender,
        author=author,
        agent_id=pc.if_else(
            pc.fill_null(pc.equal(sender, "agent"), False), author, pa.scalar(None, pa.string())
        ),
        customer_id=pc.if_else(is_customer, customer, pa.scalar(None, pa.string())),
        channel=_strings(rows.get("channel"), size),
        use_case=_strings(rows.get("use_case"), size),
        event_type=event_type,
        text_length=None if text is None else pc.utf8_length(_strings(text, size)).cast(pa.int64()),
        event_key=_strings(rows.get("message_id"), size),
        reasons=reasons,
    )
    return finish_chunk(candidates, context.options, context.source_file)


def _role_senders(role: pa.Array, context: SourceContext) -> pa.Array:
    mapping = dict(ROLE_SENDERS)
    mapping.update({k.strip().lower(): v for k, v in context.options.sender_values.items()})
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(role))
    keys = pa.array(list(mapping), type=pa.string())
    mapped = pa.array(list(mapping.values()), type=pa.string()).take(
        pc.index_in(lowered, value_set=keys)
    )
    return pc.coalesce(mapped, lowered)


def _strings(values: object, size: int) -> pa.Array:
    if values is None:
        return pa.nulls(size, pa.string())
    series = pd.Series(values, dtype=object).reset_index(drop=True)
    present = series.notna()
    text = series.where(~present, series.astype(str))
    return pa.array(text.where(present, None), type=pa.string(), from_pandas=True)


def _flags(values: object, size: int) -> np.ndarray:
    """Return True where a ``public`` value is true or missing."""
    if values is None:
        return np.ones(size, dtype=bool)
    series = pd.Series(values, dtype=object).reset_index(drop=True)
    lowered = series.map(lambda value: str(value).strip().lower(), na_action="ignore")
    return ~lowered.isin(["false", "0", "no", "f", "private"]).to_numpy()


def _prefixed(prefix: str, values: pd.Series) -> pd.Series:
    text = values.astype(object)
    present = text.notna() & (text.astype(str).str.strip() != "")
    return (prefix + text.astype(str).str.strip()).where(present, None)


def _object(value: object) -> Record:
    return value if isinstance(value, dict) else {}


def _key(prefix: str, value: object) -> str | None:
    return None if value is None or value == "" else f"{prefix}{value}"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _empty_result() -> ChunkResult:
    from asyncwfm.ingest.normalize import EVENT_ARROW_SCHEMA

    return ChunkResult(EVENT_ARROW_SCHEMA.empty_table(), np.empty(0, dtype=np.int64), [])
