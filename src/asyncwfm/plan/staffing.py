"""Single-interval staffing that combines the work and thread-slot constraints.

The work constraint staffs the customer turns: Erlang C, with Hayward's scaling when
the arrivals are peaked and Erlang A when customers abandon. The slot constraint
staffs the threads under a concurrency cap (:mod:`asyncwfm.plan.concurrency`). The
plan is the larger of the two, and ``binding`` names the one that set it. An
optional slow-down curve raises the handling time when agents juggle more threads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from asyncwfm.errors import InputError
from asyncwfm.plan._checks import BoolArray, FloatArray, IntArray, float_scalar
from asyncwfm.plan._search import smallest_passing_count
from asyncwfm.plan.concurrency import (
    Binding,
    SlotModel,
    SlowdownCurve,
    slot_agents,
    slot_load_erlangs,
    threads_per_agent,
)
from asyncwfm.plan.erlang import (
    SERVICE_LEVEL_TOLERANCE,
    average_speed_of_answer,
    erlang_c,
    minimal_stable_agents,
    scheduled_agents,
    service_level,
)
from asyncwfm.plan.erlang_a import erlang_a_performance

WorkModel = Literal["erlang_c", "erlang_a"]


@dataclass(frozen=True)
class IntervalStaffing:
    """Staffing of one interval by :func:`staff_interval`. Durations are in seconds.

    ``model`` is ``"erlang_a"`` when a patience was given and ``"erlang_c"``
    otherwise. Either runs on ``agents / peakedness`` agents offered
    ``workload_erlangs / peakedness`` (Hayward's scaling), which is the plain model
    at peakedness 1. The service measures describe the final ``agents``, with
    ``aht_seconds`` the handling time after any slow-down.
    ``abandonment_probability`` is None without a patience, and ``slot_load_erlangs``
    None without a concurrency cap.
    """

    model: WorkModel
    turns_per_hour: float
    target_seconds: float
    target_service_level: float
    peakedness: float
    patience_seconds: float | None
    concurrency_cap: int | None
    max_occupancy: float | None
    shrinkage: float
    workload_erlangs: float
    slot_load_erlangs: float | None
    work_agents: int
    slot_agents: int
    agents: int
    binding: Binding
    scheduled_agents: int
    aht_seconds: float
    service_level: float
    wait_probability: float
    asa_seconds: float
    occupancy: float
    abandonment_probability: float | None

    def to_dict(self) -> dict[str, float | int | str | None]:
        """Return the fields as a plain dictionary, ready for JSON."""
        return asdict(self)


def staff_interval(
    turns_per_hour: float,
    aht_seconds: float,
    target_seconds: float,
    target_service_level: float,
    peakedness: float = 1.0,
    conversations_per_hour: float | None = None,
    thread_hold_seconds: float | None = None,
    concurrency_cap: int | None = None,
    patience_seconds: float | None = None,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
    slowdown: SlowdownCurve | None = None,
    slot_model: SlotModel = "erlang_c",
) -> IntervalStaffing:
    """Staff one interval against its promise under the work and slot constraints.

    Parameters
    ----------
    turns_per_hour
        Customer turns that need an agent, per hour.
    aht_seconds
        Mean active handling time per turn, in seconds, when an agent works one
        thread at a time.
    target_seconds, target_service_level
        The promise: ``target_service_level`` of turns answered within
        ``target_seconds``.
    peakedness
        Hayward's peakedness ``z`` of the turn arrivals (1 for Poisson).
    conversations_per_hour, thread_hold_seconds, concurrency_cap
        The slot constraint: thread assignments per hour, the mean time a thread
        stays assigned (not the session length) and the maximum threads per agent.
        Give all three or none.
    patience_seconds
        Mean patience of a waiting customer; switches the work model to Erlang A.
    max_occupancy
        Cap on the share of agent time spent on turns.
    shrinkage
        Share of paid time agents are unavailable, for ``scheduled_agents``.
    slowdown
        Handling-time factor by threads per agent; needs the slot constraint.
    slot_model
        ``"erlang_c"``, ``"erlang_b"`` or ``"poisson"``, see
        :mod:`asyncwfm.plan.concurrency`.

    Raises
    ------
    InputError
        For invalid numbers, an incomplete slot constraint, or a slow-down curve
        without one.
    """
    turns = float_scalar("turns_per_hour", turns_per_hour, minimum=0.0)
    handling = float_scalar("aht_seconds", aht_seconds, minimum=0.0, minimum_inclusive=False)
    target = float_scalar("target_seconds", target_seconds, minimum=0.0)
    goal = float_scalar(
        "target_service_level",
        target_service_level,
        minimum=0.0,
        maximum=1.0,
        maximum_inclusive=False,
    )
    z = float_scalar("peakedness", peakedness, minimum=0.0, minimum_inclusive=False)
    patience = _optional_positive("patience_seconds", patience_seconds)
    cap_share = _optional_share("max_occupancy", max_occupancy)
    share = float_scalar("shrinkage", shrinkage, minimum=0.0, maximum=1.0, maximum_inclusive=False)

    slots = _slot_inputs(conversations_per_hour, thread_hold_seconds, concurrency_cap)
    if slowdown is not None and slots is None:
        raise InputError(
            "a slow-down curve needs the slot constraint: give conversations_per_hour, "
            "thread_hold_seconds and concurrency_cap."
        )

    work = _WorkModel(
        load=turns * handling / 3_600.0,
        handling=handling,
        target=target,
        peakedness=z,
        patience=patience,
        slots=slots,
        slowdown=slowdown,
    )
    work_count = work.required_agents(goal, cap_share)
    slot_count = 0
    slot_load = None
    if slots is not None:
        slot_load, cap = slots
        slot_count = int(slot_agents(slot_load, cap, goal, model=slot_model))

    agents = max(work_count, slot_count)
    binding: Binding = "concurrency" if slot_count > work_count else "work"
    measures = work.measures(agents)
    return IntervalStaffing(
        model="erlang_a" if patience is not None else "erlang_c",
        turns_per_hour=turns,
        target_seconds=target,
        target_service_level=goal,
        peakedness=z,
        patience_seconds=patience,
        concurrency_cap=None if slots is None else int(slots[1]),
        max_occupancy=cap_share,
        shrinkage=share,
        workload_erlangs=work.load,
        slot_load_erlangs=slot_load,
        work_agents=work_count,
        slot_agents=slot_count,
        agents=agents,
        binding=binding,
        scheduled_agents=int(scheduled_agents(agents, share)),
        aht_seconds=measures.aht_seconds,
        service_level=measures.service_level,
        wait_probability=measures.wait_probability,
        asa_seconds=measures.asa_seconds,
        occupancy=measures.occupancy,
        abandonment_probability=measures.abandonment_probability,
    )


@dataclass(frozen=True)
class _Measures:
    aht_seconds: float
    service_level: float
    wait_probability: float
    asa_seconds: float
    occupancy: float
    abandonment_probability: float | None


@dataclass(frozen=True)
class _WorkModel:
    """The work constraint of one interval, evaluated for candidate head counts."""

    load: float
    handling: float
    target: float
    peakedness: float
    patience: float | None
    slots: tuple[float, int] | None
    slowdown: SlowdownCurve | None

    def required_agents(self, goal: float, max_occupancy: float | None) -> int:
        """Return the fewest agents that meet ``goal`` and the occupancy cap."""
        if self.load == 0:
            return 0

        def passes(agents: IntArray) -> BoolArray:
            factor = self._slowdown_factor(agents)
            scaled = agents / self.peakedness
            load = self.load * factor / self.peakedness
            handling = self.handling * factor
            if self.patience is None:
                level = service_level(scaled, load, handling, self.target)
                busy_share = self.load * factor / agents
            else:
                performance = erlang_a_performance(
                    scaled, load, handling, self.patience, self.target
                )
                level = performance.service_level
                busy_share = performance.occupancy
            ok = level >= goal - SERVICE_LEVEL_TOLERANCE
            if max_occupancy is not None:
                ok &= busy_share <= max_occupancy + SERVICE_LEVEL_TOLERANCE
            return np.asarray(ok, dtype=bool)

        lower = self._lower_bound()
        return int(smallest_passing_count(passes, np.array([lower], dtype=np.int64))[0])

    def measures(self, agents: int) -> _Measures:
        """Return the service measures with ``agents`` agents."""
        if self.load == 0:
            return _Measures(
                self.handling, 1.0, 0.0, 0.0, 0.0, None if self.patience is None else 0.0
            )

        factor = float(self._slowdown_factor(np.array([agents]))[0])
        scaled = agents / self.peakedness
        load = self.load * factor / self.peakedness
        handling = self.handling * factor
        if self.patience is None:
            return _Measures(
                aht_seconds=handling,
                service_level=float(service_level(scaled, load, handling, self.target)),
                wait_probability=float(erlang_c(scaled, load)),
                asa_seconds=float(average_speed_of_answer(scaled, load, handling)),
                occupancy=min(self.load * factor / agents, 1.0),
                abandonment_probability=None,
            )

        performance = erlang_a_performance(scaled, load, handling, self.patience, self.target)
        return _Measures(
            aht_seconds=handling,
            service_level=float(performance.service_level),
            wait_probability=float(performance.wait_probability),
            asa_seconds=float(performance.asa_seconds),
            occupancy=float(performance.occupancy),
            abandonment_probability=float(performance.abandonment_probability),
        )

    def _slowdown_factor(self, agents: IntArray) -> FloatArray:
        if self.slowdown is None or self.slots is None:
            return np.ones(np.shape(agents))
        slot_load, cap = self.slots
        return self.slowdown.factor(threads_per_agent(np.maximum(agents, 1), slot_load, cap))

    def _lower_bound(self) -> int:
        """Return a head count below which the work constraint cannot hold."""
        if self.patience is not None:
            # Erlang A needs at least one (scaled) agent and is stable at any load.
            return max(1, int(np.ceil(self.peakedness - 1e-9)))
        smallest_factor = 1.0 if self.slowdown is None else float(self.slowdown.factors[0])
        return int(minimal_stable_agents(self.load * smallest_factor))


def _slot_inputs(
    conversations_per_hour: float | None,
    thread_hold_seconds: float | None,
    concurrency_cap: int | None,
) -> tuple[float, int] | None:
    given = {
        "conversations_per_hour": conversations_per_hour,
        "thread_hold_seconds": thread_hold_seconds,
        "concurrency_cap": concurrency_cap,
    }
    missing = [name for name, value in given.items() if value is None]
    if len(missing) == 3:
        return None
    if conversations_per_hour is None or thread_hold_seconds is None or concurrency_cap is None:
        raise InputError(
            "the slot constraint needs conversations_per_hour, thread_hold_seconds and "
            f"concurrency_cap together. Missing: {', '.join(missing)}."
        )

    cap = float_scalar("concurrency_cap", concurrency_cap, minimum=1.0)
    if cap != int(cap):
        raise InputError(f"concurrency_cap must be a whole number of threads, got {cap}.")
    load = float(slot_load_erlangs(conversations_per_hour, thread_hold_seconds))
    return load, int(cap)


def _optional_positive(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    return float_scalar(name, value, minimum=0.0, minimum_inclusive=False)


def _optional_share(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    return float_scalar(name, value, minimum=0.0, minimum_inclusive=False, maximum=1.0)
