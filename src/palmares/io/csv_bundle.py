"""The canonical bundle as a folder of CSV tables: byte-deterministic writing and robust reading.

Writing (contracts section 2): UTF-8 without BOM, LF line ends, RFC 4180 quoting, floats as the
shortest repr, integers without ``.0``, an empty cell for a missing value, rows sorted by the
table's key columns, so identical data gives byte-identical files.

Reading keeps every cell a string (``NA`` is Namibia, ``007`` stays ``007``); typing and checks
happen in :mod:`palmares.validation`, which knows where each cell came from.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from palmares.io.limits import MAX_COLUMNS, MAX_FIELD_CHARS, MAX_HEADER_BYTES, read_input_bytes
from palmares.io.options import ReadOptions
from palmares.problems import Problems
from palmares.schema import TABLE_ORDER, TABLES
from palmares.validation import TableSource, coded_columns

_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def quote_field(text: str) -> str:
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _format_float(values: npt.NDArray[np.float64]) -> list[str]:
    # repr is the shortest string that reads back to the same double.
    return ["" if v != v else repr(v) for v in values.tolist()]


def format_column(series: pd.Series) -> list[str]:
    """Cells of one column as CSV text (quoted where RFC 4180 requires it)."""
    if isinstance(series.dtype, pd.Int64Dtype) or pd.api.types.is_integer_dtype(series.dtype):
        mask = series.isna().to_numpy()
        ints = series.to_numpy(dtype=np.int64, na_value=0).tolist()
        return ["" if m else str(i) for i, m in zip(ints, mask.tolist(), strict=True)]
    if pd.api.types.is_bool_dtype(series.dtype):
        return ["" if v is None or v != v else ("true" if v else "false") for v in series.tolist()]
    if pd.api.types.is_float_dtype(series.dtype):
        return _format_float(series.to_numpy(dtype=np.float64, na_value=np.nan))
    texts = series.astype("str")
    mask = texts.isna().to_numpy()
    # Quote per distinct value: id columns repeat a few thousand values a million times.
    codes, uniques = pd.factorize(texts)
    quoted = np.array([quote_field(u) for u in uniques.tolist()] + [""], dtype=object)
    codes = np.where(mask, len(uniques), codes)
    return quoted[codes].tolist()


def sorted_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in canonical order: by the key columns, then by every other column (ties)."""
    spec = TABLES.get(name)
    if spec is None or frame.empty:
        return frame.reset_index(drop=True)
    key = [c for c in spec.key if c in frame.columns]
    rest = [c for c in frame.columns if c not in key]
    order = key + rest
    sortable = [c for c in order if not isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.sort_values(sortable, kind="stable", na_position="first").reset_index(drop=True)


def table_csv_bytes(name: str, frame: pd.DataFrame) -> bytes:
    """One table as canonical CSV bytes (rows sorted, deterministic formatting)."""
    frame = sorted_table(name, frame)
    header = ",".join(quote_field(str(c)) for c in frame.columns)
    columns = [format_column(frame[c]) for c in frame.columns]
    lines = [header]
    if columns and len(frame):
        lines.extend(",".join(cells) for cells in zip(*columns, strict=True))
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_csv_folder(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    """Write every table of the bundle as ``<table>.csv`` into an existing folder."""
    for name in TABLE_ORDER:
        (folder / f"{name}.csv").write_bytes(table_csv_bytes(name, tables[name]))


# -- reading -----------------------------------------------------------------------------------


@dataclass
class RawTable:
    """A table as read: every cell a string ("" = empty), and where its rows came from."""

    frame: pd.DataFrame
    source: TableSource


def _invalid_byte(data: bytes, start: int) -> str:
    return f"0x{data[start]:02X}"


def decode_bytes(data: bytes, file: str, problems: Problems, encoding: str | None) -> bytes | None:
    """The file as UTF-8 bytes without BOM (default input: UTF-8); report where decoding fails."""
    if encoding is not None and encoding.replace("-", "").replace("_", "").lower() not in (
        "utf8",
        "utf8sig",
    ):
        try:
            return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
        except LookupError:
            problems.add(file, "encoding", f"unknown encoding {encoding!r}", value=encoding)
            return None
        except UnicodeDecodeError as error:
            line, column = _line_column(data, error.start)
            problems.add(
                file,
                "encoding",
                f"not valid {encoding}: first invalid byte {_invalid_byte(data, error.start)} "
                f"at line {line}, column {column}",
                row=line,
                value=_invalid_byte(data, error.start),
            )
            return None
    try:
        # Decoding only checks validity; the parser reads the bytes themselves.
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _line_column(data, error.start)
        try:
            data.decode("cp1252")
            hint = "the file decodes as cp1252: convert it or pass --encoding cp1252"
        except UnicodeDecodeError:
            hint = "convert it to UTF-8 or pass --encoding with its encoding"
        problems.add(
            file,
            "encoding",
            f"not valid UTF-8: first invalid byte {_invalid_byte(data, error.start)} at line "
            f"{line}, column {column}; {hint}",
            row=line,
            value=_invalid_byte(data, error.start),
        )
        return None
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as an editor shows them) of a byte offset."""
    before = data[:offset]
    line_start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return line, column


def parse_header(data: bytes, delimiter: str) -> list[str]:
    """The first record of CSV bytes (the header), quotes honoured, up to
    :data:`~palmares.io.limits.MAX_HEADER_BYTES` (see :func:`header_problem`)."""
    head = data[: MAX_HEADER_BYTES + 1].decode("utf-8", errors="ignore")
    try:
        return next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []


def header_problem(data: bytes, file: str, problems: Problems, header: list[str]) -> bool:
    """Report a header over the reading limits (bytes or columns); True when one is."""
    head = data[: MAX_HEADER_BYTES + 1]
    if len(head) > MAX_HEADER_BYTES and b"\n" not in head and b"\r" not in head:
        problems.add(
            file,
            "limit-exceeded",
            f"the header line is over {MAX_HEADER_BYTES:,} bytes: not read",
            row=1,
        )
        return True
    if len(header) > MAX_COLUMNS:
        problems.add(
            file,
            "limit-exceeded",
            f"the header has {len(header):,} columns (limit {MAX_COLUMNS:,})",
            row=1,
            value=len(header),
        )
        return True
    return False


def read_csv_bytes(
    data: bytes,
    file: str,
    problems: Problems,
    *,
    delimiter: str = ",",
    coded: frozenset[str] | set[str] = frozenset(),
) -> RawTable | None:
    """Parse UTF-8 CSV bytes into a table of strings; None when the file is empty.

    ``coded`` columns (ids, statuses) are read dictionary-encoded: their few distinct values
    repeat over many rows, and validation checks each distinct value once.
    """
    if not data[: 1 << 16].strip() and not data.strip():  # full scan only if the head is blank
        problems.add(file, "empty-file", "the file is empty")
        return None
    header = parse_header(data, delimiter)
    if header_problem(data, file, problems, header):
        return None
    names = [f"c{i}" for i in range(len(header))]
    frame: pd.DataFrame | None = None
    rows: npt.NDArray[np.int64] | None = None
    invalid: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row.number or 0)
        return "skip"

    if data.endswith((b"\n\n", b"\r\r", b"\r\n\r\n")):
        data = data.rstrip(b"\r\n") + b"\n"  # blank lines at the end hold no rows
    # Arrow turns a blank line into a row of empty cells; the stdlib path skips it and keeps
    # the numbering a spreadsheet shows, so take that path when the file has one.
    if any(blank in data for blank in (b"\n\n", b"\r\r", b"\r\n\r\n")):
        invalid.append(0)
    dictionary = pa.dictionary(pa.int32(), pa.string())
    types = {
        n: dictionary if h in coded else pa.string() for n, h in zip(names, header, strict=True)
    }
    try:
        if invalid:
            raise pa.ArrowInvalid("blank lines")
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                ignore_empty_lines=False,
                newlines_in_values=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        invalid.append(0)
    else:
        if not invalid:
            frame = table.to_pandas()
        del table
    if frame is None:
        # Rare path (blank lines, ragged rows): the stdlib reader knows each record's row.
        text = data.decode("utf-8")
        try:
            frame, rows = _read_ragged(text, file, problems, header, names, delimiter)
        except _Unparsable:
            return None
    frame.columns = pd.Index(header)
    return RawTable(frame, TableSource(file, rows=rows))


def _read_ragged(
    text: str,
    file: str,
    problems: Problems,
    header: list[str],
    names: list[str],
    delimiter: str,
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    rows: list[int] = []
    width = len(header)
    for row_number, record in _records(reader, file, problems):
        if not record or (all(not cell for cell in record) and len(record) <= 1):
            continue  # a blank line: a spreadsheet shows it as an empty row
        if len(record) != width:
            problems.add(
                file,
                "field-count",
                f"{len(record)} fields where the header has {width}: {delimiter.join(record)!r}",
                row=row_number,
                value=delimiter.join(record),
            )
            record = (record + [""] * width)[:width]
        records.append(record)
        rows.append(row_number)
    frame = (
        pd.DataFrame(records, columns=names, dtype="str")
        if records
        else pd.DataFrame({n: pd.Series([], dtype="str") for n in names})
    )
    return frame, np.asarray(rows, dtype=np.int64)


class _Unparsable(Exception):
    """The stdlib CSV reader stopped on a record (already reported)."""


def _records(reader: Any, file: str, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """The data records with their row numbers (header skipped); a record the csv module
    cannot parse (a field over the limit, a NUL) is reported with its line and ends the table."""
    number = 1
    try:
        next(reader, None)
        for record in reader:
            number += 1
            yield number, record
    except csv.Error as error:
        line = reader.line_num
        message = str(error)
        code = "field-count"
        if "field larger than field limit" in message:
            code, message = "limit-exceeded", f"a field is over {MAX_FIELD_CHARS:,} characters"
        problems.add(file, code, f"cannot parse the CSV record on line {line}: {message}", row=line)
        raise _Unparsable from None


def read_csv_file(path: Path, problems: Problems, options: ReadOptions) -> RawTable | None:
    file = str(path)
    raw = read_input_bytes(path, problems)
    if raw is None:
        return None
    data = decode_bytes(raw, file, problems, options.encoding)
    if data is None:
        return None
    return read_csv_bytes(
        data, file, problems, delimiter=options.delimiter or ",", coded=coded_columns(path.stem)
    )


def read_csv_folder(
    folder: Path, problems: Problems, options: ReadOptions
) -> tuple[dict[str, pd.DataFrame], dict[str, TableSource]]:
    """Read ``<table>.csv`` for every table present in ``folder`` (missing ones are located)."""
    frames: dict[str, pd.DataFrame] = {}
    sources: dict[str, TableSource] = {}
    for name in TABLE_ORDER:
        path = folder / f"{name}.csv"
        sources[name] = TableSource(str(path))
        if path.exists() or path.is_symlink():
            raw = read_csv_file(path, problems, options)
            if raw is not None:
                frames[name] = raw.frame
                sources[name] = raw.source
            else:
                # Unreadable (empty file, bad encoding): already reported, not missing.
                sources[name] = TableSource(str(path), unusable=True)
    for path in sorted(folder.glob("*.csv")):
        if path.stem not in TABLES:
            problems.add(
                str(path),
                "unknown-table",
                f"{path.name!r} is not a table of the bundle (known: {', '.join(TABLE_ORDER)})",
                severity="warning",
                value=path.name,
            )
    return frames, sources
