"""The `asyncwfm staff` command: staffing of one interval under work and slot constraints."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from asyncwfm.errors import InputError
from asyncwfm.plan.concurrency import SlotModel, SlowdownCurve
from asyncwfm.plan.staffing import IntervalStaffing, staff_interval

JSON_KEYS = (
    "agents",
    "work_agents",
    "slot_agents",
    "binding",
    "scheduled_agents",
    "service_level",
    "wait_probability",
    "asa_seconds",
    "occupancy",
    "workload_erlangs",
    "slot_load_erlangs",
    "aht_seconds",
    "model",
)


def staff(
    turns_per_hour: float = typer.Option(
        ..., "--turns-per-hour", min=0.0, help="Customer turns that need an agent, per hour."
    ),
    aht_seconds: float = typer.Option(
        ...,
        "--aht-seconds",
        help="Mean active handling time per turn in seconds, one thread at a time.",
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
    peakedness: float = typer.Option(
        1.0, "--peakedness", min=0.01, help="Peakedness z of turn arrivals (1 for Poisson)."
    ),
    conversations_per_hour: float | None = typer.Option(
        None, "--conversations-per-hour", min=0.0, help="Thread assignments per hour."
    ),
    thread_hold_seconds: float | None = typer.Option(
        None,
        "--thread-hold-seconds",
        help="Mean seconds a thread stays assigned to an agent (not session length).",
    ),
    concurrency_cap: int | None = typer.Option(
        None, "--concurrency-cap", min=1, help="Maximum threads one agent holds at once."
    ),
    patience_seconds: float | None = typer.Option(
        None,
        "--patience-seconds",
        help="Mean customer patience in seconds. With it, Erlang A models abandonment.",
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
    slowdown: str | None = typer.Option(
        None,
        "--slowdown",
        help="Handling-time factor by threads per agent, e.g. '1:1.0,2:1.1,4:1.4'.",
    ),
    slot_model: str = typer.Option(
        "erlang_c", "--slot-model", help="Slot model: erlang_c, erlang_b or poisson."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Staff one interval: the larger of the work and the concurrency-cap constraint."""
    plan = staff_interval(
        turns_per_hour=turns_per_hour,
        aht_seconds=aht_seconds,
        target_seconds=target_seconds,
        target_service_level=service_level,
        peakedness=peakedness,
        conversations_per_hour=conversations_per_hour,
        thread_hold_seconds=thread_hold_seconds,
        concurrency_cap=concurrency_cap,
        patience_seconds=patience_seconds,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
        slowdown=None if slowdown is None else parse_slowdown(slowdown),
        slot_model=_slot_model(slot_model),
    )
    if as_json:
        values = plan.to_dict()
        output = {key: values[key] for key in JSON_KEYS}
        if plan.abandonment_probability is not None:
            output["abandonment_probability"] = plan.abandonment_probability
        typer.echo(json.dumps(output, indent=2))
        return
    Console().print(_table(plan))


def register(app: typer.Typer) -> None:
    """Add the `staff` command to ``app``."""
    app.command("staff")(staff)


def parse_slowdown(text: str) -> SlowdownCurve:
    """Parse ``'threads:factor,...'`` such as ``'1:1.0,2:1.1,4:1.4'`` into a curve."""
    threads: list[float] = []
    factors: list[float] = []
    for part in text.split(","):
        pieces = part.strip().split(":")
        try:
            thread_count, factor = (float(piece) for piece in pieces)
        except ValueError:
            raise InputError(
                f"invalid slow-down point {part.strip()!r} in --slowdown. Write "
                "threads:factor pairs separated by commas, e.g. '1:1.0,2:1.1,4:1.4'."
            ) from None
        threads.append(thread_count)
        factors.append(factor)
    return SlowdownCurve(threads=tuple(threads), factors=tuple(factors))


def _slot_model(name: str) -> SlotModel:
    if name == "erlang_c":
        return "erlang_c"
    if name == "erlang_b":
        return "erlang_b"
    if name == "poisson":
        return "poisson"
    raise InputError(
        f"unknown slot model {name!r} in --slot-model. Use erlang_c, erlang_b or poisson."
    )


def _table(plan: IntervalStaffing) -> Table:
    table = Table(title="Staffing for one interval", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("work model", plan.model.replace("_", " ").title()),
        ("workload (Erlangs)", f"{plan.workload_erlangs:.3f}"),
        ("work agents", str(plan.work_agents)),
    ]
    if plan.slot_load_erlangs is not None:
        rows.append(("occupied thread slots", f"{plan.slot_load_erlangs:.2f}"))
        rows.append((f"slot agents (cap {plan.concurrency_cap})", str(plan.slot_agents)))
    rows += [
        ("agents", f"{plan.agents} (set by {plan.binding})"),
        ("scheduled agents", f"{plan.scheduled_agents} (shrinkage {plan.shrinkage:.0%})"),
        (
            f"service level ({plan.target_seconds:g} s)",
            f"{plan.service_level:.2%} (target {plan.target_service_level:.0%})",
        ),
        ("wait probability", f"{plan.wait_probability:.2%}"),
        ("ASA (s)", f"{plan.asa_seconds:.1f}"),
        ("occupancy", f"{plan.occupancy:.2%}"),
    ]
    if plan.abandonment_probability is not None:
        rows.append(("abandonment", f"{plan.abandonment_probability:.2%}"))
    if plan.peakedness != 1.0:
        rows.append(("peakedness", f"{plan.peakedness:g}"))
    for measure, value in rows:
        table.add_row(measure, value)
    return table
