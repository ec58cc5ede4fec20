"""Seeds for the simulation tests.

The checks against theory must hold for any seed. By default they run with one fixed
seed so the suite stays fast and repeatable; ``ASYNCWFM_SIM_SWEEP=1`` (``make
sim-sweep``) runs them for 20 seeds.
"""

from __future__ import annotations

import os

import pytest

SWEEP_SEEDS = list(range(1000, 1020))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every test that takes a ``seed`` argument."""
    if "seed" in metafunc.fixturenames:
        seeds = SWEEP_SEEDS if os.environ.get("ASYNCWFM_SIM_SWEEP") else [20240607]
        metafunc.parametrize("seed", seeds)
