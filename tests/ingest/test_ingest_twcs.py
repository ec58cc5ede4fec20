"""Tests of the TWCS reader on the real sample and on small hand-made threads.

The sample's counts are recounted with the csv module and a dictionary walk of the
reply chains, sharing no code with the reader.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from ingest_builders import TWCS_SAMPLE, by_key, read_quietly, write_text

from asyncwfm.ingest import IngestOptions, ingest_files
from asyncwfm.ingest.readers.twcs import extract_signoffs, thread_roots
from asyncwfm.store import EventStore

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"


def recount_sample() -> list[dict[str, str]]:
    """Parse the sample with the csv module; a carriage return inside a line is a space."""
    raw = gzip.decompress(TWCS_SAMPLE.read_bytes()).decode("utf-8")
    text = re.sub(r"\r(?!\n)", " ", raw)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return [row for row in rows if row["tweet_id"]]


def roots_by_walking(rows: list[dict[str, str]]) -> dict[str, str]:
    """Map each tweet id to the root of its reply chain, following parents in the file."""
    parent = {}
    for row in rows:
        value = row["in_response_to_tweet_id"]
        parent[row["tweet_id"]] = str(int(float(value))) if value else ""
    roots = {}
    for tweet in parent:
        current, seen = tweet, set()
        while parent.get(current) and parent[current] in parent and current not in seen:
            seen.add(current)
            current = parent[current]
        roots[tweet] = current
    return roots


@pytest.fixture(scope="module")
def sample_events() -> object:
    return read_quietly(TWCS_SAMPLE, IngestOptions(format="twcs"))


def test_sample_counts_reconcile(sample_events: object) -> None:
    rows = recount_sample()
    result = sample_events

    assert result.rows_read == len(rows)
    assert len(result.events) == len(rows)
    assert result.rejections.empty
    assert (result.events["sender"] == "customer").sum() == sum(
        r["inbound"] == "True" for r in rows
    )
    assert (result.events["sender"] == "agent").sum() == sum(r["inbound"] == "False" for r in rows)


def test_sample_threads_match_walk(sample_events: object) -> None:
    expected = {
        f"twcs:{tweet}": f"twcs:{root}"
        for tweet, root in roots_by_walking(recount_sample()).items()
    }
    events = by_key(sample_events.events)

    assert events["conversation_id"].to_dict() == expected
    assert events["conversation_id"].nunique() == len(set(expected.values()))


def test_sample_hand_checked_thread(sample_events: object) -> None:
    # Tweets 8 <- 6 <- 5 <- 4 <- 3 <- 1 <- 2 reply to each other (first lines of the file).
    events = by_key(sample_events.events)
    thread = events.loc[[f"twcs:{t}" for t in (8, 6, 5, 4, 3, 1, 2)]]

    assert set(thread["conversation_id"]) == {"twcs:8"}
    assert set(thread["use_case"]) == {"sprintcare"}
    assert thread.loc["twcs:8", "sender"] == "customer"
    assert thread.loc["twcs:8", "customer_id"] == "115712"
    assert thread.loc["twcs:6", "sender"] == "agent"
    assert thread.loc["twcs:8", "source_line"] == 8
    assert str(thread.loc["twcs:8", "timestamp"]) == "2017-10-31 21:45:10+00:00"


@pytest.mark.parametrize(
    ("tweet", "agent"),
    [
        (11, "sprintcare/KC"),  # "... for you. -KC"
        (21, "Ask_Spectrum/JK"),  # "... incorrect? ^JK"
        (25, None),  # ends with a link, no sign-off
        (64, "ChipotleTweets/Becky"),  # "... look great! -Becky"
        (848, "SpotifyCares/LS"),  # "... Keep us posted /LS"
        (790, "Delta/TMT"),  # "... scheduled change. *TMT"
        (827, "Delta/HCK"),  # "...possible. *HCK 2/2"
        (1948, "TMobileHelp/DannyHarvey"),  # "... right in! *DannyHarvey"
        (34, "VerizonSupport/HSB"),  # "How can we help?\n^HSB"
        (618, "AmazonHelp/AG"),  # "chat here: https://t.co/... ^AG"
        (604, "UPSHelp/MC"),  # "this link. ^MC https://t.co/..."
        (1821, "Tesco/Nick"),  # "... receipt. - Nick 3/3"
        (867, "British_Airways/Jane"),  # "... like us to? ^Jane 2/2"
        (1572, "BofA_Help/cr"),  # "Thank you. ^cr"
        (1906, "comcastcares/JC"),  # "... with this.-JC"
        (332, "AirAsiaSupport/Anwar"),  # "see you there!- Anwar"
        (699, None),  # AppleSupport replies carry no sign-off
        (1324, None),  # sainsburys "... 2005. Reid 2/2": a name without marker
        (1281, None),  # GWRHelp "... at Reading. Phil.": a name without marker
    ],
)
def test_sample_agent_signoffs(sample_events: object, tweet: int, agent: str | None) -> None:
    events = by_key(sample_events.events)
    value = events.loc[f"twcs:{tweet}", "agent_id"]

    assert (None if pd.isna(value) else value) == agent


def test_sample_carriage_return_named(sample_events: object) -> None:
    events = by_key(sample_events.events)

    assert any("line 2589" in message for message in sample_events.warnings)
    # "@AskPayPal \r\rI just love the start of email 😁 https://t.co/8u1Pf5rJoN": 69 code points.
    assert events.loc["twcs:3399", "text_length"] == 69


def test_sample_small_chunks_same_result(sample_events: object) -> None:
    small = read_quietly(TWCS_SAMPLE, IngestOptions(format="twcs", chunk_bytes=8192))

    left = sample_events.events.sort_values("event_key").reset_index(drop=True)
    right = small.events.sort_values("event_key").reset_index(drop=True)
    assert left.equals(right)


def test_sample_reingest_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "events.duckdb"
    options = IngestOptions(format="twcs")
    with pytest.warns(Warning):
        first = ingest_files([TWCS_SAMPLE], db, options)[0]
    with pytest.warns(Warning):
        second = ingest_files([TWCS_SAMPLE], db, options)[0]

    assert first.inserted == 5000
    assert second.inserted == 0
    assert second.duplicates == second.accepted == 5000
    with EventStore(db, read_only=True) as store:
        assert store.count_events() == 5000
        assert len(store.ingest_runs()) == 2


def test_missing_parent_makes_root(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "twcs.csv",
        HEADER
        + "2,Brand,False,Tue Oct 31 22:10:47 +0000 2017,@9 Hi ^AB,,1\n"
        + "3,9,True,Tue Oct 31 22:11:47 +0000 2017,@Brand thanks,,2\n",
    )
    events = by_key(read_quietly(path, IngestOptions(format="twcs")).events)

    assert events.loc["twcs:2", "conversation_id"] == "twcs:2"
    assert events.loc["twcs:3", "conversation_id"] == "twcs:2"
    assert events.loc["twcs:3", "use_case"] == "Brand"


def test_reply_cycle_rooted_at_smallest(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "twcs.csv",
        HEADER
        + "5,Brand,False,Tue Oct 31 22:10:47 +0000 2017,@9 a,,7\n"
        + "7,9,True,Tue Oct 31 22:11:47 +0000 2017,@Brand b,,6\n"
        + "6,Brand,False,Tue Oct 31 22:12:47 +0000 2017,@9 c,,5\n"
        + "8,9,True,Tue Oct 31 22:13:47 +0000 2017,@Brand d,,6\n",
    )
    result = read_quietly(path, IngestOptions(format="twcs"))
    events = by_key(result.events)

    assert set(events["conversation_id"]) == {"twcs:5"}
    assert any("reply cycle" in message for message in result.warnings)


def test_customer_without_reply_takes_mentioned_brand(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "twcs.csv",
        HEADER
        + "1,Other,False,Tue Oct 31 22:10:47 +0000 2017,@5 hello,,\n"
        + "2,9,True,Tue Oct 31 22:11:47 +0000 2017,@12345 @other why?,,\n"
        + "3,9,True,Tue Oct 31 22:12:47 +0000 2017,@12345 @NewBrand hey,,\n"
        + "4,9,True,Tue Oct 31 22:13:47 +0000 2017,no mention,,\n",
    )
    events = by_key(read_quietly(path, IngestOptions(format="twcs")).events)

    assert events.loc["twcs:2", "use_case"] == "Other"
    assert events.loc["twcs:3", "use_case"] == "NewBrand"
    assert events.loc["twcs:4", "use_case"] == "unknown"


def test_bad_rows_rejected_with_lines(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "twcs.csv",
        HEADER
        + "1,Brand,False,Tue Oct 31 22:10:47 +0000 2017,ok,,\n"
        + "x1,Brand,False,Tue Oct 31 22:10:47 +0000 2017,bad id,,\n"
        + "3,Brand,maybe,Tue Oct 31 22:10:47 +0000 2017,bad inbound,,\n"
        + "4,Brand,False,yesterday,bad time,,\n"
        + "5,,True,Tue Oct 31 22:10:47 +0000 2017,no author,,\n"
        + "6,Brand,False,Tue Oct 31 22:10:47 +0000 2017,short\n"
        + "1.0,Brand,False,Tue Oct 31 22:10:47 +0000 2017,float id and repeat,,\n",
    )
    result = read_quietly(path, IngestOptions(format="twcs"))
    reasons = dict(zip(result.rejections["line"], result.rejections["reason"], strict=True))

    assert result.rows_read == 7
    assert reasons == {
        3: "invalid tweet_id 'x1'",
        4: "invalid inbound 'maybe' (expected True or False)",
        5: "unparseable created_at 'yesterday'",
        6: "missing author_id",
        7: "expected 7 fields, found 5",
    }
    assert list(result.events["event_key"]) == ["twcs:1", "twcs:1"]


def test_thread_roots_long_chain_and_cycle() -> None:
    # 0 <- 1 <- 2 <- ... <- 999 is one chain; 1000 -> 1001 -> 1002 -> 1000 is a cycle
    # that 1003 leads into.
    parents = np.concatenate(([-1], np.arange(999), [1001, 1002, 1000, 1001]))
    keys = np.arange(len(parents))

    roots, cyclic = thread_roots(parents, keys)

    assert (roots[:1000] == 0).all()
    assert (roots[1000:] == 1000).all()
    assert not cyclic[:1000].any()
    assert cyclic[1000:].all()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("We can help. ^JK", "JK"),
        ("See you! -Becky", "Becky"),
        ("Keep us posted /CB", "CB"),
        ("Thanks.  *TMT", "TMT"),
        ("Help is here - Nick 3/3", "Nick"),
        ("More info 2/2^Corry", "Corry"),
        ("Happy to help.--JV", "JV"),
        ("Gracias -José", "José"),
        ("Our Wi-Fi", None),
        ("Switch to T-Mobile", None),
        ("Send it and/or call", None),
        ("Thanks - Thanks", None),
        ("Thanks, James.", None),
    ],
)
def test_signoff_patterns(text: str, name: str | None) -> None:
    assert extract_signoffs(pa.array([text])).to_pylist() == [name]


def test_signoff_spelling_most_common(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "twcs.csv",
        HEADER
        + "1,Brand,False,Tue Oct 31 22:10:47 +0000 2017,@9 a -Prabu,,\n"
        + "2,Brand,False,Tue Oct 31 22:11:47 +0000 2017,@9 b -Prabu,,\n"
        + "3,Brand,False,Tue Oct 31 22:12:47 +0000 2017,@9 c -prabu,,\n",
    )
    events = read_quietly(path, IngestOptions(format="twcs")).events

    assert set(events["agent_id"]) == {"Brand/Prabu"}
