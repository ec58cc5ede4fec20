"""Benchmark the asyncwfm simulation engine against SimPy and Ciw on one M/M/N queue.

Run from the repository root::

    python -m bench.bench_simulate [--replications 10] [--hours 200] [--json FILE]

All three simulators run the same M/M/N model (Poisson arrivals, exponential work,
``N`` agents, first come first served) in the same process, one after the other, with
independent replications per tool. Each tool's service level (share of customers
waiting at most the target) and mean wait are compared with the exact Erlang C values
and with each other by 95% Student-t confidence intervals. Speed is simulated
customers (customer turns) per second of wall-clock time, including drawing the
random numbers and collecting the waits; the one-time numba compilation of our engine
runs before the timing and is reported on its own.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import ciw
import numpy as np
import simpy
from scipy import stats

from asyncwfm.simulate import Constant, Exponential, SimulationModel, Staffing, UseCaseModel
from asyncwfm.simulate import run_replication as run_asyncwfm_replication

AGENTS = 20
AHT_SECONDS = 300.0
LOAD_ERLANGS = 17.0
TARGET_SECONDS = 60.0
WARM_UP_SECONDS = 3600.0


@dataclass(frozen=True)
class ToolResult:
    """Measures of one simulator over all replications."""

    tool: str
    customers: int
    seconds: float
    customers_per_second: float
    service_level: float
    service_level_half_width: float
    mean_wait_seconds: float
    mean_wait_half_width: float


def erlang_c_theory() -> tuple[float, float]:
    """Return the exact M/M/N service level and mean wait (Erlang B recursion, then C)."""
    blocking = 1.0
    for servers in range(1, AGENTS + 1):
        blocking = LOAD_ERLANGS * blocking / (servers + LOAD_ERLANGS * blocking)
    wait_probability = AGENTS * blocking / (AGENTS - LOAD_ERLANGS * (1 - blocking))
    drain_per_second = (AGENTS - LOAD_ERLANGS) / AHT_SECONDS
    service_level = 1 - wait_probability * math.exp(-drain_per_second * TARGET_SECONDS)
    return service_level, wait_probability / drain_per_second


def waits_asyncwfm(horizon_seconds: float, seed: int) -> np.ndarray:
    """Return waits of customers arriving after the warm-up, from our engine."""
    intervals = max(1, round(horizon_seconds / 3600.0))
    use_case = UseCaseModel(
        name="queue",
        conversations_per_interval=np.full(intervals, LOAD_ERLANGS / AHT_SECONDS * 3600.0),
        turns_per_conversation=Constant(1.0),
        work_seconds=Exponential(AHT_SECONDS),
        think_seconds=Constant(0.0),
        target_seconds=TARGET_SECONDS,
        service_level=0.8,
    )
    model = SimulationModel(3600.0, (use_case,), dispatch="fifo", drain_seconds=0.0)
    staffing = Staffing.from_mapping({"queue": np.full(intervals, AGENTS)})
    records = run_asyncwfm_replication(model, staffing, np.random.default_rng(seed))
    waits = records.turn_start - records.turn_arrival
    keep = (records.turn_arrival >= WARM_UP_SECONDS) & np.isfinite(waits)
    return waits[keep]


def waits_simpy(horizon_seconds: float, seed: int) -> np.ndarray:
    """Return waits of customers arriving after the warm-up, from SimPy."""
    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    waits: list[float] = []
    arrival_rate = LOAD_ERLANGS / AHT_SECONDS

    def customer(arrived: float):  # type: ignore[no-untyped-def]
        with agents.request() as request:
            yield request
            if arrived >= WARM_UP_SECONDS:
                waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1.0 / AHT_SECONDS))

    def source():  # type: ignore[no-untyped-def]
        while True:
            yield env.timeout(rng.expovariate(arrival_rate))
            env.process(customer(env.now))

    env.process(source())
    env.run(until=horizon_seconds)
    return np.array(waits)


def waits_ciw(horizon_seconds: float, seed: int) -> np.ndarray:
    """Return waits of customers arriving after the warm-up, from Ciw."""
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LOAD_ERLANGS / AHT_SECONDS)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / AHT_SECONDS)],
        number_of_servers=[AGENTS],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(horizon_seconds)
    records = simulation.get_all_records()
    return np.array([r.waiting_time for r in records if r.arrival_date >= WARM_UP_SECONDS])


def measure_tool(
    tool: str,
    run: Callable[[float, int], np.ndarray],
    horizon_seconds: float,
    replications: int,
) -> ToolResult:
    """Run ``replications`` of one tool and summarise speed and results."""
    levels, means = [], []
    customers = 0
    started = time.perf_counter()
    for replication in range(replications):
        waits = run(horizon_seconds, 1000 + replication)
        customers += waits.size
        levels.append(float((waits <= TARGET_SECONDS).mean()))
        means.append(float(waits.mean()))
    elapsed = time.perf_counter() - started
    level_mean, level_half = _mean_and_half_width(np.array(levels))
    wait_mean, wait_half = _mean_and_half_width(np.array(means))
    return ToolResult(
        tool, customers, elapsed, customers / elapsed, level_mean, level_half, wait_mean, wait_half
    )


def _mean_and_half_width(samples: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.975, samples.size - 1) * samples.std(ddof=1) / math.sqrt(samples.size)
    return float(samples.mean()), float(half)


def _agree(a: ToolResult, b: ToolResult) -> bool:
    """Return whether two tools' results differ by less than their combined half-widths."""
    level_gap = abs(a.service_level - b.service_level)
    wait_gap = abs(a.mean_wait_seconds - b.mean_wait_seconds)
    return bool(
        level_gap <= a.service_level_half_width + b.service_level_half_width
        and wait_gap <= a.mean_wait_half_width + b.mean_wait_half_width
    )


def main() -> None:
    """Run the benchmark and print speeds, ratios and the results of every tool."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--hours", type=float, default=200.0, help="Simulated hours per run.")
    parser.add_argument("--json", type=Path, help="Also write the results to this JSON file.")
    options = parser.parse_args()
    horizon_seconds = options.hours * 3600.0

    compile_started = time.perf_counter()
    waits_asyncwfm(7200.0, 0)
    compile_seconds = time.perf_counter() - compile_started

    results = [
        measure_tool("asyncwfm", waits_asyncwfm, horizon_seconds, options.replications),
        measure_tool("simpy", waits_simpy, horizon_seconds, options.replications),
        measure_tool("ciw", waits_ciw, horizon_seconds, options.replications),
    ]
    theory_level, theory_wait = erlang_c_theory()
    ours = results[0]

    print(
        f"M/M/{AGENTS}: load {LOAD_ERLANGS} Erlangs, AHT {AHT_SECONDS:.0f} s, target "
        f"{TARGET_SECONDS:.0f} s, {options.hours:.0f} h x {options.replications} replications"
    )
    print(f"Erlang C: service level {theory_level:.4f}, mean wait {theory_wait:.2f} s")
    print(f"asyncwfm first call (numba compile or cache load, not timed): {compile_seconds:.1f} s")
    for result in results:
        print(
            f"{result.tool:9s} {result.customers_per_second:12,.0f} turns/s  "
            f"SL {result.service_level:.4f} ± {result.service_level_half_width:.4f}  "
            f"mean wait {result.mean_wait_seconds:6.2f} ± {result.mean_wait_half_width:.2f} s  "
            f"agrees with asyncwfm: {_agree(ours, result)}"
        )
    ratios = {r.tool: ours.customers_per_second / r.customers_per_second for r in results[1:]}
    print("speed ratios: " + ", ".join(f"asyncwfm/{t} = {v:.1f}x" for t, v in ratios.items()))

    if options.json is not None:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": {"python": platform.python_version(), "processor": platform.processor()},
            "theory": {"service_level": theory_level, "mean_wait_seconds": theory_wait},
            "compile_seconds": compile_seconds,
            "results": [asdict(r) for r in results],
            "ratios": ratios,
        }
        options.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
