"""Accuracy measures against hand-worked values from their definitions.

Definitions: WAPE = sum|F - A| / sum|A|; MASE = MAE / (in-sample mean absolute
seasonal difference), Hyndman & Koehler (2006), "Another look at measures of forecast
accuracy", International Journal of Forecasting 22, 679-688.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asyncwfm.forecast.metrics import bias, mase, mean_absolute_error, seasonal_scale, wape

ACTUAL = np.array([10.0, 0.0, 5.0])
FORECAST = np.array([8.0, 1.0, 5.0])


def test_wape_of_worked_example() -> None:
    # |8-10| + |1-0| + |5-5| = 3 over 10 + 0 + 5 = 15
    assert wape(ACTUAL, FORECAST) == pytest.approx(0.2)


def test_bias_of_worked_example() -> None:
    # (8-10) + (1-0) + (5-5) = -1 over 15: an under-forecast
    assert bias(ACTUAL, FORECAST) == pytest.approx(-1 / 15)


def test_mase_of_worked_example() -> None:
    training = np.array([1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 5.0])
    # season 4: differences 0, 0, 0, 1 -> scale 0.25; errors 1, 0 -> MAE 0.5
    scale = seasonal_scale(training, 4)

    assert scale == pytest.approx(0.25)
    assert mase(np.array([2.0, 4.0]), np.array([3.0, 4.0]), scale) == pytest.approx(2.0)


def test_metrics_skip_unobserved_slots() -> None:
    actual = np.array([10.0, np.nan, 5.0])
    forecast = np.array([8.0, 100.0, 5.0])

    assert wape(actual, forecast) == pytest.approx(2 / 15)
    assert mean_absolute_error(actual, forecast) == pytest.approx(1.0)


def test_wape_of_all_zero_actuals() -> None:
    zeros = np.zeros(3)

    assert wape(zeros, zeros) == 0.0
    assert math.isinf(wape(zeros, np.array([0.0, 1.0, 0.0])))
    assert math.isnan(wape(np.full(3, np.nan), zeros))


def test_mase_with_unknown_scale_is_nan() -> None:
    assert math.isnan(seasonal_scale(np.array([1.0, 2.0]), 4))
    assert math.isnan(mase(np.array([1.0]), np.array([2.0]), float("nan")))


def test_metrics_reject_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="same shape"):
        wape(np.zeros(3), np.zeros(2))


values = st.lists(st.floats(min_value=0.0, max_value=1e4), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(actual=values, noise=st.floats(min_value=-5, max_value=5), scale=st.floats(0.01, 100))
def test_wape_is_scale_free(actual: list[float], noise: float, scale: float) -> None:
    observed = np.array(actual)
    forecast = np.clip(observed + noise, 0, None)
    if observed.sum() == 0:
        return

    assert wape(observed * scale, forecast * scale) == pytest.approx(wape(observed, forecast))
    assert wape(observed, forecast) >= 0
    assert abs(bias(observed, forecast)) <= wape(observed, forecast) + 1e-12
    assert wape(observed, observed) == 0
