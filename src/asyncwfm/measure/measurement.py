"""The measure stage in one call: events in, turns, work and workload tables out."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import DataQualityWarning, InputError
from asyncwfm.measure._ordered import OrderedEvents, order_events
from asyncwfm.measure.concurrency import Spans
from asyncwfm.measure.grid import (
    IntervalGrid,
    densest_span_ns,
    interval_grid,
    trim_sparse_days,
)
from asyncwfm.measure.handling import AgentWork, agent_work, work_burst_table
from asyncwfm.measure.holds import Holds, thread_holds
from asyncwfm.measure.spikes import pooled_peakedness
from asyncwfm.measure.tables import add_turn_work, conversation_table
from asyncwfm.measure.timelines import Timelines, use_case_codes
from asyncwfm.measure.turns import TurnLabels, label_turns
from asyncwfm.measure.use_cases import assign_use_cases
from asyncwfm.measure.workload import per_minute_tables, workload_table

SUMMARY_COLUMNS: Final[tuple[str, ...]] = (
    "use_case",
    "conversations",
    "customer_turns",
    "answered_turns",
    "active_seconds_per_turn",
    "active_seconds_per_conversation",
    "median_session_seconds",
    "response_seconds_p50",
    "response_seconds_p90",
    "turns_needing_agent",
    "agent_turns",
    "bot_turns",
    "handoff_turns",
    "unanswered_turns",
    "first_response_seconds_p50",
    "first_response_seconds_p90",
    "active_seconds",
    "thread_hold_seconds_per_conversation",
    "contained_conversations",
    "distinct_agents",
    "peakedness",
)
"""Columns of :meth:`Measurement.summary`; the first nine are the CLI's JSON contract."""

MeasurementStatus = Literal["ok", "no_events"]


@dataclass(frozen=True, eq=False)
class Measurement:
    """Tables measured from an event log.

    Attributes
    ----------
    status : {"ok", "no_events"}
        ``no_events`` when no event was left after use-case assignment; every table
        is then empty and the window fields are None.
    turns : pandas.DataFrame
        One row per customer turn (see :func:`customer_turns` and
        :func:`add_turn_work` for the columns).
    conversations : pandas.DataFrame
        One row per conversation, with session length beside active time.
    work : pandas.DataFrame
        One row per stretch of agent work with ``start``, ``end`` and ``seconds``.
    bursts : pandas.DataFrame
        One row per work burst of a conversation.
    workload : pandas.DataFrame
        One row per use case and interval of the measurement window.
    concurrency : pandas.DataFrame
        One row per use case and minute with open, awaiting, held or active threads
        or turn arrivals; minutes with none of them are left out.
    spikes : pandas.DataFrame
        Minutes when turn arrivals were far above the interval's Poisson rate.
    window_start, window_end : pandas.Timestamp or None
        UTC span of the interval grid behind ``workload``, ``concurrency`` and
        ``spikes``. Turns, conversations, work and bursts cover all events.
    interval_minutes : int
        Planning interval length.
    business_timezone : str
        Zone of ``interval_start`` and ``minute_start``.
    events_measured : int
        Events kept after use-case assignment.
    events_dropped : int
        Events of conversations whose use case was unmatched and dropped.
    events_outside_window : int
        Measured events outside the window (in turns and conversations, not in the
        workload).
    """

    status: MeasurementStatus
    turns: pd.DataFrame
    conversations: pd.DataFrame
    work: pd.DataFrame
    bursts: pd.DataFrame
    workload: pd.DataFrame
    concurrency: pd.DataFrame
    spikes: pd.DataFrame
    window_start: pd.Timestamp | None
    window_end: pd.Timestamp | None
    interval_minutes: int
    business_timezone: str
    events_measured: int
    events_dropped: int
    events_outside_window: int

    def summary(self, window_only: bool = False) -> pd.DataFrame:
        """Summarise each use case over its conversations and turns.

        With ``window_only`` only conversations that start, turns whose first
        message falls, and work that ends inside the workload window count, so the
        figures describe the same period as the workload and a plan built on it.
        Otherwise every conversation and turn of the log counts.

        Returns
        -------
        pandas.DataFrame
            One row per use case with the columns of :data:`SUMMARY_COLUMNS`:
            ``active_seconds_per_turn`` is the mean over handled turns (turns that
            need an agent and got agent work),
            ``active_seconds_per_conversation`` the mean over conversations that
            needed an agent, response percentiles are over answered turns (every turn,
            and first turns only), and ``peakedness`` pools the workload intervals
            weighted by their turns.
        """
        if self.status == "no_events":
            return pd.DataFrame({column: [] for column in SUMMARY_COLUMNS})
        if not window_only or self.window_start is None or self.window_end is None:
            return _summary_table(self.conversations, self.turns, self.work, self.workload)

        def inside(times: pd.Series) -> pd.Series:
            return (times >= self.window_start) & (times < self.window_end)

        conversations = self.conversations[inside(self.conversations["started_at"])]
        turns = self.turns[inside(self.turns["first_message_at"])]
        work = self.work[inside(self.work["end"])]
        if conversations.empty:
            return pd.DataFrame({column: [] for column in SUMMARY_COLUMNS})
        return _summary_table(conversations, turns, work, self.workload)

    def summary_records(self, window_only: bool = False) -> list[dict[str, object]]:
        """Return :meth:`summary` as JSON-ready dictionaries, with None for missing values."""
        records = []
        for row in self.summary(window_only).to_dict(orient="records"):
            records.append({key: _json_value(value) for key, value in row.items()})
        return records


def measure(
    events: pd.DataFrame,
    config: PlanningConfig | None = None,
    *,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
) -> Measurement:
    """Measure turns, response times, active handling time, concurrency and workload.

    Parameters
    ----------
    events : pandas.DataFrame
        The event table, for example from :meth:`asyncwfm.store.EventStore.events`.
    config : PlanningConfig, optional
        Use cases, interval length, business time zone, the handling estimator
        (``handling``), spike settings (``measure``) and the idle timeout of thread
        holds (``simulation.idle_timeout_seconds``). Defaults to ``PlanningConfig()``.
    start, end : pandas.Timestamp or str, optional
        Measurement window of the workload, concurrency and spike tables; naive values
        are UTC. Without them the window is the stretch of the log with the most events
        and no gap longer than ``measure.window_max_gap_days``, less thin days at its
        edges (``measure.window_min_day_share``); a
        :class:`~asyncwfm.errors.DataQualityWarning` says how many events fall outside.

    Returns
    -------
    Measurement
        All tables; see ``docs/measurement.md`` for every definition.

    Raises
    ------
    InputError
        When ``events`` breaks the event table contract or the window is invalid.
    ConfigError
        When the peakedness window does not divide the interval.
    """
    planning = config if config is not None else PlanningConfig()
    assigned = assign_use_cases(events, planning)
    if assigned.empty:
        return _empty_measurement(planning, dropped=len(events))

    ordered = order_events(assigned)
    turn_labels = label_turns(ordered)
    work = agent_work(ordered, turn_labels, planning.handling)
    holds = thread_holds(
        turn_labels.conversation_code,
        turn_labels.first_message_ns,
        work.turn_number,
        work.start_ns,
        work.end_ns,
        planning.simulation.idle_timeout_seconds,
    )
    turns = add_turn_work(turn_labels, ordered, work, holds)
    conversations = conversation_table(ordered, turns, turn_labels.conversation_code, work)

    grid, outside = _measurement_grid(ordered.time_ns, planning, start, end)
    timelines = _timelines(ordered, turn_labels, turns, conversations, work, holds)
    conversation_key = use_case_codes(conversations["use_case"], timelines.use_cases)
    workload = workload_table(
        grid,
        timelines,
        turns,
        conversation_key[turn_labels.conversation_code],
        conversations,
        conversation_key,
        planning.measure,
    )
    concurrency, spikes = per_minute_tables(grid, timelines, planning.measure)

    return Measurement(
        status="ok",
        turns=turns,
        conversations=conversations,
        work=work.table,
        bursts=work_burst_table(work.table),
        workload=workload,
        concurrency=concurrency,
        spikes=spikes,
        window_start=pd.Timestamp(grid.origin_ns, tz="UTC"),
        window_end=pd.Timestamp(grid.end_ns, tz="UTC"),
        interval_minutes=planning.interval_minutes,
        business_timezone=planning.business_timezone,
        events_measured=len(assigned),
        events_dropped=len(events) - len(assigned),
        events_outside_window=outside,
    )


def _measurement_grid(
    time_ns: np.ndarray,
    planning: PlanningConfig,
    start: pd.Timestamp | str | None,
    end: pd.Timestamp | str | None,
) -> tuple[IntervalGrid, int]:
    """Build the grid of the measurement window and count the events outside it."""
    first_ns, last_ns = densest_span_ns(time_ns, planning.measure.window_max_gap_days * 86_400)
    first_ns, last_ns = trim_sparse_days(
        time_ns, first_ns, last_ns, planning.measure.window_min_day_share
    )
    window_start = _window_bound(start, "start") or pd.Timestamp(first_ns, tz="UTC")
    window_end = _window_bound(end, "end") or pd.Timestamp(last_ns + 1, tz="UTC")
    if window_end <= window_start:
        raise InputError(_empty_window_message(window_start, window_end, start, end, time_ns))
    grid = interval_grid(
        window_start, window_end, planning.interval_minutes, planning.business_timezone
    )
    outside = int(((time_ns < grid.origin_ns) | (time_ns >= grid.end_ns)).sum())
    # A default window always leaves out a few stray or trailing events, so warn only
    # when more than 1% of the log falls outside it.
    if outside > 0.01 * len(time_ns) and start is None and end is None:
        first = pd.Timestamp(grid.origin_ns, tz="UTC")
        last = pd.Timestamp(grid.end_ns, tz="UTC")
        warnings.warn(
            f"the workload covers the busiest stretch of the log, {first:%Y-%m-%d %H:%M} to "
            f"{last:%Y-%m-%d %H:%M} UTC; {outside:,} of {len(time_ns):,} events outside it "
            "count in the per-turn and per-conversation figures only. Pass a start and an "
            "end (--start, --end) to choose the window.",
            DataQualityWarning,
            stacklevel=3,
        )
    return grid, outside


def _window_bound(value: pd.Timestamp | str | None, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(
            f"invalid window {name} {value!r}; write a time like 2024-03-04T08:00"
        ) from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _empty_window_message(
    window_start: pd.Timestamp,
    window_end: pd.Timestamp,
    start: object,
    end: object,
    time_ns: np.ndarray,
) -> str:
    first = pd.Timestamp(int(time_ns.min()), tz="UTC")
    last = pd.Timestamp(int(time_ns.max()), tz="UTC")
    span = f"the log runs from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC"
    if start is not None and end is not None:
        return (
            f"the window start {window_start} is not before its end {window_end}; "
            "swap --start and --end."
        )
    if start is not None:
        return (
            f"the window start {window_start:%Y-%m-%d %H:%M} UTC is after the last event: {span}."
        )
    return f"the window end {window_end:%Y-%m-%d %H:%M} UTC is before the first event: {span}."


def _timelines(
    ordered: OrderedEvents,
    turn_labels: TurnLabels,
    turns: pd.DataFrame,
    conversations: pd.DataFrame,
    work: AgentWork,
    holds: Holds,
) -> Timelines:
    use_cases = pd.Index(sorted(conversations["use_case"].unique()), dtype="string")
    conversation_key = use_case_codes(conversations["use_case"], use_cases)
    turn_key = conversation_key[turn_labels.conversation_code]

    started_ns = conversations["started_at"].to_numpy(dtype="datetime64[ns]").view("int64")
    last_ns = conversations["last_event_at"].to_numpy(dtype="datetime64[ns]").view("int64")
    answered = turns["answered"].to_numpy()
    awaiting_end = np.where(
        answered, turn_labels.answered_ns, last_ns[turn_labels.conversation_code]
    )
    needs_agent = turns["needs_agent"].to_numpy()
    segment_conversation = turn_labels.conversation_code[holds.segment_turn]

    return Timelines(
        use_cases=use_cases,
        open=Spans(conversation_key, started_ns, last_ns),
        awaiting=Spans(turn_key, turn_labels.first_message_ns, awaiting_end),
        active=Spans(conversation_key[work.conversation_code], work.start_ns, work.end_ns),
        held=Spans(
            conversation_key[segment_conversation], holds.segment_start_ns, holds.segment_end_ns
        ),
        arrival_key=turn_key[needs_agent],
        arrival_ns=turn_labels.first_message_ns[needs_agent],
    )


def _summary_table(
    conversations: pd.DataFrame, turns: pd.DataFrame, work: pd.DataFrame, workload: pd.DataFrame
) -> pd.DataFrame:
    by_conversation = conversations.groupby("use_case", observed=True)
    agent_conversations = conversations[conversations["needs_agent"]].groupby("use_case")
    held = conversations[conversations["thread_hold_seconds"] > 0].groupby("use_case")

    by_turn = turns.groupby("use_case", observed=True)
    needing = turns[turns["needs_agent"]].groupby("use_case")
    handled = turns[turns["needs_agent"] & (turns["agent_messages"] > 0)].groupby("use_case")
    answered = turns[turns["answered"]].groupby("use_case")["response_seconds"]
    first_answered = turns[turns["answered"] & turns["is_first_turn"]].groupby("use_case")[
        "response_seconds"
    ]
    responder = turns["responder"]

    summary = pd.DataFrame(
        {
            "conversations": by_conversation.size(),
            "customer_turns": by_turn.size(),
            "answered_turns": by_turn["answered"].sum(),
            "active_seconds_per_turn": handled["active_seconds"].mean(),
            "active_seconds_per_conversation": agent_conversations["active_seconds"].mean(),
            "median_session_seconds": by_conversation["session_seconds"].median(),
            "response_seconds_p50": answered.quantile(0.5),
            "response_seconds_p90": answered.quantile(0.9),
            "turns_needing_agent": needing.size(),
            "agent_turns": (responder == "agent").fillna(False).groupby(turns["use_case"]).sum(),
            "bot_turns": (responder == "bot").fillna(False).groupby(turns["use_case"]).sum(),
            "handoff_turns": by_turn["handoff"].sum(),
            "unanswered_turns": (~turns["answered"]).groupby(turns["use_case"]).sum(),
            "first_response_seconds_p50": first_answered.quantile(0.5),
            "first_response_seconds_p90": first_answered.quantile(0.9),
            "active_seconds": work.groupby("use_case")["seconds"].sum(),
            "thread_hold_seconds_per_conversation": held["thread_hold_seconds"].mean(),
            "contained_conversations": by_conversation["contained"].sum(),
            "distinct_agents": work.groupby("use_case")["agent_id"].nunique(),
            "peakedness": workload.groupby("use_case")[["peakedness", "turns"]].apply(
                lambda group: pooled_peakedness(group["peakedness"], group["turns"])
            ),
        }
    )
    summary = summary.reindex(by_conversation.size().index)
    counts = [
        "conversations",
        "customer_turns",
        "answered_turns",
        "turns_needing_agent",
        "agent_turns",
        "bot_turns",
        "handoff_turns",
        "unanswered_turns",
        "contained_conversations",
        "distinct_agents",
    ]
    summary[counts] = summary[counts].fillna(0).astype(np.int64)
    summary["active_seconds"] = summary["active_seconds"].fillna(0.0)
    summary.index.name = "use_case"
    return summary.reset_index()[list(SUMMARY_COLUMNS)]


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else math.nan


def _quantile(values: pd.Series, level: float) -> float:
    return float(values.quantile(level)) if len(values) else math.nan


def _json_value(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _empty_measurement(planning: PlanningConfig, dropped: int) -> Measurement:
    empty = pd.DataFrame()
    return Measurement(
        status="no_events",
        turns=empty,
        conversations=empty,
        work=empty,
        bursts=empty,
        workload=empty,
        concurrency=empty,
        spikes=empty,
        window_start=None,
        window_end=None,
        interval_minutes=planning.interval_minutes,
        business_timezone=planning.business_timezone,
        events_measured=0,
        events_dropped=dropped,
        events_outside_window=0,
    )
