"""Tests of the Zendesk, Intercom, Freshchat and help-desk CSV readers."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_builders import FIXTURES, read_quietly, write_text

from asyncwfm.errors import InputError
from asyncwfm.ingest import IngestOptions, detect_format, read_file


@pytest.mark.parametrize(
    ("name", "format_name"),
    [
        ("zendesk_tickets.json", "zendesk"),
        ("intercom_conversations.json", "intercom"),
        ("freshchat_messages.json", "freshchat"),
        ("helpdesk_comments.csv", "helpdesk"),
    ],
)
def test_exports_detected(name: str, format_name: str) -> None:
    assert detect_format(FIXTURES / name) == format_name


def test_zendesk_roles_notes_and_rejections() -> None:
    result = read_quietly(FIXTURES / "zendesk_tickets.json")
    events = result.events

    assert result.rows_read == 6
    assert list(events["sender"]) == ["customer", "agent", "agent", "customer", "agent"]
    assert list(events["event_type"]) == ["message", "note", "message", "message", "message"]
    assert list(events["channel"]) == ["web", "web", "email", "chat", "chat"]
    assert events["use_case"][0] == "group_98738"
    assert events["agent_id"][1] == "123123"
    assert events["customer_id"][0] == "20978392"
    assert list(result.rejections["line"]) == [6]
    assert result.rejections["reason"][0] == "unparseable created_at 'yesterday'"


def test_zendesk_requester_without_users(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "tickets.jsonl",
        '{"id": 1, "requester_id": 7, "comments": [{"id": 10, "author_id": 7, "body": "a", '
        '"public": true, "created_at": "2024-03-04T09:00:00Z"}, {"id": 11, "author_id": 8, '
        '"body": "bb", "public": true, "created_at": "2024-03-04T09:01:00Z"}]}\n'
        "not json\n",
    )
    result = read_quietly(path, IngestOptions(format="zendesk"))

    assert list(result.events["sender"]) == ["customer", "agent"]
    assert list(result.events["source_line"]) == [1, 1]
    assert list(result.rejections["line"]) == [2]


def test_intercom_parts() -> None:
    result = read_quietly(FIXTURES / "intercom_conversations.json")
    events = result.events

    assert result.rows_read == 8
    assert list(events["sender"]) == [
        "customer",
        "bot",
        "bot",
        "customer",
        "agent",
        "agent",
        "agent",
    ]
    assert list(events["event_type"]) == [
        "message",
        "message",
        "assignment",
        "message",
        "note",
        "message",
        "close",
    ]
    # Unix seconds 1709542800 is 2024-03-04 09:00 UTC.
    assert events["timestamp"][0].isoformat() == "2024-03-04T09:00:00+00:00"
    # "<p>Can I change my delivery address?</p>" without its tags.
    assert events["text_length"][0] == 33
    assert events["use_case"][0] == "team_5017691"
    assert (
        result.rejections["reason"][0]
        == "not stored: Intercom part_type 'snoozed' (a state change)"
    )


def test_freshchat_messages() -> None:
    result = read_quietly(FIXTURES / "freshchat_messages.json")
    events = result.events

    assert list(events["sender"]) == ["customer", "bot", "system", "agent", "agent"]
    assert list(events["event_type"]) == ["message", "message", "message", "note", "message"]
    assert events["customer_id"][0] == "u-77"
    assert events["text_length"][1] == len("I can help with that.")
    assert set(events["use_case"]) == {"returns"}


def test_helpdesk_csv() -> None:
    result = read_quietly(
        FIXTURES / "helpdesk_comments.csv", IngestOptions(timezone="Europe/Dublin")
    )
    events = result.events

    assert list(events["sender"]) == ["customer", "agent", "agent", "customer", "bot"]
    assert list(events["event_type"]) == ["message", "note", "message", "message", "message"]
    assert list(events["use_case"]) == ["accounts"] * 3 + ["billing"] * 2
    assert events["event_key"][0] == "helpdesk:1"
    assert result.rejections["reason"][0].startswith("unknown sender 'alien'")


def test_wrong_json_shape_named(tmp_path: Path) -> None:
    path = write_text(tmp_path / "export.json", '{"items": [1, 2]}')

    with pytest.raises(InputError, match=r"is not a zendesk export.*'items'"):
        read_file(path, IngestOptions(format="zendesk"))
