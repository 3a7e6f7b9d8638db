"""The canonical bundle as one ``.xlsx`` workbook, one sheet per table.

Writing fixes every document property and zip timestamp, so the same data gives the same bytes.
Reading turns every cell into text as the CSV reader would, and reports what spreadsheets do to
data: error cells (``#N/A``) and numbers that Excel turned into dates.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ERROR_CODES, WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

from palmares.io.csv_bundle import sorted_table
from palmares.io.limits import check_xlsx_archive, path_problem, reading
from palmares.problems import Problems
from palmares.schema import TABLE_ORDER, TABLES
from palmares.validation import TableSource, as_text

#: Data rows a sheet can hold (1,048,576 rows minus the header).
MAX_ROWS = 1_048_575
FIXED_TIME = dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _cell(value: Any, sheet: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and (
        float("%.16g" % value) != value or (value == 0 and math.copysign(1.0, value) < 0)  # noqa: UP031
    ):
        # openpyxl writes 16 significant digits (and -0.0 as 0); some doubles need 17.
        cell = WriteOnlyCell(sheet)
        cell._value = repr(value)
        cell.data_type = "n"
        return cell
    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
        # Text that openpyxl would store as a formula or an error cell: force a string cell.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def check_size(tables: Mapping[str, pd.DataFrame], file: str) -> None:
    problems = Problems()
    for name in TABLE_ORDER:
        rows = len(tables[name])
        if rows > MAX_ROWS:
            problems.add(
                file,
                "table-too-large",
                f"table {name} has {rows:,} rows; an Excel sheet holds at most {MAX_ROWS:,} "
                "data rows: write CSV or Parquet instead",
                sheet=name,
                value=rows,
            )
    problems.raise_if_errors()


def workbook_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """The bundle as deterministic .xlsx bytes (tables in schema order, rows sorted)."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "palmares"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    for name in TABLE_ORDER:
        frame = sorted_table(name, tables[name])
        sheet = workbook.create_sheet(name)
        sheet.append([str(c) for c in frame.columns])
        kinds = [TABLES[name].kind(str(c)) for c in frame.columns]
        columns = []
        for column, kind in zip(frame.columns, kinds, strict=True):
            series = frame[column]
            if kind in ("id", "str") or not pd.api.types.is_numeric_dtype(series.dtype):
                # Text cells, so that ids such as 007 and codes such as NA stay as written.
                columns.append(as_text(series).astype(object).where(series.notna(), None).tolist())
            else:
                columns.append(series.astype(object).tolist())
        for row in zip(*columns, strict=True):
            sheet.append([_cell(v, sheet) for v in row])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return fixed_zip(buffer.getvalue())


def fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and entry order (zip entries carry the save time)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
    check_size(tables, str(path))
    path.write_bytes(workbook_bytes(tables))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        negative_zero = value == 0 and math.copysign(1.0, value) < 0
        if value.is_integer() and abs(value) < 2**53 and not negative_zero:
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _date_text(value)
    return str(value)


def _date_text(value: dt.datetime | dt.date | dt.time) -> str:
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat()


def read_workbook(
    path: Path, problems: Problems
) -> tuple[dict[str, pd.DataFrame], dict[str, TableSource]]:
    """Read every sheet named after a table; cells become text as in CSV."""
    file = str(path)
    frames: dict[str, pd.DataFrame] = {}
    sources: dict[str, TableSource] = {name: TableSource(file, name) for name in TABLE_ORDER}
    reason = path_problem(path)
    if reason is None and path.stat().st_size == 0:
        problems.add(file, "empty-file", "not a readable .xlsx workbook: the file is empty")
        reason = "empty"
    elif reason is None:
        archive = check_xlsx_archive(path)
        if archive is not None:
            problems.add(file, "unreadable-file", f"not a readable .xlsx workbook: {archive}")
            reason = archive
    else:
        problems.add(file, "unreadable-file", reason)
    if reason is None:
        before = len(problems)
        with reading(file, problems, ".xlsx workbook"):
            frames, sources = _read_sheets(path, file, problems, sources)
        if not any(p.code == "unreadable-file" for p in problems.items[before:]):
            return frames, sources
        frames = {}
    for source in sources.values():
        source.unusable = True
    return frames, sources


def _read_sheets(
    path: Path, file: str, problems: Problems, sources: dict[str, TableSource]
) -> tuple[dict[str, pd.DataFrame], dict[str, TableSource]]:
    frames: dict[str, pd.DataFrame] = {}
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            if sheet.title not in TABLES:
                problems.add(
                    file,
                    "unknown-table",
                    f"sheet {sheet.title!r} is not a table of the bundle "
                    f"(known: {', '.join(TABLE_ORDER)})",
                    sheet=sheet.title,
                    severity="warning",
                    value=sheet.title,
                )
                continue
            read = _read_sheet(sheet, file, problems)
            if read is None:
                sources[sheet.title].unusable = True
                continue
            frames[sheet.title], sources[sheet.title] = read
    finally:
        workbook.close()
    return frames, sources


def _read_sheet(
    sheet: Any, file: str, problems: Problems
) -> tuple[pd.DataFrame, TableSource] | None:
    name = sheet.title
    numeric = {c.name for c in TABLES[name].columns if c.kind in ("int", "float")}
    rows_iter = sheet.iter_rows(min_row=1)
    header_cells = next(rows_iter, None)
    header = [_text(c.value) for c in header_cells] if header_cells else []
    while header and header[-1] == "":
        header.pop()
    if not header:
        problems.add(file, "empty-file", f"sheet {name!r} is empty", sheet=name)
        return None
    width = len(header)
    columns: list[list[str]] = [[] for _ in range(width)]
    flagged: list[list[bool]] = [[] for _ in range(width)]
    row_numbers: list[int] = []
    for row_number, cells in enumerate(rows_iter, start=2):
        texts: list[str] = []
        flags: list[bool] = []
        for position in range(width):
            cell = cells[position] if position < len(cells) else None
            value = getattr(cell, "value", None)
            kind = getattr(cell, "data_type", None)
            flag = False
            if kind == "e":
                problems.add(
                    file,
                    "excel-error-cell",
                    f"error cell {value!r}: Excel could not compute it; type the value or "
                    "leave the cell empty",
                    sheet=name,
                    row=row_number,
                    column=header[position],
                    value=value,
                )
                value, flag = None, True
            elif isinstance(value, (dt.datetime, dt.date, dt.time)) and header[position] in numeric:
                shown = _date_text(value)
                problems.add(
                    file,
                    "not-a-number",
                    f"{shown!r} is a date, not a number: Excel turned the cell into a date; "
                    "format the column as number or text and retype it",
                    sheet=name,
                    row=row_number,
                    column=header[position],
                    value=shown,
                )
                value, flag = None, True
            texts.append(_text(value))
            flags.append(flag)
        if not any(texts) and not any(flags):
            continue  # an empty row
        for position in range(width):
            columns[position].append(texts[position])
            flagged[position].append(flags[position])
        row_numbers.append(row_number)
    frame = pd.DataFrame({f"c{i}": pd.Series(col, dtype="str") for i, col in enumerate(columns)})
    frame.columns = pd.Index(header)
    source = TableSource(
        file,
        name,
        rows=np.asarray(row_numbers, dtype=np.int64),
        flagged={header[i]: np.asarray(f, dtype=bool) for i, f in enumerate(flagged) if any(f)},
    )
    return frame, source
