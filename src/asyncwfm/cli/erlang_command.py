"""The `asyncwfm erlang` command: Erlang C staffing of a single interval."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from asyncwfm.errors import InfeasiblePlanError
from asyncwfm.plan.erlang import ErlangCIntervalPlan, plan_erlang_c_interval

JSON_KEYS = (
    "agents",
    "scheduled_agents",
    "service_level",
    "wait_probability",
    "asa_seconds",
    "occupancy",
    "workload_erlangs",
    "binding",
)


def erlang(
    calls: float = typer.Option(
        ..., "--calls", min=0.0, help="Customer turns that need an agent in the interval."
    ),
    interval_minutes: float = typer.Option(
        ..., "--interval-minutes", min=1.0, help="Length of the interval in minutes."
    ),
    aht_seconds: float = typer.Option(
        ...,
        "--aht-seconds",
        min=0.001,
        help="Mean active handling time per turn in seconds (not session length).",
    ),
    target_seconds: float = typer.Option(
        ..., "--target-seconds", min=0.0, help="Response-time target in seconds."
    ),
    service_level: float = typer.Option(
        ...,
        "--service-level",
        min=0.0,
        max=0.9999,
        help="Share of turns to answer within the target, as a fraction: 0.8 for 80%.",
    ),
    max_occupancy: float | None = typer.Option(
        None,
        "--max-occupancy",
        min=0.01,
        max=1.0,
        help="Maximum share of agent time on turns, e.g. 0.85.",
    ),
    shrinkage: float = typer.Option(
        0.0,
        "--shrinkage",
        min=0.0,
        max=0.9,
        help="Share of paid time agents are unavailable, e.g. 0.3.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Staff one interval with Erlang C: agents, scheduled agents and the expected service."""
    try:
        plan = plan_erlang_c_interval(
            turns=calls,
            interval_minutes=interval_minutes,
            aht_seconds=aht_seconds,
            target_seconds=target_seconds,
            target_service_level=service_level,
            max_occupancy=max_occupancy,
            shrinkage=shrinkage,
        )
    except InfeasiblePlanError:
        raise InfeasiblePlanError(
            f"--calls {calls:g} in {interval_minutes:g} minutes at {aht_seconds:g} s each is "
            f"{calls * aht_seconds / (interval_minutes * 60):,.0f} Erlangs, beyond the largest "
            "head count this calculator searches; check the numbers and their units."
        ) from None
    if as_json:
        values = plan.to_dict()
        typer.echo(json.dumps({key: values[key] for key in JSON_KEYS}, indent=2))
        return
    Console().print(_table(plan))


def register(app: typer.Typer) -> None:
    """Add the `erlang` command to ``app``."""
    app.command("erlang")(erlang)


def _table(plan: ErlangCIntervalPlan) -> Table:
    table = Table(title="Erlang C staffing for one interval", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = (
        ("workload (Erlangs)", f"{plan.workload_erlangs:.3f}"),
        ("agents", str(plan.agents)),
        ("scheduled agents", f"{plan.scheduled_agents} (shrinkage {plan.shrinkage:.0%})"),
        (
            f"service level ({plan.target_seconds:g} s)",
            f"{plan.service_level:.2%} (target {plan.target_service_level:.0%})",
        ),
        ("wait probability", f"{plan.wait_probability:.2%}"),
        ("ASA (s)", f"{plan.asa_seconds:.1f}"),
        ("occupancy", f"{plan.occupancy:.2%}"),
        ("set by", plan.binding.replace("_", " ")),
    )
    for measure, value in rows:
        table.add_row(measure, value)
    return table
