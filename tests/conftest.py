"""Test-suite settings shared by every test folder.

Hypothesis draws its examples from a fixed seed in ``make test``, so a run that passed
passes again on the same code. ``make fuzz`` and ``make sim-sweep`` select the
``explore`` profile, which draws fresh examples each run.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("ASYNCWFM_HYPOTHESIS_PROFILE", "repeatable"))
