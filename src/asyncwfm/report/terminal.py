"""Rich tables for the terminal: the plan summary per use case."""

from __future__ import annotations

import math

import pandas as pd
from rich.table import Table


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    return str(value)


def frame_table(
    frame: pd.DataFrame, title: str | None = None, percent_columns: tuple[str, ...] = ()
) -> Table:
    """Return a rich table of ``frame``: text left-aligned, numbers right-aligned.

    Columns named in ``percent_columns`` are shown as percentages.
    """
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if column in percent_columns and isinstance(value, float) and not math.isnan(value):
                cells.append(f"{value:.0%}")
            else:
                cells.append(_cell(value))
        table.add_row(*cells)
    return table
