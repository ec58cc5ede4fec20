"""The planning models of asyncwfm.plan against the simulation.

Each test plans with one model, simulates the plan, and compares the simulated share
of turns answered within the promise with the model. A value "matches" when it lies
inside the 99.9% Student-t confidence interval over independent replications. A plan
"keeps" its promise when the interval reaches the promised level and "misses" it when
the whole interval lies below, as in the simulation's ``at_risk`` and ``misses``
statuses. The first interval of a run is left out as warm-up unless a test says
otherwise, because the system starts empty. Four checks compare with a model value at
99.9%, so a correct model fails one of them for about 0.4% of seeds.

Two tests are expected failures that document known gaps of the models, with the
measured numbers in their reasons and in docs/models.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from asyncwfm.config import Promise, config_from_dict
from asyncwfm.plan.deferred import deadline_intervals
from asyncwfm.plan.erlang import required_agents
from asyncwfm.plan.peakedness import hayward_required_agents, peakedness_from_dispersion
from asyncwfm.plan.requirements import (
    UseCaseProfile,
    hold_kernel,
    minimal_agents,
    plan_requirements,
    promise_service_level,
)
from asyncwfm.simulate import (
    Constant,
    Exponential,
    SimulationModel,
    SimulationResult,
    Staffing,
    TraceConversations,
    UseCaseModel,
    model_from_measurement,
    run_replication,
    simulate,
    staffing_from_requirements,
)
from asyncwfm.simulate.engine import DONE
from asyncwfm.simulate.metrics import ReplicationRecords

HOUR = 3600.0
T_QUANTILE = 0.9995
"""Upper quantile of the two-sided 99.9% Student-t interval."""


def confidence_interval(samples: np.ndarray) -> tuple[float, float, float]:
    """Return the mean of ``samples`` and its 99.9% Student-t confidence interval."""
    mean = float(samples.mean())
    spread = float(samples.std(ddof=1)) / np.sqrt(samples.size)
    half_width = float(stats.t.ppf(T_QUANTILE, samples.size - 1)) * spread
    return mean, mean - half_width, mean + half_width


def assert_matches(samples: np.ndarray, expected: float, label: str) -> None:
    mean, low, high = confidence_interval(samples)
    assert low <= expected <= high, (
        f"{label}: simulated {mean:.4f} (99.9% CI {low:.4f} to {high:.4f}), model {expected:.4f}"
    )


def assert_keeps_promise(samples: np.ndarray, level: float, label: str) -> None:
    mean, low, high = confidence_interval(samples)
    assert high >= level, (
        f"{label}: simulated {mean:.4f} (99.9% CI {low:.4f} to {high:.4f}) misses {level}"
    )


def assert_misses_promise(samples: np.ndarray, level: float, label: str) -> None:
    mean, low, high = confidence_interval(samples)
    assert high < level, (
        f"{label}: simulated {mean:.4f} (99.9% CI {low:.4f} to {high:.4f}) reaches {level}"
    )


def share_within(
    result: SimulationResult, view: str = "every", use_case: int = 0, skip: int = 1
) -> np.ndarray:
    """Return per replication the share of turns answered within the target.

    ``view`` is ``"first"`` (first turns only) or ``"every"``. Turns are pooled over
    the intervals from ``skip`` on.
    """
    within = result.measures[f"within_promise_{view}"][:, use_case, skip:].sum(axis=1)
    denominator = "first_turns" if view == "first" else "turns"
    turns = result.measures[denominator][:, use_case, skip:].sum(axis=1)
    return np.asarray(within / turns, dtype=float)


def constant_staffing(model: SimulationModel, agents: int) -> Staffing:
    return Staffing.from_mapping({model.pools[0]: np.full(model.n_intervals, agents)})


# First-response promise with priority.

CHAT_AHT_SECONDS = 60.0
CHAT_INTERVALS = 12
CHAT_REPLICATIONS = 12


def two_turn_chat_model(load_erlangs: float, target_seconds: float) -> SimulationModel:
    """Return an M/M/N chat whose promise covers first turns only.

    Each conversation has two turns, and the follow-up comes an exponential think time
    (mean 5 minutes) after the reply. The idle timeout is a millisecond, so the
    follow-up goes back to the pool queue instead of waiting for its own agent. Under
    earliest-deadline-first it has no deadline and ranks after every first turn:
    non-preemptive priority with equal handling times. Think times this long spread the
    replies into a nearly Poisson stream of follow-ups.
    """
    conversations = load_erlangs / 2 / CHAT_AHT_SECONDS * HOUR
    chat = UseCaseModel(
        name="chat",
        conversations_per_interval=np.full(CHAT_INTERVALS, conversations),
        turns_per_conversation=Constant(2.0),
        work_seconds=Exponential(CHAT_AHT_SECONDS),
        think_seconds=Exponential(300.0),
        target_seconds=target_seconds,
        service_level=0.8,
        response="first",
    )
    return SimulationModel(HOUR, (chat,), idle_timeout_seconds=1e-3, dispatch="edf")


def chat_service_level(agents: int, load_erlangs: float, promise: Promise) -> float:
    level = promise_service_level(
        np.array([agents]),
        np.array([load_erlangs]),
        np.array([load_erlangs / 2]),
        np.array([CHAT_AHT_SECONDS]),
        promise,
    )
    return float(level[0])


@pytest.mark.parametrize("load_erlangs", [8.0, 9.5])
def test_first_response_priority_matches_formula(load_erlangs: float, seed: int) -> None:
    agents = 10
    model = two_turn_chat_model(load_erlangs, target_seconds=20.0)
    result = simulate(
        model, constant_staffing(model, agents), replications=CHAT_REPLICATIONS, seed=seed
    )
    first_share = share_within(result, "first")
    first_promise = Promise(service_level=0.8, target_seconds=20.0, response="first")
    every_promise = Promise(service_level=0.8, target_seconds=20.0, response="every")
    with_priority = chat_service_level(agents, load_erlangs, first_promise)
    without_priority = chat_service_level(agents, load_erlangs, every_promise)

    assert_matches(first_share, with_priority, "first turns, priority formula")
    # The check can tell the formulas apart: plain Erlang C lies below the interval.
    _, low, _ = confidence_interval(first_share)
    assert low > without_priority, f"Erlang C without priority {without_priority:.4f}"


def test_first_response_plan_is_minimal_in_simulation(seed: int) -> None:
    load_erlangs = 9.0
    promise = Promise(service_level=0.9, target_seconds=10.0, response="first")
    every = Promise(service_level=0.9, target_seconds=10.0, response="every")
    planned = int(
        minimal_agents(
            np.array([load_erlangs]),
            np.array([load_erlangs / 2]),
            np.array([CHAT_AHT_SECONDS]),
            promise,
            None,
        )[0]
    )
    planned_every = int(
        minimal_agents(
            np.array([load_erlangs]),
            np.array([load_erlangs / 2]),
            np.array([CHAT_AHT_SECONDS]),
            every,
            None,
        )[0]
    )
    model = two_turn_chat_model(load_erlangs, target_seconds=10.0)
    # One agent fewer gives 85.4% by the formula, close to 90%, hence 36 runs.
    at_plan = simulate(model, constant_staffing(model, planned), replications=36, seed=seed)
    below_plan = simulate(model, constant_staffing(model, planned - 1), replications=36, seed=seed)

    assert planned < planned_every
    assert_keeps_promise(share_within(at_plan, "first"), 0.9, f"{planned} agents")
    assert_misses_promise(share_within(below_plan, "first"), 0.9, f"{planned - 1} agents")


# Hayward's approximation for batched arrivals.

BATCH_INTERVALS = 24


def batch_poisson_service_level(
    load_erlangs: float,
    aht_seconds: float,
    agents: int,
    target_seconds: float,
    mean_batch: float,
    states: int = 6000,
) -> float:
    """Return the exact service level of M^X/M/N with geometric batches, first come first served.

    Batches arrive as a Poisson process, with sizes geometric on 1, 2, ... of mean
    ``mean_batch`` (the simulation's arrival model). Level crossing between ``n`` and
    ``n + 1`` turns in the system gives the stationary law:
    ``mu min(n + 1, N) p[n + 1] = lambda_b sum_{i <= n} p[i] q^(n - i)`` with
    ``q = 1 - 1 / mean_batch``, since a batch of more than ``k`` turns has chance
    ``q^k``. A batch sees the time average (Poisson arrivals). A random turn of the
    batch has ``J`` of its batch ahead of it, with ``P(J = j) = (1 - q) q^j``. With
    ``L`` turns ahead in total it waits when ``L >= N``, for an Erlang time of
    ``L - N + 1`` phases at rate ``N mu``. Derived here; with ``mean_batch = 1`` it is
    Erlang C (tested below).
    """
    mu = 1.0 / aht_seconds
    batch_rate = load_erlangs * mu / mean_batch
    q = 1.0 - 1.0 / mean_batch
    probability = np.zeros(states)
    probability[0] = 1.0
    weighted_sum = 0.0
    for n in range(states - 1):
        weighted_sum = q * weighted_sum + probability[n]
        probability[n + 1] = batch_rate * weighted_sum / (mu * min(n + 1, agents))
    probability /= probability.sum()

    ahead_in_batch = (1.0 - q) * q ** np.arange(states)
    ahead = np.convolve(probability, ahead_in_batch)[:states]
    phases = np.arange(states) - agents + 1
    waits = phases >= 1
    late = stats.gamma.sf(target_seconds, phases[waits], scale=1.0 / (agents * mu))
    return float(1.0 - (ahead[waits] * late).sum())


def batch_model(
    load_erlangs: float, aht_seconds: float, target_seconds: float, dispersion: float
) -> SimulationModel:
    """Return one-turn conversations in geometric batches; counts have ratio ``dispersion``."""
    calls = UseCaseModel(
        name="calls",
        conversations_per_interval=np.full(BATCH_INTERVALS, load_erlangs / aht_seconds * HOUR),
        turns_per_conversation=Constant(1.0),
        work_seconds=Exponential(aht_seconds),
        think_seconds=Constant(0.0),
        target_seconds=target_seconds,
        service_level=0.8,
        peakedness=np.full(BATCH_INTERVALS, dispersion),
    )
    return SimulationModel(HOUR, (calls,), dispatch="fifo")


def test_batch_reference_is_erlang_c_without_batches() -> None:
    exact = batch_poisson_service_level(10.0, 180.0, 13, 60.0, mean_batch=1.0)

    # 0.895055 is Erlang C for 13 agents, 10 Erlangs, AHT 180 s and a 60 s target:
    # 1 - C exp(-(N - A) t / AHT) with C = 0.2852705 from the Erlang B recursion.
    assert exact == pytest.approx(0.895055, abs=1e-6)


@pytest.mark.parametrize(
    ("load_erlangs", "agents", "dispersion"), [(10.0, 15, 5.0), (50.0, 56, 3.0)]
)
def test_batched_arrivals_match_exact_queue(
    load_erlangs: float, agents: int, dispersion: float, seed: int
) -> None:
    model = batch_model(load_erlangs, 180.0, 60.0, dispersion)
    result = simulate(model, constant_staffing(model, agents), replications=12, seed=seed)
    mean_batch = float(peakedness_from_dispersion(dispersion))
    exact = batch_poisson_service_level(load_erlangs, 180.0, agents, 60.0, mean_batch)

    assert_matches(share_within(result), exact, "exact M^X/M/N")


def test_hayward_plan_keeps_promise_where_erlang_c_misses(seed: int) -> None:
    load_erlangs, aht_seconds, target_seconds, level = 50.0, 180.0, 60.0, 0.8
    dispersion = 3.0
    z = float(peakedness_from_dispersion(dispersion))
    hayward = int(hayward_required_agents(load_erlangs, aht_seconds, target_seconds, level, z))
    erlang = int(required_agents(load_erlangs, aht_seconds, target_seconds, level))
    promise = Promise(service_level=level, target_seconds=target_seconds)
    planned = minimal_agents(
        np.array([load_erlangs]),
        np.array([load_erlangs]),
        np.array([aht_seconds]),
        promise,
        None,
        peakedness=z,
    )
    model = batch_model(load_erlangs, aht_seconds, target_seconds, dispersion)
    # Near its capacity the Erlang C plan's daily share varies widely, hence 36 runs.
    with_hayward = simulate(model, constant_staffing(model, hayward), replications=36, seed=seed)
    with_erlang = simulate(model, constant_staffing(model, erlang), replications=36, seed=seed)

    assert int(planned[0]) == hayward
    assert_keeps_promise(share_within(with_hayward), level, f"Hayward plan of {hayward} agents")
    assert_misses_promise(share_within(with_erlang), level, f"Erlang C plan of {erlang} agents")


@pytest.mark.xfail(
    strict=True,
    reason=(
        "Hayward's scaling underestimates the wait probability of geometric batches "
        "(C(N/z, A/z) 0.31 against 0.40 exact at z = 5, N = 17, A = 10), so its plan "
        "falls short: 19 agents for 80% in 20 s reach about 75% in simulation"
    ),
)
def test_hayward_plan_keeps_promise_for_large_bursts(seed: int) -> None:
    load_erlangs, aht_seconds, target_seconds, level = 10.0, 180.0, 20.0, 0.8
    dispersion = 9.0
    z = float(peakedness_from_dispersion(dispersion))
    hayward = int(hayward_required_agents(load_erlangs, aht_seconds, target_seconds, level, z))
    model = batch_model(load_erlangs, aht_seconds, target_seconds, dispersion)
    result = simulate(model, constant_staffing(model, hayward), replications=40, seed=seed)

    assert_keeps_promise(share_within(result), level, f"Hayward plan of {hayward} agents")


def test_simulation_from_requirements_keeps_measured_dispersion() -> None:
    config = config_from_dict(
        {"interval_minutes": 30, "use_cases": [{"name": "sms", "promise": {"target_seconds": 60}}]}
    )
    starts = pd.date_range("2024-03-04 08:00", periods=4, freq="30min", tz="UTC")
    workload = pd.DataFrame(
        {
            "interval_start": starts,
            "use_case": "sms",
            "turns": 100.0,
            "new_conversations": 100.0,
            "active_seconds_per_turn": 120.0,
            "peakedness": 3.0,
        }
    )
    turns = pd.DataFrame(
        {
            "conversation_id": ["a", "b"],
            "use_case": "sms",
            "turn_index": 0,
            "first_message_at": starts[0],
            "answered_at": starts[0] + pd.Timedelta(seconds=30),
            "responder": "agent",
            "active_seconds": [100.0, 140.0],
        }
    )
    requirements = plan_requirements(workload, config)

    from_workload = model_from_measurement(turns, workload, config).use_cases[0].peakedness
    from_plan = model_from_measurement(turns, requirements, config).use_cases[0].peakedness

    assert from_workload is not None
    assert from_plan is not None
    np.testing.assert_allclose(requirements["peakedness"], 2.0)
    np.testing.assert_allclose(from_workload, 3.0)
    np.testing.assert_allclose(from_plan, 3.0)


# Concurrency cap: thread slots beside the work.

SLOT_INTERVALS = 16
SLOT_INTERVAL_SECONDS = 1800.0
SLOT_TURNS = 4
SLOT_AHT_SECONDS = 60.0
SLOT_THINK_SECONDS = 300.0
SLOT_IDLE_TIMEOUT_SECONDS = 600.0
SLOT_CONVERSATIONS = 30.0
"""New conversations per 30-minute interval."""


def slot_scenario() -> tuple[pd.DataFrame, SimulationModel]:
    """Plan long-held threads under a cap of 3 and return the requirements and the model.

    Conversations have 4 turns of exponential work (mean 60 s) with 300 s of think
    time between them, shorter than the 600 s idle timeout, so each thread stays with
    its agent. The promise is 80% of every turn within 120 s.
    """
    config = config_from_dict(
        {
            "interval_minutes": 30,
            "use_cases": [
                {
                    "name": "sms",
                    "promise": {"service_level": 0.8, "target_seconds": 120},
                    "concurrency_cap": 3,
                }
            ],
            "simulation": {"idle_timeout_seconds": SLOT_IDLE_TIMEOUT_SECONDS},
        }
    )
    # A thread is held from the first pick-up to the end of the last turn's work plus
    # the idle timeout. Waits for the own agent come on top, about 50 s in simulation,
    # so this is the hold without them.
    hold_seconds = (
        SLOT_TURNS * SLOT_AHT_SECONDS
        + (SLOT_TURNS - 1) * SLOT_THINK_SECONDS
        + SLOT_IDLE_TIMEOUT_SECONDS
    )
    profile = UseCaseProfile(
        "sms", SLOT_AHT_SECONDS, 1.0, hold_kernel(np.array([hold_seconds]), SLOT_INTERVAL_SECONDS)
    )
    starts = pd.date_range("2024-03-04 06:00", periods=SLOT_INTERVALS, freq="30min", tz="UTC")
    workload = pd.DataFrame(
        {
            "interval_start": starts,
            "use_case": "sms",
            "turns": SLOT_CONVERSATIONS * SLOT_TURNS,
            "new_conversations": SLOT_CONVERSATIONS,
            "active_seconds_per_turn": SLOT_AHT_SECONDS,
        }
    )
    requirements = plan_requirements(workload, config, profiles={"sms": profile})
    sms = UseCaseModel(
        name="sms",
        conversations_per_interval=np.full(SLOT_INTERVALS, SLOT_CONVERSATIONS),
        turns_per_conversation=Constant(SLOT_TURNS),
        work_seconds=Exponential(SLOT_AHT_SECONDS),
        think_seconds=Constant(SLOT_THINK_SECONDS),
        target_seconds=120.0,
        service_level=0.8,
        concurrency_cap=3,
    )
    model = SimulationModel(
        SLOT_INTERVAL_SECONDS, (sms,), idle_timeout_seconds=SLOT_IDLE_TIMEOUT_SECONDS
    )
    return requirements, model


def test_slot_constraint_keeps_promise_where_work_staffing_misses(seed: int) -> None:
    requirements, model = slot_scenario()
    slots = Staffing.from_mapping({"sms": requirements["agents"].to_numpy()})
    work_only = Staffing.from_mapping({"sms": requirements["work_agents"].to_numpy()})
    with_slots = simulate(model, slots, replications=12, seed=seed)
    with_work_only = simulate(model, work_only, replications=12, seed=seed)

    # Holds last about one interval, so two intervals are left out as warm-up.
    assert (requirements["binding"].iloc[2:] == "concurrency").all()
    assert_keeps_promise(share_within(with_slots, skip=2), 0.8, "slot-constrained plan")
    # The slot model lets at most 20% of new threads wait for a slot.
    assert_keeps_promise(share_within(with_slots, "first", skip=2), 0.8, "new threads")
    assert_misses_promise(share_within(with_work_only, skip=2), 0.8, "work-only plan")


# Deferred promises: backlog against deadlines.

DEFERRED_TARGET_SECONDS = 4 * HOUR
DEFERRED_AHT_SECONDS = 240.0
DEFERRED_TURNS = np.array([120, 180, 150, 90, 90, 150, 120, 60, 0, 0, 0, 0], dtype=float)
"""Turns per hour from 08:00: no turns in the last four hours, so every deadline falls
inside the day and the plan has to answer every turn."""
DEFERRED_STARTS = pd.date_range(
    "2024-03-04 08:00", periods=DEFERRED_TURNS.size, freq="60min", tz="Europe/London"
)
DEFERRED_REPLICATIONS = 20


def deferred_workload(use_case: str, turns: np.ndarray, aht_seconds: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interval_start": DEFERRED_STARTS,
            "use_case": use_case,
            "turns": turns,
            "new_conversations": turns,
            "active_seconds_per_turn": aht_seconds,
        }
    )


def one_turn_use_case(
    name: str, turns: np.ndarray, aht_seconds: float, promise: Promise, pool: str
) -> UseCaseModel:
    return UseCaseModel(
        name=name,
        conversations_per_interval=turns,
        turns_per_conversation=Constant(1.0),
        work_seconds=Exponential(aht_seconds),
        think_seconds=Constant(0.0),
        target_seconds=promise.target_seconds,
        service_level=promise.service_level,
        pool=pool,
    )


def deferred_replications(
    max_occupancy: float | None, seed: int, replications: int = DEFERRED_REPLICATIONS
) -> tuple[list[ReplicationRecords], np.ndarray]:
    """Plan the deferred use case alone, simulate it, and return the records and deadlines.

    The deadlines are the plan's own: the end of interval ``d_t`` for turns of interval
    ``t``, in seconds from the first interval start. They are earlier than arrival plus
    the target, because the plan counts a turn from its interval's start.
    """
    promise = Promise(service_level=0.95, target_seconds=DEFERRED_TARGET_SECONDS)
    config = config_from_dict(
        {
            "interval_minutes": 60,
            "business_timezone": "Europe/London",
            "max_occupancy": max_occupancy,
            "use_cases": [{"name": "app", "promise": promise.model_dump()}],
        }
    )
    workload = deferred_workload("app", DEFERRED_TURNS, DEFERRED_AHT_SECONDS)
    requirements = plan_requirements(workload, config)
    assert (requirements["promise_kind"] == "deferred").all()

    app = one_turn_use_case("app", DEFERRED_TURNS, DEFERRED_AHT_SECONDS, promise, "app")
    model = SimulationModel(HOUR, (app,), interval_starts=DEFERRED_STARTS)
    staffing = staffing_from_requirements(requirements, model)
    streams = np.random.SeedSequence(seed).spawn(replications)
    records = [run_replication(model, staffing, np.random.default_rng(s)) for s in streams]
    is_open = np.ones(DEFERRED_TURNS.size, dtype=bool)
    deadline = deadline_intervals(
        DEFERRED_STARTS, 60, is_open, target_seconds=DEFERRED_TARGET_SECONDS
    )
    return records, (np.asarray(deadline) + 1) * HOUR


def late_shares(records: list[ReplicationRecords], plan_deadline: np.ndarray) -> np.ndarray:
    """Return per replication the share of turns answered after the plan's deadline."""
    shares = []
    for record in records:
        interval = (record.turn_arrival // HOUR).astype(np.int64)
        answered = record.response_seconds("start") + record.turn_arrival
        shares.append(float(np.mean(answered > plan_deadline[interval])))
    return np.array(shares)


def shares_within_target(records: list[ReplicationRecords]) -> np.ndarray:
    return np.array(
        [np.mean(r.response_seconds("start") <= DEFERRED_TARGET_SECONDS) for r in records]
    )


def test_deferred_plan_answers_turns_before_deadline(seed: int) -> None:
    records, plan_deadline = deferred_replications(max_occupancy=0.85, seed=seed)
    late = late_shares(records, plan_deadline)

    # The plan keeps 15% of capacity free (maximum occupancy 0.85). The day's work
    # varies by sqrt(2 / 960) = 4.6% (compound Poisson with exponential work), and an
    # hour's by 8 to 13%, so a late turn needs an hour far above its mean.
    assert late.mean() <= 0.01, f"{late.mean():.2%} of turns answered after the deadline"
    assert_keeps_promise(shares_within_target(records), 0.95, "deferred plan")


def test_deferred_plan_without_occupancy_cap_keeps_promise(seed: int) -> None:
    # At full occupancy the fluid plan has no room for random work, so about 2% of
    # turns are late. The 95% promise still holds.
    records, _ = deferred_replications(max_occupancy=None, seed=seed)

    assert_keeps_promise(shares_within_target(records), 0.95, "deferred plan at occupancy 1")


BLENDED_DEFERRED_TURNS = np.array([60.0] * 8 + [0.0] * 4)
BLENDED_IMMEDIATE_TURNS = np.full(12, 120.0)


def blended_scenario(max_occupancy: float | None) -> tuple[pd.DataFrame, SimulationModel]:
    """Plan one pool with a deferred and an immediate use case; return requirements and model.

    ``app`` brings 60 turns an hour of 240 s for eight hours with a 4-hour promise.
    ``sms`` brings 120 turns an hour of 180 s all day with a promise of 80% in 60 s,
    which Erlang C meets with 8 agents (81.7%).
    """
    deferred = Promise(service_level=0.95, target_seconds=DEFERRED_TARGET_SECONDS)
    immediate = Promise(service_level=0.8, target_seconds=60.0)
    config = config_from_dict(
        {
            "interval_minutes": 60,
            "business_timezone": "Europe/London",
            "max_occupancy": max_occupancy,
            "use_cases": [
                {"name": "app", "pool": "team", "promise": deferred.model_dump()},
                {"name": "sms", "pool": "team", "promise": immediate.model_dump()},
            ],
        }
    )
    workload = pd.concat(
        [
            deferred_workload("app", BLENDED_DEFERRED_TURNS, DEFERRED_AHT_SECONDS),
            deferred_workload("sms", BLENDED_IMMEDIATE_TURNS, 180.0),
        ]
    )
    requirements = plan_requirements(workload, config)
    use_cases = (
        one_turn_use_case("app", BLENDED_DEFERRED_TURNS, DEFERRED_AHT_SECONDS, deferred, "team"),
        one_turn_use_case("sms", BLENDED_IMMEDIATE_TURNS, 180.0, immediate, "team"),
    )
    model = SimulationModel(HOUR, use_cases, interval_starts=DEFERRED_STARTS)
    return requirements, model


@pytest.mark.xfail(
    strict=True,
    reason=(
        "the deferred plan lends the immediate agents' idle time to deferred work, but "
        "an agent finishes a deferred turn before taking an immediate one, so a waiting "
        "backlog keeps every agent busy: the immediate promise of 80% in 60 s (Erlang C "
        "expects 81.7%) reaches about 56% at maximum occupancy 1 and 84% at 0.85, with "
        "intervals down to 70%"
    ),
)
def test_blended_pool_keeps_immediate_promise(seed: int) -> None:
    requirements, model = blended_scenario(max_occupancy=None)
    staffing = staffing_from_requirements(requirements, model)
    result = simulate(model, staffing, replications=12, seed=seed)

    assert_keeps_promise(share_within(result, use_case=1, skip=0), 0.8, "immediate use case")


# Engine regression: agents joining at a boundary while turns wait in the pool queue.

JOINING_STAFF = [1, 8, 2, 8, 8]
JOINING_WORK_SECONDS = 300.0
JOINING_INTERVAL_SECONDS = 600.0
JOINING_EXPECTED_STARTS = (
    [0.0, 300.0]
    + [600.0] * 8
    + [900.0] * 8
    + [1200.0] * 2
    + [1500.0] * 2
    # At 1800 s six agents join while two finish, and the queue is not empty.
    + [1800.0] * 8
    + [2100.0] * 8
    + [2400.0] * 2
)


def check_joining_agents_scenario() -> None:
    """Simulate agents joining with a non-empty pool queue and check every turn.

    40 one-turn conversations of 300 s each arrive in the first 100 s. Staffing
    1, 8, 2, 8, 8 per 600 s interval leaves turns waiting at the boundaries at 600 s
    and 1800 s where agents join. Each such boundary offers the joining agents and
    then every free agent on shift again, 12 to 14 offers for 8 agents. The expected
    start times follow from the rules by hand: first come first served, and an agent
    whose shift ends finishes its turn first.
    """
    count = 40
    trace = TraceConversations(
        start_seconds=np.linspace(0.0, 100.0, count),
        use_case=np.zeros(count, dtype=np.int64),
        turns=np.ones(count, dtype=np.int64),
        work_seconds=np.full(count, JOINING_WORK_SECONDS),
        think_seconds=np.zeros(count),
    )
    sms = UseCaseModel(
        name="sms",
        conversations_per_interval=np.zeros(len(JOINING_STAFF)),
        turns_per_conversation=Constant(1.0),
        work_seconds=Constant(JOINING_WORK_SECONDS),
        think_seconds=Constant(0.0),
        target_seconds=60.0,
        service_level=0.8,
    )
    model = SimulationModel(JOINING_INTERVAL_SECONDS, (sms,), trace=trace)
    staffing = Staffing.from_mapping({"sms": JOINING_STAFF})
    records = run_replication(model, staffing, np.random.default_rng(0))

    assert (records.turn_status == DONE).all(), "every turn is answered"
    np.testing.assert_array_equal(records.turn_start, JOINING_EXPECTED_STARTS)
    np.testing.assert_array_equal(records.turn_end, records.turn_start + JOINING_WORK_SECONDS)
    for start in np.unique(records.turn_start):
        agents = records.turn_agent[records.turn_start == start]
        assert np.unique(agents).size == agents.size, f"an agent took two turns at {start} s"
        interval = int(start // JOINING_INTERVAL_SECONDS)
        on_shift = JOINING_STAFF[min(interval, len(JOINING_STAFF) - 1)]
        assert agents.max() < on_shift, f"an agent off shift took a turn at {start} s"


def test_joining_agents_with_waiting_turns() -> None:
    check_joining_agents_scenario()


@pytest.mark.slow
def test_joining_agents_with_waiting_turns_without_jit() -> None:
    # Plain Python checks array bounds, so an overflow of the offer list raises here
    # where the compiled loop would write past the array's end.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import test_models_against_simulation as t; t.check_joining_agents_scenario()"
    )
    environment = dict(os.environ, NUMBA_DISABLE_JIT="1")
    completed = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]


# Measured agreement for docs/models.md: python tests/simulate/test_models_against_simulation.py


def mean_and_95(samples: np.ndarray) -> str:
    half_width = stats.t.ppf(0.975, samples.size - 1) * samples.std(ddof=1) / np.sqrt(samples.size)
    return f"{samples.mean():.4f} +- {half_width:.4f}"


def report_agreement(replications: int = 100, seed: int = 0) -> None:
    """Print each model's value next to the simulated one (mean and 95% interval)."""
    print(f"{replications} replications, seed {seed}, 95% Student-t intervals")

    print("\nFirst-response priority: 10 agents, AHT 60 s, two turns, target 20 s")
    first = Promise(service_level=0.8, target_seconds=20.0, response="first")
    every = Promise(service_level=0.8, target_seconds=20.0, response="every")
    for load in (8.0, 9.0, 9.5):
        model = two_turn_chat_model(load, 20.0)
        result = simulate(model, constant_staffing(model, 10), replications=replications, seed=seed)
        print(
            f"  A={load}: priority formula {chat_service_level(10, load, first):.4f}, "
            f"Erlang C without priority {chat_service_level(10, load, every):.4f}, "
            f"simulated first turns {mean_and_95(share_within(result, 'first'))}"
        )

    print("\nBatched arrivals: Hayward plan and Erlang C plan, AHT 180 s")
    for load, target, dispersion in (
        (10.0, 60.0, 3.0),
        (10.0, 60.0, 5.0),
        (10.0, 60.0, 9.0),
        (10.0, 20.0, 9.0),
        (50.0, 60.0, 3.0),
        (50.0, 60.0, 5.0),
        (50.0, 60.0, 9.0),
    ):
        z = float(peakedness_from_dispersion(dispersion))
        hayward = int(hayward_required_agents(load, 180.0, target, 0.8, z))
        erlang = int(required_agents(load, 180.0, target, 0.8))
        model = batch_model(load, 180.0, target, dispersion)
        at_hayward = simulate(
            model, constant_staffing(model, hayward), replications=replications, seed=seed
        )
        at_erlang = simulate(
            model, constant_staffing(model, erlang), replications=replications, seed=seed
        )
        predicted = promise_service_level(
            np.array([hayward]),
            np.array([load]),
            np.array([load]),
            np.array([180.0]),
            Promise(service_level=0.8, target_seconds=target),
            z,
        )[0]
        exact = batch_poisson_service_level(load, 180.0, hayward, target, z)
        print(
            f"  A={load} t={target} I={dispersion} z={z}: Hayward N={hayward} "
            f"predicts {predicted:.4f}, exact {exact:.4f}, simulated "
            f"{mean_and_95(share_within(at_hayward))}; Erlang C N={erlang} simulated "
            f"{mean_and_95(share_within(at_erlang))}"
        )

    print("\nConcurrency cap 3, 80% within 120 s, intervals 3 and later")
    requirements, model = slot_scenario()
    for column in ("agents", "work_agents"):
        staffing = Staffing.from_mapping({"sms": requirements[column].to_numpy()})
        result = simulate(model, staffing, replications=replications, seed=seed)
        print(
            f"  {column} = {int(requirements[column].iloc[-1])}: every turn "
            f"{mean_and_95(share_within(result, skip=2))}, first turns "
            f"{mean_and_95(share_within(result, 'first', skip=2))}"
        )

    print("\nDeferred use case alone, 95% within 4 hours")
    for occupancy in (0.85, None):
        records, plan_deadline = deferred_replications(occupancy, seed, replications)
        print(
            f"  max_occupancy {occupancy}: after the plan's deadline "
            f"{mean_and_95(late_shares(records, plan_deadline))}, within the target "
            f"{mean_and_95(shares_within_target(records))}"
        )

    print("\nBlended pool: deferred app and immediate sms (80% within 60 s)")
    for occupancy in (0.85, None):
        requirements, model = blended_scenario(occupancy)
        staffing = staffing_from_requirements(requirements, model)
        result = simulate(model, staffing, replications=replications, seed=seed)
        worst = np.nanmin(result.pooled_attainment()[1])
        print(
            f"  max_occupancy {occupancy}: pool agents {staffing.agents[0].tolist()}, sms "
            f"{mean_and_95(share_within(result, use_case=1, skip=0))} (worst interval "
            f"{worst:.4f}), app {mean_and_95(share_within(result, use_case=0, skip=0))}"
        )
    sms_alone = SimulationModel(HOUR, (blended_scenario(None)[1].use_cases[1],))
    result = simulate(
        sms_alone, constant_staffing(sms_alone, 8), replications=replications, seed=seed
    )
    print(f"  sms alone on 8 agents: {mean_and_95(share_within(result, skip=0))}")


if __name__ == "__main__":
    report_agreement()
