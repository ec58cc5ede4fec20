"""Tests of the WhatsApp chat export reader on Android, iOS and locale variants."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_builders import FIXTURES, read_quietly, write_text

from asyncwfm.errors import InputError
from asyncwfm.ingest import IngestOptions, detect_format, read_file


def options(timezone: str, *business: str, **extra: object) -> IngestOptions:
    return IngestOptions(timezone=timezone, business_authors=business, **extra)  # type: ignore[arg-type]


def utc(result: object) -> list[str]:
    return [stamp.isoformat() for stamp in result.events["timestamp"]]


@pytest.mark.parametrize(
    "name",
    [
        "whatsapp_android_us.txt",
        "whatsapp_android_de.txt",
        "whatsapp_ios_uk.txt",
        "whatsapp_ambiguous.txt",
    ],
)
def test_fixtures_detected(name: str) -> None:
    assert detect_format(FIXTURES / name) == "whatsapp"


def test_android_twelve_hour_us() -> None:
    result = read_quietly(
        FIXTURES / "whatsapp_android_us.txt", options("America/New_York", "Shop Support")
    )
    events = result.events

    assert result.rows_read == 7
    assert list(events["source_line"]) == [1, 2, 3, 5, 6, 7, 8]
    assert list(events["sender"]) == [
        "system",
        "customer",
        "customer",
        "agent",
        "agent",
        "customer",
        "agent",
    ]
    # 9:58 PM EST on 31 Dec 2023 is 02:58 UTC; 12:05 AM on 1 Jan is 05:05 UTC.
    assert utc(result)[1] == "2024-01-01T02:58:00+00:00"
    assert utc(result)[5] == "2024-01-01T05:05:00+00:00"
    # Two lines: "It was due on the 28th." (23) + line break + "Can you check?" (14).
    assert events["text_length"][2] == 38
    assert events["text_length"].isna().tolist() == [True, False, False, False, True, False, False]
    assert events["agent_id"][3] == "Shop Support"
    assert events["customer_id"][1] == "Ana Lopez"
    assert set(events["conversation_id"]) == {"whatsapp:whatsapp_android_us"}
    assert set(events["channel"]) == {"whatsapp"}


def test_android_german_dots_24_hour() -> None:
    result = read_quietly(FIXTURES / "whatsapp_android_de.txt", options("Europe/Berlin", "Laden"))

    # Berlin is UTC+1 in winter.
    assert utc(result) == [
        "2023-12-31T20:58:00+00:00",
        "2023-12-31T20:58:00+00:00",
        "2023-12-31T21:15:00+00:00",
        "2023-12-31T23:05:00+00:00",
    ]
    assert list(result.events["sender"]) == ["system", "customer", "agent", "customer"]


def test_ios_brackets_and_marks() -> None:
    result = read_quietly(
        FIXTURES / "whatsapp_ios_uk.txt", options("Europe/London", "shop support")
    )
    events = result.events

    assert list(events["sender"]) == ["system", "customer", "customer", "agent", "customer"]
    assert utc(result)[0] == "2024-01-13T09:00:07+00:00"
    assert list(events["source_line"]) == [1, 2, 3, 4, 6]
    assert events["text_length"].isna().tolist() == [True, False, True, False, False]
    # "Got it, thanks Ben." (19) + line break + "We will send a new one." (23).
    assert events["text_length"][3] == 43


def test_ambiguous_order_needs_option() -> None:
    with pytest.raises(InputError, match="--day-first or --month-first"):
        read_file(FIXTURES / "whatsapp_ambiguous.txt", options("Europe/London", "Shop"))

    result = read_quietly(
        FIXTURES / "whatsapp_ambiguous.txt", options("Europe/London", "Shop", day_first=False)
    )
    assert utc(result)[2] == "2024-01-03T10:00:00+00:00"
    day_first = read_quietly(
        FIXTURES / "whatsapp_ambiguous.txt", options("Europe/London", "Shop", day_first=True)
    )
    assert utc(day_first)[2] == "2024-03-01T10:00:00+00:00"


def test_order_inferred_from_time(tmp_path: Path) -> None:
    # Day first reads 2 Jan, 3 Jan, 1 Feb (forward); month first would read
    # 1 Feb, 1 Mar, 2 Jan (backward once).
    path = write_text(
        tmp_path / "chat.txt",
        "2/1/24, 10:00 - Ana: a\n3/1/24, 10:00 - Shop: b\n1/2/24, 10:00 - Ana: c\n",
    )
    result = read_quietly(path, options("UTC", "Shop"))

    assert utc(result) == [
        "2024-01-02T10:00:00+00:00",
        "2024-01-03T10:00:00+00:00",
        "2024-02-01T10:00:00+00:00",
    ]
    assert any("day first" in message for message in result.warnings)


def test_day_above_twelve_decides(tmp_path: Path) -> None:
    path = write_text(tmp_path / "chat.txt", "1/2/24, 10:00 - Ana: a\n25/2/24, 10:00 - Shop: b\n")

    assert utc(read_quietly(path, options("UTC", "Shop")))[0] == "2024-02-01T10:00:00+00:00"


def test_business_authors_required(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        read_file(FIXTURES / "whatsapp_android_us.txt", IngestOptions(timezone="UTC"))

    assert "--business-author" in str(error.value)
    assert "Ana Lopez, Shop Support" in str(error.value)


def test_timezone_required() -> None:
    with pytest.raises(InputError, match="--timezone"):
        read_file(FIXTURES / "whatsapp_android_de.txt", IngestOptions(business_authors=("Laden",)))


def test_bot_author_and_bad_lines(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "chat.txt",
        "exported by a tool\n"
        "2/1/24, 10:00 - Ana: hi\n"
        "2/1/24, 10:00 - ShopBot: Hello, I am a bot\n"
        "31/2/24, 10:01 - Ana: bad date\n"
        "2/1/24, 25:01 - Ana: bad hour\n"
        "2/1/24, 10:05 - Shop: human here\n",
    )
    result = read_quietly(path, options("UTC", "Shop", bot_authors=("shopbot",)))
    reasons = dict(zip(result.rejections["line"], result.rejections["reason"], strict=True))

    assert list(result.events["sender"]) == ["customer", "bot", "agent"]
    assert reasons[1] == "line does not start with a WhatsApp date and time"
    assert reasons[4] == "invalid date or time '31/2/24 10:01'"
    assert reasons[5] == "invalid date or time '2/1/24 25:01'"
    assert result.rows_read == 6


def test_twelve_hour_variants(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "chat.txt",
        "1/15/24, 12:05 a. m. - Ana: midnight\n"
        "1/15/24, 12:30\u202fp.m. - Shop: noon\n"
        "[1/15/24, 11:59:59\u00a0PM] Ana: late\n",
    )
    result = read_quietly(path, options("UTC", "Shop"))

    assert utc(result) == [
        "2024-01-15T00:05:00+00:00",
        "2024-01-15T12:30:00+00:00",
        "2024-01-15T23:59:59+00:00",
    ]


def test_year_first_dates(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "chat.txt", "2024-01-15, 09:00 - Ana: hi\n2024-01-15, 09:02 - Shop: hey\n"
    )

    assert utc(read_quietly(path, options("UTC", "Shop")))[1] == "2024-01-15T09:02:00+00:00"


def test_edited_marker_not_counted(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "chat.txt",
        "2024-01-15, 09:00 - Ana: hello <This message was edited>\n"
        "2024-01-15, 09:01 - Shop: two\nlines <This message was edited>\n",
    )
    events = read_quietly(path, options("UTC", "Shop")).events

    assert list(events["text_length"]) == [5, 9]
