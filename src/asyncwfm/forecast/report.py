"""The forecast section of the report: charts of history and forecast, and the tables.

:func:`forecast_section_parts` returns the pieces (intro text, plotly figures, tables)
for the project's HTML report. Its fields match ``asyncwfm.report.html.ReportSection``,
which this module does not import because no stage imports a later one:
``ReportSection(**dataclasses.asdict(parts))`` builds the section.
:func:`forecast_report_html` renders the pieces alone as a self-contained page, which
``asyncwfm forecast`` writes next to ``forecast.csv``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go

from asyncwfm.forecast.pipeline import ForecastResult

HISTORY_DAYS_SHOWN = 14
"""Days of history drawn before the forecast."""

_SERIES_TITLES = {
    "turns": "customer turns that need an agent",
    "new_conversations": "new conversations",
    "active_seconds_per_turn": "active handling seconds per turn",
}


@dataclass(frozen=True, eq=False)
class ForecastSectionParts:
    """Content of the forecast section.

    Attributes
    ----------
    title : str
        Section heading.
    intro : str
        Plain-text paragraph: horizon, models chosen and fallbacks.
    figures : tuple of plotly Figure
        One chart per use case and series shown.
    tables : tuple of (caption, DataFrame)
        The model choice per series and the backtest scores.
    anchor : str
        Id of the section element in the report.
    """

    title: str
    intro: str
    figures: tuple[go.Figure, ...]
    tables: tuple[tuple[str, pd.DataFrame], ...]
    anchor: str = "forecast"


def forecast_figure(result: ForecastResult, use_case: str, series: str = "turns") -> go.Figure:
    """Draw the last two weeks of history, the forecast and its 80 % and 95 % intervals.

    Times are shown as local wall-clock times of the business time zone.
    """
    forecast = result.forecast.loc[
        (result.forecast["use_case"] == use_case) & (result.forecast["series"] == series)
    ]
    history = result.history.loc[
        (result.history["use_case"] == use_case) & (result.history["series"] == series)
    ]
    if not history.empty:
        last = history["interval_start"].max()
        history = history.loc[
            history["interval_start"] > last - pd.Timedelta(days=HISTORY_DAYS_SHOWN)
        ]

    x_forecast = _wall_clock(forecast["interval_start"], result.timezone)
    figure = go.Figure()
    for level, shade in ((95, "rgba(31,119,180,0.15)"), (80, "rgba(31,119,180,0.30)")):
        figure.add_trace(
            go.Scatter(
                x=pd.concat([x_forecast, x_forecast[::-1]]),
                y=pd.concat([forecast[f"upper_{level}"], forecast[f"lower_{level}"][::-1]]),
                fill="toself",
                fillcolor=shade,
                line={"width": 0},
                name=f"{level} % interval",
                hoverinfo="skip",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=_wall_clock(history["interval_start"], result.timezone),
            y=history["value"],
            name="history",
            line={"color": "#52606d", "width": 1},
        )
    )
    model = forecast["model"].iloc[0] if not forecast.empty else ""
    figure.add_trace(
        go.Scatter(
            x=x_forecast,
            y=forecast["forecast"],
            name=f"forecast ({model})",
            line={"color": "#1f77b4", "width": 1.5},
        )
    )
    title = _SERIES_TITLES.get(series, series)
    figure.update_layout(
        title=f"{use_case}: {title} per {result.interval_minutes}-minute interval",
        xaxis_title=f"local time ({result.timezone})",
        yaxis_title=title,
        height=360,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def forecast_section_parts(
    result: ForecastResult, *, max_use_cases: int = 6, series: tuple[str, ...] = ("turns",)
) -> ForecastSectionParts:
    """Return the forecast section's intro, charts and tables.

    Charts are drawn for the ``max_use_cases`` use cases with the most forecast turns
    (or volume of the first series), for each of ``series`` that was forecast.
    """
    figures = tuple(
        forecast_figure(result, use_case, name)
        for use_case in _largest_use_cases(result, max_use_cases)
        for name in series
        if ((result.forecast["use_case"] == use_case) & (result.forecast["series"] == name)).any()
    )
    tables = (
        ("Model per series (WAPE from the rolling-origin backtest)", _choice_table(result)),
        ("Backtest per series and model", result.backtest.drop(columns=["message"])),
    )
    return ForecastSectionParts("Forecast", _intro(result), figures, tables)


def forecast_report_html(result: ForecastResult) -> str:
    """Return a self-contained HTML page with the forecast section (plotly.js inline)."""
    parts = forecast_section_parts(result)
    body = [f"<h1>{html.escape(parts.title)}</h1>", f"<p>{html.escape(parts.intro)}</p>"]
    for index, figure in enumerate(parts.figures):
        body.append(figure.to_html(full_html=False, include_plotlyjs=index == 0))
    for caption, table in parts.tables:
        body.append(f"<h2>{html.escape(caption)}</h2>")
        body.append(table.to_html(index=False, border=0, na_rep="", float_format="{:.3f}".format))
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>asyncwfm forecast</title>"
        "<style>body{font-family:sans-serif;margin:2rem;} table{border-collapse:collapse;}"
        "td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:right;}</style>"
        "</head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _intro(result: ForecastResult) -> str:
    last_day = result.first_day + timedelta(days=result.horizon_days - 1)
    chosen = result.summary()
    counts = chosen["model"].value_counts().to_dict() if not chosen.empty else {}
    models = ", ".join(f"{name} for {count} series" for name, count in counts.items())
    text = (
        f"Forecast of {result.horizon_days} days from {result.first_day} to "
        f"{last_day} "
        f"({result.timezone}, {result.interval_minutes}-minute intervals). "
        f"Models: {models or 'none'}."
    )
    fallbacks = int((chosen["status"] == "fallback").sum()) if not chosen.empty else 0
    if fallbacks:
        text += f" {fallbacks} series fell back to a model without selection; see the reasons."
    text += (
        " In the model table, coverage_80 and coverage_95 are the shares of backtest "
        "actuals inside the 80 % and 95 % prediction intervals of the kind the forecast "
        "carries. A plan at a quantile (plan --quantile) reads its volumes from these "
        "intervals, so a coverage well below the level means its quantiles are too narrow."
    )
    return text


def _choice_table(result: ForecastResult) -> pd.DataFrame:
    summary = result.summary()
    if summary.empty:
        return summary
    return summary.loc[
        :,
        [
            "use_case",
            "series",
            "model",
            "status",
            "wape",
            "baseline_wape",
            "interval_source",
            "coverage_80",
            "coverage_95",
            "reason",
        ],
    ]


def _largest_use_cases(result: ForecastResult, limit: int) -> list[str]:
    forecast = result.forecast
    if forecast.empty:
        return []
    volume_series = "turns" if (forecast["series"] == "turns").any() else forecast["series"].iloc[0]
    volume = forecast.loc[forecast["series"] == volume_series].groupby("use_case")["forecast"].sum()
    return list(volume.sort_values(ascending=False).index[:limit])


def _wall_clock(starts: pd.Series, timezone: str) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(starts).tz_convert(timezone).tz_localize(None))
