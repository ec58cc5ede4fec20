"""Input checks shared by the queueing models: arrays of finite numbers within a range.

Each check raises :class:`~asyncwfm.errors.InputError` with a message that names the
parameter, the first invalid value and its position.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from asyncwfm.errors import InputError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

CEIL_RELATIVE_TOLERANCE = 1e-9
"""Relative slack for rounding up a computed head count.

``7 / (1 - 0.3)`` is ``10.000000000000002`` in binary floating point, and a plain
``ceil`` would schedule 11 agents instead of 10. Values within this relative distance
above an integer round down to it.
"""


def float_array(
    name: str,
    value: ArrayLike,
    *,
    minimum: float | None = None,
    minimum_inclusive: bool = True,
    maximum: float | None = None,
    maximum_inclusive: bool = True,
) -> FloatArray:
    """Convert ``value`` to a float array and check that every element is finite and in range.

    Raises
    ------
    InputError
        When an element is NaN, infinite or outside the range. The message names
        ``name``, the value and its index.
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a number or an array of numbers: {exc}") from None

    finite = np.isfinite(array)
    if not finite.all():
        bad, where = _first(array, ~finite)
        raise InputError(
            f"{name} must be finite, got {bad}{where}. "
            "Fill or drop missing intervals before planning."
        )

    if minimum is not None:
        below = array < minimum if minimum_inclusive else array <= minimum
        if below.any():
            bad, where = _first(array, below)
            relation = ">=" if minimum_inclusive else ">"
            raise InputError(f"{name} must be {relation} {minimum}, got {bad}{where}.")

    if maximum is not None:
        above = array > maximum if maximum_inclusive else array >= maximum
        if above.any():
            bad, where = _first(array, above)
            relation = "<=" if maximum_inclusive else "<"
            raise InputError(f"{name} must be {relation} {maximum}, got {bad}{where}.")

    return array


def float_scalar(
    name: str,
    value: float,
    *,
    minimum: float | None = None,
    minimum_inclusive: bool = True,
    maximum: float | None = None,
    maximum_inclusive: bool = True,
) -> float:
    """Check a single number the way :func:`float_array` checks arrays and return it as float."""
    array = float_array(
        name,
        value,
        minimum=minimum,
        minimum_inclusive=minimum_inclusive,
        maximum=maximum,
        maximum_inclusive=maximum_inclusive,
    )
    if array.ndim != 0:
        raise InputError(f"{name} must be a single number, got an array of shape {array.shape}.")
    return float(array)


def ceil_with_tolerance(values: ArrayLike) -> IntArray:
    """Round up to integers, treating values a hair above an integer as that integer.

    See :data:`CEIL_RELATIVE_TOLERANCE` for why the slack is needed.
    """
    array = np.asarray(values, dtype=np.float64)
    slack = CEIL_RELATIVE_TOLERANCE * np.maximum(1.0, np.abs(array))
    return np.ceil(array - slack).astype(np.int64)


def _first(array: FloatArray, mask: BoolArray) -> tuple[float, str]:
    """Return the first value where ``mask`` is true and a phrase that locates it."""
    if array.ndim == 0:
        return float(array), ""
    flat_position = int(np.flatnonzero(mask)[0])
    position = np.unravel_index(flat_position, array.shape)
    index = position[0] if len(position) == 1 else tuple(int(p) for p in position)
    return float(array.flat[flat_position]), f" at index {index}"
