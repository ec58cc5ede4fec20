"""CSV and XLSX exports that are safe to open in a spreadsheet.

Spreadsheet programs read a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula, and a leading tab or carriage return can hide such a character. Values in
exports often come from logs (agent names, labels, rejection reasons), so a crafted
value could run a formula on the machine of the person who opens the file (CSV or
formula injection, CWE-1236). Both writers therefore prefix every text cell that starts with
one of ``= + - @``, a tab, a carriage return, a line feed or a NUL character with a
single quote, as OWASP ASVS 5.0 requirement 1.2.10 asks. Column names get the same
treatment. Numbers stay numbers: a negative number is not a formula.

Timestamps with a time zone are written as ISO 8601 text with their UTC offset
(``2024-03-31T03:00:00+02:00``), because XLSX cells have no time zone and a local
time without its offset is ambiguous in a DST overlap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import pandas as pd

from asyncwfm.errors import InputError

DANGEROUS_FIRST_CHARACTERS: Final = frozenset("=+-@\t\r\n\0")
"""First characters that make a spreadsheet cell a formula or hide one."""

_SHEET_NAME_INVALID: Final = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_MAX_CHARS: Final = 31


def neutralize_cell(value: object) -> object:
    """Return ``value`` with a leading single quote when it is text starting a formula."""
    if isinstance(value, str) and value and value[0] in DANGEROUS_FIRST_CHARACTERS:
        return "'" + value
    return value


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells and column names cannot start a formula.

    Columns of timezone-aware timestamps become ISO 8601 text with the UTC offset.
    """
    result = frame.copy()
    for column in result.columns:
        series = result[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            text = series.map(lambda stamp: stamp.isoformat() if pd.notna(stamp) else None)
            result[column] = text.astype(object)
        elif series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            result[column] = series.astype(object).map(neutralize_cell)
    result.columns = [str(neutralize_cell(str(name))) for name in result.columns]
    return result


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV without its index, neutralising formula cells.

    Returns the path written. Raises InputError when the file cannot be written.
    """
    target = Path(path)
    try:
        neutralize_frame(frame).to_csv(target, index=False)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}") from None
    return target


def write_xlsx(frames: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write one worksheet per frame to an XLSX workbook, neutralising formula cells.

    Sheet names are cut to Excel's 31 characters, with ``[ ] : * ? / \\`` replaced by
    ``_``; two frames whose names collide that way raise InputError. Text cells are
    stored as text, never as formulas.
    """
    from openpyxl import Workbook

    if not frames:
        raise InputError("write_xlsx needs at least one frame to write.")
    names = {_sheet_name(name): name for name in frames}
    if len(names) != len(frames):
        raise InputError(f"sheet names collide after shortening: {sorted(frames)}")

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet_name, key in names.items():
        sheet = workbook.create_sheet(title=sheet_name)
        safe = neutralize_frame(frames[key])
        sheet.append([str(column) for column in safe.columns])
        for row in safe.itertuples(index=False, name=None):
            sheet.append([_cell_value(value) for value in row])
        _force_text_cells(sheet)

    target = Path(path)
    try:
        workbook.save(target)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}") from None
    return target


def write_requirements_xlsx(requirements: pd.DataFrame, path: str | Path) -> Path:
    """Write the requirements table to an XLSX workbook with one sheet ``requirements``.

    Columns are those of ``requirements.csv``; interval starts are ISO 8601 local
    times with their UTC offset.
    """
    from asyncwfm.report.plan_report import requirements_for_export

    return write_xlsx({"requirements": requirements_for_export(requirements)}, path)


def _sheet_name(name: str) -> str:
    cleaned = _SHEET_NAME_INVALID.sub("_", str(name)).strip("'") or "sheet"
    return cleaned[:_SHEET_NAME_MAX_CHARS]


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def _force_text_cells(sheet: object) -> None:
    """Mark every string cell as text, so openpyxl never writes one as a formula."""
    for row in sheet.iter_rows():  # type: ignore[attr-defined]
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
