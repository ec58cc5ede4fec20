"""Special functions behind the Erlang models, evaluated in log space without overflow.

The callers check their inputs, so these functions expect positive loads and
non-negative server counts and do no validation of their own.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from asyncwfm.plan._checks import BoolArray, FloatArray

_Q_UNDERFLOW = 1e-200
_SERIES_RELATIVE_TOLERANCE = 1e-17


def log_erlang_b(servers: FloatArray, load: FloatArray) -> FloatArray:
    """Return ``ln B(servers, load)`` for positive loads and real ``servers >= 0``.

    ``B = exp(N ln A - A - ln Gamma(N + 1)) / Q(N + 1, A)`` with the regularised upper
    incomplete gamma function ``Q``. Where ``Q`` underflows (servers far below the
    load) the series of :func:`_inverse_erlang_b_series` takes over.
    """
    upper_gamma = special.gammaincc(servers + 1.0, load)
    with np.errstate(divide="ignore"):
        log_b = _log_poisson_weight(servers, load) - np.log(upper_gamma)

    underflow = upper_gamma < _Q_UNDERFLOW
    if underflow.any():
        log_b[underflow] = -np.log(_inverse_erlang_b_series(servers[underflow], load[underflow]))
    return np.minimum(log_b, 0.0)


def log_scaled_lower_gamma(shape: FloatArray, argument: FloatArray) -> FloatArray:
    """Return ``ln J(x, y)`` with ``J(x, y) = x e^y y^(-x) gamma(x, y) = 1F1(1; x + 1; y)``.

    ``gamma`` is the lower incomplete gamma function and ``J(x, y) = sum_k y^k /
    ((x + 1) ... (x + k))``. Up to ``y = x`` the sum is of moderate size and
    ``scipy.special.hyp1f1`` evaluates it accurately. Above, ``J`` grows like ``e^y``,
    so the logarithm comes from the regularised lower gamma function ``P``, which is
    at least about one half there.
    """
    return _log_scaled_lower_gamma(shape, argument, argument <= shape)


def log_scaled_lower_gamma_slope(shape: FloatArray, argument: FloatArray) -> FloatArray:
    """Return the derivative of ``ln J(x, y)`` with respect to the shape ``x``.

    Central differences with steps ``h`` and ``h/2`` are combined by Richardson
    extrapolation. Near ``y = x`` the function changes on the scale ``sqrt(x)``, so
    ``h = min(x/1000, sqrt(x)/100)``. In the tests the result agrees with a direct
    series over the birth-death chain to about 1e-11 relative. All points of a stencil use
    the same branch of :func:`log_scaled_lower_gamma`, chosen at its centre.
    """
    use_series = argument <= shape

    def central_difference(step: FloatArray) -> FloatArray:
        above = _log_scaled_lower_gamma(shape + step, argument, use_series)
        below = _log_scaled_lower_gamma(shape - step, argument, use_series)
        return (above - below) / (2.0 * step)

    step = np.minimum(1e-3 * shape, 1e-2 * np.sqrt(shape))
    return (4.0 * central_difference(step / 2.0) - central_difference(step)) / 3.0


def _log_scaled_lower_gamma(
    shape: FloatArray, argument: FloatArray, use_series: BoolArray
) -> FloatArray:
    result = np.zeros_like(argument)
    result[use_series] = np.log(special.hyp1f1(1.0, shape[use_series] + 1.0, argument[use_series]))

    large = ~use_series
    x = shape[large]
    y = argument[large]
    result[large] = np.log(special.gammainc(x, y)) - _log_poisson_weight(x, y)
    return result


def _log_poisson_weight(count: FloatArray, mean: FloatArray) -> FloatArray:
    """Return ``ln(mean^count e^(-mean) / Gamma(count + 1))`` for real ``count >= 0``.

    For ``count + 1 >= 10`` Stirling's series replaces ``ln Gamma``, and the terms are
    grouped around ``mean - count`` so that the large parts cancel analytically. The
    direct formula loses about nine digits at ten million; this form keeps them.
    """
    shifted = count + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = special.xlogy(count, mean) - mean - special.gammaln(shifted)
        grouped = (
            count * np.log1p((mean - shifted) / shifted)
            + (shifted - mean)
            - 0.5 * np.log(2.0 * np.pi * shifted)
            - _stirling_remainder(shifted)
        )
    return np.where(shifted >= 10.0, grouped, direct)


def _stirling_remainder(x: FloatArray) -> FloatArray:
    """Return ``ln Gamma(x) - ((x - 1/2) ln x - x + ln(2 pi)/2)``, accurate for ``x >= 10``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse_square = 1.0 / (x * x)
        series = 1.0 / 12.0 - inverse_square * (
            1.0 / 360.0
            - inverse_square
            * (1.0 / 1260.0 - inverse_square * (1.0 / 1680.0 - inverse_square / 1188.0))
        )
        return series / x


def _inverse_erlang_b_series(servers: FloatArray, load: FloatArray) -> FloatArray:
    """Return ``1/B`` as ``sum_j prod_{i<j} (servers - i) / load``, for servers well below load.

    The terms shrink at least by the factor ``servers / load`` each step. For integer
    ``servers`` the sum is exact and ends at ``j = servers``. For real ``servers`` it is
    the asymptotic expansion of the incomplete gamma function. In the region where
    :func:`log_erlang_b` uses it (``Q`` below 1e-200) its terms reach machine
    precision long before they would start to grow.
    """
    total = np.ones_like(servers)
    term = np.ones_like(servers)
    active = np.ones(servers.shape, dtype=bool)
    step = 0
    while active.any():
        term = np.where(active, term * (servers - step) / load, 0.0)
        total = total + term
        active &= np.abs(term) > _SERIES_RELATIVE_TOLERANCE * total
        step += 1
    return total
