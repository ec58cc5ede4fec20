"""Agents per use case and interval: the requirements table.

The plan works on customer turns, with service time equal to the measured active
handling time per turn (never session length). Each use case and interval gets the
larger of two head counts, and the table names the one that binds:

- **work**: the fewest agents that keep the use case's promise for the turns'
  work. Immediate promises (target no longer than the interval) use Erlang C, or
  Erlang A when the use case has a customer patience, with Hayward's approximation
  (load ``A/z`` on ``N/z`` agents) when arrivals are peaked. Deferred promises (a
  longer target, or "same business day") are planned as a backlog against their
  deadline with a linear program (:func:`asyncwfm.plan.deferred.plan_deferred`),
  using the idle time of the immediate use cases of the same agent pool.
- **concurrency**: enough thread slots (agents times the concurrency cap) for the
  threads agents hold, from the measured thread hold time per conversation.

``overflow_probability`` is the chance that more turns are in service at once than
there are agents (the spike risk), from the load and the peakedness.

The maximum occupancy caps the work constraint, and shrinkage turns agents into
scheduled agents.

Two promise views exist. An ``every`` promise applies to all turns. A ``first``
promise applies to the first turn of each conversation; the plan assumes first turns
are served before follow-up turns (non-preemptive priority, equal service times).
In M/M/N the wait of a waiting priority turn is then exponential with rate
``N mu - lambda_first``, so ``P(W_first <= t) = 1 - C(N, A) exp(-(N - A_first) t / AHT)``
(Davis 1966, "Waiting-time distribution of a multi-server, priority queuing system",
Operations Research 14(1); the mean checks against the published two-class M/M/1
example in the tests).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from asyncwfm.calendar import open_mask
from asyncwfm.config import PlanningConfig, Promise, UseCaseConfig
from asyncwfm.errors import FallbackWarning, InputError
from asyncwfm.plan._checks import ceil_with_tolerance
from asyncwfm.plan._search import smallest_passing_count
from asyncwfm.plan.concurrency import (
    SlowdownCurve,
    slot_agents,
    threads_per_agent,
    work_agents_with_slowdown,
)
from asyncwfm.plan.deferred import deadline_intervals, plan_deferred
from asyncwfm.plan.erlang import (
    SERVICE_LEVEL_TOLERANCE,
    erlang_c,
    minimal_stable_agents,
    scheduled_agents,
    service_level,
)
from asyncwfm.plan.erlang_a import erlang_a_required_agents, erlang_a_service_level
from asyncwfm.plan.peakedness import overflow_probability, peakedness_from_dispersion

REQUIREMENT_COLUMNS = (
    "interval_start",
    "use_case",
    "pool",
    "promise_kind",
    "turns",
    "first_turns",
    "aht_seconds",
    "workload_erlangs",
    "peakedness",
    "work_agents",
    "spike_agents",
    "slot_load",
    "slot_agents",
    "agents",
    "binding",
    "scheduled_agents",
    "expected_service_level",
    "overflow_probability",
    "deferred_backlog_seconds",
    "is_open",
)

DEFAULT_AHT_CREDIBILITY_TURNS = 10.0
"""Turns at which an interval's own AHT and the use case's mean AHT weigh equally."""


@dataclass(frozen=True, eq=False)
class UseCaseProfile:
    """Constants of one use case measured over the history, used for every interval.

    Attributes
    ----------
    use_case : str
        Configured use case name.
    aht_seconds : float
        Mean active handling time per handled turn, the fallback for quiet intervals.
    peakedness : float
        Hayward peakedness z of turn arrivals (at least 1 when applied).
    hold_kernel : numpy.ndarray
        Expected thread slots a conversation occupies in the interval it starts in
        (index 0) and in each later interval, from :func:`hold_kernel`. Its sum is the
        mean hold time per conversation in intervals.
    slowdown : SlowdownCurve or None
        Slow-down curve measured from the log, used when the use case sets ``measure_slowdown``.
    mean_threads : float
        Mean threads an agent held while working in the log, the concurrency at which
        ``aht_seconds`` was measured.
    """

    use_case: str
    aht_seconds: float
    peakedness: float
    hold_kernel: np.ndarray
    slowdown: SlowdownCurve | None = None
    mean_threads: float = 1.0


def hold_kernel(
    hold_seconds: np.ndarray, interval_seconds: float, max_intervals: int = 7 * 96
) -> np.ndarray:
    """Return the mean share of each interval a conversation's thread hold covers.

    A hold of ``h`` seconds that starts mid-interval covers ``min(h, interval / 2)``
    of its first interval and the rest of it in the following ones. Averaging over
    conversations (those never held count as zero) gives the kernel whose
    convolution with new conversations per interval is the mean number of occupied
    thread slots, Little's law resolved in time. Holds longer than ``max_intervals``
    are cut there.
    """
    holds = np.asarray(hold_seconds, dtype=float)
    holds = holds[np.isfinite(holds)]
    if holds.size == 0 or not np.any(holds > 0):
        return np.zeros(1)
    longest = min(
        int(np.ceil((holds.max() + interval_seconds / 2) / interval_seconds)), max_intervals
    )
    edges = np.arange(longest + 1) * interval_seconds
    start = interval_seconds / 2
    ends = start + holds
    covered = np.clip(ends[:, None], edges[:-1], edges[1:]) - np.clip(start, edges[:-1], edges[1:])
    return covered.mean(axis=0) / interval_seconds


def profile_from_measurement(
    workload: pd.DataFrame,
    conversations: pd.DataFrame | None,
    use_case: str,
    interval_seconds: float,
) -> UseCaseProfile:
    """Measure a use case's profile from its workload rows and its conversations.

    Peakedness pools the intervals' arrival dispersion (variance-to-mean ratio of
    counts) weighted by turns, then converts it to Hayward's z as ``(1 + I) / 2``
    (:func:`asyncwfm.plan.peakedness.peakedness_from_dispersion`). The hold kernel
    comes from the conversations' ``thread_hold_seconds``; without conversations, or
    for columns a forecast does not carry, neutral values apply (z = 1, no holds).
    """
    turns = workload["turns"].to_numpy(dtype=float)
    aht = workload["active_seconds_per_turn"].to_numpy(dtype=float)
    handled = (
        workload["handled_turns"].to_numpy(dtype=float) if "handled_turns" in workload else turns
    )
    weights = np.where(np.isfinite(aht), handled, 0.0)
    mean_aht = float(np.nansum(aht * weights) / weights.sum()) if weights.sum() > 0 else 0.0

    peakedness = 1.0
    if "peakedness" in workload:
        dispersion = workload["peakedness"].to_numpy(dtype=float)
        usable = np.isfinite(dispersion) & (turns > 0)
        if usable.any():
            pooled = float(np.average(dispersion[usable], weights=turns[usable]))
            peakedness = float(peakedness_from_dispersion(pooled))

    kernel = np.zeros(1)
    if conversations is not None and "thread_hold_seconds" in conversations:
        own = conversations[conversations["use_case"] == use_case]
        kernel = hold_kernel(own["thread_hold_seconds"].to_numpy(dtype=float), interval_seconds)
        if mean_aht <= 0 and {"active_seconds", "agent_turns", "handoff_turns"} <= set(own.columns):
            # No agent work inside the window: take the use case's AHT over the whole log.
            handled_turns = float((own["agent_turns"] + own["handoff_turns"]).sum())
            if handled_turns > 0:
                mean_aht = float(own["active_seconds"].sum()) / handled_turns

    return UseCaseProfile(
        use_case=use_case, aht_seconds=mean_aht, peakedness=peakedness, hold_kernel=kernel
    )


def credible_aht(
    turns: np.ndarray, aht_seconds: np.ndarray, fallback_seconds: float, weight_turns: float
) -> np.ndarray:
    """Blend each interval's AHT with the use case's mean AHT by the interval's volume.

    An interval with ``n`` turns gets ``(n * aht + k * mean) / (n + k)``, a credibility
    weighting (Bühlmann 1967) that keeps a quiet interval with two slow turns from
    doubling the plan. Intervals without a measured AHT get the mean.
    """
    own = np.where(np.isfinite(aht_seconds), aht_seconds, 0.0)
    weight = np.where(np.isfinite(aht_seconds), turns, 0.0)
    return (weight * own + weight_turns * fallback_seconds) / (weight + weight_turns)


def promise_service_level(
    agents: np.ndarray,
    load_erlangs: np.ndarray,
    first_load_erlangs: np.ndarray,
    aht_seconds: np.ndarray,
    promise: Promise,
    peakedness: float = 1.0,
) -> np.ndarray:
    """Return the expected share of promised turns answered within the target.

    For an ``every`` promise this is the Erlang C service level; for a ``first``
    promise only the first turns' own load slows them once all agents are busy (see
    the module docstring). With ``peakedness`` z > 1 agents and loads are divided by
    z (Hayward). Unstable intervals (agents not above the load) get 0.
    """
    servers = np.asarray(agents, dtype=float) / peakedness
    load = np.asarray(load_erlangs, dtype=float) / peakedness
    priority_load = (
        first_load_erlangs if promise.response == "first" else load_erlangs
    ) / peakedness
    wait_probability = erlang_c(servers, load)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        exponent = (
            -(servers - priority_load) * promise.target_seconds / np.maximum(aht_seconds, 1e-9)
        )
        level = 1.0 - wait_probability * np.exp(exponent)
    stable = servers > load
    return np.where(load <= 0, 1.0, np.where(stable, np.clip(level, 0.0, 1.0), 0.0))


def minimal_agents(
    load_erlangs: np.ndarray,
    first_load_erlangs: np.ndarray,
    aht_seconds: np.ndarray,
    promise: Promise,
    max_occupancy: float | None,
    peakedness: float = 1.0,
) -> np.ndarray:
    """Return the fewest agents per interval that keep ``promise`` and the occupancy cap.

    The promised service level never falls as agents are added, so one vectorised
    doubling-and-bisection search finds every interval at once. Zero load gives 0.
    """
    load = np.asarray(load_erlangs, dtype=float)
    result = np.zeros(load.shape, dtype=np.int64)
    busy = load > 0
    if not busy.any():
        return result

    busy_load = load[busy]
    busy_first = np.asarray(first_load_erlangs, dtype=float)[busy]
    busy_aht = np.asarray(aht_seconds, dtype=float)[busy]

    def keeps_promise(agents: np.ndarray) -> np.ndarray:
        level = promise_service_level(agents, busy_load, busy_first, busy_aht, promise, peakedness)
        return level >= promise.service_level - SERVICE_LEVEL_TOLERANCE

    lower = minimal_stable_agents(busy_load)
    if max_occupancy is not None:
        lower = np.maximum(lower, ceil_with_tolerance(busy_load / max_occupancy))
    result[busy] = smallest_passing_count(keeps_promise, lower)
    return result


def carry_closed_turns(turns: np.ndarray, is_open: np.ndarray) -> tuple[np.ndarray, float]:
    """Move turns that arrive while closed to the next open interval.

    Returns the carried turn counts and the turns still waiting after the last open
    interval of the window (they cannot be planned inside it).
    """
    carried = np.zeros_like(turns, dtype=float)
    waiting = 0.0
    for index, count in enumerate(turns):
        waiting += float(count)
        if is_open[index]:
            carried[index] = waiting
            waiting = 0.0
    return carried, waiting


def is_deferred(promise: Promise, interval_minutes: int) -> bool:
    """Return whether a promise is planned as a backlog rather than as a queue.

    Deferred promises have a target longer than the planning interval, or ask for
    an answer the same business day.
    """
    return promise.same_business_day or promise.target_seconds > interval_minutes * 60


@dataclass(frozen=True)
class _Prepared:
    """One use case's inputs on its interval grid, before staffing.

    ``name`` is the use case as the workload spells it, which the requirements keep;
    ``settings.name`` may differ for a label the configuration does not list.
    """

    name: str
    settings: UseCaseConfig
    pool: str
    starts: pd.Series
    is_open: np.ndarray
    turns: np.ndarray
    first_turns: np.ndarray
    aht: np.ndarray
    load: np.ndarray
    first_load: np.ndarray
    peakedness: float
    slot_load: np.ndarray
    slowdown: SlowdownCurve | None
    mean_threads: float


def _slowdown_curve(settings: UseCaseConfig, profile: UseCaseProfile) -> SlowdownCurve | None:
    """Return the configured curve, the measured one when asked for, or None."""
    if settings.slowdown_threads:
        return SlowdownCurve(tuple(settings.slowdown_threads), tuple(settings.slowdown_factors))
    if settings.measure_slowdown and profile.slowdown is not None:
        return profile.slowdown
    if settings.measure_slowdown:
        warnings.warn(
            f"use case {settings.name!r} asks for a measured slow-down curve, but the log has "
            "too few work items with handle times per thread count; planned without one.",
            FallbackWarning,
            stacklevel=5,
        )
    return None


def _prepare(
    rows: pd.DataFrame,
    config: PlanningConfig,
    use_case: str,
    profile: UseCaseProfile,
    aht_credibility_turns: float,
    pooled_aht_seconds: float,
) -> _Prepared:
    rows = rows.sort_values("interval_start").reset_index(drop=True)
    settings = config.use_case_named(use_case)
    interval_seconds = float(config.interval_seconds)
    is_open = open_mask(rows["interval_start"], config)

    raw_turns = rows["turns"].to_numpy(dtype=float)
    turns, _ = carry_closed_turns(raw_turns, is_open)
    first_source = "first_turns" if "first_turns" in rows else "new_conversations"
    first_turns, _ = carry_closed_turns(rows[first_source].to_numpy(dtype=float), is_open)
    first_turns = np.minimum(first_turns, turns)

    handled = rows["handled_turns"].to_numpy(dtype=float) if "handled_turns" in rows else raw_turns
    measured_aht = rows["active_seconds_per_turn"].to_numpy(dtype=float)
    fallback_aht = _fallback_aht(
        profile, config, use_case, float(raw_turns.sum()), pooled_aht_seconds
    )
    aht = credible_aht(handled, measured_aht, fallback_aht, aht_credibility_turns)

    conversations = rows["new_conversations"].to_numpy(dtype=float)
    slot_load = np.convolve(conversations, profile.hold_kernel)[: len(conversations)]
    return _Prepared(
        name=use_case,
        settings=settings,
        pool=settings.pool or use_case,
        starts=rows["interval_start"],
        is_open=is_open,
        turns=turns,
        first_turns=first_turns,
        aht=aht,
        load=turns * aht / interval_seconds,
        first_load=first_turns * aht / interval_seconds,
        peakedness=max(profile.peakedness, 1.0) if config.use_peakedness else 1.0,
        slot_load=slot_load,
        slowdown=_slowdown_curve(settings, profile),
        mean_threads=profile.mean_threads,
    )


def _fallback_aht(
    profile: UseCaseProfile,
    config: PlanningConfig,
    use_case: str,
    turns: float,
    pooled_aht_seconds: float,
) -> float:
    """Return the use case's mean AHT, or a fallback when the log has none for it.

    The fallbacks, in order: ``default_aht_seconds`` from the configuration, then
    the mean AHT of the other use cases (with a warning that names the use case).

    Raises
    ------
    InputError
        When the use case has turns but no use case of the log has agent work (an
        inbound-only export) and ``default_aht_seconds`` is not set, because planning
        those turns at zero handling time would staff no agent at all.
    """
    if profile.aht_seconds > 0:
        return profile.aht_seconds
    if config.default_aht_seconds is not None:
        return config.default_aht_seconds
    if turns > 0 and pooled_aht_seconds > 0:
        warnings.warn(
            f"use case {use_case!r} has {turns:,.0f} customer turns but no agent work in the "
            f"log, so it is planned with the other use cases' mean AHT of "
            f"{pooled_aht_seconds:,.0f} s; set default_aht_seconds to choose another value.",
            FallbackWarning,
            stacklevel=4,
        )
        return pooled_aht_seconds
    if turns > 0:
        raise InputError(
            f"use case {use_case!r} has {turns:,.0f} customer turns but no agent work was "
            "measured (the log has no agent replies or handle times for it), so its handling "
            "time is unknown. Set default_aht_seconds in the configuration, e.g. "
            "default_aht_seconds = 180, or ingest a log with the agents' replies."
        )
    return 0.0


def _immediate_work_agents(
    prepared: _Prepared, config: PlanningConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return work agents, the spike allowance within them, and the expected service level."""
    promise = prepared.settings.promise
    patience = prepared.settings.patience_seconds
    if prepared.slowdown is not None and prepared.settings.concurrency_cap is not None:
        return _slowed_work_agents(prepared, config)
    if patience is not None:
        agents = erlang_a_required_agents(
            prepared.load,
            np.maximum(prepared.aht, 1e-9),
            patience,
            promise.target_seconds,
            promise.service_level,
            max_occupancy=config.max_occupancy,
        )
        level = erlang_a_service_level(
            np.maximum(agents, 1),
            prepared.load,
            np.maximum(prepared.aht, 1e-9),
            patience,
            promise.target_seconds,
        )
        level = np.where(prepared.load > 0, level, 1.0)
        return agents, np.zeros_like(agents), level

    plain = minimal_agents(
        prepared.load, prepared.first_load, prepared.aht, promise, config.max_occupancy
    )
    agents = minimal_agents(
        prepared.load,
        prepared.first_load,
        prepared.aht,
        promise,
        config.max_occupancy,
        prepared.peakedness,
    )
    level = promise_service_level(
        agents, prepared.load, prepared.first_load, prepared.aht, promise, prepared.peakedness
    )
    return agents, agents - plain, level


def _slowed_work_agents(
    prepared: _Prepared, config: PlanningConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Staff the work when handling slows with the threads each agent holds.

    The measured AHT applies at the log's mean threads per agent, so it is divided
    by the curve's factor there to get the one-thread AHT; each head count then
    sets the threads per agent, the factor and the Erlang C service level
    (:func:`asyncwfm.plan.concurrency.work_agents_with_slowdown`).

    NOTE: this path uses the every-response Erlang C view without Hayward's
    peakedness or customer patience.
    """
    curve = prepared.slowdown
    cap = prepared.settings.concurrency_cap
    assert curve is not None and cap is not None
    promise = prepared.settings.promise
    base_factor = float(curve.factor(prepared.mean_threads))
    base_load = prepared.load / base_factor
    base_aht = np.maximum(prepared.aht / base_factor, 1e-9)
    agents = work_agents_with_slowdown(
        base_load,
        base_aht,
        promise.target_seconds,
        promise.service_level,
        prepared.slot_load,
        cap,
        curve,
    )
    if config.max_occupancy is not None:
        busy = prepared.load > 0
        occupancy_floor = np.where(busy, np.ceil(prepared.load / config.max_occupancy - 1e-9), 0)
        agents = np.maximum(agents, occupancy_floor.astype(np.int64))
    factor = curve.factor(threads_per_agent(np.maximum(agents, 1), prepared.slot_load, cap))
    level = service_level(agents, base_load * factor, base_aht * factor, promise.target_seconds)
    return agents, np.zeros_like(agents), level


def _slot_agents(prepared: _Prepared) -> np.ndarray:
    cap = prepared.settings.concurrency_cap
    if cap is None:
        return np.zeros(len(prepared.turns), dtype=np.int64)
    return slot_agents(prepared.slot_load, cap, prepared.settings.promise.service_level)


def _frame(
    prepared: _Prepared,
    kind: str,
    work_agents: np.ndarray,
    spike_agents: np.ndarray,
    level: np.ndarray,
    backlog_seconds: np.ndarray,
    config: PlanningConfig,
) -> pd.DataFrame:
    work = np.where(prepared.is_open, work_agents, 0).astype(np.int64)
    slots = np.where(prepared.is_open, _slot_agents(prepared), 0).astype(np.int64)
    agents = np.maximum(work, slots)
    binding = np.where(
        slots > work, "concurrency", np.where(kind == "deferred", "deadline", "work")
    )
    binding = np.where(agents == 0, np.where(prepared.is_open, "none", "closed"), binding)
    return pd.DataFrame(
        {
            "interval_start": prepared.starts.to_numpy(),
            "use_case": prepared.name,
            "pool": prepared.pool,
            "promise_kind": kind,
            "turns": prepared.turns,
            "first_turns": prepared.first_turns,
            "aht_seconds": prepared.aht,
            "workload_erlangs": prepared.load,
            "peakedness": prepared.peakedness,
            "work_agents": work,
            "spike_agents": np.where(prepared.is_open, spike_agents, 0).astype(np.int64),
            "slot_load": prepared.slot_load,
            "slot_agents": slots,
            "agents": agents,
            "binding": binding,
            "scheduled_agents": scheduled_agents(agents, config.shrinkage),
            "expected_service_level": level,
            "overflow_probability": np.where(
                prepared.load > 0,
                overflow_probability(agents, prepared.load, prepared.peakedness),
                0.0,
            ),
            "deferred_backlog_seconds": backlog_seconds,
            "is_open": prepared.is_open,
        }
    )


def _plan_deferred_pool(
    deferred: list[_Prepared],
    immediate_agents: np.ndarray,
    immediate_load: np.ndarray,
    config: PlanningConfig,
) -> list[pd.DataFrame]:
    """Plan the deferred use cases of one pool, shortest target first, on idle capacity.

    Each use case is planned as a backlog against its deadline with the agents
    already planned in the pool (immediate ones, then earlier deferred ones) working
    it first on their idle time.
    """
    frames = []
    ordered = sorted(
        deferred,
        key=lambda p: (p.settings.promise.same_business_day, p.settings.promise.target_seconds),
    )
    for prepared in ordered:
        promise = prepared.settings.promise
        starts = pd.DatetimeIndex(prepared.starts)
        deadlines = deadline_intervals(
            starts,
            config.interval_minutes,
            prepared.is_open,
            target_seconds=None if promise.same_business_day else promise.target_seconds,
            same_business_day=promise.same_business_day,
            clock="business_hours" if config.opening_hours else "calendar",
        )
        result = plan_deferred(
            prepared.turns * prepared.aht,
            deadlines,
            prepared.is_open,
            config.interval_minutes,
            objective="agent_hours",
            immediate_agents=immediate_agents,
            immediate_load_erlangs=immediate_load,
            max_occupancy=config.max_occupancy or 1.0,
        )
        if result.deferred_agents is None or result.backlog_seconds is None:
            # NOTE: an infeasible deadline (work with no open interval before it) is
            # staffed as an immediate promise, and its rows mark this in promise_kind.
            work, spike, level = _immediate_work_agents(prepared, config)
            frames.append(
                _frame(
                    prepared,
                    f"deferred_{result.status}",
                    work,
                    spike,
                    level,
                    np.zeros(len(work)),
                    config,
                )
            )
            continue
        work = np.ceil(result.deferred_agents - 1e-9).astype(np.int64)
        level = np.ones(len(work))
        frames.append(
            _frame(
                prepared,
                "deferred",
                work,
                np.zeros_like(work),
                level,
                result.backlog_seconds,
                config,
            )
        )
        immediate_agents = immediate_agents + work
        immediate_load = immediate_load + prepared.load
    return frames


def _pooled_aht(
    groups: list[tuple[str, pd.DataFrame]], profiles: dict[str, UseCaseProfile]
) -> float:
    """Return the turn-weighted mean AHT of the use cases that have one."""
    weights = []
    values = []
    for name, rows in groups:
        if profiles[name].aht_seconds > 0:
            weights.append(max(float(rows["turns"].sum()), 1e-9))
            values.append(profiles[name].aht_seconds)
    return float(np.average(values, weights=weights)) if values else 0.0


def plan_requirements(
    workload: pd.DataFrame,
    config: PlanningConfig,
    profiles: dict[str, UseCaseProfile] | None = None,
    aht_credibility_turns: float = DEFAULT_AHT_CREDIBILITY_TURNS,
) -> pd.DataFrame:
    """Return the requirements table for every use case in ``workload``.

    Parameters
    ----------
    workload : pandas.DataFrame
        One row per use case and interval (``interval_start`` tz-aware in the business
        time zone, ``use_case``, ``turns``, ``new_conversations``,
        ``active_seconds_per_turn``; ``first_turns``, ``handled_turns``,
        ``peakedness``, ``thread_hold_seconds`` and ``held_conversations`` are used
        when present).
    config : PlanningConfig
        Promises, caps, patience, pools, interval length, occupancy cap, shrinkage and
        opening hours.
    profiles : dict of UseCaseProfile, optional
        Measured constants per use case (fallback AHT, peakedness, thread hold), from
        :func:`profile_from_measurement`. A forecast workload lacks those columns, so
        pass the profiles of the measured history. By default they are measured from
        ``workload`` itself, without thread holds (no slot constraint).
    aht_credibility_turns : float
        Turns at which an interval's own AHT and the use case's mean weigh equally.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REQUIREMENT_COLUMNS`, ordered by interval then use case.
    """
    groups = [
        (str(name), rows) for name, rows in workload.groupby("use_case", sort=True, observed=True)
    ]
    chosen = {
        name: (profiles or {}).get(name)
        or profile_from_measurement(rows, None, name, config.interval_seconds)
        for name, rows in groups
    }
    pooled_aht = _pooled_aht(groups, chosen)

    prepared_by_pool: dict[str, list[_Prepared]] = {}
    for name, rows in groups:
        prepared = _prepare(rows, config, name, chosen[name], aht_credibility_turns, pooled_aht)
        prepared_by_pool.setdefault(prepared.pool, []).append(prepared)

    frames: list[pd.DataFrame] = []
    for members in prepared_by_pool.values():
        immediate = [
            p for p in members if not is_deferred(p.settings.promise, config.interval_minutes)
        ]
        deferred = [p for p in members if is_deferred(p.settings.promise, config.interval_minutes)]
        size = len(members[0].turns)
        pool_agents = np.zeros(size)
        pool_load = np.zeros(size)
        for prepared in immediate:
            work, spike, level = _immediate_work_agents(prepared, config)
            frame = _frame(prepared, "immediate", work, spike, level, np.zeros(size), config)
            frames.append(frame)
            pool_agents = pool_agents + frame["agents"].to_numpy()
            pool_load = pool_load + prepared.load
        if deferred:
            frames.extend(_plan_deferred_pool(deferred, pool_agents, pool_load, config))

    if not frames:
        return pd.DataFrame(columns=list(REQUIREMENT_COLUMNS))
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["interval_start", "use_case"], kind="stable").reset_index(drop=True)
