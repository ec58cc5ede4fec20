"""The main job: measure a log, plan it, optionally check it by simulation, write outputs.

This module wires the stages together for the ``plan`` and ``demo`` commands, so the
commands stay thin and a script can run the same job with one call.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.forecast import read_forecast_csv
from asyncwfm.measure import Measurement, measure
from asyncwfm.measure.bots import measure_bots
from asyncwfm.plan.bots import (
    BotScenario,
    BotScenarioResult,
    BotScenarioSummary,
    plan_bot_scenario,
)
from asyncwfm.plan.pipeline import PlanResult, build_plan
from asyncwfm.report.bots_section import bot_scenario_section
from asyncwfm.report.export import write_csv, write_xlsx
from asyncwfm.report.html import ReportSection, write_report
from asyncwfm.report.plan_report import (
    forecast_plan_section,
    frame_for_export,
    plan_sections,
    requirements_for_export,
    use_case_summary,
)
from asyncwfm.report.simulation_section import simulation_section
from asyncwfm.simulate import (
    TuningResult,
    VerificationResult,
    model_from_measurement,
    tune_plan,
    verify_plan,
)

StepCallback = Callable[[str], None]
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class PlanOptions:
    """Choices of one planning run.

    Attributes
    ----------
    start, end : pandas.Timestamp or None
        UTC window of the measured workload; None lets the measure stage choose the
        densest stretch of the log.
    verify : bool
        Simulate the plan and add its attainment to the report.
    tune : bool
        Search, in simulation, for the smallest staffing that keeps every promise.
    replications : int
        Independent simulation runs per check.
    seed : int
        Seed of the simulation's random streams.
    forecast_path : Path or None
        A ``forecast.csv`` to plan from instead of the measured workload; the log
        then supplies the history (fallback AHT, peakedness, thread holds, and the
        simulation's distributions).
    quantile : float or None
        Plan forecast volumes to this quantile of the forecast distribution instead
        of the mean.
    bot_scenario : BotScenario or None
        Plan the human residue of a bot containment scenario; the plan without the bot
        and the naive ``volume * (1 - containment)`` plan are written beside it.
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    verify: bool = False
    tune: bool = False
    replications: int = 10
    seed: int = 0
    forecast_path: Path | None = None
    quantile: float | None = None
    bot_scenario: BotScenario | None = None


@dataclass(frozen=True, eq=False)
class PlanRun:
    """Everything one planning run produced, with the files it wrote."""

    measurement: Measurement
    plan: PlanResult
    verification: VerificationResult | None
    tuning: TuningResult | None
    summary: pd.DataFrame
    requirements_path: Path
    report_path: Path
    attainment_path: Path | None
    bot_summary: BotScenarioSummary | None = None
    bot_agent_hours: tuple[float, float, float] | None = None
    """Agent-hours without the bot, with it, and by the naive estimate."""

    @property
    def requirements(self) -> pd.DataFrame:
        """The requirements table, with simulated and tuned columns when they were run."""
        if self.tuning is not None:
            return self.tuning.requirements
        if self.verification is not None:
            return self.verification.requirements
        return self.plan.requirements


def run_plan(
    events: pd.DataFrame,
    config: PlanningConfig,
    options: PlanOptions,
    out_dir: str | Path,
    *,
    title: str = "asyncwfm staffing plan",
    subtitle: str = "",
    on_step: StepCallback | None = None,
    on_progress: ProgressCallback | None = None,
) -> PlanRun:
    """Measure ``events``, plan every use case and interval, and write CSV and HTML.

    Writes ``requirements.csv``, ``requirements.xlsx`` and ``report.html`` into
    ``out_dir``, and ``attainment.csv`` when the plan is verified or tuned in
    simulation. CSV and XLSX cells that could start a spreadsheet formula are
    neutralised.
    ``on_progress`` receives (done, total) simulation steps.
    """

    def step(message: str) -> None:
        if on_step is not None:
            on_step(message)

    folder = output_folder(out_dir)

    step("measure turns, response times and active handling time")
    measurement = measure(events, config, start=options.start, end=options.end)
    workload = measurement.workload
    forecast_table = None
    if options.forecast_path is not None:
        step(f"read the forecast {options.forecast_path}")
        forecast_table = pd.read_csv(options.forecast_path)
        workload = read_forecast_csv(
            options.forecast_path,
            config.business_timezone,
            quantile=options.quantile,
            interval_minutes=config.interval_minutes,
        )
        _check_forecast_use_cases(workload, measurement, options.forecast_path)
    bot_parts = None
    if options.bot_scenario is not None:
        step("measure the bot and build the residue workload of the scenario")
        bots = measure_bots(events, measurement.turns, measurement.conversations)
        scenario = plan_bot_scenario(
            workload, measurement.conversations, options.bot_scenario, bots=bots
        )
        bot_parts = (workload, scenario)
        workload = scenario.workload_after

    step("plan agents per use case and interval")
    plan = build_plan(
        workload,
        measurement.conversations,
        config,
        history=measurement.workload,
        work=measurement.work,
    )
    if plan.status == "no_workload":
        raise InputError(
            "the planning window holds no customer turns that need an agent, so there is "
            "nothing to plan. Check --start and --end, and that the log has customer messages "
            "(an export of agent replies only cannot be planned)."
        )

    verification, tuning = _simulate(measurement, plan, config, options, step, on_progress)
    sections = plan_sections(measurement, plan, config, planned_workload=workload)
    if forecast_table is not None:
        sections.insert(1, forecast_plan_section(forecast_table, config, options.quantile))
    bot_summary, bot_hours = None, None
    if bot_parts is not None:
        bot_summary, bot_hours = _bot_comparison(
            bot_parts, measurement, plan, config, folder, sections
        )
    if verification is not None or tuning is not None:
        sections.append(_simulation_report(verification, tuning, config, options))

    step("write requirements.csv and report.html")
    run = _write_outputs(
        folder, measurement, plan, verification, tuning, config, sections, title, subtitle
    )
    return dataclasses.replace(run, bot_summary=bot_summary, bot_agent_hours=bot_hours)


def output_folder(path: str | Path) -> Path:
    """Create the output folder when missing and return it.

    Raises
    ------
    InputError
        When ``path`` exists and is not a folder.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out {folder} is a file, not a folder; name a folder for the outputs.")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check_forecast_use_cases(forecast: pd.DataFrame, measurement: Measurement, path: Path) -> None:
    """Reject a forecast that shares no use case with the log, and warn on partial overlap."""
    planned = set(forecast["use_case"].astype(str))
    measured = set(measurement.turns["use_case"].astype(str))
    if not planned & measured:
        raise InputError(
            f"the forecast {path} has use cases {sorted(planned)[:8]}, none of which is in the "
            f"log ({sorted(measured)[:8]}). Forecast from this event store with "
            "'asyncwfm forecast --db' and the same configuration."
        )
    missing = sorted(planned - measured)
    if missing:
        warnings.warn(
            f"the forecast {path} has use cases that are not in the log: {missing}; their "
            "handling time, peakedness and thread holds fall back to defaults.",
            DataQualityWarning,
            stacklevel=3,
        )


def _bot_comparison(
    bot_parts: tuple[pd.DataFrame, BotScenarioResult],
    measurement: Measurement,
    plan: PlanResult,
    config: PlanningConfig,
    folder: Path,
    sections: list[ReportSection],
) -> tuple[BotScenarioSummary, tuple[float, float, float]]:
    """Plan today's and the naive workload beside the scenario, write them, add the section."""
    before_workload, scenario = bot_parts
    history = measurement.workload
    before = build_plan(
        before_workload, measurement.conversations, config, history=history, work=measurement.work
    )
    naive = build_plan(
        scenario.workload_naive,
        measurement.conversations,
        config,
        history=history,
        work=measurement.work,
    )
    sections.insert(
        1,
        bot_scenario_section(
            scenario.summary,
            before.requirements,
            plan.requirements,
            naive.requirements,
            interval_minutes=config.interval_minutes,
        ),
    )
    before_path = folder / "requirements_without_bot.csv"
    write_csv(requirements_for_export(before.requirements), before_path)
    naive_path = folder / "requirements_naive_bot.csv"
    write_csv(requirements_for_export(naive.requirements), naive_path)
    hours = (before.agent_hours(), plan.agent_hours(), naive.agent_hours())
    return scenario.summary, hours


def _simulate(
    measurement: Measurement,
    plan: PlanResult,
    config: PlanningConfig,
    options: PlanOptions,
    step: StepCallback,
    on_progress: ProgressCallback | None,
) -> tuple[VerificationResult | None, TuningResult | None]:
    if not (options.verify or options.tune) or plan.status != "ok":
        return None, None
    model = model_from_measurement(measurement.turns, plan.requirements, config)

    verification = None
    if options.verify:
        step(f"verify the plan in simulation ({options.replications} replications)")
        verification = verify_plan(
            plan.requirements,
            model,
            replications=options.replications,
            seed=options.seed,
            progress=on_progress,
        )

    tuning = None
    if options.tune:
        step("tune the staffing in simulation")

        def tune_progress(iteration: int, limit: int, missing: int) -> None:
            if on_progress is not None:
                on_progress(iteration, limit)

        tuning = tune_plan(
            plan.requirements,
            model,
            replications=options.replications,
            seed=options.seed,
            progress=tune_progress,
        )
    return verification, tuning


def _simulation_report(
    verification: VerificationResult | None,
    tuning: TuningResult | None,
    config: PlanningConfig,
    options: PlanOptions,
) -> ReportSection:
    return simulation_section(
        verification_summary=None if verification is None else verification.summary,
        verification_attainment=None if verification is None else verification.attainment,
        tuned_requirements=None if tuning is None else tuning.requirements,
        tuned_summary=None if tuning is None else tuning.result.summary_table(),
        interval_minutes=config.interval_minutes,
        replications=options.replications,
    )


def _write_outputs(
    folder: Path,
    measurement: Measurement,
    plan: PlanResult,
    verification: VerificationResult | None,
    tuning: TuningResult | None,
    config: PlanningConfig,
    sections: list[ReportSection],
    title: str,
    subtitle: str,
) -> PlanRun:
    requirements = plan.requirements
    if verification is not None:
        requirements = verification.requirements
    if tuning is not None:
        requirements = requirements.assign(
            tuned_agents=tuning.requirements["tuned_agents"].to_numpy()
        )
    requirements_path = folder / "requirements.csv"
    write_csv(requirements_for_export(requirements), requirements_path)

    attainment_path = None
    attainment = verification.attainment if verification is not None else None
    if attainment is None and tuning is not None:
        attainment = tuning.result.attainment_table()
    if attainment is not None:
        attainment_path = folder / "attainment.csv"
        write_csv(frame_for_export(attainment), attainment_path)

    sheets = {"requirements": requirements_for_export(requirements)}
    if attainment is not None:
        sheets["attainment"] = frame_for_export(attainment)
    if not plan.overstaffing.empty:
        sheets["session contrast"] = plan.overstaffing
    write_xlsx(sheets, folder / "requirements.xlsx")

    report_path = write_report(folder / "report.html", title, subtitle, sections)
    return PlanRun(
        measurement=measurement,
        plan=plan,
        verification=verification,
        tuning=tuning,
        summary=use_case_summary(measurement, plan, config),
        requirements_path=requirements_path,
        report_path=report_path,
        attainment_path=attainment_path,
    )
