"""Tests of the bot scenario report section."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from asyncwfm.config import PlanningConfig
from asyncwfm.plan.bots import BotScenario, BotScenarioSummary, plan_bot_scenario
from asyncwfm.plan.requirements import plan_requirements
from asyncwfm.report.bots_section import bot_scenario_section
from asyncwfm.report.html import ReportSection, render_report


def _workload() -> pd.DataFrame:
    starts = pd.date_range("2024-05-06 08:00", periods=16, freq="30min", tz="Europe/Paris")
    return pd.DataFrame(
        {
            "interval_start": list(starts) * 2,
            "use_case": ["chat"] * 16 + ["sms"] * 16,
            "turns": [40] * 32,
            "new_conversations": [15] * 32,
            "active_seconds_per_turn": [120.0] * 32,
        }
    )


def _conversations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "use_case": ["chat"] * 5 + ["sms"] * 4,
            "active_seconds": [30.0, 60.0, 200.0, 500.0, 900.0, 40.0, 80.0, 300.0, 700.0],
            "turns_needing_agent": [1, 1, 2, 3, 5, 1, 1, 2, 4],
        }
    )


@dataclass(frozen=True)
class Plans:
    summary: BotScenarioSummary
    before: pd.DataFrame
    after: pd.DataFrame
    naive: pd.DataFrame

    def section(self) -> ReportSection:
        return bot_scenario_section(self.summary, self.before, self.after, self.naive)


@pytest.fixture(scope="module")
def plans() -> Plans:
    config = PlanningConfig(business_timezone="Europe/Paris")
    result = plan_bot_scenario(_workload(), _conversations(), BotScenario(0.4, handoff_seconds=30))
    return Plans(
        summary=result.summary,
        before=plan_requirements(_workload(), config),
        after=plan_requirements(result.workload_after, config),
        naive=plan_requirements(result.workload_naive, config),
    )


def test_section_has_charts_and_table(plans: Plans) -> None:
    section = plans.section()
    assert section.anchor == "bot-scenario"
    assert len(section.figures) == 2
    caption, table = section.tables[0]
    assert "naive" in caption
    assert list(table["use case"]) == ["chat", "sms", "total"]


def test_table_agent_hours_match_requirements(plans: Plans) -> None:
    table = plans.section().tables[0][1]
    total = table.set_index("use case").loc["total"]
    assert total["agent-hours today"] == pytest.approx(plans.before["agents"].sum() * 0.5)
    assert total["agent-hours with bot"] == pytest.approx(plans.after["agents"].sum() * 0.5)
    assert total["agent-hours naive"] == pytest.approx(plans.naive["agents"].sum() * 0.5)
    assert total["turns naive"] == pytest.approx(0.6 * 40 * 32)


def test_intro_states_both_estimates(plans: Plans) -> None:
    intro = plans.section().intro
    assert "naive plan" in intro
    assert f"{plans.summary.active_hours_after:,.0f}" in intro
    assert f"{plans.summary.active_hours_naive:,.0f}" in intro


def test_section_renders_in_report(plans: Plans) -> None:
    page = render_report("t", "s", [plans.section()])
    assert 'id="bot-scenario"' in page
    assert "Agent active hours per use case" in page
