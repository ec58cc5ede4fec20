"""The model registry: names used in settings, tables and ``forecast.csv``."""

from __future__ import annotations

from typing import Final

from asyncwfm.errors import ConfigError
from asyncwfm.forecast.base import Forecaster
from asyncwfm.forecast.mstl import MstlEts
from asyncwfm.forecast.naive import DailyMean, SeasonalNaive
from asyncwfm.forecast.profile import DailyProfile
from asyncwfm.forecast.statsforecast_mstl import StatsforecastMstl

MODEL_CLASSES: Final[dict[str, type[Forecaster]]] = {
    SeasonalNaive.name: SeasonalNaive,
    DailyProfile.name: DailyProfile,
    MstlEts.name: MstlEts,
    StatsforecastMstl.name: StatsforecastMstl,
    DailyMean.name: DailyMean,
}
"""Every model by name, simplest first. The backtest breaks ties in this order."""

DEFAULT_MODELS: Final[tuple[str, ...]] = (SeasonalNaive.name, DailyProfile.name, MstlEts.name)
"""Models compared by default; ``statsforecast_mstl`` needs the optional extra."""

BASELINE_MODEL: Final[str] = SeasonalNaive.name
"""The model every backtest includes, so the chosen model is always compared with it."""


def make_model(name: str) -> Forecaster:
    """Return a new, unfitted model by name.

    Raises
    ------
    ConfigError
        When ``name`` is not a known model.
    """
    model_class = MODEL_CLASSES.get(name)
    if model_class is None:
        raise ConfigError(f"unknown forecast model {name!r}; choose from {list(MODEL_CLASSES)}.")
    return model_class()


def simplicity_rank(name: str) -> int:
    """Return the position of a model in :data:`MODEL_CLASSES`; lower is simpler."""
    return list(MODEL_CLASSES).index(name)
