"""The bundled demo: ingest, measure, plan and report the real Twitter support sample.

The sample is the first 5,000 tweets of the public "Customer Support on Twitter"
data set (CC BY-NC-SA 4.0, see ``data/twcs_sample/PROVENANCE.md``), mostly from the
evening of 31 October 2017. The demo groups its brands into four use cases with
their own promises (``data/demo_config.toml``) and plans 30-minute intervals over
three days in New York time.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from asyncwfm.config import PlanningConfig, load_config
from asyncwfm.ingest.pipeline import IngestReport, ingest_files
from asyncwfm.plan.bots import BotScenario
from asyncwfm.store import EventStore
from asyncwfm.synthetic import DEMO_SEED, generate_log, synthetic_config
from asyncwfm.synthetic.output import write_log
from asyncwfm.workflow import (
    PlanOptions,
    PlanRun,
    ProgressCallback,
    StepCallback,
    output_folder,
    run_plan,
)

DEMO_WINDOW_START = "2017-10-30"
"""First local day of the demo's planning window (America/New_York)."""

DEMO_WINDOW_END = "2017-11-02"
"""Local day after the demo's planning window."""


@dataclass(frozen=True, eq=False)
class DemoResult:
    """Outputs of a demo run: the ingest reports and the planning run.

    ``config_path`` is the planning configuration of the real-data demo, and the
    generated log file for the synthetic one.
    """

    ingest: list[IngestReport]
    run: PlanRun
    database_path: Path
    config_path: Path


def bundled_sample_path() -> Path:
    """Return the path of the bundled TWCS sample file."""
    return Path(str(resources.files("asyncwfm") / "data" / "twcs_sample" / "twcs_head_5000.csv.gz"))


def bundled_config_path() -> Path:
    """Return the path of the demo's planning configuration."""
    return Path(str(resources.files("asyncwfm") / "data" / "demo_config.toml"))


def demo_window(config: PlanningConfig) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the demo's planning window as UTC timestamps."""
    start = pd.Timestamp(DEMO_WINDOW_START).tz_localize(config.business_timezone)
    end = pd.Timestamp(DEMO_WINDOW_END).tz_localize(config.business_timezone)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def run_demo(
    out_dir: str | Path,
    *,
    verify: bool = True,
    tune: bool = True,
    on_step: StepCallback | None = None,
    on_progress: ProgressCallback | None = None,
) -> DemoResult:
    """Ingest the bundled sample into ``out_dir`` and run the main job on it.

    The job measures the log, plans every use case and interval, checks the plan in
    simulation and tunes it (unless ``verify``/``tune`` are off). It writes
    ``requirements.csv``, ``attainment.csv`` and ``report.html``, and copies the
    planning configuration to ``demo_config.toml`` to edit and plan again. Running it again
    reuses the event store: the second ingest inserts nothing and the outputs are
    rewritten with the same numbers.
    """
    folder = output_folder(out_dir)
    database = folder / "events.duckdb"
    config_path = folder / "demo_config.toml"
    shutil.copyfile(bundled_config_path(), config_path)
    config = load_config(config_path)

    if on_step is not None:
        on_step("ingest the bundled Twitter support sample")
    reports = ingest_files([bundled_sample_path()], database)
    with EventStore(database, read_only=True) as store:
        events = store.events()

    start, end = demo_window(config)
    options = PlanOptions(
        start=start,
        end=end,
        verify=verify,
        tune=tune,
        replications=config.simulation.replications,
        seed=config.simulation.seed,
    )
    run = run_plan(
        events,
        config,
        options,
        folder,
        title="asyncwfm demo: staffing plan for Twitter customer support",
        subtitle="Real public sample: first 5,000 tweets of 'Customer Support on Twitter' "
        "(Thought Vector, CC BY-NC-SA 4.0), 30 Oct to 1 Nov 2017, New York time",
        on_step=on_step,
        on_progress=on_progress,
    )
    return DemoResult(ingest=reports, run=run, database_path=database, config_path=config_path)


SYNTHETIC_DEMO_DAYS = 14
"""Days of arrivals in the synthetic demo log."""

SYNTHETIC_DEMO_SCENARIO = BotScenario(containment=0.45, selectivity=1.0, handoff_seconds=45.0)
"""Bot scenario of the synthetic demo: the bot contains 45% of today's agent conversations."""


def run_synthetic_demo(
    out_dir: str | Path,
    *,
    verify: bool = True,
    tune: bool = True,
    on_step: StepCallback | None = None,
    on_progress: ProgressCallback | None = None,
) -> DemoResult:
    """Run the main job with a bot scenario on a SYNTHETIC log with bots.

    The bundled real sample has no bot, so this demo generates a seeded log
    (:func:`asyncwfm.synthetic.generate_log`, seed :data:`DEMO_SEED`) with three use
    cases, a bot that contains simple intents and hands the rest off, reply waves and
    think times from minutes to days. It writes the log to ``synthetic.csv.gz`` (with
    a provenance file that says it is synthetic), ingests it, and plans the human
    residue of :data:`SYNTHETIC_DEMO_SCENARIO` beside today's and the naive plan.
    """
    folder = output_folder(out_dir)
    database = folder / "events.duckdb"

    if on_step is not None:
        on_step(f"generate a synthetic {SYNTHETIC_DEMO_DAYS}-day log with bots")
    log = generate_log(DEMO_SEED, days=SYNTHETIC_DEMO_DAYS)
    config = synthetic_config(log)
    source = write_log(log, folder / "synthetic.csv.gz")

    if on_step is not None:
        on_step("ingest the synthetic log")
    reports = ingest_files([source], database)
    with EventStore(database, read_only=True) as store:
        events = store.events()

    start = pd.Timestamp(log.start).tz_convert("UTC")
    options = PlanOptions(
        start=start,
        end=start + pd.Timedelta(days=log.days),
        verify=verify,
        tune=tune,
        replications=config.simulation.replications,
        seed=config.simulation.seed,
        bot_scenario=SYNTHETIC_DEMO_SCENARIO,
    )
    run = run_plan(
        events,
        config,
        options,
        folder,
        title="asyncwfm demo: bot scenario on a synthetic messaging log",
        subtitle=f"SYNTHETIC data: generate_log(seed={DEMO_SEED}, days={SYNTHETIC_DEMO_DAYS}), "
        "three use cases, a bot on SMS and in-app",
        on_step=on_step,
        on_progress=on_progress,
    )
    return DemoResult(ingest=reports, run=run, database_path=database, config_path=source)
