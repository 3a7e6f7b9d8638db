"""The wide layout: one row per institution and edition, one column per indicator.

``institution,system,year,<indicator ids...>``; a cell is a number (reported), empty (missing),
``n/a`` (not applicable) or ``~<number>`` (estimated). A wide file carries observations only: the
institutions, indicators and editions it refers to come from a canonical bundle
(``ReadOptions.bundle``, ``--bundle DIR``), against which every row and column is checked here, so
that each problem is located in the wide file itself.

Every cell of a row becomes one observation, an empty cell a ``missing`` one: the row states that
the institution is in the edition. Writing puts a row for each (system, year, institution) with
observations and a column for each indicator observed, so ``read(write(ds))`` gives ``ds`` back
whenever its observations fill that grid (absent rows come back as explicit ``missing`` ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares.dataset import Dataset
from palmares.io._cells import (
    UserTable,
    check_header,
    column_texts,
    csv_bytes,
    delimiter_hint,
    excel_value,
    format_numbers,
    parse_numbers,
    parse_year,
    read_user_tables,
    write_workbook,
)
from palmares.io.atomic import atomic_path
from palmares.io.canonical import read_canonical_tables
from palmares.io.options import ReadOptions
from palmares.problems import InvalidInput, Problems
from palmares.schema import ID_PATTERN, STATUSES

KEY_COLUMNS: tuple[str, ...] = ("institution", "system", "year")
NOT_APPLICABLE = "n/a"
ESTIMATED_PREFIX = "~"
SHEET_NAME = "wide"


@dataclass(frozen=True)
class KnownIds:
    """What a bundle defines, to check a wide file's rows and columns against."""

    institutions: frozenset[str]
    indicators: frozenset[str]
    editions: frozenset[tuple[str, int]]

    @property
    def systems(self) -> frozenset[str]:
        return frozenset(system for system, _ in self.editions)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> KnownIds:
        editions = frames["editions"]
        return cls(
            frozenset(frames["institutions"]["id"].astype("str").tolist()),
            frozenset(frames["indicators"]["id"].astype("str").tolist()),
            frozenset(
                (str(s), int(y))
                for s, y in zip(editions["system"].tolist(), editions["year"].tolist(), strict=True)
            ),
        )


def read_wide(
    paths: Sequence[Path], options: ReadOptions
) -> tuple[dict[str, pd.DataFrame], Problems]:
    """Read wide files: the bundle at ``options.bundle`` with its observations taken from them.

    Problems in the wide files are located there; rows and cells with a problem give no
    observation, so a later validation of the returned tables does not report them twice.
    """
    problems = Problems()
    first = str(paths[0]) if paths else "<wide>"
    bundle: dict[str, pd.DataFrame] | None = None
    if options.bundle is None:
        problems.add(
            first,
            "missing-table",
            "a wide file holds observations only: give the bundle with its institutions, "
            "indicators and editions (--bundle DIR)",
        )
    else:
        try:
            typed, found = read_canonical_tables(Path(options.bundle), ReadOptions())
            found.raise_if_errors()
            bundle = Dataset(typed).to_frames()
        except InvalidInput as error:
            problems.extend(error.problems)
    observations = read_wide_observations(paths, options, bundle, problems)
    frames = dict(bundle) if bundle is not None else {}
    frames["observations"] = observations
    return frames, problems


def read_wide_observations(
    paths: Sequence[Path],
    options: ReadOptions,
    bundle: Mapping[str, pd.DataFrame] | None,
    problems: Problems,
) -> pd.DataFrame:
    """The observations of wide files, checked against ``bundle`` when given."""
    known = KnownIds.from_frames(bundle) if bundle is not None else None
    seen: dict[tuple[str, str, int], str] = {}
    parts = [
        _read_table(raw, options, known, seen, problems)
        for path in paths
        for raw in read_user_tables(Path(path), options, problems)
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return _no_observations()
    return pd.concat(parts, ignore_index=True)


#: Status codes of the cells read (categories of the ``status`` column, in sorted order).
STATUS_ORDER: tuple[str, ...] = tuple(sorted(STATUSES))
_REPORTED, _MISSING, _NOT_APPLICABLE, _ESTIMATED = (
    STATUS_ORDER.index(s) for s in ("reported", "missing", "not_applicable", "estimated")
)


def _coded(codes: npt.NDArray[np.integer[Any]], categories: Sequence[str]) -> pd.Categorical:
    """Text cells as integer codes into a few distinct values: validation types them once per
    distinct value and writes each text column once (a wide file of 6,000,000 cells repeats a
    few thousand ids)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(categories), dtype=object))


def _observations_frame(
    institution: pd.Categorical,
    indicator: pd.Categorical,
    system: pd.Categorical,
    year: npt.NDArray[np.int64],
    value: npt.NDArray[np.float64],
    status: npt.NDArray[np.int8],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "institution": institution,
            "indicator": indicator,
            "system": system,
            "year": pd.array(year, dtype="Int64"),
            "value": pd.Series(value, dtype="float64"),
            "status": _coded(status, STATUS_ORDER),
            "source": _coded(np.full(len(status), -1, dtype=np.int8), []),
        }
    )


def _no_observations() -> pd.DataFrame:
    nothing = _coded(np.zeros(0, dtype=np.int8), [])
    empty = np.zeros(0, dtype=np.int64)
    return _observations_frame(
        nothing, nothing, nothing, empty, np.zeros(0), np.zeros(0, dtype=np.int8)
    )


def _check_ids(
    raw: UserTable,
    column: str,
    texts: pd.Series,
    rows: npt.NDArray[np.int64],
    known: frozenset[str] | None,
    unknown_code: str,
    problems: Problems,
) -> npt.NDArray[np.bool_]:
    """Report empty, malformed and unknown ids in a key column; returns the mask of bad rows."""
    empty = (texts == "").to_numpy(dtype=bool)
    malformed = ~texts.str.fullmatch(ID_PATTERN.pattern).to_numpy(dtype=bool) & ~empty
    unknown = np.zeros(len(texts), dtype=bool)
    if known is not None:
        unknown = ~texts.isin(list(known)).to_numpy(dtype=bool) & ~empty & ~malformed
    for i in np.flatnonzero(empty).tolist():
        problems.add(
            raw.file,
            "missing-value",
            f"no {column} given",
            sheet=raw.sheet,
            row=int(rows[i]),
            column=column,
            value="",
        )
    for i in np.flatnonzero(malformed).tolist():
        text = texts.iat[i]
        problems.add(
            raw.file,
            "invalid-id",
            f"{text!r} is not a valid {column} id (letters, digits, '.', '_', '-')",
            sheet=raw.sheet,
            row=int(rows[i]),
            column=column,
            value=text,
        )
    for i in np.flatnonzero(unknown).tolist():
        text = texts.iat[i]
        problems.add(
            raw.file,
            unknown_code,
            f"{text!r} is not {'an' if column[0] in 'aeiou' else 'a'} {column} of the bundle",
            sheet=raw.sheet,
            row=int(rows[i]),
            column=column,
            value=text,
        )
    return empty | malformed | unknown


def _read_table(
    raw: UserTable,
    options: ReadOptions,
    known: KnownIds | None,
    seen: dict[tuple[str, str, int], str],
    problems: Problems,
) -> pd.DataFrame:
    positions = check_header(raw, problems)
    missing = [c for c in KEY_COLUMNS if c not in positions]
    for column in missing:
        problems.add(
            raw.file,
            "missing-column",
            f"the wide layout needs a {column!r} column{delimiter_hint(raw, options)}",
            sheet=raw.sheet,
            row=1,
            column=column,
        )
    if missing:
        return _no_observations()
    if raw.frame.empty:
        problems.add(
            raw.file,
            "header-only",
            "the wide table has a header but no rows: it gives no observation",
            sheet=raw.sheet,
            severity="warning",
        )
    rows = raw.rows
    institution = column_texts(raw, positions["institution"])
    system = column_texts(raw, positions["system"])
    bad = _check_ids(
        raw,
        "institution",
        institution,
        rows,
        known.institutions if known else None,
        "unknown-institution",
        problems,
    )
    bad |= _check_ids(
        raw, "system", system, rows, known.systems if known else None, "unknown-edition", problems
    )
    year_texts = column_texts(raw, positions["year"])
    years, bad_year = parse_year(year_texts)
    for i in np.flatnonzero(bad_year).tolist():
        text = year_texts.iat[i]
        problems.add(
            raw.file,
            "invalid-year",
            f"{text!r} is not a year",
            sheet=raw.sheet,
            row=int(rows[i]),
            column="year",
            value=text,
        )
    bad |= bad_year
    institution_ids, system_ids, year_list = institution.tolist(), system.tolist(), years.tolist()
    if known is not None:
        for i in np.flatnonzero(~bad).tolist():
            if (system_ids[i], year_list[i]) not in known.editions:
                bad[i] = True
                problems.add(
                    raw.file,
                    "unknown-edition",
                    f"{system_ids[i]} {year_list[i]!r} is not an edition of the bundle",
                    sheet=raw.sheet,
                    row=int(rows[i]),
                    column="year",
                    value=year_texts.iat[i],
                )
    here = raw.file if raw.sheet is None else f"{raw.file} sheet {raw.sheet}"
    for i in np.flatnonzero(~bad).tolist():
        key = (str(institution_ids[i]), str(system_ids[i]), int(year_list[i]))
        if key in seen:
            bad[i] = True
            problems.add(
                raw.file,
                "duplicate-observation",
                f"{key[0]!r} in {key[1]} {key[2]} already has a row ({seen[key]})",
                sheet=raw.sheet,
                row=int(rows[i]),
                column="institution",
                value=key[0],
            )
        else:
            seen[key] = f"{here} row {int(rows[i])}"
    keep = ~bad
    indicator_columns = [c for c in positions if c not in KEY_COLUMNS]
    # Observations column by column, as integer row indices into the table: one frame at the end.
    taken_rows: list[npt.NDArray[np.intp]] = []
    taken_columns: list[str] = []
    taken_values: list[npt.NDArray[np.float64]] = []
    taken_status: list[npt.NDArray[np.int8]] = []
    for column in indicator_columns:
        if not ID_PATTERN.fullmatch(column):
            problems.add(
                raw.file,
                "invalid-id",
                f"{column!r} is not a valid indicator id",
                sheet=raw.sheet,
                row=1,
                column=column,
                value=column,
            )
            continue
        if known is not None and column not in known.indicators:
            problems.add(
                raw.file,
                "unknown-indicator",
                f"{column!r} is not an indicator of the bundle",
                sheet=raw.sheet,
                row=1,
                column=column,
                value=column,
            )
            continue
        values, status, ok = _parse_cells(raw, column, positions[column], rows, options, problems)
        take = np.flatnonzero(keep & ok)
        taken_rows.append(take)
        taken_columns.append(column)
        taken_values.append(values[take])
        taken_status.append(status[take])
    if not taken_rows:
        return _no_observations()
    at = np.concatenate(taken_rows)
    counts = [len(t) for t in taken_rows]
    institution_codes = _row_codes(institution, keep)
    system_codes = _row_codes(system, keep)
    indicator_order = np.argsort(np.array(taken_columns, dtype=object), kind="stable")
    indicator_codes = np.empty(len(taken_columns), dtype=np.int32)
    indicator_codes[indicator_order] = np.arange(len(taken_columns), dtype=np.int32)
    indicators = np.repeat(indicator_codes, counts)
    values, status = np.concatenate(taken_values), np.concatenate(taken_status)
    # Observations edition by edition (rows in file order, columns in header order within
    # each): a store writes each edition's rows together, and reads one edition alone.
    edition = _row_editions(system_codes[0], years, keep)[at]
    if not (edition[1:] >= edition[:-1]).all():
        by_edition = np.argsort(edition, kind="stable")
        at, indicators = at[by_edition], indicators[by_edition]
        values, status = values[by_edition], status[by_edition]
    return _observations_frame(
        _coded(institution_codes[0][at], institution_codes[1]),
        _coded(indicators, [taken_columns[i] for i in indicator_order]),
        _coded(system_codes[0][at], system_codes[1]),
        years[at],
        values,
        status,
    )


def _row_editions(
    systems: npt.NDArray[np.int32], years: npt.NDArray[np.int64], keep: npt.NDArray[np.bool_]
) -> npt.NDArray[np.signedinteger[Any]]:
    """Each kept row's edition as one integer ordered by (system, year); -1 elsewhere."""
    if not keep.any():
        return np.full(len(keep), -1, dtype=np.int16)
    low, high = int(years[keep].min()), int(years[keep].max())
    codes = np.where(keep, systems.astype(np.int64) * (high - low + 1) + (years - low), -1)
    return codes.astype(np.int16) if int(codes.max()) < 2**15 else codes  # int16: a radix sort


def _row_codes(
    texts: pd.Series, keep: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int32], list[str]]:
    """Each row's code into the sorted distinct values of its kept rows (-1 elsewhere)."""
    codes = np.full(len(texts), -1, dtype=np.int32)
    kept, uniques = pd.factorize(texts[keep], sort=True)
    codes[keep] = kept
    return codes, [str(u) for u in uniques]


def _parse_cells(
    raw: UserTable,
    column: str,
    position: int,
    rows: npt.NDArray[np.int64],
    options: ReadOptions,
    problems: Problems,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """Values, status codes (:data:`STATUS_ORDER`) and the mask of well-formed cells of one
    indicator column."""
    plain = _plain_cells(raw, position, options)
    if plain is not None:
        return plain
    texts = column_texts(raw, position)
    not_applicable = (texts.str.lower() == NOT_APPLICABLE).to_numpy(dtype=bool)
    estimated = texts.str.startswith(ESTIMATED_PREFIX).to_numpy(dtype=bool)
    numbers_text = texts.where(~estimated, texts.str.slice(len(ESTIMATED_PREFIX)).str.strip())
    numbers_text = numbers_text.where(~not_applicable, "")
    numbers = parse_numbers(numbers_text, options.decimal)
    bare_tilde = estimated & numbers.empty
    ok = (numbers.codes == "") & ~bare_tilde
    status = np.where(
        not_applicable,
        _NOT_APPLICABLE,
        np.where(estimated, _ESTIMATED, np.where(numbers.empty, _MISSING, _REPORTED)),
    ).astype(np.int8)
    for i in np.flatnonzero(~ok).tolist():
        text = texts.iat[i]
        if bare_tilde[i]:
            code, message = "not-a-number", f"{text!r} has no number after '~' (estimated)"
        elif estimated[i]:
            code = str(numbers.codes[i])
            message = f"{text!r}: an estimate is '~' then a number; {numbers.messages[i]}"
        else:
            code, message = str(numbers.codes[i]), numbers.messages[i]
        problems.add(
            raw.file, code, message, sheet=raw.sheet, row=int(rows[i]), column=column, value=text
        )
    return numbers.values, status, ok


#: A cell the fast path reads: digits, optionally signed, optionally with decimals.
_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"


def _plain_cells(
    raw: UserTable, position: int, options: ReadOptions
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8], npt.NDArray[np.bool_]] | None:
    """:func:`_parse_cells` of a column whose every cell is empty or a plain decimal number
    (where no problem can arise), parsed by Arrow over the whole column; None for any other
    column, which the general path reads (and reports on) cell by cell. A wide file of
    20,000 x 300 numbers is read in a second instead of tens."""
    if options.decimal not in (None, "."):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(raw.frame.iloc[:, position], type=pa.large_string(), from_pandas=True)
    empty = pc.fill_null(pc.equal(cells, ""), True)
    plain = pc.fill_null(pc.match_substring_regex(cells, _PLAIN_NUMBER), False)
    if len(cells) and pc.all(pc.or_(empty, plain)).as_py() is not True:
        return None
    numbers = pc.cast(pc.if_else(empty, pa.scalar(None, pa.large_string()), cells), pa.float64())
    values = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    missing = np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    if not np.isfinite(values[~missing]).all():
        return None  # a number too large for a double: the general path says so
    status = np.where(missing, _MISSING, _REPORTED).astype(np.int8)
    return values, status, np.ones(len(values), dtype=bool)


# -- writing -----------------------------------------------------------------------------------


def wide_rows(ds: Dataset, *, excel: bool = False) -> tuple[list[str], list[list[Any]]]:
    """The wide table of a dataset: header and rows (CSV text, or Excel values with ``excel``).

    Rows are sorted by (system, year, institution); indicator columns follow the indicators table.
    """
    obs = ds.observations
    order = ds.indicators["id"].tolist()
    observed = set(obs["indicator"].tolist())
    columns = [i for i in order if i in observed]
    header = [*KEY_COLUMNS, *columns]
    if obs.empty:
        return header, []
    keys = ["system", "year", "institution"]
    row_of = obs.groupby(keys, sort=True).ngroup().to_numpy()
    firsts = obs.drop_duplicates(keys).sort_values(keys, kind="stable")
    column_of = pd.Categorical(obs["indicator"], categories=columns).codes
    status = obs["status"].to_numpy(dtype=object)
    values = obs["value"].to_numpy(dtype=np.float64, na_value=np.nan)
    texts = np.full(len(obs), "", dtype=object)
    texts[status == "not_applicable"] = NOT_APPLICABLE
    for name, prefix in (("reported", ""), ("estimated", ESTIMATED_PREFIX)):
        chosen = status == name
        texts[chosen] = [prefix + t for t in format_numbers(values[chosen])]
    cells = np.full((len(firsts), len(columns)), None if excel else "", dtype=object)
    if excel:
        reported = status == "reported"
        texts = np.array(
            [excel_value(t, r) for t, r in zip(texts.tolist(), reported.tolist(), strict=True)],
            dtype=object,
        )
    cells[row_of, column_of] = texts
    institutions = firsts["institution"].tolist()
    systems = firsts["system"].tolist()
    years = [int(y) for y in firsts["year"].tolist()]
    return header, [
        [i, s, y if excel else str(y), *row]
        for i, s, y, row in zip(institutions, systems, years, cells.tolist(), strict=True)
    ]


def write_wide(ds: Dataset, dst: Path, *, format: str = "csv") -> None:
    """Write the observations of ``ds`` in the wide layout (a file), atomically.

    ``format``: ``csv`` (byte-deterministic), ``xlsx`` (one sheet ``wide``, reported values as
    numbers) or ``parquet`` (cells as text, years as integers).
    """
    header, rows = wide_rows(ds, excel=format == "xlsx")
    dst = Path(dst)
    with atomic_path(dst, force=True) as temporary:
        if format == "csv":
            temporary.write_bytes(csv_bytes(header, rows))
        elif format == "xlsx":
            write_workbook(temporary, {SHEET_NAME: (header, rows)}, shown_as=str(dst))
        elif format == "parquet":
            data: dict[str, pd.Series] = {
                name: pd.Series([r[i] for r in rows], dtype="str") for i, name in enumerate(header)
            }
            data["year"] = pd.Series([int(r[2]) for r in rows], dtype="int64")
            pd.DataFrame(data, columns=header).to_parquet(temporary, index=False)
        else:
            raise ValueError(f"unknown format {format!r} (csv, xlsx or parquet)")


def wide_text(ds: Dataset) -> bytes:
    """The CSV bytes :func:`write_wide` writes (for tests and previews)."""
    header, rows = wide_rows(ds)
    return csv_bytes(header, rows)
