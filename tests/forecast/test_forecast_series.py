"""Series tables, histories on the wall-clock grid, and gap filling."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from forecast_builders import real_starts

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import InputError
from asyncwfm.forecast.series import (
    build_histories,
    count_events_per_interval,
    fill_for_fitting,
    workload_series,
)
from asyncwfm.schema import empty_events

CONFIG = PlanningConfig(business_timezone="Europe/London", interval_minutes=60)


def hourly_table(
    first_day: str, days: int, values: np.ndarray, series: str = "turns"
) -> pd.DataFrame:
    starts = real_starts(first_day, days, "Europe/London", 60)
    return pd.DataFrame(
        {"interval_start": starts, "use_case": "sms", "series": series, "value": values}
    )


def test_workload_series_blanks_aht_without_turns() -> None:
    starts = real_starts("2024-03-04", 1, "Europe/London", 60)[:3]
    workload = pd.DataFrame(
        {
            "interval_start": starts,
            "use_case": "sms",
            "turns": [0, 2, 1],
            "new_conversations": [0, 1, 1],
            "active_seconds_per_turn": [0.0, 120.0, 60.0],
        }
    )

    table = workload_series(workload)

    aht = table.loc[table["series"] == "active_seconds_per_turn", "value"].to_numpy()
    assert np.isnan(aht[0])
    assert list(aht[1:]) == [120.0, 60.0]
    assert set(table["series"]) == {"turns", "new_conversations", "active_seconds_per_turn"}


def test_workload_series_rejects_missing_columns() -> None:
    workload = pd.DataFrame({"interval_start": [], "use_case": []})

    with pytest.raises(InputError, match="missing columns"):
        workload_series(workload)


def test_workload_series_rejects_naive_starts() -> None:
    workload = pd.DataFrame(
        {
            "interval_start": pd.to_datetime(["2024-03-04 09:00"]),
            "use_case": ["sms"],
            "turns": [1],
            "new_conversations": [1],
            "active_seconds_per_turn": [60.0],
        }
    )

    with pytest.raises(InputError, match="timezone-aware"):
        workload_series(workload)


def test_build_histories_fills_missing_counts_inside_span() -> None:
    table = hourly_table("2024-03-04", 2, np.ones(48))
    sparse = table.drop(index=[5, 6])

    (history,) = build_histories(sparse, CONFIG)

    assert history.days == 2
    assert history.values[5] == 0
    assert history.values[6] == 0
    assert history.values[7] == 1


def test_build_histories_marks_partial_last_day_unobserved() -> None:
    table = hourly_table("2024-03-04", 2, np.ones(48)).iloc[:30]

    (history,) = build_histories(table, CONFIG)

    assert history.days == 2
    assert not np.isnan(history.values[29])
    assert np.isnan(history.values[30:]).all()


def test_build_histories_cuts_to_history_days() -> None:
    table = hourly_table("2024-03-04", 10, np.ones(240))

    (history,) = build_histories(table, CONFIG, history_days=7)

    assert history.days == 7
    assert history.grid.first_day == date(2024, 3, 7)


def test_build_histories_stops_before_start() -> None:
    table = hourly_table("2024-03-04", 10, np.ones(240))

    (history,) = build_histories(table, CONFIG, end_day=date(2024, 3, 8))

    assert history.grid.end_day == date(2024, 3, 8)
    assert history.days == 4


def test_build_histories_rejects_start_before_data() -> None:
    table = hourly_table("2024-03-04", 2, np.ones(48))

    with pytest.raises(InputError, match="no history before"):
        build_histories(table, CONFIG, end_day=date(2024, 3, 1))


def test_build_histories_rejects_off_grid_starts() -> None:
    table = hourly_table("2024-03-04", 1, np.ones(24))
    table["interval_start"] = table["interval_start"] + pd.Timedelta(minutes=15)

    with pytest.raises(InputError, match="not on the 60-minute grid"):
        build_histories(table, CONFIG)


def test_build_histories_marks_excluded_dates() -> None:
    config = PlanningConfig(
        business_timezone="Europe/London",
        interval_minutes=60,
        forecast={"excluded_dates": [date(2024, 3, 5)]},
    )
    table = hourly_table("2024-03-04", 3, np.ones(72))

    (history,) = build_histories(table, config)

    assert list(history.excluded_days) == [False, True, False]
    assert not history.observed[24:48].any()
    assert history.observed[:24].all()


def test_fill_uses_nearest_same_weekday() -> None:
    values = np.concatenate([np.full(24 * 7, 1.0), np.full(24 * 7, 2.0), np.full(24 * 7, 3.0)])
    config = PlanningConfig(
        business_timezone="Europe/London",
        interval_minutes=60,
        forecast={"excluded_dates": [date(2024, 3, 12)]},
    )
    table = hourly_table("2024-03-04", 21, values)
    (history,) = build_histories(table, config)

    filled = fill_for_fitting(history)

    excluded_day = slice(8 * 24, 9 * 24)
    assert np.all(filled[excluded_day] == 1.0)
    assert not np.isnan(filled).any()


def test_fill_uses_slot_mean_for_skipped_hour() -> None:
    values = np.arange(24 * 7 * 2, dtype=float)
    table = hourly_table(
        "2024-03-25", 14, values[: len(real_starts("2024-03-25", 14, "Europe/London", 60))]
    )
    (history,) = build_histories(table, CONFIG)
    skipped = 6 * 24 + 1  # 2024-03-31 01:00 does not exist in London

    filled = fill_for_fitting(history)

    assert np.isnan(history.values[skipped])
    assert filled[skipped] == history.values[skipped + 7 * 24]


def test_count_events_per_interval_counts_agent_replies() -> None:
    events = empty_events()
    times = pd.to_datetime(
        ["2024-03-04 09:05", "2024-03-04 09:55", "2024-03-04 11:10", "2024-03-05 09:00"], utc=True
    )
    rows = pd.DataFrame(
        {
            "event_key": [f"e{i}" for i in range(4)],
            "conversation_id": ["c1", "c1", "c2", "c3"],
            "timestamp": times,
            "sender": ["agent", "agent", "agent", "customer"],
            "channel": "twitter",
            "use_case": "AppleSupport",
            "event_type": "message",
        }
    )
    events = pd.concat([events, rows], ignore_index=True)

    table = count_events_per_interval(events, CONFIG)

    by_hour = table.set_index("interval_start")["value"]
    assert by_hour[pd.Timestamp("2024-03-04 09:00", tz="Europe/London")] == 2
    assert by_hour[pd.Timestamp("2024-03-04 11:00", tz="Europe/London")] == 1
    assert by_hour.sum() == 3
    assert len(table) == 24  # the customer message on 2024-03-05 is not counted
    assert set(table["series"]) == {"agent_replies"}
