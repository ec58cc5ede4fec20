"""The bank call-centre reader, and forecasts of the only real month of intraday arrivals."""

from __future__ import annotations

import csv
import gzip
import warnings
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from forecast_builders import BANK_LOG

from asyncwfm.config import config_from_dict
from asyncwfm.errors import AsyncWfmWarning, DataQualityWarning, InputError
from asyncwfm.forecast import ForecastResult, ForecastSettings, forecast_workload
from asyncwfm.ingest import IngestOptions, ingest_files
from asyncwfm.ingest.bank import BANK_COLUMNS, BankLog, read_bank_log
from asyncwfm.measure import Measurement, measure
from asyncwfm.store import EventStore

needs_bank_log = pytest.mark.skipif(
    not BANK_LOG.is_file(), reason=f"the bank call-centre log is not at {BANK_LOG}"
)

# Served calls in February 1999 start 07:00-24:00 Sunday to Thursday, 07:00-14:00 on
# Friday and from 19:00 on Saturday (counted from ser_start of calls with a server).
BANK_CONFIG = {
    "business_timezone": "Asia/Jerusalem",
    "interval_minutes": 30,
    "opening_hours": {
        "default": ["07:00-24:00"],
        "friday": ["07:00-14:00"],
        "saturday": ["19:00-24:00"],
    },
    "use_cases": [{"name": "bank", "match_channels": ["voice"]}],
}

HEADER = "\t".join(BANK_COLUMNS)


def write_log(path: Path, rows: list[str]) -> Path:
    path.write_text("\r\n".join([HEADER, *rows]) + "\r\n", encoding="utf-8")
    return path


def row(
    call_id: str,
    *,
    date_: str = "990201",
    vru: tuple[str, str] = ("10:00:00", "10:00:10"),
    queue: tuple[str, str] = ("10:00:10", "10:01:00"),
    service: tuple[str, str, str] = ("10:01:00", "10:05:00", "240"),
    outcome: str = "AGENT",
    server: str = "DORIT",
    call_type: str = "PS",
) -> str:
    fields = [
        "AA0101", call_id, "0", "0", call_type, date_, vru[0], vru[1], "10",
        queue[0], queue[1], "50", outcome, service[0], service[1], service[2], server,
    ]  # fmt: skip
    return "\t".join(fields)


def event_times(log: Path) -> pd.Series:
    """Return the timestamps of a one-call log by event kind: request, service, work."""
    events = read_bank_log(log).events
    kind = events["event_key"].str.rsplit(":", n=1).str[-1]
    return events.set_index(kind)["timestamp"]


@pytest.fixture(scope="module")
def bank_log() -> BankLog:
    if not BANK_LOG.is_file():
        pytest.skip(f"the bank call-centre log is not at {BANK_LOG}")
    return read_bank_log(BANK_LOG)


@needs_bank_log
def test_calls_reconcile_with_independent_count(bank_log: BankLog) -> None:
    with gzip.open(BANK_LOG, "rt", newline="") as handle:
        records = list(csv.DictReader(handle, delimiter="\t"))
    outcomes = Counter(record["outcome"] for record in records)
    events = bank_log.events

    assert bank_log.rows_read == len(records) == 33_344
    assert bank_log.outcomes == dict(outcomes)
    assert events["conversation_id"].nunique() == len(records)
    senders = events["sender"].value_counts()
    assert senders["customer"] == outcomes["AGENT"] + outcomes["HANG"]
    assert senders["agent"] == 2 * outcomes["AGENT"]
    assert senders["system"] == outcomes["PHANTOM"]
    agent_types = events.loc[events["sender"] == "agent", "event_type"].value_counts()
    assert agent_types.to_dict() == {"message": outcomes["AGENT"], "work": outcomes["AGENT"]}
    assert len(bank_log.rejections) == 0


@needs_bank_log
def test_handle_seconds_sum_matches_ser_time(bank_log: BankLog) -> None:
    with gzip.open(BANK_LOG, "rt", newline="") as handle:
        served = [r for r in csv.DictReader(handle, delimiter="\t") if r["outcome"] == "AGENT"]
    events = bank_log.events
    work = events.loc[events["event_type"] == "work"]
    answers = events.loc[(events["sender"] == "agent") & (events["event_type"] == "message")]

    assert work["handle_seconds"].sum() == sum(int(r["ser_time"]) for r in served)
    assert (answers["handle_seconds"] == 0).all()
    assert work["agent_id"].isna().sum() == sum(r["server"] == "NO_SERVER" for r in served)


@needs_bank_log
def test_agent_event_follows_customer_event(bank_log: BankLog) -> None:
    events = bank_log.events
    first = events.loc[events["sender"] == "customer"].set_index("conversation_id")["timestamp"]
    answers = events.loc[(events["sender"] == "agent") & (events["event_type"] == "message")]
    answer = answers.set_index("conversation_id")["timestamp"]

    gap = answer - first.reindex(answer.index)
    assert (gap >= pd.Timedelta(seconds=1)).all()


def test_call_crossing_midnight_rolls_to_next_day(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "bank.txt",
        [
            row(
                "1",
                vru=("23:59:40", "23:59:50"),
                queue=("23:59:50", "0:00:20"),
                service=("0:00:20", "0:03:00", "160"),
            )
        ],
    )

    times = event_times(log)

    # Israel is UTC+2 in February: 23:59:50 local is 21:59:50 UTC
    assert times["request"] == pd.Timestamp("1999-02-01 21:59:50", tz="UTC")
    assert times["service"] == pd.Timestamp("1999-02-01 22:00:20", tz="UTC")
    assert times["work"] == pd.Timestamp("1999-02-01 22:03:00", tz="UTC")


def test_clock_skew_before_vru_entry_stays_same_day(tmp_path: Path) -> None:
    # The VRU exit is logged 56 seconds before the VRU entry; the clocks differ.
    log = write_log(
        tmp_path / "bank.txt",
        [
            row(
                "1",
                vru=("21:28:22", "21:27:26"),
                queue=("21:27:26", "21:28:47"),
                service=("21:28:46", "21:29:32", "46"),
            )
        ],
    )

    times = event_times(log)

    assert times["request"] == pd.Timestamp("1999-02-01 19:27:26", tz="UTC")
    assert times["service"] == pd.Timestamp("1999-02-01 19:28:46", tz="UTC")
    assert times["work"] == pd.Timestamp("1999-02-01 19:29:32", tz="UTC")


def test_unqueued_call_requests_at_vru_exit(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "bank.txt",
        [row("1", queue=("0:00:00", "0:00:00"), service=("10:00:09", "10:02:00", "111"))],
    )

    times = event_times(log)

    assert times["request"] == pd.Timestamp("1999-02-01 08:00:10", tz="UTC")
    assert times["service"] == pd.Timestamp("1999-02-01 08:00:11", tz="UTC")
    assert times["work"] == pd.Timestamp("1999-02-01 08:02:02", tz="UTC")


def test_abandoned_and_phantom_calls(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "bank.txt",
        [
            row("1", outcome="HANG", service=("0:00:00", "0:00:00", "0"), server="NO_SERVER"),
            row("2", outcome="PHANTOM", server="NO_SERVER"),
        ],
    )

    result = read_bank_log(log)

    senders = result.events.groupby("conversation_id")["sender"].apply(list).to_dict()
    assert senders == {"bank:AA0101:1": ["customer"], "bank:AA0101:2": ["system"]}
    assert result.outcomes == {"HANG": 1, "PHANTOM": 1}


def test_bad_rows_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "bank.txt",
        [
            row("1"),
            "AA0101\t2\ttoo few fields",
            row("3", date_="99x201"),
            row("4", outcome="LOST"),
            row("5", service=("10:01:00", "10:05:00", "-4")),
            row("6", vru=("10h00", "10:00:10")),
        ],
    )

    result = read_bank_log(log)

    reasons = dict(zip(result.rejections["line"], result.rejections["reason"], strict=True))
    assert result.rows_read == 6
    assert result.accepted_calls == 1
    assert reasons[3] == "expected 17 tab-separated fields, found 3"
    assert reasons[4] == "unparseable date '99x201'"
    assert reasons[5].startswith("unknown outcome 'LOST'")
    assert reasons[6] == "invalid ser_time '-4'"
    assert reasons[7] == "unparseable vru_entry '10h00'"


def test_other_file_is_not_a_bank_log(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")

    with pytest.raises(InputError, match="is not a bank call-centre log"):
        read_bank_log(other)


def measure_by_type(events: pd.DataFrame) -> Measurement:
    """Measure bank events with one use case per call type."""
    types = sorted(events["use_case"].unique())
    config = config_from_dict(
        {
            "business_timezone": "Asia/Jerusalem",
            "use_cases": [{"name": name, "match_use_cases": [name]} for name in types],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AsyncWfmWarning)
        return measure(events, config)


def served_calls(log: Path) -> pd.DataFrame:
    """Read the served calls of a bank log with pandas, without the reader.

    Adds ``conversation_id``, ``ser_time`` in seconds, ``has_ser_start`` and the local
    ``service_start`` and ``service_end`` by the reader's documented rules. A time more
    than 12 hours before the VRU entry belongs to the next day. A call without
    ``ser_start`` starts service when it left the queue, or the VRU when it did not
    queue. Service starts at least one second after the customer's request.
    """
    calls = pd.read_csv(log, sep="\t", dtype=str)
    calls.columns = calls.columns.str.strip()
    calls = calls.apply(lambda column: column.str.strip())
    served = calls.loc[calls["outcome"] == "AGENT"].copy()
    served["conversation_id"] = "bank:" + served["vru+line"] + ":" + served["call_id"]
    served["ser_time"] = served["ser_time"].astype(int)
    served["has_ser_start"] = served["ser_start"] != "0:00:00"

    day = pd.to_datetime(served["date"], format="%y%m%d")
    entry = pd.to_timedelta(served["vru_entry"])

    def local_time(text: pd.Series) -> pd.Series:
        offset = pd.to_timedelta(text)
        after_midnight = offset < entry - pd.Timedelta(hours=12)
        return day + offset.where(~after_midnight, offset + pd.Timedelta(days=1))

    unset = "0:00:00"
    request = served["q_start"].where(served["q_start"] != unset, served["vru_exit"])
    request = request.where(request != unset, served["vru_entry"])
    start = served["ser_start"].where(served["has_ser_start"], served["q_exit"])
    start = start.where(start != unset, request)
    earliest = local_time(request) + pd.Timedelta(seconds=1)
    served["service_start"] = local_time(start).where(local_time(start) >= earliest, earliest)
    served["service_end"] = served["service_start"] + pd.to_timedelta(served["ser_time"], unit="s")
    return served


def overlapping_service(served: pd.DataFrame) -> pd.Series:
    """Flag calls whose service overlaps the service of another call of the same server."""
    named = served.loc[served["server"] != "NO_SERVER"]
    ordered = named.sort_values(["server", "service_start"])
    by_server = ordered.groupby("server")
    earlier_end = by_server["service_end"].transform(lambda ends: ends.cummax().shift())
    later_start = by_server["service_start"].shift(-1)
    overlaps = (earlier_end > ordered["service_start"]) | (later_start < ordered["service_end"])
    return overlaps.reindex(served.index, fill_value=False)


def test_measured_aht_is_mean_ser_time(tmp_path: Path) -> None:
    # DORIT answers call 1 the second call 2 ends, and call 3 is longer than a work
    # burst; call 4 has no server; call 6 is abandoned.
    log = write_log(
        tmp_path / "bank.txt",
        [
            row("2", service=("10:01:00", "10:05:00", "240")),
            row("1", queue=("10:00:10", "10:05:00"), service=("10:05:00", "10:07:00", "120")),
            row(
                "3",
                call_type="IN",
                queue=("10:00:10", "10:07:30"),
                service=("10:07:30", "10:17:30", "600"),
            ),
            row(
                "4",
                call_type="IN",
                queue=("10:00:10", "10:02:00"),
                service=("10:02:00", "10:03:30", "90"),
                server="NO_SERVER",
            ),
            row(
                "5",
                queue=("10:00:10", "10:03:00"),
                service=("10:03:00", "10:03:45", "45"),
                server="MOSHE",
            ),
            row("6", outcome="HANG", service=("0:00:00", "0:00:00", "0"), server="NO_SERVER"),
        ],
    )
    served = served_calls(log)

    measurement = measure_by_type(read_bank_log(log).events)

    aht = measurement.summary().set_index("use_case")["active_seconds_per_turn"]
    expected_aht = served.groupby("type")["ser_time"].mean()
    assert aht.to_dict() == pytest.approx(expected_aht.to_dict())
    assert measurement.work["seconds"].sum() == served["ser_time"].sum()
    assert set(measurement.work["limited_by"]) == {"handle_seconds"}

    # The response time runs from queue entry to service start.
    turns = measurement.turns.set_index("conversation_id")
    waits = (pd.to_timedelta(served["ser_start"]) - pd.to_timedelta(served["q_start"])).dt
    expected_wait = pd.Series(waits.total_seconds().to_numpy(), index=served["conversation_id"])
    response = turns.loc[expected_wait.index, "response_seconds"]
    assert response.to_dict() == pytest.approx(expected_wait.to_dict())


@needs_bank_log
def test_bank_month_aht_matches_ser_time(bank_log: BankLog) -> None:
    served = served_calls(BANK_LOG)
    overlapping = overlapping_service(served)
    clean = served.loc[~overlapping & served["has_ser_start"]]

    measurement = measure_by_type(bank_log.events)

    turns = measurement.turns.set_index("conversation_id")
    measured = turns.loc[clean["conversation_id"], "active_seconds"].to_numpy()
    assert len(clean) > 0.95 * len(served)
    assert (measured == clean["ser_time"].to_numpy()).all()

    # Calls that overlap another call of their server (one held while the server
    # answers others) are cut where they overlap, so one agent's work is never
    # counted twice. That costs at most a few percent per call type.
    aht = measurement.summary().set_index("use_case")["active_seconds_per_turn"]
    mean_ser_time = served.groupby("type")["ser_time"].mean()
    ratio = aht / mean_ser_time
    assert ratio.between(0.94, 1.0).all(), ratio
    active_hours = measurement.work["seconds"].sum() / 3600
    logged_hours = served["ser_time"].sum() / 3600
    assert 0.98 * logged_hours < active_hours <= logged_hours


@pytest.fixture(scope="module")
def bank_forecast(bank_log: BankLog) -> ForecastResult:
    config = config_from_dict(BANK_CONFIG)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AsyncWfmWarning)
        workload = measure(bank_log.events, config).workload
        settings = ForecastSettings(horizon_days=7, backtest_origins=3, backtest_step_days=3)
        return forecast_workload(workload, config, settings)


@needs_bank_log
def test_chosen_model_beats_naive_on_bank_arrivals(bank_forecast: ForecastResult) -> None:
    backtest = bank_forecast.backtest
    turns = backtest.loc[backtest["series"] == "turns"].set_index("model")

    chosen = turns.loc[turns["chosen"]]
    assert chosen.index[0] != "seasonal_naive"
    assert chosen["wape"].iloc[0] < turns.loc["seasonal_naive", "wape"]
    assert (turns["origins"] == 3).all()


@needs_bank_log
def test_bank_closed_hours_stay_zero(bank_forecast: ForecastResult) -> None:
    forecast = bank_forecast.forecast
    turns = forecast.loc[forecast["series"] == "turns"]
    starts = pd.DatetimeIndex(turns["interval_start"])

    saturday_day = (starts.weekday == 5) & (starts.hour >= 8) & (starts.hour < 18)
    friday_afternoon = (starts.weekday == 4) & (starts.hour >= 15)
    night = (starts.hour >= 1) & (starts.hour < 6)
    assert bank_forecast.first_day == date(1999, 3, 1)
    assert (turns.loc[saturday_day | friday_afternoon | night, "upper_95"] == 0).all()
    assert (turns.loc[(starts.weekday == 0) & (starts.hour == 10), "forecast"] > 10).all()


def test_ingest_detects_and_stores_bank_log(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "calls.txt",
        [row("1"), row("2", outcome="HANG", service=("0:00:00", "0:00:00", "0")), "bad\tline"],
    )
    store_path = tmp_path / "events.duckdb"

    (report,) = ingest_files([log], store_path, IngestOptions(customer_id_salt="s"))

    assert report.format == "bank"
    assert report.rows_read == 5  # four events from two calls, one rejected line
    assert report.inserted == 4
    assert [r.line for r in report.rejections] == [4]
    with EventStore(store_path, read_only=True) as store:
        events = store.events()
    assert set(events["sender"]) == {"customer", "agent"}
    assert set(events["channel"]) == {"voice"}
    assert ingest_files([log], store_path)[0].inserted == 0


def test_ingest_options_relabel_bank_calls(tmp_path: Path) -> None:
    log = write_log(tmp_path / "calls.txt", [row("1")])

    (report,) = ingest_files(
        [log], tmp_path / "events.duckdb", IngestOptions(format="bank", use_case="bank")
    )

    with EventStore(tmp_path / "events.duckdb", read_only=True) as store:
        assert set(store.events()["use_case"]) == {"bank"}
    assert report.inserted == 3


def test_dst_gap_moves_or_rejects_call(tmp_path: Path) -> None:
    # Europe/London skipped 01:00-02:00 local time on 2024-03-31.
    log = write_log(
        tmp_path / "calls.txt",
        [
            row(
                "1",
                date_="240331",
                vru=("1:30:00", "1:30:10"),
                queue=("1:30:10", "1:31:00"),
                service=("1:31:00", "1:35:00", "240"),
            )
        ],
    )

    with pytest.warns(DataQualityWarning, match="do not exist in Europe/London"):
        moved = read_bank_log(log, timezone="Europe/London")
    with pytest.warns(DataQualityWarning, match="rejected"):
        rejected = read_bank_log(log, timezone="Europe/London", dst_nonexistent="reject")

    assert moved.accepted_calls == 1
    assert moved.events["timestamp"].min() == pd.Timestamp("2024-03-31 01:30:10", tz="UTC")
    assert rejected.accepted_calls == 0
    assert (
        rejected.rejections["reason"].iloc[0].startswith("nonexistent local time 2024-03-31 01:30")
    )
