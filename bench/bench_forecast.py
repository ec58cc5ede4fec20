"""Benchmark the forecast stage: speed on 20 series, accuracy against seasonal naive.

Run from the repository root::

    python -m bench.bench_forecast [--seed 0] [--statsforecast] [--json FILE]

Part 1 (synthetic): 20 series of 8 weeks of 15-minute intervals (Europe/London, so
the history contains the 23-hour day 2024-03-31), each with its own volume, opening hours,
weekday profile and trend, and Poisson noise. ``forecast_series`` backtests the
default models on 3 rolling origins, chooses one per series, refits it and forecasts
the following week. The wall time covers all of that. Accuracy is the WAPE of the
forecast against a simulated ninth week and against the true mean rate, beside the
same for the seasonal naive forecast (the eighth week repeated).

Part 2 (real data): backtest WAPE of the chosen model and of seasonal naive on the
Anonymous Bank call-centre arrivals (February 1999, 15, 30 and 60-minute intervals)
and on the TWCS brand reply streams (agent replies per 30 minutes per brand, October
to early December 2017), when the data sets are next to the repository.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig, config_from_dict
from asyncwfm.errors import AsyncWfmWarning
from asyncwfm.forecast import (
    DEFAULT_MODELS,
    ForecastResult,
    ForecastSettings,
    WallClockGrid,
    count_events_per_interval,
    forecast_series,
    forecast_workload,
)
from asyncwfm.forecast.metrics import wape
from asyncwfm.ingest.bank import read_bank_log
from asyncwfm.measure import measure

SERIES = 20
HISTORY_DAYS = 56
INTERVAL_MINUTES = 15
TIMEZONE = "Europe/London"
FIRST_DAY = "2024-03-04"  # a Monday; 2024-03-31 is a 23-hour day in London

DATA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
BANK_LOG = DATA_DIR / "anonymous_bank_callcenter_1999" / "anonymous_bank_1999_february.txt.gz"
TWCS_OUTBOUND = DATA_DIR / "twcs_brand_outbound"


@dataclass(frozen=True)
class SpeedResult:
    """Wall time and accuracy of one forecast run over the synthetic series."""

    models: str
    n_jobs: int
    series: int
    seconds: float
    cpu_seconds: float
    wape_actual: float
    naive_wape_actual: float
    wape_truth: float
    naive_wape_truth: float
    chosen: dict[str, int]


@dataclass(frozen=True)
class RealDataResult:
    """Backtest WAPE of the chosen model and of seasonal naive on one real series."""

    data_set: str
    use_case: str
    series: str
    interval_minutes: int
    model: str
    wape: float
    naive_wape: float
    origins: int


def synthetic_series(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the 8-week history and the true rate and simulated actuals of week 9."""
    rng = np.random.default_rng(seed)
    grid = WallClockGrid(
        pd.Timestamp(FIRST_DAY).date(), HISTORY_DAYS + 7, INTERVAL_MINUTES, ZoneInfo(TIMEZONE)
    )
    starts = grid.interval_starts()
    hour = np.asarray(starts.hour + starts.minute / 60)
    weekday = np.asarray(starts.weekday)
    elapsed_weeks = np.asarray((starts - starts[0]) / pd.Timedelta(days=7))

    histories, futures = [], []
    history_end = pd.Timestamp(grid.first_day + timedelta(days=HISTORY_DAYS)).tz_localize(TIMEZONE)
    for number in range(SERIES):
        peak = rng.uniform(2, 40)
        opens, closes = rng.choice([0, 7, 8, 9]), rng.choice([17, 20, 22, 24])
        open_hours = (hour >= opens) & (hour < closes)
        shape = np.sin(np.pi * np.clip((hour - opens) / (closes - opens), 0, 1)) ** rng.uniform(
            0.5, 2
        )
        weekday_factor = np.r_[rng.uniform(0.8, 1.2, 5), rng.uniform(0, 0.6, 2)][weekday]
        trend = 1 + rng.uniform(-0.03, 0.05) * elapsed_weeks
        rate = np.where(open_hours, peak * shape * weekday_factor * trend, 0.0)
        counts = rng.poisson(rate)
        frame = pd.DataFrame(
            {
                "interval_start": starts,
                "use_case": f"use_case_{number:02d}",
                "series": "turns",
                "value": counts.astype(float),
                "true_rate": rate,
            }
        )
        in_history = frame["interval_start"] < history_end
        histories.append(frame.loc[in_history, ["interval_start", "use_case", "series", "value"]])
        futures.append(frame.loc[~in_history])
    return pd.concat(histories, ignore_index=True), pd.concat(futures, ignore_index=True)


def run_speed(seed: int, models: tuple[str, ...], n_jobs: int = 1) -> SpeedResult:
    """Forecast the synthetic series with ``models`` and score the forecast week."""
    history, future = synthetic_series(seed)
    config = PlanningConfig(business_timezone=TIMEZONE, interval_minutes=INTERVAL_MINUTES)
    settings = ForecastSettings(horizon_days=7, models=models, n_jobs=n_jobs)

    started = time.perf_counter()
    cpu_started = time.process_time()
    result = forecast_series(history, config, settings)
    cpu_seconds = time.process_time() - cpu_started
    seconds = time.perf_counter() - started

    forecast = result.forecast.merge(future, on=["interval_start", "use_case", "series"])
    naive = _seasonal_naive_week(history, future)
    chosen = pd.Series([s.model for s in result.selections]).value_counts().to_dict()
    return SpeedResult(
        models=",".join(models),
        n_jobs=n_jobs,
        series=len(result.selections),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        wape_actual=wape(forecast["value"].to_numpy(), forecast["forecast"].to_numpy()),
        naive_wape_actual=wape(naive["value"].to_numpy(), naive["naive"].to_numpy()),
        wape_truth=wape(forecast["true_rate"].to_numpy(), forecast["forecast"].to_numpy()),
        naive_wape_truth=wape(naive["true_rate"].to_numpy(), naive["naive"].to_numpy()),
        chosen={str(k): int(v) for k, v in chosen.items()},
    )


def bank_results() -> list[RealDataResult]:
    """Backtest the bank arrivals at 15, 30 and 60-minute intervals (3 origins, 3 days apart)."""
    if not BANK_LOG.is_file():
        print(f"skipped: bank log not found at {BANK_LOG}")
        return []
    events = read_bank_log(BANK_LOG).events
    results = []
    for interval in (15, 30, 60):
        config = config_from_dict(
            {
                "business_timezone": "Asia/Jerusalem",
                "interval_minutes": interval,
                "opening_hours": {
                    "default": ["07:00-24:00"],
                    "friday": ["07:00-14:00"],
                    "saturday": ["19:00-24:00"],
                },
                "use_cases": [{"name": "bank", "match_channels": ["voice"]}],
            }
        )
        workload = measure(events, config).workload
        settings = ForecastSettings(backtest_origins=3, backtest_step_days=3)
        result = forecast_workload(workload, config, settings, series=("turns",))
        results.extend(_real_rows("bank 1999-02", result))
    return results


def twcs_results() -> list[RealDataResult]:
    """Backtest agent replies per 30 minutes for each TWCS brand, Oct to Dec 2017."""
    files = sorted(TWCS_OUTBOUND.glob("*.csv.gz"))
    if not files:
        print(f"skipped: TWCS brand files not found in {TWCS_OUTBOUND}")
        return []
    config = PlanningConfig(business_timezone="UTC", interval_minutes=30)
    table = count_events_per_interval(_twcs_reply_events(files), config)
    result = forecast_series(table, config, ForecastSettings())
    return _real_rows("TWCS replies 2017", result)


def main() -> None:
    """Run both parts and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="Seed of the synthetic series.")
    parser.add_argument(
        "--statsforecast", action="store_true", help="Also time statsforecast's MSTL model."
    )
    parser.add_argument("--json", type=Path, help="Also write the results to this JSON file.")
    arguments, _ = parser.parse_known_args()

    print(f"Python {platform.python_version()}, {platform.processor() or platform.machine()}")
    runs = [(("seasonal_naive",), 1), (DEFAULT_MODELS, 1), (DEFAULT_MODELS, 2)]
    if arguments.statsforecast:
        runs.append(((*DEFAULT_MODELS, "statsforecast_mstl"), 1))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AsyncWfmWarning)
        speed = [run_speed(arguments.seed, models, n_jobs) for models, n_jobs in runs]
        real = bank_results() + twcs_results()

    _print_speed(speed)
    _print_real(real)
    if arguments.json:
        payload = {"speed": [asdict(s) for s in speed], "real_data": [asdict(r) for r in real]}
        arguments.json.write_text(json.dumps(payload, indent=2))


def _seasonal_naive_week(history: pd.DataFrame, future: pd.DataFrame) -> pd.DataFrame:
    # Week 8 repeated by wall-clock slot, the way the models see it.
    config = PlanningConfig(business_timezone=TIMEZONE, interval_minutes=INTERVAL_MINUTES)
    result = forecast_series(history, config, ForecastSettings(models=("seasonal_naive",)))
    naive = result.forecast.rename(columns={"forecast": "naive"})
    return naive.merge(future, on=["interval_start", "use_case", "series"])


def _real_rows(data_set: str, result: ForecastResult) -> list[RealDataResult]:
    rows = []
    for selection in result.selections:
        backtest = result.backtest.loc[
            (result.backtest["use_case"] == selection.use_case)
            & (result.backtest["series"] == selection.series)
            & (result.backtest["model"] == selection.model)
        ]
        origins = int(backtest["origins"].iloc[0]) if not backtest.empty else 0
        rows.append(
            RealDataResult(
                data_set=data_set,
                use_case=selection.use_case,
                series=selection.series,
                interval_minutes=result.interval_minutes,
                model=selection.model,
                wape=selection.wape,
                naive_wape=selection.baseline_wape,
                origins=origins,
            )
        )
    return rows


def _twcs_reply_events(files: list[Path]) -> pd.DataFrame:
    frames = []
    for path in files:
        tweets = pd.read_csv(path, encoding="utf-8-sig", usecols=["author_id", "created_at"])
        timestamps = pd.to_datetime(tweets["created_at"], format="%a %b %d %H:%M:%S %z %Y")
        recent = timestamps >= pd.Timestamp("2017-10-01", tz="UTC")
        frames.append(
            pd.DataFrame(
                {
                    "timestamp": timestamps[recent].dt.tz_convert("UTC"),
                    "use_case": tweets.loc[recent, "author_id"].astype(str),
                }
            )
        )
    events = pd.concat(frames, ignore_index=True)
    events["sender"] = "agent"
    events["event_type"] = "message"
    events["channel"] = "twitter"
    return events


def _print_speed(results: list[SpeedResult]) -> None:
    print(
        f"\n{SERIES} series x {HISTORY_DAYS} days of {INTERVAL_MINUTES}-minute intervals, "
        "forecast 7 days (backtest 3 origins + refit)"
    )
    print(
        "| models | threads | wall s | CPU s | WAPE vs actual | naive | WAPE vs true rate "
        "| naive | chosen |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        chosen = ", ".join(f"{name} {count}" for name, count in sorted(r.chosen.items()))
        print(
            f"| {r.models} | {r.n_jobs} | {r.seconds:.1f} | {r.cpu_seconds:.1f} "
            f"| {r.wape_actual:.3f} "
            f"| {r.naive_wape_actual:.3f} "
            f"| {r.wape_truth:.3f} | {r.naive_wape_truth:.3f} | {chosen} |"
        )


def _print_real(results: list[RealDataResult]) -> None:
    print("\nBacktest WAPE on real series (chosen model against seasonal naive)")
    print(
        "| data set | use case | series | interval | chosen model | WAPE | naive WAPE | origins |"
    )
    print("|---|---|---|---:|---|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.data_set} | {r.use_case} | {r.series} | {r.interval_minutes} min | {r.model} "
            f"| {r.wape:.3f} | {r.naive_wape:.3f} | {r.origins} |"
        )


if __name__ == "__main__":
    main()
