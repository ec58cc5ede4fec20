"""Measure the real TWCS sample and check its counts against a plain-Python recount.

The recount parses the file with the csv module, rebuilds threads by following
``in_response_to_tweet_id`` to the root, and walks each thread in time order. It
shares no code with the ingest reader or the measure stage.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import statistics
import warnings
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import pytest

from asyncwfm.config import PlanningConfig
from asyncwfm.demo import bundled_sample_path
from asyncwfm.measure import Measurement, measure

# The package bundles a byte-identical copy of the public sample, so this test runs
# wherever the project is installed.
SAMPLE = bundled_sample_path()
TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"

ingest = pytest.importorskip("asyncwfm.ingest", reason="the ingest stage is not installed")
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason=f"TWCS sample not found at {SAMPLE}")


@dataclass(frozen=True)
class Tweet:
    tweet_id: str
    parent_id: str
    inbound: bool
    created_at: datetime
    position: int


@dataclass(frozen=True)
class Recount:
    conversations: int
    customer_turns: int
    answered_turns: int
    response_seconds: list[float]
    session_seconds: list[float]


def read_tweets() -> list[Tweet]:
    """Parse the sample with the csv module; a bare carriage return inside a line is a space."""
    text = gzip.decompress(SAMPLE.read_bytes()).decode("utf-8")
    text = re.sub(r"\r(?!\n)", " ", text)
    records = list(csv.reader(io.StringIO(text, newline="")))
    header = records[0]
    column = {name: header.index(name) for name in header if name}
    tweets = []
    for position, record in enumerate(records[1:]):
        parent = record[column["in_response_to_tweet_id"]]
        tweets.append(
            Tweet(
                tweet_id=str(int(record[column["tweet_id"]])),
                parent_id=str(int(float(parent))) if parent else "",
                inbound=record[column["inbound"]] == "True",
                created_at=datetime.strptime(record[column["created_at"]], TIME_FORMAT),
                position=position,
            )
        )
    return tweets


def recount(tweets: list[Tweet]) -> Recount:
    """Count threads, customer turns and response times by walking each thread."""
    by_id = {tweet.tweet_id: tweet for tweet in tweets}

    def root_of(tweet: Tweet) -> str:
        seen = {tweet.tweet_id}
        while tweet.parent_id in by_id and tweet.parent_id not in seen:
            tweet = by_id[tweet.parent_id]
            seen.add(tweet.tweet_id)
        return tweet.tweet_id

    threads: dict[str, list[Tweet]] = defaultdict(list)
    for tweet in tweets:
        threads[root_of(tweet)].append(tweet)

    customer_turns = 0
    answered_turns = 0
    response_seconds: list[float] = []
    session_seconds: list[float] = []
    for thread in threads.values():
        thread.sort(key=lambda t: (t.created_at, t.position))
        session_seconds.append((thread[-1].created_at - thread[0].created_at).total_seconds())
        turn_start: datetime | None = None
        for tweet in thread:
            if tweet.inbound and turn_start is None:
                turn_start = tweet.created_at
                customer_turns += 1
            elif not tweet.inbound and turn_start is not None:
                answered_turns += 1
                response_seconds.append((tweet.created_at - turn_start).total_seconds())
                turn_start = None
    return Recount(
        conversations=len(threads),
        customer_turns=customer_turns,
        answered_turns=answered_turns,
        response_seconds=response_seconds,
        session_seconds=session_seconds,
    )


@pytest.fixture(scope="module")
def measured() -> Measurement:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        events = ingest.read_file(SAMPLE, ingest.IngestOptions(format="twcs")).events
        return measure(events, PlanningConfig())


@pytest.fixture(scope="module")
def expected() -> Recount:
    return recount(read_tweets())


def test_sample_conversations(measured: Measurement, expected: Recount) -> None:
    assert len(measured.conversations) == expected.conversations
    assert measured.conversations["session_seconds"].median() == statistics.median(
        expected.session_seconds
    )


def test_sample_turns(measured: Measurement, expected: Recount) -> None:
    turns = measured.turns

    assert len(turns) == expected.customer_turns
    assert int(turns["answered"].sum()) == expected.answered_turns
    assert (turns["responder"].dropna() == "agent").all()


def test_sample_response_times(measured: Measurement, expected: Recount) -> None:
    answered = measured.turns.loc[measured.turns["answered"], "response_seconds"]

    assert sorted(answered.tolist()) == sorted(expected.response_seconds)


def test_sample_summary_adds_up(measured: Measurement, expected: Recount) -> None:
    summary = measured.summary()

    assert summary["conversations"].sum() == expected.conversations
    assert summary["customer_turns"].sum() == expected.customer_turns
    assert summary["answered_turns"].sum() == expected.answered_turns
    assert summary["active_seconds"].sum() == pytest.approx(measured.work["seconds"].sum())


def test_sample_agent_work_within_span(measured: Measurement) -> None:
    for agent, work in measured.work.dropna(subset=["agent_id"]).groupby("agent_id"):
        span = (work["end"].max() - work["start"].min()).total_seconds()
        assert work["seconds"].sum() <= span + 1e-6, agent


def test_sample_active_time_far_below_session(measured: Measurement) -> None:
    conversations = measured.conversations
    long_threads = conversations[conversations["session_seconds"] > 86_400]

    assert len(long_threads) > 0
    assert (long_threads["active_seconds"] < long_threads["session_seconds"] / 10).all()
    assert isinstance(measured.window_start, pd.Timestamp)
