"""Arrival times of new conversations: seasonal Poisson arrivals plus reply waves.

Arrivals form a non-homogeneous Poisson process. Its rate follows an intraday profile
with quiet nights, a late-morning peak and an evening peak, and a weekly profile with
busier Mondays and quiet weekends, both in the business time zone. The rate is held
constant within 5-minute buckets, counts are Poisson per bucket and times are uniform
inside a bucket, which samples the process exactly for a piecewise-constant rate.

A reply wave is many customers writing within minutes of one moment, after a broadcast
or an outage notice: its arrivals are the wave's moment plus lognormal delays (median
``WAVE_DELAY_MEDIAN_SECONDS``), so the wave rises at once and decays with a long tail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from asyncwfm.synthetic.specs import UseCaseSpec

BUCKET_SECONDS: Final[int] = 300
WEEKDAY_FACTORS: Final[tuple[float, ...]] = (1.10, 1.05, 1.0, 1.0, 0.95, 0.70, 0.60)
"""Volume of each weekday (Monday first) relative to ``conversations_per_day``."""

WAVE_DELAY_MEDIAN_SECONDS: Final[float] = 360.0
WAVE_DELAY_SIGMA: Final[float] = 1.0


def intraday_weights(local_hours: np.ndarray) -> np.ndarray:
    """Return the relative arrival rate at each local hour of day (0 <= hour < 24).

    The profile is a floor of 0.08 plus a late-morning peak (centre 11:00) and a smaller
    evening peak (centre 19:30), scaled so that its mean over a day is 1.
    """
    return _raw_profile(local_hours) / _PROFILE_MEAN


def _raw_profile(local_hours: np.ndarray) -> np.ndarray:
    morning = np.exp(-0.5 * ((local_hours - 11.0) / 2.4) ** 2)
    evening = 0.75 * np.exp(-0.5 * ((local_hours - 19.5) / 2.0) ** 2)
    return 0.08 + morning + evening


_PROFILE_MEAN: Final[float] = float(
    _raw_profile(np.linspace(0.0, 24.0, 24 * 60, endpoint=False)).mean()
)


@dataclass(frozen=True)
class Arrivals:
    """New conversations in arrival order.

    Attributes
    ----------
    seconds : numpy.ndarray
        Arrival times, seconds since the Unix epoch (UTC).
    use_case_index : numpy.ndarray
        Index of each arrival's use case in the generator's use case list.
    wave_index : numpy.ndarray
        Index of the reply wave an arrival belongs to, -1 for seasonal arrivals.
    waves : pandas.DataFrame
        One row per wave: ``wave``, ``use_case``, ``started_at`` (UTC) and
        ``conversations``.
    """

    seconds: np.ndarray
    use_case_index: np.ndarray
    wave_index: np.ndarray
    waves: pd.DataFrame


def draw_arrivals(
    rng: np.random.Generator,
    use_cases: Sequence[UseCaseSpec],
    *,
    start: pd.Timestamp,
    days: int,
    volume_scale: float,
    reply_waves: int,
    wave_share: float,
) -> Arrivals:
    """Draw the seasonal arrivals of every use case and ``reply_waves`` reply waves.

    ``start`` is local midnight in the business time zone (tz-aware). A wave hits one use
    case, chosen with probability proportional to its volume, at a uniform time between
    09:00 and 20:00 local on a uniform day, and brings ``wave_share`` of that use case's
    daily volume.
    """
    bucket_starts = pd.date_range(
        start.tz_convert("UTC"),
        start.tz_convert("UTC") + pd.Timedelta(days=days),
        freq=f"{BUCKET_SECONDS}s",
        inclusive="left",
    )
    local = bucket_starts.tz_convert(start.tz)
    local_hours = (local.hour + local.minute / 60.0 + 2.5 / 60.0).to_numpy(dtype=float)
    weekday_factor = np.asarray(WEEKDAY_FACTORS)[local.dayofweek.to_numpy()]
    profile = intraday_weights(local_hours) * weekday_factor * (BUCKET_SECONDS / 86_400.0)
    bucket_seconds = bucket_starts.asi8 / 1e9

    seconds_parts: list[np.ndarray] = []
    use_case_parts: list[np.ndarray] = []
    for index, spec in enumerate(use_cases):
        counts = rng.poisson(profile * spec.conversations_per_day * volume_scale)
        starts = np.repeat(bucket_seconds, counts)
        seconds_parts.append(starts + rng.uniform(0.0, BUCKET_SECONDS, size=starts.size))
        use_case_parts.append(np.full(starts.size, index, dtype=np.int64))

    wave_seconds, wave_use_cases, wave_ids, waves = _draw_waves(
        rng, use_cases, start=start, days=days, count=reply_waves, share=wave_share * volume_scale
    )
    seconds = np.concatenate([*seconds_parts, wave_seconds])
    use_case_index = np.concatenate([*use_case_parts, wave_use_cases])
    wave_index = np.concatenate(
        [np.full(seconds.size - wave_seconds.size, -1, dtype=np.int64), wave_ids]
    )

    order = np.argsort(seconds, kind="stable")
    return Arrivals(
        seconds=seconds[order],
        use_case_index=use_case_index[order],
        wave_index=wave_index[order],
        waves=waves,
    )


def _draw_waves(
    rng: np.random.Generator,
    use_cases: Sequence[UseCaseSpec],
    *,
    start: pd.Timestamp,
    days: int,
    count: int,
    share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    volumes = np.array([spec.conversations_per_day for spec in use_cases])
    chosen = rng.choice(len(use_cases), size=count, p=volumes / volumes.sum())
    day_offsets = rng.integers(0, days, size=count)
    local_hours = rng.uniform(9.0, 20.0, size=count)

    seconds_parts: list[np.ndarray] = []
    use_case_parts: list[np.ndarray] = []
    wave_parts: list[np.ndarray] = []
    rows: list[dict[str, object]] = []
    for wave in range(count):
        day_start = start + pd.DateOffset(days=int(day_offsets[wave]))
        moment = day_start + pd.Timedelta(hours=float(local_hours[wave]))
        size = int(rng.poisson(share * volumes[chosen[wave]]))
        delays = rng.lognormal(np.log(WAVE_DELAY_MEDIAN_SECONDS), WAVE_DELAY_SIGMA, size=size)
        seconds_parts.append(moment.tz_convert("UTC").value / 1e9 + delays)
        use_case_parts.append(np.full(size, chosen[wave], dtype=np.int64))
        wave_parts.append(np.full(size, wave, dtype=np.int64))
        rows.append(
            {
                "wave": wave,
                "use_case": use_cases[int(chosen[wave])].name,
                "started_at": moment.tz_convert("UTC"),
                "conversations": size,
            }
        )

    waves = pd.DataFrame(rows, columns=["wave", "use_case", "started_at", "conversations"])
    if not seconds_parts:
        empty_int = np.empty(0, dtype=np.int64)
        return np.empty(0), empty_int, empty_int, waves
    return (
        np.concatenate(seconds_parts),
        np.concatenate(use_case_parts),
        np.concatenate(wave_parts),
        waves,
    )
