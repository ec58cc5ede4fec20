"""Simulation against queueing theory: Erlang C, Erlang A and Little's law.

Each check compares a simulated mean over independent replications with the exact
stationary value, and passes when the value lies inside a 99.9% Student-t confidence
interval. The first interval of each run is left out as warm-up, because the system
starts empty. With six such checks, a correct engine fails one of them for about 0.6%
of seeds.
"""

from __future__ import annotations

import numpy as np
import pytest
from queue_theory import erlang_a_abandonment, erlang_c_measures
from scipy import stats

from asyncwfm.simulate import (
    Constant,
    Exponential,
    Geometric,
    SimulationModel,
    Staffing,
    UseCaseModel,
    run_replication,
    simulate,
)

INTERVAL_SECONDS = 3600.0
INTERVALS = 12
AHT_SECONDS = 60.0
AGENTS = 10
TARGET_SECONDS = 20.0
REPLICATIONS = 12


def mmn_model(
    load_erlangs: float, patience_seconds: float | None = None, dispatch: str = "fifo"
) -> SimulationModel:
    """Return an M/M/N model: one turn per conversation, no think time, no cap."""
    per_interval = load_erlangs / AHT_SECONDS * INTERVAL_SECONDS
    use_case = UseCaseModel(
        name="calls",
        conversations_per_interval=np.full(INTERVALS, per_interval),
        turns_per_conversation=Constant(1.0),
        work_seconds=Exponential(AHT_SECONDS),
        think_seconds=Constant(0.0),
        target_seconds=TARGET_SECONDS,
        service_level=0.8,
        patience=Exponential(patience_seconds) if patience_seconds else None,
    )
    return SimulationModel(INTERVAL_SECONDS, (use_case,), dispatch=dispatch)  # type: ignore[arg-type]


def steady_state(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return per replication the weighted mean over intervals after the first."""
    return (values[:, 0, 1:] * weights[:, 0, 1:]).sum(axis=1) / weights[:, 0, 1:].sum(axis=1)


def assert_in_confidence_interval(samples: np.ndarray, expected: float) -> None:
    mean = samples.mean()
    half_width = stats.t.ppf(0.9995, samples.size - 1) * samples.std(ddof=1) / np.sqrt(samples.size)
    assert abs(mean - expected) <= half_width, (
        f"simulated {mean:.4f} +- {half_width:.4f}, theory {expected:.4f}"
    )


@pytest.mark.parametrize("load_erlangs", [6.0, 8.0, 9.0])
def test_erlang_c_service_level_and_asa(load_erlangs: float, seed: int) -> None:
    model = mmn_model(load_erlangs)
    staffing = Staffing.from_mapping({"calls": np.full(INTERVALS, AGENTS)})
    result = simulate(model, staffing, replications=REPLICATIONS, seed=seed)
    theory = erlang_c_measures(load_erlangs / AHT_SECONDS, 1 / AHT_SECONDS, AGENTS, TARGET_SECONDS)

    turns = result.measures["turns"]
    within = result.measures["within_promise_every"][:, 0, 1:].sum(axis=1)
    share = within / turns[:, 0, 1:].sum(axis=1)
    mean_wait = steady_state(result.measures["response_mean_seconds"], result.measures["answered"])

    assert_in_confidence_interval(share, theory["service_level"])
    assert_in_confidence_interval(mean_wait, theory["mean_wait"])


def test_edf_with_one_promise_matches_erlang_c(seed: int) -> None:
    model = mmn_model(8.0, dispatch="edf")
    staffing = Staffing.from_mapping({"calls": np.full(INTERVALS, AGENTS)})
    result = simulate(model, staffing, replications=REPLICATIONS, seed=seed)
    theory = erlang_c_measures(8.0 / AHT_SECONDS, 1 / AHT_SECONDS, AGENTS, TARGET_SECONDS)

    within = result.measures["within_promise_every"][:, 0, 1:].sum(axis=1)
    share = within / result.measures["turns"][:, 0, 1:].sum(axis=1)

    assert_in_confidence_interval(share, theory["service_level"])


def test_erlang_a_abandonment(seed: int) -> None:
    patience_seconds = 120.0
    load_erlangs = 10.5
    model = mmn_model(load_erlangs, patience_seconds=patience_seconds)
    staffing = Staffing.from_mapping({"calls": np.full(INTERVALS, AGENTS)})
    result = simulate(model, staffing, replications=REPLICATIONS, seed=seed)
    expected = erlang_a_abandonment(
        load_erlangs / AHT_SECONDS, 1 / AHT_SECONDS, AGENTS, 1 / patience_seconds
    )

    abandoned = result.measures["abandoned"][:, 0, 1:].sum(axis=1)
    share = abandoned / result.measures["turns"][:, 0, 1:].sum(axis=1)

    assert_in_confidence_interval(share, expected)


def messaging_model() -> tuple[SimulationModel, Staffing]:
    """Return a model with every rule active: turns, think time, cap, patience, shifts."""
    intervals = 8
    use_cases = (
        UseCaseModel(
            name="sms",
            conversations_per_interval=np.array([30, 60, 90, 60, 30, 90, 20, 10.0]),
            turns_per_conversation=Geometric(3.0),
            work_seconds=Exponential(90.0),
            think_seconds=Exponential(300.0),
            target_seconds=300.0,
            service_level=0.8,
            concurrency_cap=3,
            patience=Exponential(1800.0),
            peakedness=np.full(intervals, 2.0),
        ),
        UseCaseModel(
            name="app",
            conversations_per_interval=np.full(intervals, 40.0),
            turns_per_conversation=Geometric(2.0),
            work_seconds=Exponential(120.0),
            think_seconds=Exponential(900.0),
            target_seconds=3600.0,
            service_level=0.8,
            response="first",
            concurrency_cap=3,
            pool="sms",
        ),
    )
    model = SimulationModel(900.0, use_cases, idle_timeout_seconds=600.0)
    staffing = Staffing.from_mapping({"sms": np.array([4, 6, 9, 5, 3, 8, 2, 1])})
    return model, staffing


def overlap_seconds(start: np.ndarray, end: np.ndarray, horizon: float) -> float:
    """Return the total time the spans ``[start, end)`` spend inside ``[0, horizon)``."""
    clipped_end = np.minimum(np.where(np.isnan(end), horizon, end), horizon)
    clipped_start = np.minimum(start, horizon)
    return float(np.clip(clipped_end - clipped_start, 0.0, None).sum())


def test_littles_law_on_sample_path(seed: int) -> None:
    model, staffing = messaging_model()
    records = run_replication(model, staffing, np.random.default_rng(seed))
    horizon = model.horizon_seconds
    arrived = np.isfinite(records.turn_arrival)
    arrival = records.turn_arrival[arrived]
    left_queue = np.where(np.isnan(records.turn_start), records.turn_end, records.turn_start)[
        arrived
    ]
    start = records.turn_start[arrived]
    end = records.turn_end[arrived]
    served = np.isfinite(start)

    waiting_integral = records.waiting_area.sum()
    busy_integral = records.busy_area.sum()

    # Time-average number waiting times the horizon equals the total waiting time.
    assert waiting_integral == pytest.approx(overlap_seconds(arrival, left_queue, horizon))
    assert busy_integral == pytest.approx(overlap_seconds(start[served], end[served], horizon))


def test_littles_law_long_run(seed: int) -> None:
    model = mmn_model(8.0)
    staffing = Staffing.from_mapping({"calls": np.full(INTERVALS, AGENTS)})
    result = simulate(model, staffing, replications=REPLICATIONS, seed=seed)

    waiting = result.measures["waiting_turns"][:, 0, 1:].mean(axis=1)
    rate = result.measures["turns"][:, 0, 1:].mean(axis=1) / INTERVAL_SECONDS
    mean_wait = steady_state(result.measures["response_mean_seconds"], result.measures["answered"])
    theory = erlang_c_measures(8.0 / AHT_SECONDS, 1 / AHT_SECONDS, AGENTS, TARGET_SECONDS)

    assert_in_confidence_interval(waiting, 8.0 / AHT_SECONDS * theory["mean_wait"])
    assert waiting.mean() == pytest.approx((rate * mean_wait).mean(), rel=0.05)
