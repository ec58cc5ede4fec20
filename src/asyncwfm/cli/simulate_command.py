"""The `asyncwfm simulate` command: check a requirements plan by discrete-event simulation."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from asyncwfm.cli._common import print_whole, warnings_to_stderr
from asyncwfm.config import PlanningConfig, load_config
from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.measure import measure
from asyncwfm.simulate import VerificationResult, model_from_measurement, verify_plan
from asyncwfm.simulate.adapter import describe_agent_value, invalid_agent_rows
from asyncwfm.store import EventStore


def read_requirements(path: Path, config: PlanningConfig, column: str = "agents") -> pd.DataFrame:
    """Read a requirements CSV; interval starts must carry their UTC offset.

    Raises
    ------
    InputError
        When the file cannot be read, a column is missing, or a cell of ``column`` is
        not a number of agents >= 0; the message names the file, line and value.
    """
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise InputError(f"plan file not found: {path}") from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read plan file {path} as CSV: {exc}") from None
    if "interval_start" not in table.columns:
        raise InputError(
            f"plan file {path} has no interval_start column; found {list(table.columns)}"
        )
    try:
        starts = pd.to_datetime(table["interval_start"], utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"plan file {path}: interval_start must be ISO 8601 with a UTC offset, "
            f"e.g. 2024-03-31T08:00:00+02:00 ({exc})"
        ) from None
    table["interval_start"] = starts.dt.tz_convert(config.business_timezone)
    for required in ("use_case", column):
        if required not in table.columns:
            raise InputError(
                f"plan file {path} has no {required} column; found {list(table.columns)}"
            )
    _check_agents(table, column, path)
    return table


def _check_agents(table: pd.DataFrame, column: str, path: Path) -> None:
    invalid = invalid_agent_rows(table[column])
    if not invalid.any():
        return
    rows = table.index[invalid.to_numpy()]
    first = rows[0]
    # The header is line 1, so data row i (from 0) is line i + 2.
    # NOTE: read_csv skips blank lines, so a file with blank lines above the row
    # shifts the line number.
    raise InputError(
        f"plan file {path}, line {first + 2}: {column} is "
        f"{describe_agent_value(table.at[first, column])}, not a number of agents >= 0 "
        f"({len(rows)} invalid row(s)). Correct the file or make the plan again with "
        "'asyncwfm plan'."
    )


def check_plan_use_cases(requirements: pd.DataFrame, turns: pd.DataFrame, db: Path) -> None:
    """Reject a plan that shares no use case with the event store, and warn on a partial match.

    A use case of the plan that the log lacks is simulated with default distributions
    (exponential work at the plan's ``aht_seconds``, one turn per conversation), so a
    plan made from another store or configuration would otherwise pass unnoticed.
    """
    planned = list(dict.fromkeys(requirements["use_case"].astype(str)))
    measured = sorted(set(turns["use_case"].astype(str)))
    missing = [name for name in planned if name not in measured]
    if len(missing) == len(planned):
        found = f"has {_names(measured)}" if measured else "has no customer turns"
        raise InputError(
            f"none of the plan's use cases ({_names(planned)}) is in the event store {db}, "
            f"which {found}. Simulate a plan made from this store, with the configuration "
            "that plan used (--config)."
        )
    if missing:
        warnings.warn(
            f"the plan's use cases {_names(missing)} are not in the event store {db}; they "
            "are simulated with default work, turn and think-time distributions. Check that "
            "the plan was made from this store and configuration.",
            DataQualityWarning,
            stacklevel=2,
        )


def _names(names: list[str], limit: int = 8) -> str:
    listed = ", ".join(names[:limit])
    return listed + (f" and {len(names) - limit} more" if len(names) > limit else "")


def simulate_plan(
    db: Path,
    config_path: Path | None,
    plan_path: Path,
    replications: int | None,
    seed: int | None,
    column: str,
    quiet: bool,
) -> VerificationResult:
    """Measure the event store, build the model and simulate the plan's staffing."""
    config = load_config(config_path) if config_path is not None else PlanningConfig()
    requirements = read_requirements(plan_path, config, column)
    with EventStore(db, read_only=True) as store:
        events = store.events()
    measurement = measure(events, config)
    check_plan_use_cases(requirements, measurement.turns, db)
    model = model_from_measurement(measurement.turns, requirements, config)
    runs = replications if replications is not None else config.simulation.replications
    chosen_seed = seed if seed is not None else config.simulation.seed
    with Progress(transient=True, disable=quiet) as bar:
        task = bar.add_task("simulating", total=runs)
        return verify_plan(
            requirements,
            model,
            column=column,
            replications=runs,
            seed=chosen_seed,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def summary_json(result: VerificationResult) -> dict[str, object]:
    """Return the machine-readable summary printed by ``--json``."""
    use_cases = []
    for row in result.summary.to_dict(orient="records"):
        use_cases.append({key: _json_number(value) for key, value in row.items()})
    misses = result.missing_intervals
    return {
        "status": result.status,
        "replications": result.result.replications,
        "seed": result.result.seed,
        "use_cases": use_cases,
        "missing_intervals": [
            {
                "interval_start": pd.Timestamp(row["interval_start"]).isoformat(),
                "use_case": row["use_case"],
                "answered_within_promise": _json_number(row["answered_within_promise"]),
                "service_level_target": row["service_level_target"],
            }
            for row in misses.to_dict(orient="records")
        ],
    }


def _json_number(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summary_table(result: VerificationResult) -> Table:
    """Return the rich table of attainment per use case."""
    table = Table(title=f"Simulated attainment ({result.result.replications} replications)")
    for column in ("use case", "turns", "within promise", "target", "mean response", "agent-h"):
        table.add_column(column, justify="left" if column == "use case" else "right")
    for row in result.summary.to_dict(orient="records"):
        share = row["answered_within_promise"]
        half = row["answered_within_promise_half_width"]
        spread = f" ± {half:.1%}" if math.isfinite(half) else ""
        table.add_row(
            row["use_case"],
            f"{row['turns']:.0f}",
            f"{share:.1%}{spread}",
            f"{row['service_level_target']:.0%} in {row['target_seconds']:.0f} s",
            _response_text(row["response_mean_seconds"]),
            f"{row['agent_hours']:.1f}",
        )
    return table


def _response_text(seconds: float) -> str:
    # The mean covers answered turns only, so it is NaN when no turn was answered.
    return "none answered" if math.isnan(seconds) else f"{seconds:.0f} s"


def shared_pool_note(summary: pd.DataFrame) -> str | None:
    """Return a line naming the pools shared by several use cases, or None when none is."""
    parts = []
    for pool, rows in summary.groupby("pool", sort=False):
        if len(rows) > 1:
            names = ", ".join(rows["use_case"].astype(str))
            hours = float(rows["pool_agent_hours"].iloc[0])
            parts.append(f"{pool} ({names}; {hours:,.1f} agent-h)")
    if not parts:
        return None
    return (
        f"Shared pools: {'; '.join(parts)}. agent-h splits each pool's hours over its use "
        "cases in proportion to their simulated busy time."
    )


def register(app: typer.Typer) -> None:
    """Add the `simulate` command to ``app``."""

    @app.command("simulate")
    def simulate_command(
        db: Annotated[Path, typer.Option("--db", help="DuckDB event store written by ingest.")],
        plan: Annotated[
            Path,
            typer.Option("--plan", help="Requirements CSV with interval_start, use_case, agents."),
        ],
        config_path: Annotated[
            Path | None,
            typer.Option("--config", help="Planning configuration (TOML); defaults when omitted."),
        ] = None,
        replications: Annotated[
            int | None,
            typer.Option("--replications", min=1, help="Independent runs; default from config."),
        ] = None,
        seed: Annotated[
            int | None,
            typer.Option("--seed", help="Seed of the random streams; default from the config."),
        ] = None,
        column: Annotated[
            str, typer.Option("--column", help="Plan column with agents on shift per interval.")
        ] = "agents",
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Write the attainment per use case and interval as CSV."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    ) -> None:
        """Simulate a plan and report the share of turns answered within each promise."""
        with warnings_to_stderr():
            result = simulate_plan(db, config_path, plan, replications, seed, column, as_json)
        if out is not None:
            result.attainment.to_csv(out, index=False)
        if as_json:
            typer.echo(json.dumps(summary_json(result), indent=2))
            return
        print_whole(summary_table(result))
        console = Console()
        note = shared_pool_note(result.summary)
        if note is not None:
            console.print(note, highlight=False)
        misses = len(result.missing_intervals)
        intervals = int((result.attainment["status"] != "no_turns").sum())
        console.print(
            f"{misses} of {intervals} use-case intervals miss their promise "
            "(the confidence interval lies below the target).",
            highlight=False,
        )
