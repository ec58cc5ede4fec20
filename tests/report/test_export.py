"""Tests of the formula-safe CSV and XLSX exports."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from asyncwfm.errors import InputError
from asyncwfm.report.export import (
    neutralize_cell,
    write_csv,
    write_requirements_xlsx,
    write_xlsx,
)

# Cells that spreadsheets read as formulas, or where a leading tab or carriage
# return hides one (OWASP ASVS 5.0 requirement 1.2.10 and CWE-1236).
DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=cmd", "\r=cmd", '=HYPERLINK("x")']


@pytest.mark.parametrize("value", DANGEROUS)
def test_dangerous_cell_quoted(value: str) -> None:
    assert neutralize_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "", "1+1", "a=b", 5, -3.5, None])
def test_safe_values_unchanged(value: object) -> None:
    assert neutralize_cell(value) == value


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "=label": ["=cmd|' /C calc'!A0", "ok", "@agent"],
            "agents": [-3, 2, 0],
            "interval_start": pd.to_datetime(
                ["2024-03-31 00:00", "2024-03-31 01:00", "2024-03-31 02:00"]
            )
            .tz_localize("UTC")
            .tz_convert("Europe/London"),
        }
    )


def test_csv_neutralizes(tmp_path: Path) -> None:
    path = write_csv(frame(), tmp_path / "out.csv")

    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["'=label", "agents", "interval_start"]
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[3][0] == "'@agent"
    assert rows[1][1] == "-3"
    assert rows[2][2] == "2024-03-31T02:00:00+01:00"


def test_xlsx_neutralizes_and_keeps_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        {"plan": frame(), "other sheet": pd.DataFrame({"a": ["+x"]})}, tmp_path / "o.xlsx"
    )

    workbook = openpyxl.load_workbook(path)
    sheet = workbook["plan"]
    assert sheet["A1"].value == "'=label"
    assert sheet["A2"].value == "'=cmd|' /C calc'!A0"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -3
    assert sheet["C3"].value == "2024-03-31T02:00:00+01:00"
    assert workbook["other sheet"]["A2"].value == "'+x"


def test_xlsx_sheet_names(tmp_path: Path) -> None:
    long_name = "requirements/by:use*case?" + "x" * 40
    path = write_xlsx({long_name: pd.DataFrame({"a": [1]})}, tmp_path / "o.xlsx")

    names = openpyxl.load_workbook(path).sheetnames
    assert names == ["requirements_by_use_case_xxxxxx"]

    with pytest.raises(InputError, match="collide"):
        write_xlsx({"a/b": pd.DataFrame(), "a:b": pd.DataFrame()}, tmp_path / "c.xlsx")


def test_requirements_xlsx(tmp_path: Path) -> None:
    requirements = pd.DataFrame(
        {
            "interval_start": pd.to_datetime(["2024-03-04 09:00", "2024-03-04 09:30"]).tz_localize(
                "Europe/Paris"
            ),
            "use_case": ["=evil", "billing"],
            "turns": [10, 12],
            "agents": [3, 4],
        }
    )
    path = write_requirements_xlsx(requirements, tmp_path / "requirements.xlsx")

    sheet = openpyxl.load_workbook(path)["requirements"]
    assert [cell.value for cell in sheet[1]][:4] == [
        "interval_start",
        "use_case",
        "turns",
        "agents",
    ]
    assert sheet["A2"].value == "2024-03-04T09:00:00+01:00"
    assert sheet["B2"].value == "'=evil"
    assert sheet["D3"].value == 4
