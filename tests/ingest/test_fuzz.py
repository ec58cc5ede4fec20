"""Robustness of every reader against damaged input.

Each reader is fed its own valid fixture after random damage (Hypothesis). A fixed
list adds hard cases: empty files, a header only, a 10 MB line, binary garbage,
byte order marks, CRLF line endings, mixed encodings and truncated gzip streams. A
reader may reject rows or raise one of asyncwfm's own errors; any other exception is
a failure, and whatever it accepts must follow the event table contract with counts
that reconcile.

``ASYNCWFM_FUZZ_EXAMPLES`` sets Hypothesis' examples per test (``make fuzz`` uses
20,000); the default keeps ``make test`` fast.
"""

from __future__ import annotations

import codecs
import gzip
import os
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_builders import FIXTURES, TWCS_SAMPLE

from asyncwfm.errors import AsyncWfmError
from asyncwfm.ingest import IngestOptions, ingest_files, read_file
from asyncwfm.schema import validate_events

EXAMPLES = int(os.environ.get("ASYNCWFM_FUZZ_EXAMPLES", "25"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TWCS_SMALL = (
    b"tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    b'1,Brand,False,Tue Oct 31 22:10:47 +0000 2017,"@9 Hi, how can we help? ^JK",2,3\n'
    b"2,9,True,Tue Oct 31 22:11:47 +0000 2017,@Brand it broke,,1\n"
    b"3,9,True,Tue Oct 31 22:09:47 +0000 2017,@Brand help,1,\n"
)

SEEDS: dict[str, bytes] = {
    "csv": (FIXTURES / "generic_events.csv").read_bytes(),
    "tsv": (FIXTURES / "generic_events.tsv").read_bytes(),
    "jsonl": (FIXTURES / "generic_events.jsonl").read_bytes(),
    "parquet": (FIXTURES / "generic_events.parquet").read_bytes(),
    "twcs": TWCS_SMALL,
    "whatsapp": (FIXTURES / "whatsapp_android_us.txt").read_bytes(),
    "twilio": (FIXTURES / "twilio_console.csv").read_bytes(),
    "zendesk": (FIXTURES / "zendesk_tickets.json").read_bytes(),
    "intercom": (FIXTURES / "intercom_conversations.json").read_bytes(),
    "freshchat": (FIXTURES / "freshchat_messages.json").read_bytes(),
    "helpdesk": (FIXTURES / "helpdesk_comments.csv").read_bytes(),
}
"""A valid input of each reader, the starting point of the damage."""

READER_OPTIONS = {
    "timezone": "Europe/London",
    "business_authors": ("Shop Support", "Shop"),
    "day_first": False,
}


def read_checked(path: Path, format_name: str) -> None:
    """Read ``path``; our own errors are fine, anything else fails the test."""
    options = IngestOptions(format=format_name, chunk_bytes=4096, **READER_OPTIONS)  # type: ignore[arg-type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = read_file(path, options)
    except AsyncWfmError:
        return
    validate_events(result.events)
    assert result.rows_read == len(result.events) + len(result.rejections)
    assert result.rejections["line"].ge(1).all()
    assert "text" not in result.events.columns


def damage(seed: bytes, operations: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (kind, position, bytes) operations: insert, delete, overwrite or truncate."""
    data = bytearray(seed)
    for kind, position, payload in operations:
        at = position % (len(data) + 1)
        if kind == 0:
            data[at:at] = payload
        elif kind == 1:
            del data[at : at + len(payload) + 1]
        elif kind == 2:
            data[at : at + len(payload)] = payload
        else:
            del data[at:]
    return bytes(data)


operations = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 1 << 16),
        st.one_of(
            st.binary(max_size=8),
            st.sampled_from(
                [b'"', b",", b"\n", b"\r", b"\t", b"{", b"}", b"[", b":", b"\xff", b"\xef\xbb\xbf"]
            ),
        ),
    ),
    max_size=6,
)


def write_temporary(data: bytes, suffix: str) -> Path:
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
        handle.write(data)
    return Path(handle.name)


@pytest.mark.parametrize("format_name", sorted(SEEDS))
@FUZZ_SETTINGS
@given(changes=operations, compress=st.booleans())
def test_damaged_input_never_crashes(
    format_name: str, changes: list[tuple[int, int, bytes]], compress: bool
) -> None:
    data = damage(SEEDS[format_name], changes)
    if compress:
        data = gzip.compress(data)
    path = write_temporary(data, ".gz" if compress else ".dat")
    try:
        read_checked(path, format_name)
    finally:
        path.unlink()


@pytest.mark.parametrize("format_name", sorted(SEEDS))
@FUZZ_SETTINGS
@given(data=st.binary(max_size=2048))
def test_binary_garbage_never_crashes(format_name: str, data: bytes) -> None:
    path = write_temporary(data, ".dat")
    try:
        read_checked(path, format_name)
    finally:
        path.unlink()


@FUZZ_SETTINGS
@given(changes=operations)
def test_auto_format_never_crashes(changes: list[tuple[int, int, bytes]]) -> None:
    for format_name, seed in SEEDS.items():
        suffix = {"parquet": ".parquet", "jsonl": ".jsonl", "tsv": ".tsv"}.get(format_name, ".txt")
        path = write_temporary(damage(seed, changes), suffix)
        try:
            read_checked(path, "auto")
        finally:
            path.unlink()


@settings(max_examples=max(5, EXAMPLES // 5), deadline=None)
@given(changes=operations)
def test_ingest_reconciles_after_damage(changes: list[tuple[int, int, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "export.csv"
        source.write_bytes(damage(SEEDS["csv"], changes))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                report = ingest_files(
                    [source], Path(directory) / "e.duckdb", IngestOptions(format="csv")
                )[0]
        except AsyncWfmError:
            return
        assert report.rows_read == report.inserted + report.rejected + report.duplicates


def hard_cases(format_name: str) -> dict[str, bytes]:
    """Return named hard inputs for a reader, built from its seed."""
    seed = SEEDS[format_name]
    first_line = seed.split(b"\n", 1)[0] + b"\n"
    long_text = b"x" * (10 * 2**20)
    cases = {
        "empty": b"",
        "header only": first_line,
        "blank lines": b"\n\r\n\n",
        "utf-8 bom": codecs.BOM_UTF8 + seed,
        "utf-16 bom": codecs.BOM_UTF16_LE
        + seed.decode("utf-8", errors="replace").encode("utf-16-le"),
        "crlf": seed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
        "cr only": seed.replace(b"\r\n", b"\n").replace(b"\n", b"\r"),
        "mixed encodings": seed
        + "Café, naïve, 日本\n".encode("cp1252", errors="replace")
        + seed[-40:],
        "nul bytes": seed.replace(b",", b"\x00,", 3),
        "truncated gzip": gzip.compress(seed * 20)[: len(gzip.compress(seed * 20)) // 2],
        "not gzip after magic": b"\x1f\x8b" + seed,
        "10 MB line": seed + first_line.rstrip(b"\n") + long_text + b"\n",
    }
    return cases


CASE_NAMES = sorted(hard_cases("csv"))


@pytest.mark.parametrize("case", CASE_NAMES)
@pytest.mark.parametrize("format_name", sorted(SEEDS))
def test_hard_cases(tmp_path: Path, format_name: str, case: str) -> None:
    if case == "10 MB line" and format_name in ("tsv", "parquet", "intercom", "freshchat"):
        pytest.skip("the 10 MB line is checked on one reader of each kind")
    path = tmp_path / "input.dat"
    path.write_bytes(hard_cases(format_name)[case])

    read_checked(path, format_name)


def test_ten_megabyte_field_kept(tmp_path: Path) -> None:
    text = "y" * (10 * 2**20)
    path = tmp_path / "big.csv"
    path.write_text(
        "conversation_id,timestamp,sender,text\n"
        f't1,2024-03-04T09:00:00Z,customer,"{text}"\n'
        "t1,2024-03-04T09:01:00Z,agent,ok\n",
        encoding="utf-8",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = read_file(path)

    assert list(result.events["text_length"]) == [len(text), 2]


def test_truncated_real_sample(tmp_path: Path) -> None:
    data = TWCS_SAMPLE.read_bytes()
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 3])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = read_file(path, IngestOptions(format="twcs"))

    assert 0 < len(result.events) < 5000
    assert any("truncated" in message for message in result.warnings)
