"""The interface every forecasting model follows: ``fit`` on a history, ``predict`` ahead.

Models work on a complete series on the wall-clock grid (see
:mod:`asyncwfm.forecast.grid`): a 1-D float array with no gaps whose length is a whole
number of days of ``slots_per_day`` values, oldest first. Fitted attributes end in an
underscore, as in scikit-learn. ``predict`` returns the mean forecast, and the bounds
per coverage level when the model has its own prediction intervals. Otherwise the
caller derives bounds from backtest errors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np

from asyncwfm.errors import InputError

DEFAULT_LEVELS: tuple[int, ...] = (80, 95)
"""Coverage levels of the prediction intervals, in percent."""


@dataclass(frozen=True, eq=False)
class ModelForecast:
    """Forecast of a model for the slots after its history.

    Attributes
    ----------
    mean : numpy.ndarray
        Point forecast per slot.
    bounds : mapping of int to (lower, upper), or None
        Prediction interval bounds per coverage level in percent, or None when the
        model has no intervals of its own.
    """

    mean: np.ndarray
    bounds: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None


class Forecaster(ABC):
    """Base class of the forecasting models.

    Subclasses set ``name`` (the name used in settings, tables and files) and
    ``min_history_days`` (the shortest history ``fit`` accepts).
    """

    name: ClassVar[str]
    min_history_days: ClassVar[int]

    @abstractmethod
    def fit(self, y: np.ndarray, slots_per_day: int) -> Self:
        """Fit the model to a complete history of whole days and return it."""

    @abstractmethod
    def predict(self, horizon: int, levels: Sequence[int] = DEFAULT_LEVELS) -> ModelForecast:
        """Forecast the ``horizon`` slots that follow the history."""

    def _check_history(self, y: np.ndarray, slots_per_day: int) -> np.ndarray:
        values = np.asarray(y, dtype=float)
        if values.ndim != 1 or slots_per_day < 1 or values.size % slots_per_day:
            raise InputError(
                f"{self.name}: history must be a 1-D array of whole days of {slots_per_day} "
                f"slots, got shape {values.shape}."
            )
        if np.isnan(values).any():
            raise InputError(
                f"{self.name}: history has missing values; fill them before fitting "
                "(asyncwfm.forecast.series.fill_for_fitting)."
            )
        days = values.size // slots_per_day
        if days < self.min_history_days:
            raise InputError(
                f"{self.name} needs at least {self.min_history_days} days of history, got {days}."
            )
        return values


def tile_season(season: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat one seasonal cycle to cover ``horizon`` slots, starting at its first slot."""
    repeats = -(-horizon // len(season))
    return np.tile(season, repeats)[:horizon]
