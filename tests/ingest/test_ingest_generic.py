"""Tests of the generic CSV, TSV, Parquet and JSON Lines readers."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from ingest_builders import FIXTURES, by_key, read_quietly, rejection_lines, write_text

from asyncwfm.errors import InputError
from asyncwfm.ingest import IngestOptions, read_file
from asyncwfm.measure import measure
from asyncwfm.schema import with_event_dtypes

EXPECTED_UTC = [
    "2024-03-04 09:00:00+00:00",
    "2024-03-04 09:05:30+00:00",
    "2024-03-04 09:07:00+00:00",
    "2024-03-04 10:00:00+00:00",
    "2024-03-04 10:02:00+00:00",
    "2024-03-04 10:30:00+00:00",
]


@pytest.mark.parametrize(
    ("name", "format_name", "lines"),
    [
        ("generic_events.csv", "csv", [2, 3, 4, 5, 7, 8]),
        ("generic_events.tsv", "tsv", [2, 3, 4, 5, 7, 8]),
        ("generic_events.jsonl", "jsonl", [1, 2, 3, 5, 6, 7]),
        ("generic_events.parquet", "parquet", [1, 2, 3, 4, 5, 6]),
    ],
)
def test_fixture_reads_same_events(name: str, format_name: str, lines: list[int]) -> None:
    result = read_quietly(FIXTURES / name)
    events = result.events

    assert result.format == format_name
    assert result.rejections.empty
    assert [str(t) for t in events["timestamp"]] == EXPECTED_UTC
    assert list(events["sender"]) == ["customer", "agent", "customer", "customer", "bot", "agent"]
    assert list(events["event_key"]) == ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert list(events["source_line"]) == lines
    assert list(events["agent_id"].fillna("-")) == ["-", "a7", "-", "-", "-", "a3"]
    assert list(events["use_case"]) == ["billing"] * 3 + ["orders"] * 3


@pytest.mark.parametrize(
    "name", ["generic_events.csv", "generic_events.tsv", "generic_events.jsonl"]
)
def test_text_becomes_length_only(name: str) -> None:
    events = read_quietly(FIXTURES / name).events

    # 'Where is order "123"?' + line feed + 'It was due Monday.' is 40 characters.
    assert list(events["text_length"]) == [20, 32, 8, 40, 13, 15]
    assert "text" not in events.columns


def test_parquet_typed_columns() -> None:
    events = by_key(read_quietly(FIXTURES / "generic_events.parquet").events)

    assert events.loc["m1", "conversation_id"] == "1"
    assert events.loc["m2", "handle_seconds"] == 45.5
    assert pd.isna(events.loc["m1", "handle_seconds"])
    assert events.loc["m4", "text_length"] == 38


def test_nested_jsonl_with_mapping() -> None:
    options = IngestOptions(
        columns={
            "conversation_id": "conversation.id",
            "timestamp": "sent_at",
            "sender": "author.role",
            "channel": "conversation.channel",
            "message_id": "id",
            "text": "body",
        },
        sender_synonyms=True,
    )
    events = read_quietly(FIXTURES / "generic_nested.jsonl", options).events

    assert list(events["conversation_id"]) == ["7", "7"]
    assert list(events["sender"]) == ["customer", "agent"]
    # 1709542800 is epoch seconds, 1709542860000 epoch milliseconds.
    assert [str(t) for t in events["timestamp"]] == [
        "2024-03-04 09:00:00+00:00",
        "2024-03-04 09:01:00+00:00",
    ]
    assert list(events["channel"]) == ["whatsapp", "whatsapp"]
    assert list(events["text_length"]) == [4, 36]


def test_bad_rows_reasons_and_lines() -> None:
    result = read_quietly(FIXTURES / "bad_rows.csv")
    reasons = dict(zip(result.rejections["line"], result.rejections["reason"], strict=True))

    assert result.rows_read == 10
    assert list(result.events["source_line"]) == [2, 7, 13]
    assert reasons[3] == "missing conversation_id"
    assert reasons[4] == "unparseable timestamp 'abc'"
    assert reasons[5].startswith("unknown sender 'foo' (allowed: agent, bot, customer, system")
    assert reasons[6] == "expected 4 fields, found 3"
    assert reasons[9] == "missing timestamp"
    assert reasons[10] == "expected 4 fields, found 5"
    assert reasons[11] == "missing sender"


def test_column_mapping_and_synonyms(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "Thread,Sent,Role,Message\nt1,2024-03-04T09:00:00Z,client,hi\nt1,2024-03-04T09:01:00Z,staff,hello\n",
    )
    options = IngestOptions(
        columns={"conversation_id": "Thread", "timestamp": "Sent", "sender": "Role"},
        sender_synonyms=True,
    )
    events = read_quietly(path, options).events

    assert list(events["sender"]) == ["customer", "agent"]
    assert list(events["text_length"]) == [2, 5]


def test_sender_values_override(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender\nt1,2024-03-04T09:00:00Z,Guest\nt1,2024-03-04T09:01:00Z,Host\n",
    )
    options = IngestOptions(sender_values={"guest": "customer", "HOST": "agent"})
    events = read_quietly(path, options).events

    assert list(events["sender"]) == ["customer", "agent"]


def test_bot_authors_become_bot(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,author\n"
        "t1,2024-03-04T09:00:00Z,customer,Ana\n"
        "t1,2024-03-04T09:00:05Z,agent,HelpBot\n"
        "t1,2024-03-04T09:03:00Z,agent,Luis\n",
    )
    events = read_quietly(path, IngestOptions(bot_authors=("helpbot",))).events

    assert list(events["sender"]) == ["customer", "bot", "agent"]


def test_business_authors_without_sender(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,author\nt1,2024-03-04T09:00:00Z,Ana\nt1,2024-03-04T09:03:00Z,Shop\n",
    )
    events = read_quietly(path, IngestOptions(business_authors=("Shop",))).events

    assert list(events["sender"]) == ["customer", "agent"]


def test_missing_columns_named(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv", "thread,when,who\nt1,2024-03-04T09:00:00Z,customer\n"
    )

    with pytest.raises(InputError) as error:
        read_file(path)

    message = str(error.value)
    assert "missing required column(s) ['conversation_id', 'timestamp', 'sender']" in message
    assert "found ['thread', 'when', 'who']" in message
    assert "--column conversation_id=" in message
    assert "--sender customer" in message


def test_sender_for_every_row(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "inbound.csv",
        "conversation_id,timestamp,text\n"
        "t1,2024-03-04T09:00:00Z,hello\n"
        "t1,2024-03-04T09:01:00Z,anyone?\n",
    )

    events = read_quietly(path, IngestOptions(sender="customer")).events

    assert list(events["sender"]) == ["customer", "customer"]


def test_sender_option_replaces_sender_column(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "outbound.csv",
        "conversation_id,timestamp,sender\nt1,2024-03-04T09:00:00Z,customer\n",
    )

    events = read_quietly(path, IngestOptions(sender="agent")).events

    assert list(events["sender"]) == ["agent"]


def test_sender_option_checked() -> None:
    with pytest.raises(InputError, match="invalid sender 'client'"):
        IngestOptions(sender="client")


def test_sender_option_rejected_for_twcs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the twcs reader takes the sender from the file"):
        read_file(FIXTURES / "generic_events.csv", IngestOptions(format="twcs", sender="agent"))


def test_mapped_column_not_found(tmp_path: Path) -> None:
    path = write_text(tmp_path / "export.csv", "a,b,c\n1,2,3\n")

    with pytest.raises(InputError, match="column 'created' mapped to timestamp is not in the file"):
        read_file(path, IngestOptions(columns={"timestamp": "created"}))


def test_crlf_bom_and_blank_lines(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "\ufeffconversation_id,timestamp,sender,text\r\n"
        't1,2024-03-04T09:00:00Z,customer,"two\r\nlines"\r\n'
        "\r\n"
        "t1,2024-03-04T09:01:00Z,agent,ok\r\n",
    )
    result = read_quietly(path)

    assert list(result.events["source_line"]) == [2, 5]
    assert list(result.events["text_length"]) == [10, 2]
    assert result.rejections.empty


def test_stray_quote_falls_back_to_csv_module(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,text\n"
        't1,2024-03-04T09:00:00Z,customer,a 5" screen\n'
        't1,2024-03-04T09:01:00Z,agent,"fine"\n'
        't1,2024-03-04T09:02:00Z,agent,"closed" early\n'
        "t1,2024-03-04T09:03:00Z,customer,last\n",
    )
    result = read_quietly(path)

    assert list(result.events["source_line"]) == [2, 3, 5]
    assert rejection_lines(result) == [4]
    assert result.rejections["reason"][0].startswith("unreadable CSV record")
    assert any("csv module" in message for message in result.warnings)


@pytest.mark.parametrize("text", ['a 5" screen', '"closed" early', '"never closed'])
def test_stray_quote_warning_names_its_line(tmp_path: Path, text: str) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,text\n"
        't1,2024-03-04T09:00:00Z,customer,"row 2"\n'
        't1,2024-03-04T09:01:00Z,agent,"row 3"\n'
        't1,2024-03-04T09:02:00Z,customer,"row 4"\n'
        f"t1,2024-03-04T09:03:00Z,agent,{text}\n"
        "t1,2024-03-04T09:04:00Z,customer,row 6\n",
    )

    result = read_quietly(path)

    fallback = [message for message in result.warnings if "csv module" in message]
    assert len(fallback) == 1
    assert "a double quote inside an unquoted field on line 5:" in fallback[0]


def test_unterminated_quote_rejected_at_its_line(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,text\n"
        "t1,2024-03-04T09:00:00Z,customer,ok\n"
        't1,2024-03-04T09:01:00Z,agent,"never closed\n'
        "t1,2024-03-04T09:02:00Z,customer,swallowed\n",
    )
    result = read_quietly(path)

    assert list(result.events["source_line"]) == [2]
    assert rejection_lines(result) == [3]
    assert "(lines 3-4)" in result.rejections["reason"][0]


def test_chunk_boundaries_keep_lines(tmp_path: Path) -> None:
    rows = [
        f't{i % 7},2024-03-04T09:{i // 60:02d}:{i % 60:02d}Z,customer,"row {i}\nsecond line"\n'
        for i in range(3000)
    ]
    path = write_text(
        tmp_path / "export.csv", "conversation_id,timestamp,sender,text\n" + "".join(rows)
    )
    result = read_quietly(path, IngestOptions(chunk_bytes=4096))

    assert len(result.events) == 3000
    assert list(result.events["source_line"]) == [2 + 2 * i for i in range(3000)]


def test_invalid_utf8_replaced_and_named(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"conversation_id,timestamp,sender,text\n"
        b"t1,2024-03-04T09:00:00Z,customer,caf\xe9\n"
        b"t1,2024-03-04T09:01:00Z,agent,ok\n"
    )
    result = read_quietly(path)

    assert list(result.events["text_length"]) == [4, 2]
    assert any("invalid UTF-8" in m and "line 2" in m for m in result.warnings)


def test_cp1252_with_encoding_option(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,text\nt1,2024-03-04T09:00:00Z,customer,café “x”\n",
        encoding="cp1252",
    )
    result = read_quietly(path, IngestOptions(encoding="cp1252"))

    assert list(result.events["text_length"]) == [8]
    assert result.warnings == ()


def test_utf16_bom_detected(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "\ufeffconversation_id,timestamp,sender,text\r\nt1,2024-03-04T09:00:00Z,customer,héllo\r\n",
        encoding="utf-16-le",
    )
    result = read_quietly(path)

    assert list(result.events["text_length"]) == [5]


def test_event_type_and_handle_seconds_checked(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,event_type,handle_seconds\n"
        "t1,2024-03-04T09:00:00Z,agent,note,30\n"
        "t1,2024-03-04T09:01:00Z,agent,wave,\n"
        "t1,2024-03-04T09:02:00Z,agent,message,-5\n"
        "t1,2024-03-04T09:03:00Z,agent,message,soon\n"
        "t1,2024-03-04T09:04:00Z,agent,,\n",
    )
    result = read_quietly(path)
    reasons = dict(zip(result.rejections["line"], result.rejections["reason"], strict=True))

    assert list(result.events["event_type"]) == ["note", "message"]
    assert list(result.events["handle_seconds"].fillna(-1)) == [30.0, -1]
    assert reasons[3].startswith("unknown event_type 'wave'")
    assert reasons[4] == "invalid handle_seconds '-5'"
    assert reasons[5] == "invalid handle_seconds 'soon'"


def test_handle_seconds_above_a_day_rejected(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,handle_seconds\n"
        "t1,2024-03-04T09:00:00Z,customer,\n"
        "t1,2024-03-04T09:01:00Z,agent,86400\n"
        "t1,2024-03-04T09:02:00Z,agent,86401\n"
        "t1,2024-03-04T09:03:00Z,agent,1e7\n"
        "t1,2024-03-04T09:04:00Z,agent,1e12\n"
        "t1,2024-03-04T09:05:00Z,agent,1e300\n",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = read_file(path)
    reasons = dict(zip(result.rejections["line"], result.rejections["reason"], strict=True))

    assert list(result.events["handle_seconds"].fillna(-1)) == [-1, 86_400.0]
    assert sorted(reasons) == [4, 5, 6, 7]
    assert reasons[5] == (
        "invalid handle_seconds '1e7': more than 86400 seconds (24 hours); "
        "if the column is in milliseconds, divide it by 1000"
    )
    assert all("milliseconds" in reason for reason in reasons.values())


def test_measure_rejects_handle_seconds_above_a_day() -> None:
    events = pd.DataFrame(
        {
            "event_key": ["e1", "e2"],
            "conversation_id": ["c1", "c1"],
            "timestamp": pd.to_datetime(["2024-03-01T09:12Z", "2024-03-01T09:15Z"], utc=True),
            "sender": ["customer", "agent"],
            "agent_id": [None, "a1"],
            "customer_id": None,
            "channel": "sms",
            "use_case": "default",
            "event_type": "message",
            "text_length": None,
            "handle_seconds": [float("nan"), 1e12],
            "source_file": "built",
            "source_line": [2, 3],
        }
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(InputError, match="must not exceed 86400"):
            measure(with_event_dtypes(events))


def test_options_override_labels(tmp_path: Path) -> None:
    result = read_quietly(
        FIXTURES / "generic_events.csv", IngestOptions(use_case="all", channel="whatsapp")
    )

    assert set(result.events["use_case"]) == {"all"}
    assert set(result.events["channel"]) == {"whatsapp"}


def test_customer_ids_hashed(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender,customer_id\n"
        "t1,2024-03-04T09:00:00Z,customer,+15551234567\n"
        "t2,2024-03-04T09:01:00Z,customer,+15551234567\n"
        "t3,2024-03-04T09:02:00Z,customer,\n",
    )
    salted = read_quietly(path, IngestOptions(customer_id_salt="pepper")).events
    other = read_quietly(path, IngestOptions(customer_id_salt="salt")).events

    digests = list(salted["customer_id"])
    assert digests[0] == digests[1]
    assert len(digests[0]) == 24
    assert "+15551234567" not in set(salted["customer_id"].dropna())
    assert pd.isna(digests[2])
    assert other["customer_id"][0] != digests[0]


def test_jsonl_bad_lines(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "events.jsonl",
        '{"conversation_id": "t1", "timestamp": "2024-03-04T09:00:00Z", "sender": "customer"}\n'
        '{"conversation_id": "t1", "timestamp": \n'
        "[1, 2]\n"
        "\n"
        '{"conversation_id": "t1", "timestamp": "2024-03-04T09:01:00Z", "sender": "agent"}\n',
    )
    result = read_quietly(path)

    assert list(result.events["source_line"]) == [1, 5]
    assert rejection_lines(result) == [2, 3]
    assert result.rejections["reason"][0].startswith("invalid JSON")
    assert result.rejections["reason"][1] == "not a JSON object (found list)"
