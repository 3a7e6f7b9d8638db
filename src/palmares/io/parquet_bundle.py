"""The canonical bundle as a folder of Parquet tables (``<table>.parquet``).

Tables keep their types (ids and names as strings, years as int64, values as float64); rows are
sorted as in CSV. Problems are located at record index + 2, as if the table were a sheet.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from palmares.io.csv_bundle import sorted_table
from palmares.io.limits import path_problem, reading
from palmares.problems import Problems
from palmares.schema import TABLE_ORDER, TABLES
from palmares.validation import TableSource, coded_columns


def _arrow_table(name: str, frame: pd.DataFrame) -> pa.Table:
    frame = sorted_table(name, frame)
    fields = []
    arrays = []
    for column in frame.columns:
        series = frame[column]
        kind = TABLES[name].kind(str(column))
        if kind == "int":
            array = pa.array(series.astype("Int64"), type=pa.int64(), from_pandas=True)
        elif kind == "float":
            array = pa.array(series.astype("float64"), type=pa.float64(), from_pandas=True)
        elif pd.api.types.is_numeric_dtype(series.dtype):
            array = pa.array(series, from_pandas=True)
        else:
            array = pa.array(series.astype("str"), type=pa.string(), from_pandas=True)
        fields.append(pa.field(str(column), array.type))
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_parquet_folder(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    for name in TABLE_ORDER:
        pq.write_table(
            _arrow_table(name, tables[name]),
            folder / f"{name}.parquet",
            compression="zstd",
            store_schema=False,
            write_statistics=False,
        )


def read_parquet_folder(
    folder: Path, problems: Problems
) -> tuple[dict[str, pd.DataFrame], dict[str, TableSource]]:
    frames: dict[str, pd.DataFrame] = {}
    sources: dict[str, TableSource] = {}
    for name in TABLE_ORDER:
        path = folder / f"{name}.parquet"
        sources[name] = TableSource(str(path))
        if not (path.exists() or path.is_symlink()):
            continue
        reason = path_problem(path)
        if reason is not None:
            problems.add(str(path), "unreadable-file", reason)
            sources[name].unusable = True
            continue
        if path.stat().st_size == 0:
            problems.add(str(path), "empty-file", "the file is empty")
            sources[name].unusable = True
            continue
        before = len(problems)
        with reading(str(path), problems, "Parquet file"):
            # Ids and statuses repeat: reading them dictionary-encoded skips decoding a
            # million strings and hands validation its distinct values directly.
            names = set(pq.read_schema(path).names)
            table = pq.read_table(path, read_dictionary=sorted(names & coded_columns(name)))
            # A full validation checks every string is UTF-8: a corrupt page fails here.
            table.validate(full=True)
            frames[name] = table.to_pandas()
        if len(problems) > before:
            sources[name].unusable = True
    for path in sorted(folder.glob("*.parquet")):
        if path.stem not in TABLES:
            problems.add(
                str(path),
                "unknown-table",
                f"{path.name!r} is not a table of the bundle (known: {', '.join(TABLE_ORDER)})",
                severity="warning",
                value=path.name,
            )
    return frames, sources
