"""The `asyncwfm forecast` command: forecast the workload and write forecast.csv."""

from __future__ import annotations

import json
import math
import warnings
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from asyncwfm.cli._common import print_whole
from asyncwfm.config import PlanningConfig, load_config
from asyncwfm.errors import AsyncWfmWarning, InputError
from asyncwfm.forecast import (
    DEFAULT_MODELS,
    ForecastResult,
    ForecastSettings,
    forecast_report_html,
    forecast_workload,
    write_backtest_csv,
    write_forecast_csv,
)
from asyncwfm.measure import measure
from asyncwfm.store import EventStore

FORECAST_FILE = "forecast.csv"
BACKTEST_FILE = "backtest.csv"
REPORT_FILE = "forecast.html"


def register(app: typer.Typer) -> None:
    """Add the `forecast` command to ``app``."""

    @app.command("forecast")
    def forecast_command(
        db: Annotated[
            Path, typer.Option("--db", help="Event store (DuckDB file) written by ingest.")
        ],
        out: Annotated[
            Path,
            typer.Option(
                "--out", help="Directory for forecast.csv, backtest.csv and forecast.html."
            ),
        ],
        config: Annotated[
            Path | None,
            typer.Option(
                "--config",
                help="Planning configuration (TOML): time zone, interval, use cases, opening "
                "hours and [forecast] excluded_dates. Defaults apply without it.",
            ),
        ] = None,
        horizon_days: Annotated[
            int, typer.Option("--horizon-days", help="Days to forecast.", min=1)
        ] = 7,
        models: Annotated[
            str,
            typer.Option(
                "--models",
                help="Comma-separated candidate models: seasonal_naive, daily_profile, "
                "mstl_ets, statsforecast_mstl (needs the statsforecast extra).",
            ),
        ] = ",".join(DEFAULT_MODELS),
        history_days: Annotated[
            int, typer.Option("--history-days", help="Most recent days of history used.", min=1)
        ] = 56,
        backtest_origins: Annotated[
            int, typer.Option("--backtest-origins", help="Rolling origins per backtest.", min=1)
        ] = 3,
        backtest_step_days: Annotated[
            int, typer.Option("--backtest-step-days", help="Days between origins.", min=1)
        ] = 7,
        jobs: Annotated[
            int, typer.Option("--jobs", help="Series forecast at the same time, in threads.", min=1)
        ] = 1,
        start: Annotated[
            str | None,
            typer.Option(
                "--start",
                help="First forecast day (YYYY-MM-DD, local). Default: the day after the log.",
            ),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the model choice per series as JSON.")
        ] = False,
    ) -> None:
        """Forecast turns, new conversations and active seconds per turn per use case."""
        planning = load_config(config) if config is not None else PlanningConfig()
        settings = ForecastSettings(
            horizon_days=horizon_days,
            models=tuple(name.strip() for name in models.split(",") if name.strip()),
            history_days=history_days,
            backtest_origins=backtest_origins,
            backtest_step_days=backtest_step_days,
            start=_parse_day(start),
            n_jobs=jobs,
        )
        with EventStore(db, read_only=True) as store:
            events = store.events()

        error_console = Console(stderr=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", AsyncWfmWarning)
            measurement = measure(events, planning)
            if measurement.status == "no_events":
                raise InputError(f"{db} contains no events to forecast from; ingest a log first.")
            result = forecast_workload(measurement.workload, planning, settings)
        for warning in caught:
            error_console.print(f"warning: {warning.message}", highlight=False, soft_wrap=True)

        paths = _write_outputs(result, out)
        if json_output:
            typer.echo(json.dumps(_json_summary(result, paths), indent=2))
        else:
            print_whole(_summary_table(result))
            console = Console()
            for name, path in paths.items():
                console.print(f"{name}: {path}", highlight=False, soft_wrap=True)


def _parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"invalid --start {value!r}; write the day as YYYY-MM-DD.") from None


def _write_outputs(result: ForecastResult, out: Path) -> dict[str, str]:
    out.mkdir(parents=True, exist_ok=True)
    forecast_path = write_forecast_csv(result, out / FORECAST_FILE)
    backtest_path = write_backtest_csv(result, out / BACKTEST_FILE)
    report_path = out / REPORT_FILE
    report_path.write_text(forecast_report_html(result), encoding="utf-8")
    return {
        "forecast_csv": str(forecast_path),
        "backtest_csv": str(backtest_path),
        "report_html": str(report_path),
    }


def _summary_table(result: ForecastResult) -> Table:
    last_day = result.forecast["interval_start"].max()
    table = Table(
        title="Forecast per use case and series",
        title_justify="left",
        caption=f"{result.horizon_days} days from {result.first_day} to "
        f"{last_day:%Y-%m-%d} ({result.timezone}, {result.interval_minutes}-minute intervals). "
        "WAPE is from the rolling-origin backtest. intervals is where the prediction "
        "intervals come from, and cover 80 and cover 95 are the shares of backtest actuals "
        "inside them, which plan --quantile relies on.",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for header in ("use case", "series", "model", "status"):
        table.add_column(header, no_wrap=True)
    for header in ("WAPE", "naive WAPE"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("intervals", no_wrap=True)
    for header in ("cover 80", "cover 95"):
        table.add_column(header, justify="right", no_wrap=True)
    for row in result.summary().itertuples(index=False):
        table.add_row(
            str(row.use_case),
            str(row.series),
            str(row.model),
            str(row.status),
            _percent(float(row.wape)),
            _percent(float(row.baseline_wape)),
            str(row.interval_source),
            _percent(float(row.coverage_80)),
            _percent(float(row.coverage_95)),
        )
    return table


def _json_summary(result: ForecastResult, paths: dict[str, str]) -> dict[str, object]:
    records = []
    for row in result.summary().to_dict(orient="records"):
        records.append({key: _json_value(value) for key, value in row.items()})
    return {
        **paths,
        "first_day": result.first_day.isoformat(),
        "horizon_days": result.horizon_days,
        "timezone": result.timezone,
        "interval_minutes": result.interval_minutes,
        "status": result.status,
        "series": records,
        "warnings": list(result.warnings),
    }


def _percent(value: float) -> str:
    # WAPE is infinite when the backtest window had no volume but the forecast had some.
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:.1%}"


def _json_value(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
