"""Vectorised search for the smallest head count that meets a monotone condition."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from asyncwfm.errors import InfeasiblePlanError
from asyncwfm.plan._checks import BoolArray, IntArray

MAX_AGENTS = 10_000_000
"""Largest head count the searches consider before they give up on an interval."""


def smallest_passing_count(
    passes: Callable[[IntArray], BoolArray],
    lower: IntArray,
    max_count: int = MAX_AGENTS,
) -> IntArray:
    """Return, per element, the smallest count ``n >= lower`` for which ``passes`` is true.

    ``passes`` takes an integer array shaped like ``lower`` and returns a boolean array
    of the same shape. It must be monotone in each element: once true for ``n`` it is
    true for every larger ``n``. The search doubles a step above ``lower`` until every
    element passes, then bisects, so it costs ``O(log n)`` calls for all elements at
    once.

    Raises
    ------
    InfeasiblePlanError
        When an element still fails at ``max_count``.
    """
    lower = np.asarray(lower, dtype=np.int64)
    upper = lower.copy()
    step = np.ones_like(lower)

    passed = passes(upper)
    while not passed.all():
        if np.any(upper[~passed] >= max_count):
            position = int(np.flatnonzero(~passed & (upper >= max_count))[0])
            raise InfeasiblePlanError(
                f"no head count up to {max_count} meets the target for element {position}. "
                "Check the load, the handling time and the target for that interval."
            )
        upper = np.where(passed, upper, np.minimum(upper + step, max_count))
        step = np.where(passed, step, step * 2)
        passed = passes(upper)

    # The count before the last increase failed. Counts below ``lower`` fail by the
    # caller's contract, so ``lower - 1`` is a failing end even where never evaluated.
    failing = np.where(upper == lower, lower - 1, np.maximum(lower - 1, upper - step // 2))
    passing = upper
    while np.any(passing - failing > 1):
        open_gap = passing - failing > 1
        middle = np.where(open_gap, (passing + failing) // 2, passing)
        ok = passes(middle)
        passing = np.where(open_gap & ok, middle, passing)
        failing = np.where(open_gap & ~ok, middle, failing)
    return passing
