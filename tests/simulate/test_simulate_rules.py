"""Routing rules of the engine on replayed conversations whose outcome is known exactly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from asyncwfm.errors import InputError, TooFewReplicationsWarning
from asyncwfm.simulate import (
    Constant,
    Exponential,
    SimulationModel,
    Staffing,
    TraceConversations,
    UseCaseModel,
    run_replication,
    simulate,
)
from asyncwfm.simulate.engine import ABANDONED, DONE, WAITING


def use_case(
    name: str = "chat",
    target_seconds: float = 600.0,
    cap: int | None = None,
    patience: float | None = None,
    pool: str = "agents",
    intervals: int = 2,
) -> UseCaseModel:
    return UseCaseModel(
        name=name,
        conversations_per_interval=np.zeros(intervals),
        turns_per_conversation=Constant(1.0),
        work_seconds=Constant(1.0),
        think_seconds=Constant(0.0),
        target_seconds=target_seconds,
        service_level=0.8,
        concurrency_cap=cap,
        patience=Constant(patience) if patience is not None else None,
        pool=pool,
    )


def replay(
    use_cases: tuple[UseCaseModel, ...],
    agents: list[int],
    conversations: list[tuple[float, int, list[float], list[float]]],
    idle_timeout_seconds: float = 100.0,
    dispatch: str = "edf",
):
    """Replay ``(start, use case index, work per turn, think per turn)`` conversations."""
    trace = TraceConversations(
        start_seconds=np.array([c[0] for c in conversations]),
        use_case=np.array([c[1] for c in conversations]),
        turns=np.array([len(c[2]) for c in conversations]),
        work_seconds=np.concatenate([c[2] for c in conversations]),
        think_seconds=np.concatenate([c[3] for c in conversations]),
    )
    model = SimulationModel(
        interval_seconds=100.0,
        use_cases=use_cases,
        idle_timeout_seconds=idle_timeout_seconds,
        dispatch=dispatch,  # type: ignore[arg-type]
        drain_seconds=1000.0,
        trace=trace,
    )
    staffing = Staffing.from_mapping({"agents": np.array(agents)})
    return run_replication(model, staffing, np.random.default_rng(0))


def test_thread_stays_with_its_agent() -> None:
    # Agent 0 answers A at 0-10; B arrives at 5 and goes to agent 1. A's second turn
    # arrives at 15, while agent 1 is still busy and agent 0 is free: it is agent 0's thread.
    records = replay(
        (use_case(),),
        [2, 2],
        [(0.0, 0, [10.0, 5.0], [5.0, 0.0]), (5.0, 0, [50.0], [0.0])],
    )
    assert records.turn_agent[0] == records.turn_agent[1]
    assert records.turn_agent[2] != records.turn_agent[0]


def test_follow_up_waits_for_its_busy_agent() -> None:
    # A's second turn arrives at 15 while its agent works on C (taken at 12); the other
    # agent is free, but the thread is held, so the turn waits until 12 + 30 = 42.
    records = replay(
        (use_case(),),
        [2, 2],
        [
            (0.0, 0, [10.0, 5.0], [5.0, 0.0]),
            (1.0, 0, [100.0], [0.0]),
            (12.0, 0, [30.0], [0.0]),
        ],
    )
    agent_of_a = records.turn_agent[0]
    assert records.turn_agent[1] == agent_of_a
    assert records.turn_start[1] == pytest.approx(42.0)


def test_cap_blocks_new_thread_until_idle_timeout() -> None:
    # One agent with cap 1 holds A after replying at 10; B (arriving at 20) waits until
    # A's thread has been idle for the 100-second timeout, at 110. The agent is at its
    # cap while holding A (0-110) and B (110 to the horizon end at 200).
    records = replay(
        (use_case(cap=1),),
        [1, 1],
        [(0.0, 0, [10.0], [0.0]), (20.0, 0, [5.0], [0.0])],
    )
    assert records.turn_start[1] == pytest.approx(110.0)
    assert records.at_cap_area.sum() == pytest.approx(200.0)


def test_long_think_time_returns_thread_to_pool() -> None:
    # A's customer replies after 500 s, beyond the timeout, so the thread went back
    # to the pool and any agent may take the turn; with cap 1 the agent is free again.
    records = replay(
        (use_case(cap=1, intervals=8),),
        [1, 1, 1, 1, 1, 1, 1, 1],
        [(0.0, 0, [10.0, 5.0], [500.0, 0.0]), (200.0, 0, [5.0], [0.0])],
    )
    assert records.turn_start[2] == pytest.approx(200.0)
    assert records.turn_start[1] == pytest.approx(510.0)


def test_agent_finishes_turn_after_shift_end() -> None:
    # One agent in interval 0, none after: the turn started at 50 ends at 200, and a
    # turn arriving at 120 is never answered.
    records = replay(
        (use_case(),),
        [1, 0],
        [(50.0, 0, [150.0], [0.0]), (120.0, 0, [5.0], [0.0])],
    )
    assert records.turn_end[0] == pytest.approx(200.0)
    assert records.turn_status[0] == DONE
    assert records.turn_status[1] == WAITING
    assert records.present_area[0, 1] == pytest.approx(100.0)


def test_leaving_agent_hands_threads_to_pool() -> None:
    # Two agents in interval 0, one in interval 1. Agent 1 (the second) holds B, whose
    # next turn arrives at 150 after agent 1 left at 100; agent 0 answers it.
    records = replay(
        (use_case(),),
        [2, 1],
        [(0.0, 0, [60.0], [0.0]), (10.0, 0, [20.0, 5.0], [120.0, 0.0])],
        idle_timeout_seconds=1000.0,
    )
    assert records.turn_agent[1] == 1
    assert records.turn_agent[2] == 0
    assert records.turn_start[2] == pytest.approx(150.0)


def test_edf_and_fifo_order() -> None:
    # The only agent is busy until 10. "slow" (target 3600 s) arrives at 1 and "fast"
    # (target 60 s) at 2: earliest deadline first serves "fast" first, FIFO "slow".
    cases = (use_case("slow", 3600.0), use_case("fast", 60.0))
    conversations = [
        (0.0, 0, [10.0], [0.0]),
        (1.0, 0, [5.0], [0.0]),
        (2.0, 1, [5.0], [0.0]),
    ]
    edf = replay(cases, [1, 1], conversations, dispatch="edf")
    fifo = replay(cases, [1, 1], conversations, dispatch="fifo")

    assert edf.turn_start[2] == pytest.approx(10.0)
    assert edf.turn_start[1] == pytest.approx(15.0)
    assert fifo.turn_start[1] == pytest.approx(10.0)
    assert fifo.turn_start[2] == pytest.approx(15.0)


def test_abandoned_turn_ends_conversation() -> None:
    # The agent is busy until 100; B waits from 1 and leaves after 5 s of patience, so
    # B's second turn never arrives.
    records = replay(
        (use_case(patience=5.0),),
        [1, 1],
        [(0.0, 0, [100.0], [0.0]), (1.0, 0, [5.0, 5.0], [1.0, 0.0])],
    )
    assert records.turn_status[1] == ABANDONED
    assert records.turn_end[1] == pytest.approx(6.0)
    assert records.turn_status[2] == 0


def random_model() -> tuple[SimulationModel, Staffing]:
    case = UseCaseModel(
        name="chat",
        conversations_per_interval=np.full(4, 50.0),
        turns_per_conversation=Constant(2.0),
        work_seconds=Exponential(60.0),
        think_seconds=Exponential(120.0),
        target_seconds=300.0,
        service_level=0.8,
    )
    model = SimulationModel(900.0, (case,))
    return model, Staffing.from_mapping({"chat": np.full(4, 3)})


def test_replications_reproducible_and_independent() -> None:
    model, staffing = random_model()
    first = simulate(model, staffing, replications=5, seed=7)
    again = simulate(model, staffing, replications=5, seed=7)
    other = simulate(model, staffing, replications=5, seed=8)

    np.testing.assert_array_equal(first.measures["turns"], again.measures["turns"])
    assert not np.array_equal(first.measures["turns"], other.measures["turns"])
    assert len({tuple(r.ravel()) for r in first.measures["turns"]}) == 5


def test_too_few_replications_warns() -> None:
    model, staffing = random_model()
    with pytest.warns(TooFewReplicationsWarning, match="use at least 5"):
        result = simulate(model, staffing, replications=2, seed=1)
    table = result.attainment_table()
    assert table["answered_within_promise_low"].notna().all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", TooFewReplicationsWarning)
        simulate(model, staffing, replications=5, seed=1)


def test_attainment_table_columns_and_status() -> None:
    model, staffing = random_model()
    table = simulate(model, staffing, replications=5, seed=3).attainment_table()
    for column in (
        "interval_start",
        "use_case",
        "turns",
        "answered_within_promise",
        "response_p90_seconds",
        "waiting_turns",
        "occupancy",
        "open_threads",
        "agents_at_cap",
    ):
        assert column in table.columns
    assert set(table["status"]) <= {"meets", "at_risk", "misses", "no_turns"}
    assert (table["occupancy"] >= 0).all()
    assert (table["occupancy"] <= 1 + 1e-9).all()


def test_staffing_for_unknown_pool_raises() -> None:
    model, _ = random_model()
    staffing = Staffing.from_mapping({"other": np.full(4, 3)})
    with pytest.raises(InputError, match="no agents for pools"):
        simulate(model, staffing, replications=5, seed=1)
