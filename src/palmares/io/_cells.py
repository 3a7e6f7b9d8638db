"""Cells of user tables for the wide and COINr layouts: reading sheets, parsing numbers, writing.

Both layouts read a few user tables (CSV, an Excel workbook's sheets, or Parquet) into
:class:`UserTable` string tables, then parse whole columns at once. Every problem is located in
the user's file: file, sheet, the row a spreadsheet shows, the header.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from palmares.io.limits import check_xlsx_archive, read_input_bytes, reading, require_regular_file
from palmares.io.options import ReadOptions
from palmares.problems import InvalidInput, Problems

#: Excel's error values as a cell shows them (and as a CSV exported from Excel spells them).
EXCEL_ERRORS: frozenset[str] = frozenset(
    {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA"}
)
#: Rows an Excel sheet holds below its header.
EXCEL_MAX_ROWS = 1_048_575

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NON_FINITE = r"(?i:[+-]?(?:nan|inf|infinity))"
_DECIMAL_COMMA = r"[+-]?\d+,\d+"
_DATE = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}/\d{1,2}/\d{2,4}"


@dataclass(frozen=True)
class UserTable:
    """One table as read: every cell a string ("" = empty); the header may repeat a name."""

    frame: pd.DataFrame
    file: str
    sheet: str | None
    #: The spreadsheet row of each record (header = 1, first data row = 2).
    rows: npt.NDArray[np.int64]

    @property
    def header(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


def decode(data: bytes, file: str, problems: Problems, encoding: str | None) -> str | None:
    """A file's text (UTF-8 with an optional BOM by default); reports where decoding fails."""
    chosen = encoding or "utf-8"
    try:
        text = data.decode(chosen)
    except LookupError:
        problems.add(file, "encoding", f"unknown encoding {chosen!r}", value=chosen)
        return None
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode(chosen, errors="replace")) + 1
        byte = f"0x{data[error.start]:02X}"
        hint = ""
        if encoding is None:
            try:
                data.decode("cp1252")
                hint = "; the file decodes as cp1252: convert it or pass --encoding cp1252"
            except UnicodeDecodeError:
                hint = "; convert it to UTF-8 or pass --encoding with its encoding"
        name = "UTF-8" if encoding is None else chosen
        problems.add(
            file,
            "encoding",
            f"not valid {name}: first invalid byte {byte} at line {line}, column {column}{hint}",
            row=line,
            value=byte,
        )
        return None
    return text.removeprefix("\ufeff")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def format_numbers(values: npt.NDArray[np.float64]) -> list[str]:
    """:func:`format_number` over an array of finite numbers."""
    whole = (np.floor(values) == values) & (np.abs(values) < 2**53) & ~np.signbit(values)
    whole |= (np.floor(values) == values) & (values < 0) & (values > -(2**53))
    ints = np.where(whole, values, 0).astype(np.int64).tolist()
    return [
        str(i) if w else repr(v)
        for v, i, w in zip(values.tolist(), ints, whole.tolist(), strict=True)
    ]


def format_number(value: float) -> str:
    """The shortest text that reads back to the same double; integers without ``.0``."""
    if (
        value.is_integer()
        and abs(value) < 2**53
        and not (value == 0 and math.copysign(1, value) < 0)
    ):
        return str(int(value))
    return repr(value)


def column_texts(raw: UserTable, position: int) -> pd.Series:
    """Cells of the column at ``position`` (duplicate headers allowed) as NFC-stripped strings."""
    series = raw.frame.iloc[:, position].astype("str").fillna("").str.strip()
    # NFC only where it changes something: most cells are ASCII.
    if not series.str.isascii().all():
        series = pd.Series([nfc(t) for t in series.tolist()], dtype="str")
    return series.reset_index(drop=True)


@dataclass(frozen=True)
class NumberColumn:
    """A column parsed as numbers: NaN where empty or invalid, with the invalid cells' codes."""

    values: npt.NDArray[np.float64]
    empty: npt.NDArray[np.bool_]
    #: Problem code per cell ("" where the cell is fine).
    codes: npt.NDArray[np.str_]
    messages: list[str]


def parse_numbers(
    texts: pd.Series, decimal: str | None, *, extra_empty: Iterable[str] = ()
) -> NumberColumn:
    """Parse a column of cell texts as finite numbers (exact: Python's shortest-repr parser)."""
    s = texts.reset_index(drop=True)
    empty = (s == "") | s.isin(list(extra_empty))
    candidate = s.str.replace(decimal, ".", regex=False) if decimal and decimal != "." else s
    valid = candidate.str.fullmatch(_NUMBER).fillna(False).to_numpy(dtype=bool)
    values = np.full(len(s), np.nan)
    if valid.any():
        # Arrow's string -> double cast is correctly rounded, like float(), over a whole column.
        parsed = pc.cast(pa.array(candidate[valid].tolist(), type=pa.string()), pa.float64())
        values[valid] = parsed.to_numpy(zero_copy_only=False)
    overflow = valid & ~np.isfinite(values)
    values[overflow] = np.nan
    empty_np = empty.to_numpy(dtype=bool)
    bad = ~valid & ~empty_np | overflow
    codes = np.full(len(s), "", dtype=object)
    messages: list[str] = [""] * len(s)
    for i in np.flatnonzero(bad).tolist():
        codes[i], messages[i] = _number_problem(str(s.iat[i]), decimal)
    return NumberColumn(values, empty_np, codes.astype(str), messages)


def _number_problem(text: str, decimal: str | None) -> tuple[str, str]:
    if text in EXCEL_ERRORS:
        return "excel-error-cell", f"{text!r} is an Excel error value, not a number"
    if re.fullmatch(_NON_FINITE, text) or re.fullmatch(_NUMBER, text.replace(decimal or ".", ".")):
        return "non-finite", f"{text!r} is not a finite number"
    if re.fullmatch(_DECIMAL_COMMA, text) and decimal in (None, "."):
        return (
            "not-a-number",
            f"{text!r} is not a number (decimal comma? pass --decimal , or convert the file)",
        )
    if re.fullmatch(_DATE, text):
        return (
            "not-a-number",
            f"{text!r} is a date, not a number (did a spreadsheet convert the cell?)",
        )
    return "not-a-number", f"{text!r} is not a number"


def parse_year(texts: pd.Series) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Years as integers (``2018`` or ``2018.0``); returns values and the mask of bad cells."""
    numbers = parse_numbers(texts, None)
    ok = ~numbers.empty & (numbers.codes == "")
    ok &= np.isfinite(numbers.values) & (np.mod(np.nan_to_num(numbers.values), 1) == 0)
    ok &= (numbers.values >= 1000) & (numbers.values <= 9999)
    years = np.where(ok, np.nan_to_num(numbers.values), 0).astype(np.int64)
    return years, ~ok


# -- reading sheets ----------------------------------------------------------------------------


def read_user_tables(path: Path, options: ReadOptions, problems: Problems) -> list[UserTable]:
    """The tables of one user file: a CSV, each non-empty sheet of a workbook, a Parquet file."""
    file = str(path)
    if not (path.exists() or path.is_symlink()):
        problems.add(file, "missing-table", f"no such file: {file!r}", value=file)
        return []
    data = read_input_bytes(path, problems) if path.suffix.lower() != ".parquet" else b""
    if data is None:
        return []
    tables: list[UserTable] = []
    with reading(file, problems, f"{path.suffix or 'CSV'} file"):
        tables = _read_user_tables(path, data, options, problems)
    return tables


def _read_user_tables(
    path: Path, data: bytes, options: ReadOptions, problems: Problems
) -> list[UserTable]:
    file = str(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        archive = check_xlsx_archive(path)
        if archive is not None:
            problems.add(file, "unreadable-file", f"not a readable Excel workbook: {archive}")
            return []
        return _read_workbook(path, problems)
    if suffix == ".parquet":
        require_regular_file(path)
        frame = pd.read_parquet(path)
        header = [nfc(str(c)).strip() for c in frame.columns]
        cells = [[cell_text(v) for v in row] for row in frame.itertuples(index=False)]
        return [_table(file, None, header, cells, list(range(2, len(cells) + 2)))]
    text = decode(data, file, problems, options.encoding)
    if text is None:
        return []
    if not text.strip():
        problems.add(file, "empty-file", "the file is empty")
        return []
    delimiter = options.delimiter or ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [nfc(c).strip() for c in next(reader)]
    fast = _read_plain_csv(text, file, header, delimiter)
    if fast is not None:
        return [fast]
    width = len(header)
    records: list[list[str]] = []
    numbers: list[int] = []
    # A spreadsheet shows each record (a blank line included) as one row.
    for number, record in enumerate(reader, start=2):
        if not record or (len(record) == 1 and not record[0]):
            continue  # a blank line
        if len(record) != width:
            shown = (options.delimiter or ",").join(record)
            problems.add(
                file,
                "field-count",
                f"{len(record)} fields where the header has {width}: {shown!r}",
                row=number,
                value=shown,
            )
            record = (record + [""] * width)[:width]
        records.append(record)
        numbers.append(number)
    return [_table(file, None, header, records, numbers)]


def _read_plain_csv(text: str, file: str, header: list[str], delimiter: str) -> UserTable | None:
    """Arrow's CSV parser when each line is one record; None sends the file to the stdlib one.

    Arrow keeps the cells as Arrow strings (no Python string per cell), but cannot say which
    line a record came from: blank lines, quoted line breaks and ragged rows take the slow path,
    which numbers rows as a spreadsheet does.
    """
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, ignore_empty_lines=False, newlines_in_values=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(text.splitlines()) - 1:
        return None
    frame = pd.DataFrame(
        {n: pd.Series(table.column(n).combine_chunks(), dtype="str") for n in names}
    )
    frame.columns = pd.Index(header)
    return UserTable(frame, file, None, np.arange(2, table.num_rows + 2, dtype=np.int64))


def _table(
    file: str, sheet: str | None, header: list[str], records: list[list[str]], rows: list[int]
) -> UserTable:
    names = [f"c{i}" for i in range(len(header))]
    frame = (
        pd.DataFrame(records, columns=names, dtype="str")
        if records
        else pd.DataFrame({n: pd.Series([], dtype="str") for n in names})
    )
    frame.columns = pd.Index(header)
    return UserTable(frame, file, sheet, np.asarray(rows, dtype=np.int64))


def cell_text(value: Any) -> str:
    """An Excel or Parquet cell as the text a CSV would hold."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return format_number(float(value)) if math.isfinite(value) else repr(float(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return nfc(str(value))


def _read_workbook(path: Path, problems: Problems) -> list[UserTable]:
    from openpyxl import load_workbook

    file = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a corrupt workbook
        problems.add(file, "encoding", f"not a readable Excel workbook: {error}")
        return []
    tables: list[UserTable] = []
    try:
        for sheet in book.worksheets:
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            while rows and all(v is None or v == "" for v in rows[-1]):
                rows.pop()
            if not rows:
                continue
            header = [cell_text(v).strip() for v in rows[0]]
            width = len(header)
            while (
                width
                and not header[width - 1]
                and all(len(r) < width or r[width - 1] in (None, "") for r in rows[1:])
            ):
                width -= 1
            header = header[:width]
            records: list[list[str]] = []
            numbers: list[int] = []
            for number, row in enumerate(rows[1:], start=2):
                cells = [cell_text(v) for v in row[:width]] + [""] * (width - len(row))
                if any(cells):
                    records.append(cells)
                    numbers.append(number)
            tables.append(_table(file, sheet.title, header, records, numbers))
    finally:
        book.close()
    if not tables:
        problems.add(file, "empty-file", "the workbook has no non-empty sheet")
    return tables


def check_header(raw: UserTable, problems: Problems) -> dict[str, int]:
    """Position of each header name; duplicates and blank names are reported (first one kept)."""
    positions: dict[str, int] = {}
    for i, name in enumerate(raw.frame.columns.tolist()):
        name = str(name)
        if not name:
            problems.add(
                raw.file,
                "missing-column",
                f"column {i + 1} has no header",
                sheet=raw.sheet,
                row=1,
                value=name,
            )
        elif name in positions:
            problems.add(
                raw.file,
                "duplicate-column",
                f"column {name!r} appears twice in the header (columns "
                f"{positions[name] + 1} and {i + 1})",
                sheet=raw.sheet,
                row=1,
                column=name,
                value=name,
            )
        else:
            positions[name] = i
    return positions


def delimiter_hint(raw: UserTable, options: ReadOptions) -> str:
    """A hint when the header looks split on another separator than the one used."""
    header = ",".join(str(c) for c in raw.frame.columns)
    for separator in (";", "\t", "|"):
        if separator in header and separator != (options.delimiter or ","):
            shown = "tab" if separator == "\t" else separator
            return f" (the header contains {shown!r}: pass --delimiter {shown!r})"
    return ""


# -- writing -----------------------------------------------------------------------------------


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 (no BOM), LF, RFC 4180 minimal quoting: identical input gives identical bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def excel_value(text: str, numeric: bool) -> str | float | int | None:
    """A cell for a workbook: numbers as numbers in numeric columns, empty as no value."""
    if text == "":
        return None
    if numeric:
        try:
            number = float(text)
        except ValueError:
            return text
        if number == 0 and math.copysign(1, number) < 0:
            return text  # Excel has no negative zero: keep it as text, read back exactly
        if float(f"{number:.16g}") != number:
            return text  # openpyxl writes 16 significant digits: text keeps all 17
        return int(number) if text.lstrip("+-").isdigit() and abs(number) < 2**53 else number
    return text


def write_workbook(
    path: Path, sheets: dict[str, tuple[Sequence[str], list[list[Any]]]], *, shown_as: str
) -> None:
    """Write sheets (header, rows of Excel values) to a new workbook at ``path``.

    A sheet over Excel's row limit raises :class:`InvalidInput` naming it (``shown_as`` is the
    output the user asked for, ``path`` may be its temporary sibling).
    """
    from openpyxl import Workbook

    for name, (_, rows) in sheets.items():
        if len(rows) > EXCEL_MAX_ROWS:
            raise InvalidInput.single(
                shown_as,
                "table-too-large",
                f"the {name} table has {len(rows)} rows; an Excel sheet holds {EXCEL_MAX_ROWS} "
                "below its header: write CSV or Parquet instead",
                sheet=name,
                value=len(rows),
            )
    import io
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    from palmares.io.excel_bundle import FIXED_TIME, fixed_zip
    from palmares.io.safe_text import xlsx_cell

    book = Workbook(write_only=True)
    # Fixed document times and zip entry times: the same data gives the same bytes.
    book.properties.creator = "palmares"
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    for name, (header, rows) in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append([xlsx_cell(v, sheet) for v in header])
        for row in rows:
            sheet.append([xlsx_cell(v, sheet) for v in row])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    path.write_bytes(fixed_zip(buffer.getvalue()))
