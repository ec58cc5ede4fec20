"""Tests of the Twilio Console CSV and BulkExport readers."""

from __future__ import annotations

from pathlib import Path

from ingest_builders import FIXTURES, read_quietly, write_text

from asyncwfm.ingest import IngestOptions, detect_format


def test_console_csv() -> None:
    result = read_quietly(FIXTURES / "twilio_console.csv")
    events = result.events
    reasons = dict(zip(result.rejections["line"], result.rejections["reason"], strict=True))

    assert result.format == "twilio"
    assert result.rows_read == 7
    assert list(events["sender"]) == ["customer", "bot", "agent", "customer", "agent"]
    assert events["conversation_id"][0] == "twilio:+15550199999:+15550100001"
    assert events["customer_id"][2] == "+15550100001"
    assert events["event_key"][0] == "twilio:SM00000000000000000000000000000001"
    assert set(events["channel"]) == {"sms"}
    assert set(events["use_case"]) == {"+15550199999"}
    assert events["text_length"][0] == len("Hi, is my table for 4 confirmed?")
    assert reasons[7] == "unparseable timestamp 'not a date'"
    assert reasons[8].startswith("unknown Direction 'sideways'")
    assert any("undelivered" in message for message in result.warnings)


def test_bulkexport_json_lines() -> None:
    path = FIXTURES / "twilio_bulkexport.jsonl"
    result = read_quietly(path, IngestOptions(format="twilio"))
    events = result.events

    assert detect_format(path) == "twilio"
    assert list(events["sender"]) == ["customer", "agent", "agent"]
    assert set(events["channel"]) == {"whatsapp"}
    # The failed message was never sent, so its creation time is used.
    assert events["timestamp"][2].isoformat() == "2024-03-04T10:06:00+00:00"
    assert events["text_length"][0] == len("Hola, ¿abren el domingo?")


def test_sender_value_overrides_direction() -> None:
    result = read_quietly(
        FIXTURES / "twilio_console.csv", IngestOptions(sender_values={"outbound-reply": "agent"})
    )

    assert list(result.events["sender"])[1] == "agent"


def test_missing_columns_named(tmp_path: Path) -> None:
    path = write_text(tmp_path / "log.csv", "From,To,Body\n+1,+2,hi\n")
    from asyncwfm.errors import InputError

    try:
        read_quietly(path, IngestOptions(format="twilio"))
    except InputError as error:
        assert "missing Twilio column(s) ['direction', 'sentdate']" in str(error)
    else:
        raise AssertionError("expected InputError")
