"""The canonical bundle (contracts section 2): a folder of CSV tables, a folder of Parquet
tables or one .xlsx workbook, read and validated. The other layouts read their companion
bundle here (never through the layout dispatch of :mod:`palmares.io`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from palmares.io.csv_bundle import read_csv_folder
from palmares.io.options import ReadOptions
from palmares.problems import InvalidInput, Problems
from palmares.schema import TABLE_ORDER
from palmares.validation import TableSource, validate_tables

# The Parquet and Excel readers (pyarrow.parquet, openpyxl) are imported where used: the query
# path never needs them.


def read_canonical(
    path: Path, options: ReadOptions
) -> tuple[dict[str, pd.DataFrame], dict[str, TableSource], Problems]:
    """The canonical bundle's tables as read (cells as text or native types), unvalidated."""
    problems = Problems()
    if not path.exists():
        raise InvalidInput.single(str(path), "missing-table", "no such file or folder")
    if path.is_dir():
        has_csv = any((path / f"{n}.csv").exists() for n in TABLE_ORDER)
        has_parquet = any((path / f"{n}.parquet").exists() for n in TABLE_ORDER)
        if has_parquet and not has_csv:
            from palmares.io.parquet_bundle import read_parquet_folder

            frames, sources = read_parquet_folder(path, problems)
        else:
            frames, sources = read_csv_folder(path, problems, options)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        from palmares.io.excel_bundle import read_workbook

        frames, sources = read_workbook(path, problems)
    else:
        raise InvalidInput.single(
            str(path),
            "missing-table",
            "a canonical bundle is a folder of CSV or Parquet tables or an .xlsx workbook",
        )
    return frames, sources, problems


def read_canonical_tables(
    path: Path, options: ReadOptions
) -> tuple[dict[str, pd.DataFrame], Problems]:
    """The canonical bundle's tables, typed by every check of validation, and every problem."""
    frames, sources, problems = read_canonical(path, options)
    typed, found = validate_tables(
        frames, origin=str(path), sources=sources, decimal=options.decimal
    )
    problems.extend(found)
    return typed, problems
