"""Deferred promises: staffing a backlog so that every turn is answered by its deadline.

A use case is deferred when its target is longer than the planning interval ("within
4 hours", "same business day"). Waiting inside an interval no longer matters. What
matters is that the work of every turn is done before its deadline. The plan treats
the work as a fluid: interval ``t`` brings ``w_t`` agent-seconds of work (turns times
active handling time), all of it due by the end of interval ``d_t``.

Serving the backlog earliest-deadline-first is optimal for meeting deadlines on one
pool, and such a schedule exists for given capacities exactly when, for every
interval ``t``,

* the work done by the end of ``t`` is at least the work due by then, and
* it is at most the work that has arrived by then.

With backlog ``B_t`` (work waiting at the end of interval ``t``) these become
``0 <= B_t <= arrived_t - due_t`` and ``B_t = B_{t-1} + w_t - p_t``, where ``p_t`` is
the work processed in interval ``t``. Capacity allows ``p_t`` only in open intervals
and at most ``interval_seconds * u * (y_t - n_t) + idle_t``, where ``y_t`` is the pool's
agents, ``n_t`` the agents the immediate work of a blended pool needs, ``u`` the
maximum occupancy and ``idle_t = interval_seconds * max(0, u n_t - a_t)`` the time the
immediate agents have left after their load ``a_t``: immediate work has priority and
deferred work uses what remains.

NOTE: that idle time is what lets Erlang C keep the immediate promise. An agent
finishes a deferred turn before taking an immediate one, so while deferred work
waits every agent is busy and immediate turns wait for the next agent to finish. In
a simulated day a pool planned for 80% of immediate turns within 60 s reached 56% at
``u = 1`` and 84% at ``u = 0.85``, with single intervals at 70%.

Two objectives are offered, solved with HiGHS through ``scipy.optimize.milp``:
``"constant"`` finds the lowest head count kept in every open interval, and
``"agent_hours"`` the profile with the fewest agent-hours. Among plans of equal cost
the one with the smallest total backlog wins, so work is done as early as the
staffing allows.

The fluid lets the work of interval ``t`` use all of interval ``t``'s capacity, as if
it arrived at the interval start, and plans for the mean work. In a simulated day
with ``u = 0.85`` no turn missed its deadline. With ``u = 1`` about 4% were answered
after the plan's deadline and 2% after the promised time, because random work has no
room.
"""

from __future__ import annotations

import bisect
import datetime
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, sparse

from asyncwfm.errors import InputError
from asyncwfm.plan._checks import BoolArray, FloatArray, IntArray, float_array, float_scalar

Objective = Literal["constant", "agent_hours"]
PlanStatus = Literal["optimal", "feasible", "infeasible", "time_limit", "unbounded", "error"]

_MILP_STATUS: dict[int, PlanStatus] = {
    0: "optimal",
    1: "time_limit",
    2: "infeasible",
    3: "unbounded",
    4: "error",
}


@dataclass(frozen=True)
class DeferredPlan:
    """Result of :func:`plan_deferred`: the staffing profile and the backlog it leaves.

    Attributes
    ----------
    status
        ``"optimal"``: optimal within the solver's relative gap.
        ``"feasible"``: the time limit stopped the solver after it found a plan that
        meets every deadline.
        ``"infeasible"``: no staffing within the limits meets every deadline.
        ``"time_limit"``: no plan was found in time.
        ``"unbounded"`` or ``"error"``: the solver failed.
        The arrays are None when no plan is given.
    message
        Explanation from the checks or the solver.
    objective
        ``"constant"`` or ``"agent_hours"``.
    agents
        Pool agents per interval, immediate ones included. Whole numbers when the
        plan was solved with integer agents.
    deferred_agents
        Agents beyond those the immediate work needs, per interval.
    processed_seconds
        Deferred work done per interval, in agent-seconds.
    backlog_seconds
        Deferred work waiting at the end of each interval, in agent-seconds.
    agent_hours
        Sum of ``agents`` times the interval length, in hours.
    infeasible_intervals
        Intervals whose work has no open interval between its arrival and its
        deadline, which makes the plan infeasible whatever the staffing.
    """

    status: PlanStatus
    message: str
    objective: Objective
    agents: FloatArray | None
    deferred_agents: FloatArray | None
    processed_seconds: FloatArray | None
    backlog_seconds: FloatArray | None
    agent_hours: float | None
    infeasible_intervals: tuple[int, ...] = ()


def plan_deferred(
    work_seconds: ArrayLike,
    deadline_index: ArrayLike,
    is_open: ArrayLike,
    interval_minutes: float,
    objective: Objective = "agent_hours",
    immediate_agents: ArrayLike = 0,
    immediate_load_erlangs: ArrayLike = 0.0,
    max_occupancy: float = 1.0,
    max_agents: ArrayLike | None = None,
    integer_agents: bool = True,
    time_limit_seconds: float = 60.0,
    mip_relative_gap: float = 5e-3,
) -> DeferredPlan:
    """Find the smallest staffing that answers every deferred turn before its deadline.

    Parameters
    ----------
    work_seconds
        Deferred work arriving per interval, in agent-seconds (turns times active
        handling time per turn).
    deadline_index
        Per interval, the last interval (inclusive) by whose end its work must be
        done. It is at least the interval's own index. A value past the last interval puts
        no deadline inside the horizon. :func:`deadline_intervals` builds it.
    is_open
        Per interval, whether agents can work.
    interval_minutes
        Length of one interval, in minutes.
    objective
        ``"agent_hours"`` (fewest agent-hours) or ``"constant"`` (lowest head count
        kept in every open interval).
    immediate_agents, immediate_load_erlangs
        For a blended pool: agents the immediate use cases need per interval and
        their load in Erlangs. Immediate work has priority.
    max_occupancy
        Share of agent time that may be spent on work, in ``(0, 1]``.
    max_agents
        Optional upper bound on pool agents per interval.
    integer_agents
        Solve for whole agents (a mixed-integer program) instead of fractional ones.
    time_limit_seconds
        Time limit for HiGHS, in seconds. A plan found by then that meets every
        deadline is returned with status ``"feasible"``.
    mip_relative_gap
        With integer agents, HiGHS stops once the plan is proven within this
        relative distance of the optimum (0.5 % by default). Long deadlines leave
        many equally good profiles, and for same-day promises the best whole-agent
        plan often lies 0.2 to 0.4 % above the fractional bound, so proving a much
        tighter gap can take minutes. With the default, a week of 15-minute
        intervals solved in under three seconds in the tests.

    Raises
    ------
    InputError
        For arrays of different lengths, negative work, a deadline before its own
        interval, or options outside their ranges.
    """
    work = float_array("work_seconds", work_seconds, minimum=0.0)
    count = work.size
    deadline = _index_array("deadline_index", deadline_index, count)
    open_mask = _bool_array("is_open", is_open, count)
    minutes = float_scalar(
        "interval_minutes", interval_minutes, minimum=0.0, minimum_inclusive=False
    )
    immediate = _per_interval("immediate_agents", immediate_agents, count)
    immediate_load = _per_interval("immediate_load_erlangs", immediate_load_erlangs, count)
    occupancy_cap = float_scalar(
        "max_occupancy", max_occupancy, minimum=0.0, minimum_inclusive=False, maximum=1.0
    )
    upper = None if max_agents is None else _per_interval("max_agents", max_agents, count)
    if objective not in ("constant", "agent_hours"):
        raise InputError(f"unknown objective {objective!r}. Use 'constant' or 'agent_hours'.")
    if np.any(deadline < np.arange(count)):
        position = int(np.flatnonzero(deadline < np.arange(count))[0])
        raise InputError(
            f"deadline_index must not precede its interval, got {deadline[position]} for "
            f"interval {position}. Deadlines shorter than the interval are immediate promises."
        )

    unreachable = _unreachable_deadlines(work, deadline, open_mask)
    if unreachable:
        shown = ", ".join(str(index) for index in unreachable[:10])
        return _failed(
            "infeasible",
            f"{len(unreachable)} interval(s) have work but no open interval before their "
            f"deadline (first: {shown}). Extend the opening hours or the deadline.",
            objective,
            unreachable,
        )

    problem = _Problem(work, deadline, open_mask, minutes * 60.0, immediate, immediate_load)
    gap = float_scalar("mip_relative_gap", mip_relative_gap, minimum=0.0)
    return problem.solve(objective, occupancy_cap, upper, integer_agents, time_limit_seconds, gap)


def deadline_intervals(
    interval_starts: pd.DatetimeIndex,
    interval_minutes: float,
    is_open: ArrayLike,
    target_seconds: float | None = None,
    same_business_day: bool = False,
    clock: Literal["calendar", "business_hours"] = "calendar",
) -> IntArray:
    """Return per interval the last interval by whose end its turns must be answered.

    Parameters
    ----------
    interval_starts
        Consecutive interval starts, timezone-aware in the business time zone.
    interval_minutes
        Interval length in minutes.
    is_open
        Per interval, whether it lies in the opening hours.
    target_seconds
        A promise of "within ``target_seconds``". Turns of interval ``t`` count as
        arriving at its start, the conservative end, so ``floor(target / interval)``
        intervals are available, the arrival interval included.
    same_business_day
        A promise of "the same business day": the deadline is the last open interval
        of the turn's local date at or after it. Turns arriving after the last open
        interval of their date (or on a closed date) are due at the end of the next
        date with opening hours.
    clock
        How ``target_seconds`` is counted. With ``"calendar"`` the deadline of
        interval ``t`` is ``t + floor(target / interval) - 1`` and the clock runs in
        closed hours too, so a turn that arrives at night can have a deadline before
        the next opening (the plan then reports it as infeasible). With
        ``"business_hours"`` only open intervals count, starting with the first
        open interval at or after the arrival.

    Indices may exceed the last interval when the deadline lies beyond the horizon.
    """
    starts = pd.DatetimeIndex(interval_starts)
    count = len(starts)
    open_mask = _bool_array("is_open", is_open, count)
    minutes = float_scalar(
        "interval_minutes", interval_minutes, minimum=0.0, minimum_inclusive=False
    )
    if (target_seconds is None) == (not same_business_day):
        raise InputError(
            "give either target_seconds or same_business_day=True, not both or neither."
        )
    if starts.tz is None:
        raise InputError("interval_starts must be timezone-aware in the business time zone.")

    if target_seconds is not None:
        target = float_scalar("target_seconds", target_seconds, minimum=minutes * 60.0)
        steps = int(np.floor(target / (minutes * 60.0) + 1e-9))
        if clock == "calendar":
            return np.arange(count, dtype=np.int64) + steps - 1
        if clock == "business_hours":
            return _business_hours_deadlines(open_mask, steps)
        raise InputError(f"unknown clock {clock!r}. Use 'calendar' or 'business_hours'.")

    return _same_day_deadlines(starts, open_mask)


class _Problem:
    """The mixed-integer program over per-interval agents ``y``, work ``p`` and backlog ``B``."""

    def __init__(
        self,
        work: FloatArray,
        deadline: IntArray,
        open_mask: BoolArray,
        interval_seconds: float,
        immediate: FloatArray,
        immediate_load: FloatArray,
    ) -> None:
        self.work = work
        self.open_mask = open_mask
        self.interval_seconds = interval_seconds
        self.immediate = immediate
        self.immediate_load = immediate_load
        self.count = work.size

        arrived = np.cumsum(work)
        due_by = np.zeros(self.count)
        inside = deadline < self.count
        np.add.at(due_by, deadline[inside], work[inside])
        self.backlog_limit = np.maximum(arrived - np.cumsum(due_by), 0.0)

    def solve(
        self,
        objective: Objective,
        occupancy_cap: float,
        upper: FloatArray | None,
        integer_agents: bool,
        time_limit_seconds: float,
        mip_relative_gap: float,
        box: tuple[FloatArray, FloatArray] | None = None,
    ) -> DeferredPlan:
        count = self.count
        if integer_agents and objective == "agent_hours" and count > 1 and box is None:
            # The smoothed mixed-integer program is slow on long horizons, but its
            # linear relaxation is fast, and rounding that profile up is always
            # feasible (more capacity in every interval). So solve the relaxation
            # first and search whole agents only between its floor and ceiling.
            relaxed = self.solve(
                objective, occupancy_cap, upper, False, time_limit_seconds, mip_relative_gap
            )
            if relaxed.agents is not None:
                box = (np.floor(relaxed.agents + 1e-9), np.ceil(relaxed.agents - 1e-9))
        # Variable order: agents y (count), processed p (count), backlog B (count), then
        # for the constant objective the constant head count c, and for the agent-hours
        # objective the staffing changes d (count - 1).
        extra = 1 if objective == "constant" else max(count - 1, 0)
        size = 3 * count + extra
        processed_at, backlog_at = count, 2 * count

        lower_bound = np.zeros(size)
        upper_bound = np.full(size, np.inf)
        lower_bound[:count] = self.immediate
        closed = ~self.open_mask
        upper_bound[:count][closed] = self.immediate[closed]
        if upper is not None:
            upper_bound[:count] = np.where(
                closed, self.immediate, np.maximum(upper, self.immediate)
            )
        if box is not None:
            lower_bound[:count] = np.maximum(lower_bound[:count], box[0])
            upper_bound[:count] = np.maximum(
                np.minimum(upper_bound[:count], box[1]), lower_bound[:count]
            )
        upper_bound[processed_at:backlog_at][closed] = 0.0
        upper_bound[backlog_at : 3 * count] = self.backlog_limit

        constraints = [self._flow(size), self._capacity(size, occupancy_cap)]
        cost = np.zeros(size)
        if objective == "constant":
            constraints.append(self._constant(size))
            cost[-1] = 1.0
        else:
            cost[:count] = self.interval_seconds / 3_600.0
            # Many profiles reach the fewest agent-hours, and the solver would return
            # one that idles and then bursts. A small charge per agent added or removed
            # between intervals (total variation) picks a smooth one: 1e-3 of an
            # agent-interval, so it trades at most one agent-interval for 1,000 changes.
            if count > 1:
                constraints.extend(self._changes(size))
                cost[3 * count :] = 1e-3 * self.interval_seconds / 3_600.0
        # Among plans of equal cost, prefer the one that works the backlog off earliest.
        # The whole tie-breaking term stays below 1e-4 of the cheapest head-count step,
        # so it never buys an extra agent.
        total_backlog = max(float(self.backlog_limit.sum()), 1.0)
        cost[2 * count : 3 * count] = 1e-4 * cost.max() / total_backlog

        integrality = np.zeros(size)
        if integer_agents:
            integrality[:count] = 1
            if objective == "constant":
                integrality[3 * count :] = 1

        result = optimize.milp(
            cost,
            constraints=constraints,
            integrality=integrality,
            bounds=optimize.Bounds(lower_bound, upper_bound),
            options={"time_limit": time_limit_seconds, "mip_rel_gap": mip_relative_gap},
        )
        status = _MILP_STATUS.get(int(result.status), "error")
        if status == "time_limit" and result.x is not None:
            status = "feasible"
        if status not in ("optimal", "feasible") or result.x is None:
            return _failed(status, str(result.message), objective, ())

        solution = np.asarray(result.x, dtype=np.float64)
        agents = solution[:count]
        if integer_agents:
            agents = np.rint(agents) + 0.0
        return DeferredPlan(
            status=status,
            message=str(result.message),
            objective=objective,
            agents=agents,
            deferred_agents=agents - self.immediate,
            processed_seconds=solution[processed_at:backlog_at],
            backlog_seconds=np.maximum(solution[backlog_at : 3 * count], 0.0),
            agent_hours=float(agents.sum() * self.interval_seconds / 3_600.0),
        )

    def _flow(self, size: int) -> optimize.LinearConstraint:
        """``B_t - B_{t-1} + p_t = w_t``: the backlog carries what was not processed."""
        count = self.count
        rows = np.arange(count)
        matrix = sparse.lil_matrix((count, size))
        matrix[rows, 2 * count + rows] = 1.0
        matrix[rows[1:], 2 * count + rows[:-1]] = -1.0
        matrix[rows, count + rows] = 1.0
        return optimize.LinearConstraint(matrix.tocsr(), self.work, self.work)

    def _capacity(self, size: int, occupancy_cap: float) -> optimize.LinearConstraint:
        """``p_t - T u y_t <= T (idle_t - u n_t)``: deferred work fits the spare capacity."""
        count = self.count
        rows = np.arange(count)
        matrix = sparse.lil_matrix((count, size))
        matrix[rows, count + rows] = 1.0
        matrix[rows, rows] = -self.interval_seconds * occupancy_cap
        idle = np.maximum(occupancy_cap * self.immediate - self.immediate_load, 0.0)
        limit = self.interval_seconds * (idle - occupancy_cap * self.immediate)
        return optimize.LinearConstraint(matrix.tocsr(), -np.inf, limit)

    def _changes(self, size: int) -> list[optimize.LinearConstraint]:
        """``d_t >= y_t - y_(t-1)`` and ``d_t >= y_(t-1) - y_t``: d bounds each change."""
        count = self.count
        rows = np.arange(count - 1)
        rising = sparse.lil_matrix((count - 1, size))
        rising[rows, rows + 1] = 1.0
        rising[rows, rows] = -1.0
        rising[rows, 3 * count + rows] = -1.0
        falling = sparse.lil_matrix((count - 1, size))
        falling[rows, rows + 1] = -1.0
        falling[rows, rows] = 1.0
        falling[rows, 3 * count + rows] = -1.0
        return [
            optimize.LinearConstraint(rising.tocsr(), -np.inf, 0.0),
            optimize.LinearConstraint(falling.tocsr(), -np.inf, 0.0),
        ]

    def _constant(self, size: int) -> optimize.LinearConstraint:
        """``y_t = c`` in every open interval, so that minimising ``c`` gives a flat profile."""
        open_rows = np.flatnonzero(self.open_mask)
        rows = np.arange(open_rows.size)
        matrix = sparse.lil_matrix((open_rows.size, size))
        matrix[rows, open_rows] = 1.0
        matrix[rows, size - 1] = -1.0
        return optimize.LinearConstraint(matrix.tocsr(), 0.0, 0.0)


def _unreachable_deadlines(
    work: FloatArray, deadline: IntArray, open_mask: BoolArray
) -> tuple[int, ...]:
    """Return the intervals with work and no open interval from arrival to deadline."""
    open_before = np.concatenate([[0], np.cumsum(open_mask)])
    count = work.size
    last = np.minimum(deadline, count - 1)
    open_between = open_before[last + 1] - open_before[np.arange(count)]
    due_inside = deadline < count
    stuck = (work > 0) & due_inside & (open_between == 0)
    return tuple(int(index) for index in np.flatnonzero(stuck))


def _business_hours_deadlines(open_mask: BoolArray, steps: int) -> IntArray:
    """Return the index of the ``steps``-th open interval at or after each interval."""
    count = open_mask.size
    open_through = np.cumsum(open_mask)
    open_before: IntArray = open_through - open_mask
    wanted = open_before + steps
    deadline = np.searchsorted(open_through, wanted, side="left")
    return np.where(wanted <= open_through[-1], deadline, count).astype(np.int64)


def _same_day_deadlines(starts: pd.DatetimeIndex, open_mask: BoolArray) -> IntArray:
    count = len(starts)
    dates = np.asarray(starts.date)
    last_open_of_date: dict[datetime.date, int] = {}
    for open_index in np.flatnonzero(open_mask):
        last_open_of_date[dates[open_index]] = int(open_index)

    result = np.empty(count, dtype=np.int64)
    open_dates = sorted(last_open_of_date)
    for index in range(count):
        same_day = last_open_of_date.get(dates[index])
        if same_day is not None and same_day >= index:
            result[index] = same_day
            continue
        position = bisect.bisect_right(open_dates, dates[index])
        result[index] = (
            last_open_of_date[open_dates[position]] if position < len(open_dates) else count
        )
    return result


def _failed(
    status: PlanStatus, message: str, objective: Objective, intervals: tuple[int, ...]
) -> DeferredPlan:
    return DeferredPlan(
        status=status,
        message=message,
        objective=objective,
        agents=None,
        deferred_agents=None,
        processed_seconds=None,
        backlog_seconds=None,
        agent_hours=None,
        infeasible_intervals=intervals,
    )


def _per_interval(name: str, value: ArrayLike, count: int) -> FloatArray:
    array = float_array(name, value, minimum=0.0)
    try:
        return np.array(np.broadcast_to(array, (count,)), dtype=np.float64)
    except ValueError:
        raise InputError(
            f"{name} must have one value per interval ({count}), got shape {array.shape}."
        ) from None


def _index_array(name: str, value: ArrayLike, count: int) -> IntArray:
    array = float_array(name, value, minimum=0.0)
    if array.shape != (count,) or np.any(array != np.floor(array)):
        raise InputError(f"{name} must contain one whole interval index per interval ({count}).")
    return array.astype(np.int64)


def _bool_array(name: str, value: ArrayLike, count: int) -> BoolArray:
    array = np.asarray(value)
    if array.shape != (count,):
        raise InputError(
            f"{name} must have one value per interval ({count}), got shape {array.shape}."
        )
    return array.astype(bool)
