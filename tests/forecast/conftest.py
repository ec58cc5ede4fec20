"""Seeds for the forecast tests.

Checks on simulated arrivals must hold for any seed. By default they run with one
fixed seed, so the suite stays fast and repeatable; ``ASYNCWFM_FORECAST_SEEDS=20``
runs them with that many seeds.
"""

from __future__ import annotations

import os

import pytest

DEFAULT_SEED = 20240101


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every test that takes a ``seed`` argument."""
    if "seed" in metafunc.fixturenames:
        count = int(os.environ.get("ASYNCWFM_FORECAST_SEEDS", "1"))
        metafunc.parametrize("seed", [DEFAULT_SEED + i for i in range(count)])
