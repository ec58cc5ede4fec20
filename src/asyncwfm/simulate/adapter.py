"""Build simulation inputs from the measure and plan tables, and write staffing back.

The adapter reads only the documented columns of the table contracts:

- ``turns`` (measure): ``conversation_id, use_case, turn_index, first_message_at,
  answered_at, responder, active_seconds``. Turns answered by an agent or never
  answered need an agent; bot turns cost no agent time and are left out.
- ``workload`` (measure or forecast) or ``requirements`` (plan): ``interval_start,
  use_case, turns``, plus ``active_seconds_per_turn`` (or ``aht_seconds``) and
  ``peakedness`` when present. A workload's ``peakedness`` is the variance-to-mean
  ratio ``I`` of arrival counts, which the simulation uses as is. A requirements table
  (recognised by its ``work_agents`` column) stores Hayward's ``z = (1 + I) / 2``
  instead, so the adapter converts it back to ``I = 2 z - 1``.
- ``requirements`` (plan): ``interval_start, use_case, agents``.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from asyncwfm.config import PlanningConfig
from asyncwfm.errors import FallbackWarning, InputError
from asyncwfm.simulate.model import (
    Constant,
    Distribution,
    Empirical,
    Exponential,
    LogNormal,
    ResponseClock,
    SimulationModel,
    Staffing,
    TraceConversations,
    UseCaseModel,
)

Fit = Literal["empirical", "lognormal"]

_TURN_COLUMNS = (
    "conversation_id",
    "use_case",
    "turn_index",
    "first_message_at",
    "answered_at",
    "responder",
    "active_seconds",
)
DEFAULT_AHT_SECONDS = 300.0
"""Work per turn assumed for a use case with neither measured turns nor an AHT column."""


def model_from_measurement(
    turns: pd.DataFrame,
    workload: pd.DataFrame,
    config: PlanningConfig,
    *,
    fit: Fit = "empirical",
    use_peakedness: bool = True,
    replay: bool = False,
    response_clock: ResponseClock = "start",
) -> SimulationModel:
    """Build a :class:`SimulationModel` from measured turns and a workload per interval.

    Parameters
    ----------
    turns : pandas.DataFrame
        The measured ``turns`` table; it supplies work per turn, turns per conversation
        and think times (from an agent's reply to the customer's next turn).
    workload : pandas.DataFrame
        Turns per use case and interval, from the history, a forecast or a requirements
        table. The simulated conversations per interval are ``turns`` divided by the
        mean turns per conversation, so the simulated turn volume matches the table.
        When ``active_seconds_per_turn`` or ``aht_seconds`` is present, the work of each
        conversation is scaled so its mean follows that interval's value.
    config : PlanningConfig
        Interval length, time zone, promises, caps, patience, pools and the simulation
        settings (idle timeout, dispatch).
    fit : {"empirical", "lognormal"}
        Resample the measured values, or fit a log-normal to work and think times.
    use_peakedness : bool
        Draw batched arrivals where the workload's ``peakedness`` column exceeds 1.
    replay : bool
        Replay the measured conversations that start within the horizon instead of
        drawing random ones.
    response_clock : {"start", "reply"}
        What ends a simulated response time; see :class:`SimulationModel`.

    Raises
    ------
    InputError
        When a required column is missing or the interval starts are not on one grid.
    """
    _require_columns(workload, ("interval_start", "use_case", "turns"), "workload")
    _require_columns(turns, _TURN_COLUMNS, "turns")
    interval_seconds = float(config.interval_seconds)
    starts = _interval_grid(workload["interval_start"], interval_seconds, config)
    agent_turns = _agent_turns(turns)

    names = list(dict.fromkeys(workload["use_case"].astype(str)))
    use_cases = tuple(
        _use_case_model(name, workload, agent_turns, starts, config, fit, use_peakedness)
        for name in names
    )
    trace = _trace(agent_turns, starts, names, interval_seconds) if replay else None
    return SimulationModel(
        interval_seconds=interval_seconds,
        use_cases=use_cases,
        idle_timeout_seconds=config.simulation.idle_timeout_seconds,
        dispatch=config.simulation.dispatch,
        response_clock=response_clock,
        interval_starts=starts,
        trace=trace,
    )


def _require_columns(table: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(
            f"{name} table is missing columns {missing}; found {list(table.columns)}. "
            "See the table contracts in docs/architecture.md."
        )


def _as_utc(values: pd.Series | pd.Index) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(pd.to_datetime(values))
    if index.tz is None:
        raise InputError(
            "interval_start must be timezone-aware; naive local times are ambiguous on DST days"
        )
    return index.tz_convert("UTC")


def _interval_grid(
    interval_start: pd.Series, interval_seconds: float, config: PlanningConfig
) -> pd.DatetimeIndex:
    """Return the full grid from the first to the last interval start, in the business zone."""
    utc = _as_utc(interval_start).unique().sort_values()
    if utc.size == 0:
        raise InputError("workload table has no rows; nothing to simulate")
    step = pd.Timedelta(seconds=interval_seconds)
    offsets = (utc - utc[0]) / step
    if not np.allclose(offsets, np.round(offsets)):
        raise InputError(
            f"interval starts are not on a {interval_seconds:.0f}-second grid; "
            "check interval_minutes in the configuration"
        )
    grid = pd.date_range(utc[0], utc[-1], freq=step)
    return grid.tz_convert(config.business_timezone)


def _agent_turns(turns: pd.DataFrame) -> pd.DataFrame:
    """Return turns that need an agent, with think time to the next such turn."""
    frame = turns.loc[:, list(_TURN_COLUMNS)].copy()
    responder = frame["responder"].astype("string")
    frame = frame[(responder == "agent") | responder.isna()]
    frame = frame.sort_values(["conversation_id", "turn_index"])
    first = pd.to_datetime(frame["first_message_at"], utc=True)
    answered = pd.to_datetime(frame["answered_at"], utc=True)
    next_first = first.groupby(frame["conversation_id"]).shift(-1)
    think = (next_first - answered).dt.total_seconds()
    frame["think_seconds"] = think.clip(lower=0.0)
    frame["first_message_at"] = first
    frame["use_case"] = frame["use_case"].astype(str)
    frame["active_seconds"] = pd.to_numeric(frame["active_seconds"], errors="coerce")
    return frame


def _use_case_model(
    name: str,
    workload: pd.DataFrame,
    agent_turns: pd.DataFrame,
    starts: pd.DatetimeIndex,
    config: PlanningConfig,
    fit: Fit,
    use_peakedness: bool,
) -> UseCaseModel:
    rows = workload[workload["use_case"].astype(str) == name]
    position = starts.get_indexer(_as_utc(rows["interval_start"]).tz_convert(starts.tz))
    turns_per_interval = np.zeros(starts.size)
    np.add.at(turns_per_interval, position, pd.to_numeric(rows["turns"]).fillna(0).to_numpy())

    measured = agent_turns[agent_turns["use_case"] == name]
    aht_column = _aht_column(rows)
    aht = _per_interval(rows, aht_column, position, starts.size) if aht_column else None
    work, turns_dist, think = _distributions(name, measured, aht, fit)
    conversations = turns_per_interval / turns_dist.mean

    work_scale = None
    if aht is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = aht / work.mean
        work_scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    peakedness = None
    if use_peakedness and "peakedness" in rows.columns:
        values = _per_interval(rows, "peakedness", position, starts.size)
        if "work_agents" in rows.columns:
            # The plan stores Hayward's z, and batches of mean size z give counts with
            # variance-to-mean ratio 2 z - 1.
            # NOTE: a plan made with use_peakedness = false stores z = 1 even for
            # bunched arrivals, so a simulation built from it draws Poisson arrivals.
            values = 2.0 * values - 1.0
        peakedness = np.where(np.isfinite(values) & (values > 0), values, 1.0)

    settings = config.use_case_named(name)
    patience = settings.patience_seconds
    return UseCaseModel(
        name=name,
        conversations_per_interval=conversations,
        turns_per_conversation=turns_dist,
        work_seconds=work,
        think_seconds=think,
        target_seconds=settings.promise.target_seconds,
        service_level=settings.promise.service_level,
        response=settings.promise.response,
        concurrency_cap=settings.concurrency_cap,
        patience=Exponential(patience) if patience is not None else None,
        pool=settings.pool or name,
        peakedness=peakedness,
        work_scale=work_scale,
    )


def _aht_column(rows: pd.DataFrame) -> str | None:
    for column in ("active_seconds_per_turn", "aht_seconds"):
        if column in rows.columns:
            return column
    return None


def _per_interval(rows: pd.DataFrame, column: str, position: np.ndarray, size: int) -> np.ndarray:
    values = np.full(size, np.nan)
    values[position] = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)
    return values


def _distributions(
    name: str, measured: pd.DataFrame, aht: np.ndarray | None, fit: Fit
) -> tuple[Distribution, Distribution, Distribution]:
    """Return work, turns-per-conversation and think-time distributions of one use case."""
    work_values = measured["active_seconds"].to_numpy(dtype=float)
    work_values = work_values[np.isfinite(work_values) & (work_values > 0)]
    if work_values.size < 2:
        finite_aht = aht[np.isfinite(aht) & (aht > 0)] if aht is not None else np.array([])
        mean = float(finite_aht.mean()) if finite_aht.size else DEFAULT_AHT_SECONDS
        warnings.warn(
            f"use case {name!r} has {work_values.size} measured agent turns with work; "
            f"simulating exponential work with mean {mean:.0f} s, one turn per conversation "
            "and no think time",
            FallbackWarning,
            stacklevel=4,
        )
        return Exponential(mean), Constant(1.0), Constant(0.0)

    counts = measured.groupby("conversation_id").size().to_numpy(dtype=float)
    think_values = measured["think_seconds"].to_numpy(dtype=float)
    think_values = think_values[np.isfinite(think_values)]
    turns_dist: Distribution = Empirical(counts)
    think: Distribution = Empirical(think_values) if think_values.size else Constant(0.0)
    if fit == "lognormal":
        work: Distribution = LogNormal.fit(work_values)
        if np.count_nonzero(think_values > 0) >= 2:
            think = LogNormal.fit(think_values)
        return work, turns_dist, think
    return Empirical(work_values), turns_dist, think


def _trace(
    agent_turns: pd.DataFrame,
    starts: pd.DatetimeIndex,
    names: list[str],
    interval_seconds: float,
) -> TraceConversations:
    """Return the measured conversations whose first agent turn falls within the horizon."""
    origin = starts[0].tz_convert("UTC")
    end = origin + pd.Timedelta(seconds=interval_seconds * starts.size)
    frame = agent_turns[agent_turns["use_case"].isin(names)]
    first_at = frame.groupby("conversation_id")["first_message_at"].transform("min")
    frame = frame[(first_at >= origin) & (first_at < end)].copy()
    frame["work"] = frame["active_seconds"].fillna(0.0).clip(lower=0.0)
    frame["think"] = frame["think_seconds"].fillna(0.0)
    frame = frame.sort_values(["conversation_id", "turn_index"])
    grouped = frame.groupby("conversation_id", sort=False)
    heads = grouped.head(1)
    return TraceConversations(
        start_seconds=(heads["first_message_at"] - origin).dt.total_seconds().to_numpy(),
        use_case=heads["use_case"].map({n: i for i, n in enumerate(names)}).to_numpy(np.int64),
        turns=grouped.size().reindex(heads["conversation_id"]).to_numpy(np.int64),
        work_seconds=frame["work"].to_numpy(float),
        think_seconds=frame["think"].to_numpy(float),
    )


def staffing_from_requirements(
    requirements: pd.DataFrame, model: SimulationModel, column: str = "agents"
) -> Staffing:
    """Return agents per pool and interval from a requirements table.

    Use cases that share a pool add their agents. Intervals of the model that the table
    does not list get zero agents; rows outside the model's intervals are ignored.

    Raises
    ------
    InputError
        When a column is missing or a row's agents are not a finite number >= 0.
    """
    _require_columns(requirements, ("interval_start", "use_case", column), "requirements")
    if model.interval_starts is None:
        raise InputError("the model has no interval_starts to align the requirements with")
    position = model.interval_starts.get_indexer(
        _as_utc(requirements["interval_start"]).tz_convert(model.interval_starts.tz)
    )
    values = agents_per_row(requirements, column)
    use_case_names = requirements["use_case"].astype(str).to_numpy()
    agents = np.zeros((len(model.pools), model.n_intervals))
    pool_of = {u.name: model.pools.index(u.pool) for u in model.use_cases}
    for name, k, value in zip(use_case_names, position, values, strict=True):
        if k >= 0 and name in pool_of:
            agents[pool_of[name], k] += value
    return Staffing(model.pools, agents)


def invalid_agent_rows(values: pd.Series) -> pd.Series:
    """Return a mask of the values that are not a finite number of agents >= 0.

    An empty cell is invalid too: a plan without a value for an interval is not a plan
    of zero agents.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return ~(np.isfinite(numbers) & (numbers >= 0))


def describe_agent_value(value: object) -> str:
    """Return an invalid agents cell as the message shows it: quoted text, a number or empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "an empty cell"
    return repr(value) if isinstance(value, str) else str(value)


def agents_per_row(requirements: pd.DataFrame, column: str) -> np.ndarray:
    """Return ``requirements[column]`` as floats, or raise naming the first invalid row."""
    invalid = invalid_agent_rows(requirements[column])
    if invalid.any():
        rows = requirements.index[invalid.to_numpy()]
        first = rows[0]
        raise InputError(
            f"requirements column {column!r} needs a number of agents >= 0 in every row; "
            f"row {first} has {describe_agent_value(requirements.at[first, column])} "
            f"({len(rows)} invalid row(s))"
        )
    return pd.to_numeric(requirements[column]).to_numpy(float)


def requirements_with_staffing(
    requirements: pd.DataFrame,
    staffing: Staffing,
    model: SimulationModel,
    column: str = "tuned_agents",
    basis: str = "agents",
) -> pd.DataFrame:
    """Return a copy of ``requirements`` with the pool staffing split into ``column``.

    A pool with one use case gives it all its agents. A shared pool splits its agents
    over its use cases in proportion to ``basis`` (largest remainder, so the parts add
    up), or equally where ``basis`` is zero for all of them.
    """
    if model.interval_starts is None:
        raise InputError("the model has no interval_starts to align the requirements with")
    table = requirements.copy()
    position = model.interval_starts.get_indexer(
        _as_utc(table["interval_start"]).tz_convert(model.interval_starts.tz)
    )
    agents = staffing.for_model(model)
    basis_values = pd.to_numeric(table[basis], errors="coerce").fillna(0).to_numpy(float)
    result = np.zeros(len(table), dtype=np.int64)
    use_case_names = table["use_case"].astype(str).to_numpy()
    pool_of = {u.name: model.pools.index(u.pool) for u in model.use_cases}
    rows_by_key: dict[tuple[int, int], list[int]] = {}
    for row, (name, k) in enumerate(zip(use_case_names, position, strict=True)):
        if k >= 0 and name in pool_of:
            rows_by_key.setdefault((pool_of[name], int(k)), []).append(row)
    for (pool, k), rows in rows_by_key.items():
        result[rows] = _split(int(agents[pool, k]), basis_values[rows])
    table[column] = result
    return table


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` by largest remainder."""
    weights = np.where(weights > 0, weights, 0.0)
    if weights.sum() == 0:
        weights = np.ones_like(weights)
    exact = total * weights / weights.sum()
    parts = np.floor(exact).astype(np.int64)
    leftover = total - parts.sum()
    order = np.argsort(-(exact - parts), kind="stable")
    parts[order[:leftover]] += 1
    return parts
