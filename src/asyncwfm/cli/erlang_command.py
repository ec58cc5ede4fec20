"""The `asyncwfm erlang` command: Erlang C staffing of a single interval."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

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
        ..., "--calls", help="Customer turns that need an agent in the interval."
    ),
    interval_minutes: float = typer.Option(
        ..., "--interval-minutes", help="Length of the interval in minutes."
    ),
    aht_seconds: float = typer.Option(
        ...,
        "--aht-seconds",
        help="Mean active handling time per turn in seconds (not session length).",
    ),
    target_seconds: float = typer.Option(
        ..., "--target-seconds", help="Response-time target in seconds."
    ),
    service_level: float = typer.Option(
        ..., "--service-level", help="Share of turns to answer within the target, e.g. 0.8."
    ),
    max_occupancy: float | None = typer.Option(
        None, "--max-occupancy", help="Maximum share of agent time on turns, e.g. 0.85."
    ),
    shrinkage: float = typer.Option(
        0.0, "--shrinkage", help="Share of paid time agents are unavailable, e.g. 0.3."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Staff one interval with Erlang C: agents, scheduled agents and the expected service."""
    plan = plan_erlang_c_interval(
        turns=calls,
        interval_minutes=interval_minutes,
        aht_seconds=aht_seconds,
        target_seconds=target_seconds,
        target_service_level=service_level,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
    )
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
