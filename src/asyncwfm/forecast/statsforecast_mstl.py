"""statsforecast's MSTL model, an optional extra (``pip install 'asyncwfm[statsforecast]'``).

statsforecast is imported only when this model is fitted, so asyncwfm works without
it; requesting the model without the package raises
:class:`~asyncwfm.errors.MissingDependencyError` with the install command.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Self

import numpy as np

from asyncwfm.errors import MissingDependencyError
from asyncwfm.forecast.base import DEFAULT_LEVELS, Forecaster, ModelForecast


def import_statsforecast_models() -> ModuleType:
    """Import ``statsforecast.models`` or raise MissingDependencyError with the fix."""
    try:
        return importlib.import_module("statsforecast.models")
    except ImportError:
        raise MissingDependencyError(
            "the model 'statsforecast_mstl' needs the statsforecast package, which is not "
            "installed; install it with pip install 'asyncwfm[statsforecast]' or leave "
            "the model out of the list."
        ) from None


class StatsforecastMstl(Forecaster):
    """statsforecast ``MSTL`` with daily and weekly periods and an AutoETS trend model.

    statsforecast decomposes with MSTL, forecasts the adjusted series with
    ``AutoETS(model="ZZN")`` (error and trend chosen by information criterion, no
    seasonality) and returns its own prediction intervals.
    See https://nixtla.github.io/statsforecast/src/core/models.html#mstl.
    """

    name = "statsforecast_mstl"
    min_history_days = 15

    def fit(self, y: np.ndarray, slots_per_day: int) -> Self:
        """Fit statsforecast's MSTL to ``y``."""
        values = self._check_history(y, slots_per_day)
        models = import_statsforecast_models()
        model: Any = models.MSTL(
            season_length=[slots_per_day, 7 * slots_per_day],
            trend_forecaster=models.AutoETS(model="ZZN"),
        )
        self.model_ = model.fit(values)
        return self

    def predict(self, horizon: int, levels: Sequence[int] = DEFAULT_LEVELS) -> ModelForecast:
        """Forecast ``horizon`` slots with statsforecast's intervals for ``levels``."""
        output = self.model_.predict(horizon, level=list(levels))
        bounds = {
            level: (
                np.asarray(output[f"lo-{level}"], dtype=float),
                np.asarray(output[f"hi-{level}"], dtype=float),
            )
            for level in levels
        }
        return ModelForecast(mean=np.asarray(output["mean"], dtype=float), bounds=bounds)
