"""The forecast section of the report."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from forecast_builders import poisson_workload

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import FallbackWarning
from asyncwfm.forecast import (
    ForecastResult,
    forecast_figure,
    forecast_report_html,
    forecast_section_parts,
    forecast_workload,
)
from asyncwfm.report.html import ReportSection, render_report


@pytest.fixture(scope="module")
def result() -> ForecastResult:
    rng = np.random.default_rng(11)
    first = poisson_workload(rng, "2024-09-02", 14, interval_minutes=60, use_case="sms")
    second = poisson_workload(rng, "2024-09-02", 14, interval_minutes=60, use_case="in_app")
    workload = pd.concat([first, second], ignore_index=True).drop(columns=["true_rate"])
    config = PlanningConfig(business_timezone="Europe/London", interval_minutes=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        return forecast_workload(workload, config)


def test_section_has_chart_per_use_case_and_tables(result: ForecastResult) -> None:
    parts = forecast_section_parts(result)

    assert parts.title == "Forecast"
    assert len(parts.figures) == 2
    captions = [caption for caption, _ in parts.tables]
    assert captions == [
        "Model per series (WAPE from the rolling-origin backtest)",
        "Backtest per series and model",
    ]
    assert "2024-09-16 to 2024-09-22" in parts.intro


def test_figure_draws_history_forecast_and_bands(result: ForecastResult) -> None:
    figure = forecast_figure(result, "sms", "turns")

    names = [trace.name for trace in figure.data]
    assert names[:2] == ["95 % interval", "80 % interval"]
    assert "history" in names
    assert any(name.startswith("forecast (") for name in names)


def test_page_is_self_contained(result: ForecastResult) -> None:
    page = forecast_report_html(result)

    assert page.startswith("<!DOCTYPE html>")
    assert "plotly.js v" in page  # the library itself, inline
    assert page.count("Plotly.newPlot") == 2
    assert "<script src=" not in page


def test_parts_build_a_report_section(result: ForecastResult) -> None:
    parts = forecast_section_parts(result)

    section = ReportSection(**dataclasses.asdict(parts))
    page = render_report("Plan", "next week", [section])

    assert 'id="forecast"' in page
    assert "baseline_wape" in page
    assert page.count("Plotly.newPlot") == len(parts.figures)


def test_choice_table_shows_band_coverage(result: ForecastResult) -> None:
    parts = forecast_section_parts(result)

    _, choice = parts.tables[0]

    assert {"coverage_80", "coverage_95"} <= set(choice.columns)
