"""Builders of workload tables with known arrival rates for the forecast tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from asyncwfm.forecast.grid import WallClockGrid

DATA_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
"""Real public data sets next to the repository, read-only."""

BANK_LOG = DATA_DIR / "anonymous_bank_callcenter_1999" / "anonymous_bank_1999_february.txt.gz"
TWCS_OUTBOUND = DATA_DIR / "twcs_brand_outbound"

RateFunction = Callable[[pd.DatetimeIndex], np.ndarray]


def office_rate(starts: pd.DatetimeIndex, peak: float = 12.0) -> np.ndarray:
    """Return arrivals per interval: open 08:00-20:00 local, half volume on Saturday,
    closed on Sunday and at night; a smooth hump over the open hours."""
    hour = np.asarray(starts.hour + starts.minute / 60)
    weekday = np.asarray(starts.weekday)
    hump = np.where((hour >= 8) & (hour < 20), np.sin(np.pi * (hour - 8) / 12) * peak + 1, 0.0)
    day_factor = np.select([weekday == 6, weekday == 5], [0.0, 0.5], 1.0)
    return hump * day_factor


def real_starts(
    first_day: str, days: int, timezone: str, interval_minutes: int
) -> pd.DatetimeIndex:
    """Return the real interval starts of ``days`` local days from ``first_day``."""
    grid = WallClockGrid(pd.Timestamp(first_day).date(), days, interval_minutes, ZoneInfo(timezone))
    return grid.interval_starts()


def poisson_workload(
    rng: np.random.Generator,
    first_day: str,
    days: int,
    *,
    timezone: str = "Europe/London",
    interval_minutes: int = 30,
    rate: RateFunction = office_rate,
    use_case: str = "sms",
    aht_seconds: float = 240.0,
) -> pd.DataFrame:
    """Return a workload table whose turns are Poisson with mean ``rate(starts)``.

    New conversations are a binomial half of the turns. Active seconds per turn is the
    mean of gamma draws with mean ``aht_seconds``, and NaN where an interval has no
    turns. The column ``true_rate`` has the true mean turns per interval.
    """
    starts = real_starts(first_day, days, timezone, interval_minutes)
    mean = rate(starts)
    turns = rng.poisson(mean)
    aht = np.full(len(turns), np.nan)
    has_turns = turns > 0
    shape = 4.0
    aht[has_turns] = rng.gamma(shape * turns[has_turns], aht_seconds / shape) / turns[has_turns]
    return pd.DataFrame(
        {
            "interval_start": starts,
            "use_case": use_case,
            "turns": turns,
            "new_conversations": rng.binomial(turns, 0.5),
            "active_seconds_per_turn": aht,
            "true_rate": mean,
        }
    )
