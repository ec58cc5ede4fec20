"""Run every benchmark in turn: ``python -m bench`` (what ``make bench`` calls).

Each benchmark module has a ``main()`` that prints its own results table, with the
peer libraries measured in the same run.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time

BENCHMARKS = (
    "bench.bench_ingest",
    "bench.bench_measure",
    "bench.bench_forecast",
    "bench.bench_simulate",
)


def main() -> int:
    """Run the benchmarks named in BENCHMARKS, or those given as arguments."""
    names = sys.argv[1:] or list(BENCHMARKS)
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.platform()}")
    for name in names:
        module = importlib.import_module(name if name.startswith("bench.") else f"bench.{name}")
        print(f"\n=== {module.__name__} ===", flush=True)
        started = time.perf_counter()
        module.main()
        print(f"({module.__name__} took {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
