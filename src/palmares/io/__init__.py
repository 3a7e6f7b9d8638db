"""Readers and writers of bundles in every format and layout.

The canonical bundle (contracts section 2) is a folder of CSV tables, a folder of Parquet tables
or one .xlsx workbook; the wide and COINr layouts live in :mod:`palmares.io.wide` and
:mod:`palmares.io.coinr`, reached through the same entry points:

- :func:`read_tables` / :func:`read_dataset` read any of them (layout detected when not given)
  and validate with every check of :mod:`palmares.validation`;
- :func:`write_dataset` writes any of them atomically;
- :func:`data_hash` fingerprints a Dataset by its canonical CSV bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from palmares.dataset import Dataset
from palmares.io.atomic import atomic_path, check_target
from palmares.io.canonical import read_canonical_tables
from palmares.io.csv_bundle import table_csv_bytes, write_csv_folder
from palmares.io.options import Format, Layout, ReadOptions
from palmares.problems import InvalidInput, Problems
from palmares.schema import TABLE_ORDER, TABLES
from palmares.validation import TableSource, validate_tables

# The Excel and Parquet readers and writers (openpyxl, pyarrow.parquet and Arrow's file
# systems: about 25 MB and 0.2 s) are imported where used: the query path never needs them.

FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx")
LAYOUTS: tuple[str, ...] = ("canonical", "wide", "coinr")
PathLike = str | Path
Paths = PathLike | Sequence[PathLike]


def _as_paths(paths: Paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _layout_problem(paths: Sequence[Path], message: str) -> InvalidInput:
    return InvalidInput.single(", ".join(str(p) for p in paths), "missing-table", message)


# -- layout detection --------------------------------------------------------------------------


def _header_of(path: Path) -> list[str]:
    """Column names of a single-table file (CSV first line, Parquet schema, first sheet)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        if suffix in (".xlsx", ".xlsm"):
            return []
        with path.open("rb") as handle:
            first = handle.readline(1 << 16)
    except OSError:
        return []
    text = first.decode("utf-8", errors="replace").lstrip("\ufeff")
    delimiter = max((",", ";", "\t"), key=text.count)
    return next(csv.reader(io.StringIO(text), delimiter=delimiter), [])


def _sheet_names(path: Path) -> list[str]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True)
    except Exception:
        return []
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def detect_layout(paths: Paths) -> Layout:
    """The layout of the inputs: canonical, wide or coinr (contracts sections 2 and 3)."""
    found = _as_paths(paths)
    absent = [p for p in found if not p.exists()]
    if absent or not found:
        problems = Problems()
        for path in absent:
            problems.add(str(path), "missing-table", "no such file or folder")
        if not found:
            problems.add("-", "missing-table", "no input given")
        raise InvalidInput(problems)
    if len(found) == 1 and found[0].is_dir():
        names = {p.stem for p in found[0].iterdir()}
        coinr_names = {n for n in names if n.lower() in ("idata", "imeta")}  # write_coinr: idata
        if names & set(TABLES) or not coinr_names:
            return "canonical"
        return "coinr"
    if len(found) == 1 and found[0].suffix.lower() in (".xlsx", ".xlsm"):
        sheets = _sheet_names(found[0])
        if set(sheets) & set(TABLES) or not sheets:
            return "canonical"
        if any(s.lower() in ("idata", "imeta") for s in sheets):
            return "coinr"
        return "wide"
    headers = [_header_of(p) for p in found]
    if any("uCode" in h or "iCode" in h for h in headers):
        return "coinr"
    if all(h[:3] == ["institution", "system", "year"] for h in headers if h):
        return "wide"
    raise _layout_problem(
        found,
        "cannot tell the layout: give a bundle folder or .xlsx (canonical), a file whose header "
        "starts institution,system,year (wide), or iData/iMeta files (coinr); or pass --layout",
    )


# -- reading -----------------------------------------------------------------------------------


def read_tables(
    paths: Paths, options: ReadOptions | None = None
) -> tuple[dict[str, pd.DataFrame], Problems]:
    """Read and validate inputs of any layout: typed tables and every problem found."""
    options = options or ReadOptions()
    found = _as_paths(paths)
    layout = options.layout or detect_layout(found)
    if layout == "canonical":
        if len(found) != 1:
            raise _layout_problem(found, "a canonical bundle is one folder or one .xlsx file")
        return read_canonical_tables(found[0], options)
    if layout == "wide":
        from palmares.io.wide import read_wide

        frames, problems = read_wide(found, options)
    elif layout == "coinr":
        from palmares.io.coinr import read_coinr

        frames, problems = read_coinr(found, options)
    else:
        raise _layout_problem(found, f"unknown layout {layout!r} (one of {', '.join(LAYOUTS)})")
    # Tables the layout reader could not provide are already reported by it.
    sources = {
        name: TableSource(str(found[0]), name, unusable=bool(problems.errors))
        for name in TABLE_ORDER
        if name not in frames
    }
    typed, found_problems = validate_tables(frames, origin=str(found[0]), sources=sources)
    problems.extend(found_problems)
    return typed, problems


def read_dataset(paths: Paths, **options: Any) -> Dataset:
    """Read and validate a bundle (any format or layout) into a Dataset.

    ``options`` are the fields of :class:`~palmares.io.options.ReadOptions` (``layout``,
    ``bundle``, ``delimiter``, ``decimal``, ``encoding``, ``edition``). Raises
    :class:`~palmares.problems.InvalidInput` listing every error found.
    """
    if options.get("bundle") is not None:
        options["bundle"] = Path(options["bundle"])
    typed, problems = read_tables(paths, ReadOptions(**options))
    problems.raise_if_errors()
    return Dataset(typed)


# -- writing -----------------------------------------------------------------------------------


def _infer_format(path: Path, format: str | None) -> Format:
    by_suffix = {".xlsx": "xlsx", ".parquet": "parquet"}
    chosen = format or by_suffix.get(path.suffix.lower(), "csv")
    if chosen not in FORMATS:
        raise ValueError(f"unknown format {chosen!r} (one of {', '.join(FORMATS)})")
    return chosen  # type: ignore[return-value]


def write_dataset(
    ds: Dataset,
    path: PathLike,
    *,
    format: Format | None = None,
    force: bool = False,
    layout: Layout = "canonical",
) -> Path:
    """Write a Dataset atomically as a bundle; return the path written.

    Canonical ``csv`` and ``parquet`` make a folder of ``<table>.<ext>`` files, ``xlsx`` one
    workbook (default: ``xlsx`` when ``path`` ends in .xlsx, else ``csv``). Other layouts are
    written by :mod:`palmares.io.wide` and :mod:`palmares.io.coinr`. The output appears only
    once complete; an existing path is refused unless ``force``.
    """
    target = Path(path)
    chosen = _infer_format(target, format)
    check_target(target, force=force)
    tables = ds.to_frames()
    if layout == "canonical":
        if chosen == "xlsx":
            from palmares.io.excel_bundle import check_size, write_workbook

            check_size(tables, str(target))
            with atomic_path(target, force=force) as temporary:
                write_workbook(tables, temporary)
        else:
            with atomic_path(target, force=force, directory=True) as temporary:
                if chosen == "csv":
                    write_csv_folder(tables, temporary)
                else:
                    from palmares.io.parquet_bundle import write_parquet_folder

                    write_parquet_folder(tables, temporary)
    elif layout == "wide":
        from palmares.io.wide import write_wide

        with atomic_path(target, force=force) as temporary:
            write_wide(ds, temporary, format=chosen)
    elif layout == "coinr":
        from palmares.io.coinr import write_coinr

        with atomic_path(target, force=force) as temporary:
            write_coinr(ds, temporary, format=chosen)
    else:
        raise ValueError(f"unknown layout {layout!r} (one of {', '.join(LAYOUTS)})")
    return target


def canonical_csv(ds: Dataset) -> dict[str, bytes]:
    """Each table's canonical CSV bytes, in schema order."""
    tables = ds.to_frames()
    return {name: table_csv_bytes(name, tables[name]) for name in TABLE_ORDER}


def data_hash(ds: Dataset) -> str:
    """SHA-256 (hex) of the canonical CSV bundle: for each table in schema order, its name,
    a newline, then its CSV bytes. Computed once per Dataset; a Dataset read from a store
    (possibly one system's part of it) carries the hash of the whole stored bundle."""
    return str(ds.memo("data_hash", lambda: _computed_data_hash(ds)))


def _computed_data_hash(ds: Dataset) -> str:
    from palmares.io.fingerprint import bundle_hash

    return bundle_hash(ds.table)


__all__ = [
    "FORMATS",
    "LAYOUTS",
    "ReadOptions",
    "canonical_csv",
    "data_hash",
    "detect_layout",
    "read_dataset",
    "read_tables",
    "write_dataset",
]
