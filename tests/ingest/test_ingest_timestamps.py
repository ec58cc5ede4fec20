"""Tests of timestamp parsing: aware and naive values, epochs, DST gaps and overlaps.

Expected instants are written as UTC arithmetic on the known rules of the zones used.
Europe/London is UTC+0 in winter and UTC+1 in summer. In 2024 its clocks went
forward at 01:00 UTC on 31 March and back at 01:00 UTC on 27 October (IANA tz
database, as shipped by the tzdata package).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from ingest_builders import FIXTURES, read_quietly, write_text

from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.ingest import IngestOptions, read_file


def utc(events: object) -> list[str]:
    return [stamp.isoformat() for stamp in events["timestamp"]]


def test_naive_without_timezone_raises() -> None:
    with pytest.raises(InputError) as error:
        read_file(FIXTURES / "naive_london.csv")

    message = str(error.value)
    assert "--timezone" in message
    assert "'2024-03-31 00:30:00' on line 2" in message


def test_unknown_timezone_named() -> None:
    with pytest.raises(InputError, match=r"unknown time zone 'Europe/Londn'.*Europe/London"):
        IngestOptions(timezone="Europe/Londn")


@pytest.mark.parametrize(
    ("name", "first_match"),
    [
        ("Europe/Londn", "Europe/London"),
        ("Asia/Jerusalm", "Asia/Jerusalem"),
        ("london", "Europe/London"),
        ("New York", "America/New_York"),
        ("europe/berlin", "Europe/Berlin"),
    ],
)
def test_unknown_timezone_suggests_close_match(name: str, first_match: str) -> None:
    with pytest.raises(InputError) as error:
        IngestOptions(timezone=name)

    assert f"Did you mean '{first_match}'" in str(error.value)


def test_unrelated_timezone_gets_no_suggestion() -> None:
    with pytest.raises(InputError) as error:
        IngestOptions(timezone="Mars/Olympus")

    assert "Did you mean" not in str(error.value)
    assert "'Europe/London'" in str(error.value)


@pytest.mark.parametrize(
    ("fmt", "problem"),
    [("%Q", "'Q' is a bad directive"), ("%d/%m/%Y %", "stray %")],
)
def test_invalid_timestamp_format_rejected(fmt: str, problem: str) -> None:
    with pytest.raises(InputError) as error:
        IngestOptions(timestamp_format=fmt)

    message = str(error.value)
    assert f"invalid timestamp format {fmt!r}" in message
    assert problem in message


def test_dst_default_policies() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = read_file(FIXTURES / "naive_london.csv", IngestOptions(timezone="Europe/London"))

    assert utc(result.events) == [
        "2024-03-31T00:30:00+00:00",  # 00:30 GMT
        "2024-03-31T01:30:00+00:00",  # 01:30 is skipped; read with GMT, i.e. 02:30 BST
        "2024-03-31T01:30:00+00:00",  # 02:30 BST
        "2024-10-26T23:30:00+00:00",  # 00:30 BST
        "2024-10-27T00:30:00+00:00",  # 01:30 occurs twice; first is BST
        "2024-10-27T02:30:00+00:00",  # 02:30 GMT
    ]
    messages = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert any("line 3" in m and "go forward" in m for m in messages)
    assert any("line 6" in m and "go back" in m for m in messages)


def test_dst_last_occurrence() -> None:
    result = read_quietly(
        FIXTURES / "naive_london.csv",
        IngestOptions(timezone="Europe/London", dst_ambiguous="last"),
    )

    assert utc(result.events)[4] == "2024-10-27T01:30:00+00:00"  # 01:30 GMT


def test_dst_reject_policies() -> None:
    result = read_quietly(
        FIXTURES / "naive_london.csv",
        IngestOptions(timezone="Europe/London", dst_ambiguous="reject", dst_nonexistent="reject"),
    )
    reasons = dict(zip(result.rejections["line"], result.rejections["reason"], strict=True))

    assert list(result.events["source_line"]) == [2, 4, 5, 7]
    assert "nonexistent local time 2024-03-31 01:30:00 in Europe/London" in reasons[3]
    assert "ambiguous local time 2024-10-27 01:30:00 in Europe/London" in reasons[6]


def test_aware_values_ignore_timezone(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender\n"
        "t1,2024-07-01T12:00:00+02:00,customer\n"
        "t1,2024-07-01 12:00:00 -0500,agent\n"
        "t1,2024-07-01T12:00Z,customer\n",
    )
    result = read_quietly(path, IngestOptions(timezone="Asia/Tokyo"))

    assert utc(result.events) == [
        "2024-07-01T10:00:00+00:00",
        "2024-07-01T17:00:00+00:00",
        "2024-07-01T12:00:00+00:00",
    ]


def test_mixed_naive_and_aware(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender\n"
        "t1,2024-01-15 09:00,customer\n"
        "t1,2024-01-15T09:30:00Z,agent\n",
    )
    result = read_quietly(path, IngestOptions(timezone="America/New_York"))

    # New York is UTC-5 in January.
    assert utc(result.events) == ["2024-01-15T14:00:00+00:00", "2024-01-15T09:30:00+00:00"]


def test_epoch_seconds_and_milliseconds(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender\nt1,1709542800,customer\nt1,1709542800500,agent\n",
    )
    result = read_quietly(path)

    assert utc(result.events) == [
        "2024-03-04T09:00:00+00:00",
        "2024-03-04T09:00:00.500000+00:00",
    ]


def test_timestamp_format_option(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "export.csv",
        "conversation_id,timestamp,sender\n"
        "t1,04/03/2024 09:15,customer\n"
        "t1,31/02/2024 09:15,agent\n",
    )
    result = read_quietly(
        path, IngestOptions(timestamp_format="%d/%m/%Y %H:%M", timezone="Europe/Paris")
    )

    # Paris is UTC+1 in March before the change.
    assert utc(result.events) == ["2024-03-04T08:15:00+00:00"]
    assert list(result.rejections["reason"]) == ["unparseable timestamp '31/02/2024 09:15'"]
