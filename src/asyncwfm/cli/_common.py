"""Option parsing shared by several commands."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from rich.console import Console, RenderableType

from asyncwfm.config import PlanningConfig, load_config
from asyncwfm.errors import AsyncWfmWarning, InputError

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

error_console = Console(stderr=True)


def planning_config(path: Path | None) -> PlanningConfig:
    """Load the configuration file, or return the defaults when no file is given."""
    return load_config(path) if path is not None else PlanningConfig()


def window_bound(value: str | None, business_timezone: str, option: str) -> pd.Timestamp | None:
    """Parse a ``--start``/``--end`` value into a UTC timestamp.

    A date (``2017-10-30``) or a time without offset is local time in the business
    time zone; a value with an offset (``2017-10-30T08:00-04:00``) or ``Z`` is taken
    as written.
    """
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(
            f"invalid {option} {value!r}; "
            "write a date like 2017-10-30 or a time like 2017-10-30T08:00"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(business_timezone, ambiguous=False, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


@contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Print asyncwfm warnings raised inside the block as ``warning: ...`` lines on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AsyncWfmWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, AsyncWfmWarning):
            error_console.print(f"warning: {warning.message}", highlight=False, soft_wrap=True)


def print_whole(renderable: RenderableType) -> None:
    """Print ``renderable`` on standard output, at full width unless it is a terminal.

    rich fits output to a terminal's width. Elsewhere (a pipe or a log file) it assumes
    80 columns and would cut long cells, so the output gets the width it needs instead.
    """
    console = Console()
    if not console.is_terminal:
        needed = console.measure(renderable, options=console.options.update_width(10_000))
        if needed.maximum > console.width:
            console = Console(width=needed.maximum)
    console.print(renderable)
