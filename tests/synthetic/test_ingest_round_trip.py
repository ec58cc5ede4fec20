"""Generated files go through the generic readers and measure the same as the log itself."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from asyncwfm.errors import DataQualityWarning
from asyncwfm.ingest import IngestOptions, ingest_files
from asyncwfm.measure import measure
from asyncwfm.measure.bots import measure_bots
from asyncwfm.store import EventStore
from asyncwfm.synthetic import GeneratedLog, generate_log, synthetic_config
from asyncwfm.synthetic.output import write_log


@pytest.fixture(scope="module")
def log() -> GeneratedLog:
    return generate_log(4, days=3, volume_scale=0.3)


@pytest.fixture(scope="module")
def expected(log: GeneratedLog) -> pd.DataFrame:
    return _bot_figures(log.events, log)


def _bot_figures(events: pd.DataFrame, log: GeneratedLog) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        measured = measure(events, synthetic_config(log))
    result = measure_bots(events, measured.turns, measured.conversations)
    columns = ["use_case", "bot_conversations", "contained_conversations", "residue_uplift"]
    return result.by_use_case[columns].reset_index(drop=True)


def _ingested_events(path: Path, options: IngestOptions) -> pd.DataFrame:
    database = path.with_suffix(".duckdb")
    report = ingest_files([path], database, options)[0]
    assert report.rejected == 0
    with EventStore(database, read_only=True) as store:
        return store.events()


@pytest.mark.parametrize("suffix", ["csv", "csv.gz", "parquet", "jsonl"])
def test_file_ingests_every_event(
    log: GeneratedLog, expected: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    path = write_log(log, tmp_path / f"log.{suffix}")
    events = _ingested_events(path, IngestOptions())
    assert len(events) == len(log.events)
    assert set(events["sender"]) == {"customer", "agent", "bot"}
    pd.testing.assert_frame_equal(_bot_figures(events, log), expected)


def test_bot_author_option_restores_bots(
    log: GeneratedLog, expected: pd.DataFrame, tmp_path: Path
) -> None:
    path = write_log(log, tmp_path / "log.csv", bot_author="helper-bot")
    assert "bot" not in set(pd.read_csv(path)["sender"])

    events = _ingested_events(path, IngestOptions(bot_authors=("helper-bot",)))
    figures = _bot_figures(events, log)
    pd.testing.assert_series_equal(
        figures["contained_conversations"], expected["contained_conversations"]
    )
    pd.testing.assert_series_equal(figures["bot_conversations"], expected["bot_conversations"])
