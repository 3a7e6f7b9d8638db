"""Validation of the canonical bundle's tables: typing, value checks and referential checks.

:func:`validate_tables` takes tables as read (every cell a string) or already typed, and returns
the typed tables :class:`~palmares.dataset.Dataset` expects plus every problem found, each located
as a spreadsheet user would find it (file, sheet, row, column). Checks are vectorised: numbers
are parsed by pyarrow over whole columns, ids and codes are checked once per distinct value and
the verdict is spread back over rows by their factorised codes, so a million observations are
validated in well under a second.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from palmares.codes import int_codes
from palmares.problems import Problems, Severity
from palmares.schema import (
    DIRECTIONS,
    GENDERS,
    ID_PATTERN,
    LINEAGE_KINDS,
    NETWORK_ROLES,
    PUBLISHED_STATUSES,
    STATUSES,
    TABLE_ORDER,
    TABLES,
    VALUED_STATUSES,
    TableSpec,
)
from palmares.tree import walk_parents

#: ISO 3166-1 alpha-2 codes officially assigned (249), as published by the ISO 3166 agency.
_ISO_ALPHA2 = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
#: ISO 3166-1 alpha-2 codes officially assigned (249), as published by the ISO 3166 agency.
ISO_COUNTRIES: frozenset[str] = frozenset(_ISO_ALPHA2.split())

#: Columns whose cells may not be empty (the others may, e.g. the parent of a root).
NON_EMPTY: dict[str, tuple[str, ...]] = {
    "institutions": ("id", "name"),
    "aliases": ("institution", "name"),
    "lineage": ("predecessor", "successor", "year", "kind"),
    "networks": ("network", "institution"),
    "indicators": ("id",),
    "editions": ("system", "year"),
    "observations": ("institution", "indicator", "system", "year", "status"),
    "published": ("institution", "system", "year", "node", "status"),
}
#: Integer columns holding years (checked with ``invalid-year``).
YEAR_COLUMNS = frozenset({"year", "since", "until", "valid_from", "valid_to"})
#: Columns restricted to a fixed vocabulary (checked with ``invalid-value``).
VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("institutions", "gender"): GENDERS,
    ("lineage", "kind"): LINEAGE_KINDS,
    ("networks", "role"): NETWORK_ROLES,
}
_YEAR_RANGE = (1000, 9999)
_MAX_DECIMALS = 15
# ASCII digits only: fullwidth or Arabic-Indic digits are text, not numbers (float() takes them).
_NUMBER = re.compile(
    r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity)", re.I | re.ASCII
)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)
#: Control characters no text cell may hold (NUL breaks XLSX output; tab, LF and CR are kept).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Columns a person reads as a name: never whitespace only.
_NAME_COLUMNS = frozenset(("name", "name_en", "name_fr", "network_name"))
#: Integer columns that count positions: 1 or more.
_POSITIVE_COLUMNS = frozenset(("rank", "band_lo", "band_hi"))
#: Integers beyond 2**53 are not exact as doubles (and beyond int64 overflow).
_MAX_INT = 2**53
_TWO_YEAR = re.compile(r"(\d{4})[-/](\d{2}|\d{4})")
_REGION_CODE = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
_SEPARATORS = (";", "\t", "|")


def coded_columns(table: str) -> set[str]:
    """Columns whose few distinct values repeat (ids, codes): worth reading dictionary-encoded."""
    spec = TABLES.get(table)
    if spec is None:
        return set()
    coded = {c.name for c in spec.columns if c.kind == "id"}
    return coded | ({"status", "direction", "kind", "role"} & set(spec.column_names))


@dataclass
class TableSource:
    """Where a table came from, so problems can name file, sheet and spreadsheet row."""

    file: str
    sheet: str | None = None
    #: Spreadsheet row of each record; None means record index + 2 (header on row 1).
    rows: npt.NDArray[np.int64] | None = None
    #: Cells a reader already reported (column -> boolean mask); later checks skip them.
    flagged: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    #: The reader found the table unreadable beyond its header; cells are not checked.
    unusable: bool = False


# -- text and number parsing -------------------------------------------------------------------


def _is_text_dtype(dtype: Any) -> bool:
    return isinstance(dtype, pd.StringDtype) or dtype == object  # noqa: E721


def _format_number(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _python_texts(series: pd.Series) -> list[str | None]:
    """Cells of a non-text column as the CSV writer would write them (None = empty)."""
    if pd.api.types.is_integer_dtype(series.dtype) or isinstance(series.dtype, pd.Int64Dtype):
        mask = series.isna().to_numpy()
        ints = series.to_numpy(dtype=np.int64, na_value=0).tolist()
        return [None if m else str(i) for i, m in zip(ints, mask.tolist(), strict=True)]
    objects = series.astype(object)
    missing = objects.isna().to_numpy().tolist()
    return [
        None if m else (v if isinstance(v, str) else _format_number(v))
        for v, m in zip(objects.tolist(), missing, strict=True)
    ]


def arrow_text(series: pd.Series) -> pa.Array:
    """Cells as an Arrow string array, null where empty ("" or missing)."""
    if isinstance(series.dtype, pd.StringDtype):
        array = pa.array(series, type=pa.string(), from_pandas=True)
    else:
        array = pa.array(_python_texts(series), type=pa.string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    empty = pc.equal(array, "")
    if pc.any(empty).as_py():
        array = pc.if_else(empty, pa.scalar(None, pa.string()), array)
    return array


def as_text(series: pd.Series) -> pd.Series:
    """Cells as ``str`` dtype, NaN where empty; numbers formatted as the CSV writer would."""
    return _to_series(arrow_text(series))


def _to_series(array: pa.Array) -> pd.Series:
    return pd.Series(array.to_pandas(), dtype="str").reset_index(drop=True)


@dataclass(frozen=True)
class _Text:
    """A text column: the typed cells, each row's code (-1 = empty) and the distinct values."""

    series: pd.Series
    #: 32-bit: a text column's codes are held for every check of a table of millions of rows.
    codes: npt.NDArray[np.int32] | npt.NDArray[np.int64]
    uniques: npt.NDArray[np.object_]


def _dictionary_of(series: pd.Series) -> tuple[npt.NDArray[np.int32], list[str]]:
    """Row codes (-1 = missing) and distinct cell texts, via Arrow's dictionary encoding."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int32)
        categories = pd.Series(series.cat.categories)
        return codes, [t if t is not None else "" for t in _python_texts(categories)]
    if isinstance(series.dtype, pd.StringDtype):
        array = pa.array(series, type=pa.large_string(), from_pandas=True)
    else:
        array = pa.array(_python_texts(series), type=pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = array.dictionary_encode()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, encoded.dictionary.to_pylist()


def _encode_text(series: pd.Series) -> _Text:
    """Type a text column: "" becomes missing and names NFC, touching only distinct values."""
    series = series.reset_index(drop=True)
    codes, dictionary = _dictionary_of(series)
    fixed = [v if v.isascii() else unicodedata.normalize("NFC", v) for v in dictionary]
    unchanged = fixed == dictionary and "" not in dictionary
    if unchanged and isinstance(series.dtype, pd.StringDtype) and series.dtype.na_value is np.nan:
        return _Text(series, codes, np.array(dictionary, dtype=object))
    if not unchanged:
        # "" is missing, and two spellings may normalise to the same name: merge their codes.
        merged, uniques = pd.factorize(
            np.array([v if v else None for v in fixed], dtype=object), use_na_sentinel=True
        )
        codes = np.append(merged, -1)[codes]
        dictionary = [str(u) for u in uniques]
    values = pa.array(dictionary, type=pa.large_string())
    indices = pa.array(codes, mask=codes < 0, type=pa.int64())
    typed = _to_series(pc.take(values, indices))
    return _Text(typed, codes, np.array(dictionary, dtype=object))


def _parse_numbers(text: pa.Array) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Parse text cells as floats: (values with NaN where empty or bad, mask of bad cells)."""
    empty = text.is_null().to_numpy(zero_copy_only=False)
    try:
        values = pc.cast(pc.utf8_trim_whitespace(text), pa.float64())
        parsed = values.to_numpy(zero_copy_only=False)
        return np.where(empty, np.nan, parsed), np.zeros(len(text), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    encoded = text.dictionary_encode()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    uniques = encoded.dictionary.to_pylist()
    parsed = np.full(len(uniques) + 1, np.nan)
    good = np.zeros(len(uniques) + 1, dtype=bool)
    good[-1] = True  # empty cells are not bad numbers
    for i, value in enumerate(uniques):
        stripped = value.strip()
        if _NUMBER.fullmatch(stripped):
            parsed[i] = float(stripped)
            good[i] = True
    return parsed[codes], ~good[codes]


# -- the checker -------------------------------------------------------------------------------


class _Table:
    """One table being validated: its text cells, typed columns and how to locate problems."""

    def __init__(
        self, name: str, frame: pd.DataFrame, source: TableSource, problems: Problems
    ) -> None:
        self.name = name
        self.spec: TableSpec = TABLES[name]
        self.source = source
        #: Cells the reader reported (a copy: the caller's source is never changed).
        self.flagged = dict(source.flagged)
        self.problems = problems
        self.frame = frame
        self.n = len(frame)
        self.rows = (
            source.rows if source.rows is not None else np.arange(self.n, dtype=np.int64) + 2
        )
        self.typed: dict[str, pd.Series] = {}
        #: Text columns' row codes and distinct values, computed once for every check.
        self.texts: dict[str, _Text] = {}
        #: Cells found bad (column -> mask) so that dependent checks do not pile up.
        self.bad: dict[str, npt.NDArray[np.bool_]] = {}

    def add(
        self,
        code: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        severity: Severity = "error",
    ) -> None:
        self.problems.add(
            self.source.file,
            code,
            message,
            sheet=self.source.sheet,
            row=row,
            column=column,
            value=value,
            severity=severity,
        )

    def skip(self, column: str) -> npt.NDArray[np.bool_]:
        """Cells not to report again in ``column``: flagged by the reader or already bad."""
        out = np.zeros(self.n, dtype=bool)
        for mask in (self.flagged.get(column), self.bad.get(column)):
            if mask is not None:
                out |= mask
        return out

    def report(
        self,
        mask: npt.NDArray[np.bool_],
        column: str,
        code: str,
        message: str | Callable[[Any], str],
        values: Any,
        *,
        severity: Severity = "error",
        mark: bool = True,
    ) -> None:
        """Add one problem per cell in ``mask`` (cells already reported are skipped).

        ``message`` is a template where ``{v!r}`` shows the cell, or a function of the cell.
        """
        mask = mask & ~self.skip(column)
        if not mask.any():
            return
        if mark:
            self.bad[column] = self.bad.get(column, np.zeros(self.n, dtype=bool)) | mask
        cells = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
        for i in np.flatnonzero(mask).tolist():
            value = cells[i]
            if isinstance(value, float) and value != value:
                value = None
            self.add(
                code,
                message.format(v=value) if isinstance(message, str) else message(value),
                row=int(self.rows[i]),
                column=column,
                value=value,
                severity=severity,
            )

    def text(self, column: str) -> pd.Series:
        return self.typed[column]

    def per_unique(
        self, column: str, verdict: Callable[[npt.NDArray[np.object_]], npt.NDArray[np.bool_]]
    ) -> npt.NDArray[np.bool_]:
        """Apply a check once per distinct non-empty value of a text column; spread to rows."""
        encoded = self.texts[column]
        values = encoded.uniques
        bad = np.append(verdict(values) if values.size else np.zeros(0, dtype=bool), False)
        return bad[encoded.codes]

    def set_text(self, column: str, series: pd.Series) -> None:
        encoded = _encode_text(series)
        self.texts[column] = encoded
        self.typed[column] = encoded.series

    def has(self, column: str) -> bool:
        return column in self.typed


def _per_unique(
    text: pd.Series, verdict: Callable[[npt.NDArray[np.object_]], npt.NDArray[np.bool_]]
) -> npt.NDArray[np.bool_]:
    """Apply a check to each distinct non-empty value and spread the verdict over rows."""
    codes, uniques = pd.factorize(text)
    values = np.asarray(uniques, dtype=object)
    bad = np.append(verdict(values) if values.size else np.zeros(0, dtype=bool), False)
    return bad[codes]


def _not_in(known: Any) -> Callable[[npt.NDArray[np.object_]], npt.NDArray[np.bool_]]:
    known_index = pd.Index(list(known), dtype="str")

    def verdict(values: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
        return ~pd.Index(values, dtype="str").isin(known_index)

    return verdict


def _is_in(known: Any) -> Callable[[npt.NDArray[np.object_]], npt.NDArray[np.bool_]]:
    outside = _not_in(known)

    def verdict(values: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
        return ~outside(values)

    return verdict


def _not_matching(
    pattern: re.Pattern[str],
) -> Callable[[npt.NDArray[np.object_]], npt.NDArray[np.bool_]]:
    matching = _matching(pattern)

    def verdict(values: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
        return ~matching(values)

    return verdict


def _matching(
    pattern: re.Pattern[str],
) -> Callable[[npt.NDArray[np.object_]], npt.NDArray[np.bool_]]:
    def verdict(values: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
        return np.array([bool(pattern.fullmatch(v)) for v in values], dtype=bool)

    return verdict


def _bad_ids(values: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    matches = pd.Series(values, dtype="str").str.fullmatch(ID_PATTERN.pattern)
    return ~matches.to_numpy(dtype=bool, na_value=False)


# -- per-table steps ---------------------------------------------------------------------------


def _check_header(table: _Table) -> bool:
    """Header checks (row 1); False when the table's cells cannot be checked."""
    spec = table.spec
    columns = [str(c) for c in table.frame.columns]
    seen: set[str] = set()
    keep: list[int] = []
    for position, column in enumerate(columns):
        if column in seen:
            table.add(
                "duplicate-column",
                f"column {column!r} appears more than once in the header",
                row=1,
                column=column,
                value=column,
            )
            continue
        seen.add(column)
        keep.append(position)
    if len(keep) != len(columns):
        table.frame = table.frame.iloc[:, keep]
    missing = [c for c in spec.required_columns if c not in seen]
    separator = next(
        (s for s in _SEPARATORS for c in columns if s in c and c not in spec.column_names), None
    )
    hint = ""
    if separator is not None:
        shown = "\\t" if separator == "\t" else separator
        hint = f"; the header looks separated by {shown!r}: pass --delimiter {shown!r}"
    for column in missing:
        table.add(
            "missing-column",
            f"required column {column!r} is missing (header: {columns!r}){hint}",
            row=1,
            column=column,
            value=columns[0] if separator else None,
        )
    if separator is not None and missing:
        return False
    if not spec.extra_columns:
        for column in seen - set(spec.column_names):
            table.add(
                "unknown-column",
                f"unknown column {column!r} in {table.name} "
                f"(known: {', '.join(spec.column_names)})",
                row=1,
                column=column,
                value=column,
            )
    return not missing


def _type_columns(table: _Table, decimal: str | None) -> None:
    spec = table.spec
    frame = table.frame
    for column in spec.columns:
        if column.name not in frame.columns:
            continue
        raw = frame[column.name].reset_index(drop=True)
        if column.kind in ("int", "float") and not _is_text_dtype(raw.dtype):
            _type_numeric_native(table, column.name, column.kind, raw)
        elif column.kind in ("int", "float"):
            _type_numeric_text(table, column.name, column.kind, arrow_text(raw), decimal)
        else:
            table.set_text(column.name, raw)
    for extra in frame.columns:
        if extra not in spec.column_names:
            table.set_text(str(extra), frame[extra].reset_index(drop=True))


def _type_numeric_native(table: _Table, column: str, kind: str, raw: pd.Series) -> None:
    values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
    _finish_numeric(table, column, kind, values, raw, raw.isna().to_numpy() & np.isnan(values))


def _type_numeric_text(
    table: _Table, column: str, kind: str, text: pa.Array, decimal: str | None
) -> None:
    source = text
    if decimal and decimal != ".":
        source = pc.replace_substring(text, decimal, ".")
    values, bad = _parse_numbers(source)
    shown = _to_series(text)
    if bad.any():
        commas = _per_unique(shown, _matching(_DECIMAL_COMMA))
        two_year = _per_unique(shown, _matching(_TWO_YEAR))
        year_like = column in YEAR_COLUMNS
        for mask, hint in (
            (bad & commas, "; it looks like a decimal comma: pass --decimal ','"),
            (bad & two_year & year_like, "; for a two-year edition give the later year"),
            (bad & ~commas & ~(two_year & year_like), ""),
        ):
            if year_like:
                table.report(mask, column, "invalid-year", "{v!r} is not a year" + hint, shown)
            elif column == "decimals":
                message = f"{{v!r}} is not a number of decimals (an integer 0 to {_MAX_DECIMALS})"
                table.report(mask, column, "invalid-decimals", message, shown)
            else:
                table.report(mask, column, "not-a-number", "{v!r} is not a number" + hint, shown)
    empty = text.is_null().to_numpy(zero_copy_only=False)
    _finish_numeric(table, column, kind, values, shown, empty)


def _finish_numeric(
    table: _Table,
    column: str,
    kind: str,
    values: npt.NDArray[np.float64],
    shown: pd.Series,
    empty: npt.NDArray[np.bool_],
) -> None:
    """Non-finite and integer checks shared by text and native numeric columns."""
    infinite = np.isinf(values) | (np.isnan(values) & ~empty)
    table.report(infinite, column, "non-finite", "{v!r} is not a finite number", shown)
    values = np.where(infinite, np.nan, values)
    if kind == "int":
        finite = np.isfinite(values)
        fractional = finite & (np.floor(np.where(finite, values, 0)) != values)
        if column in YEAR_COLUMNS:
            lo, hi = _YEAR_RANGE
            out = finite & ((values < lo) | (values > hi))
            table.report(
                fractional | out,
                column,
                "invalid-year",
                "{v!r} is not a year (a four-digit integer)",
                shown,
            )
        elif column == "decimals":
            out = finite & ((values < 0) | (values > _MAX_DECIMALS))
            table.report(
                fractional | out,
                column,
                "invalid-decimals",
                f"{{v!r}} is not a number of decimals (an integer 0 to {_MAX_DECIMALS})",
                shown,
            )
        else:
            table.report(fractional, column, "invalid-value", "{v!r} is not an integer", shown)
            huge = finite & (np.abs(np.where(finite, values, 0)) > _MAX_INT)
            table.report(
                huge & ~fractional, column, "invalid-value", "{v!r} is out of range", shown
            )
            fractional = fractional | huge
            if column in _POSITIVE_COLUMNS:
                below = finite & ~fractional & (np.where(finite, values, 1) < 1)
                table.report(below, column, "invalid-value", "{v!r} is not 1 or more", shown)
                fractional = fractional | below
        bad = table.skip(column) | ~finite | fractional
        ints = pd.arrays.IntegerArray(np.where(bad, 0, values).astype(np.int64), bad)
        table.typed[column] = pd.Series(ints)
    else:
        values = np.where(table.skip(column), np.nan, values)
        table.typed[column] = pd.Series(values, dtype="float64")


def _has_control(values: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    return np.array([_CONTROL.search(str(v)) is not None for v in values], dtype=bool)


def _blank(values: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    return np.array([not str(v).strip() for v in values], dtype=bool)


def _control_message(value: Any) -> str:
    found = _CONTROL.search(str(value))
    code = f" (U+{ord(found.group()):04X})" if found else ""
    return f"{value!r} holds a control character{code}"


def _check_text(table: _Table) -> None:
    """No control character in any text cell; no whitespace-only name (once per value)."""
    for column in list(table.texts):
        control = table.per_unique(column, _has_control)
        table.report(
            control,
            column,
            "invalid-value",
            _control_message,
            table.typed[column],
        )
        if column in _NAME_COLUMNS:
            blank = table.per_unique(column, _blank)
            table.report(
                blank, column, "invalid-value", "{v!r} is only whitespace", table.typed[column]
            )


def _check_cells(table: _Table) -> None:
    """Checks of single cells: non-empty, id pattern, vocabularies, countries, statuses."""
    name = table.name
    _check_text(table)
    for column in NON_EMPTY[name]:
        if table.has(column):
            empty = table.typed[column].isna().to_numpy()
            table.report(
                empty,
                column,
                "missing-value",
                f"{column} is empty",
                table.typed[column],
            )
    for spec_column in table.spec.columns:
        if spec_column.kind == "id" and table.has(spec_column.name):
            text = table.text(spec_column.name)
            table.report(
                table.per_unique(spec_column.name, _bad_ids),
                spec_column.name,
                "invalid-id",
                "{v!r} is not an id (letters, digits, '.', '_', '-')",
                text,
            )
    for (tname, column), allowed in VOCABULARIES.items():
        if tname == name and table.has(column):
            text = table.text(column)
            table.report(
                table.per_unique(column, _not_in(allowed)),
                column,
                "invalid-value",
                "{v!r} is not one of " + ", ".join(allowed),
                text,
            )
    if name == "institutions":
        if table.has("country"):
            text = table.text("country")

            def country_message(value: Any) -> str:
                hint = ""
                if isinstance(value, str) and value.strip().upper() in ISO_COUNTRIES:
                    hint = f" (write {value.strip().upper()!r})"
                return f"{value!r} is not an ISO 3166-1 alpha-2 country code in upper case{hint}"

            table.report(
                table.per_unique("country", _not_in(ISO_COUNTRIES)),
                "country",
                "invalid-country",
                country_message,
                text,
            )
        if table.has("region_code"):
            text = table.text("region_code")
            table.report(
                table.per_unique("region_code", _not_matching(_REGION_CODE)),
                "region_code",
                "invalid-value",
                "{v!r} is not an ISO 3166-2 subdivision code such as 'FR-OCC'",
                text,
            )
    if name in ("observations", "published") and table.has("status"):
        allowed = STATUSES if name == "observations" else PUBLISHED_STATUSES
        text = table.text("status")
        table.report(
            table.per_unique("status", _not_in(allowed)),
            "status",
            "unknown-status",
            "unknown status {v!r} (one of " + ", ".join(allowed) + ")",
            text,
        )
    if name == "observations" and table.has("status") and table.has("value"):
        _check_value_status(table)


def _check_value_status(table: _Table) -> None:
    status = table.text("status")
    valued = table.per_unique("status", _is_in(VALUED_STATUSES))
    known = status.notna().to_numpy()
    # A value that failed to parse was given but is already reported: do not report twice.
    undecided = table.skip("value") | table.skip("status")
    value_given = table.typed["value"].notna().to_numpy()
    mismatch = known & ~undecided & (valued != value_given)
    raw_value = table.frame["value"].reset_index(drop=True)
    for i in np.flatnonzero(mismatch).tolist():
        state = status.iloc[i]
        shown = _plain(raw_value.iloc[i])
        if valued[i]:
            message = f"status {state!r} needs a value but the value is empty"
        else:
            message = f"status {state!r} takes no value but the value is {shown!r}"
        table.add(
            "value-status-mismatch",
            message,
            row=int(table.rows[i]),
            column="value",
            value=shown if not valued[i] else state,
        )


def _check_keys(table: _Table) -> None:
    """Rows sharing the table's key: duplicate-observation or duplicate-id."""
    key = [c for c in table.spec.key if table.has(c)]
    if len(key) != len(table.spec.key) or table.n == 0:
        return
    codes = np.zeros(table.n, dtype=np.int64)
    span = 1
    for column in key:
        if column in table.texts:
            encoded = table.texts[column]
            column_codes, size = encoded.codes + 1, len(encoded.uniques) + 1
        else:
            factor, uniques = int_codes(table.typed[column])
            column_codes, size = factor + 1, len(uniques) + 1
        if span * size >= 2**62:
            # Renumber the combined code so that wide keys never overflow.
            codes = pd.factorize(codes)[0].astype(np.int64)
            span = int(codes.max()) + 1
        codes = codes * size + column_codes
        span *= size
    if span <= 8 * table.n + 1024 and int(np.bincount(codes, minlength=span).max()) <= 1:
        return  # a counting pass proves every key distinct without hashing
    duplicated = pd.Series(codes).duplicated(keep="first").to_numpy()
    if not duplicated.any():
        return
    first_index = pd.Series(np.arange(table.n)).groupby(codes).transform("first").to_numpy()
    code = "duplicate-observation" if table.name == "observations" else "duplicate-id"
    column = key[-1] if table.name != "observations" else "indicator"
    if table.name in ("institutions", "indicators"):
        column = "id"
    frames = {c: table.typed[c].to_numpy(dtype=object) for c in key}
    for i in np.flatnonzero(duplicated).tolist():
        shown = tuple(_plain(frames[c][i]) for c in key)
        value: Any = shown[0] if len(shown) == 1 else shown
        what = f"id {value!r}" if len(shown) == 1 else f"key {dict(zip(key, shown, strict=True))!r}"
        table.add(
            code,
            f"duplicate {what}: first given at row {int(table.rows[first_index[i]])}",
            row=int(table.rows[i]),
            column=column,
            value=value if len(shown) == 1 else repr(value),
        )


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_references(tables: dict[str, _Table]) -> None:
    institutions = tables.get("institutions")
    indicators = tables.get("indicators")
    editions = tables.get("editions")
    known_inst = (
        set(institutions.text("id").dropna().tolist())
        if institutions is not None and institutions.has("id")
        else None
    )
    known_ind = (
        set(indicators.text("id").dropna().tolist())
        if indicators is not None and indicators.has("id")
        else None
    )
    if known_inst is not None:
        for tname, column, code in (
            ("aliases", "institution", "unknown-institution"),
            ("lineage", "predecessor", "unknown-institution"),
            ("lineage", "successor", "unknown-institution"),
            ("networks", "institution", "unknown-network-member"),
            ("observations", "institution", "unknown-institution"),
            ("published", "institution", "unknown-institution"),
        ):
            table = tables.get(tname)
            if table is None or not table.has(column):
                continue
            text = table.text(column)
            what = "network member" if code == "unknown-network-member" else "institution"
            table.report(
                table.per_unique(column, _not_in(known_inst)),
                column,
                code,
                f"unknown {what} {{v!r}} (not in institutions)",
                text,
            )
    if known_ind is not None:
        for tname, column in (("observations", "indicator"), ("published", "node")):
            table = tables.get(tname)
            if table is None or not table.has(column):
                continue
            text = table.text(column)
            table.report(
                table.per_unique(column, _not_in(known_ind)),
                column,
                "unknown-indicator",
                "unknown indicator {v!r} (not in indicators)",
                text,
            )
        if editions is not None and editions.has("system"):
            text = editions.text("system")
            editions.report(
                editions.per_unique("system", _not_in(known_ind)),
                "system",
                "unknown-indicator",
                "system {v!r} has no root node in indicators (its id is the system's)",
                text,
                severity="warning",
                mark=False,
            )
    editions_sound = editions is not None and not (
        editions.skip("system").any() or editions.skip("year").any()
    )
    # A bad edition cell would make every observation of that edition unknown: report it alone.
    if editions is not None and editions_sound and editions.has("system") and editions.has("year"):
        known = set(
            zip(
                editions.text("system").tolist(),
                editions.typed["year"].astype("float64").tolist(),
                strict=True,
            )
        )
        for tname in ("observations", "published"):
            table = tables.get(tname)
            if table is None or not (table.has("system") and table.has("year")):
                continue
            _check_editions(table, known)


def _check_editions(table: _Table, known: set[tuple[Any, float]]) -> None:
    system = table.text("system")
    year = table.typed["year"].astype("float64").to_numpy(na_value=np.nan)
    usable = system.notna().to_numpy() & ~np.isnan(year)
    usable &= ~table.skip("system") & ~table.skip("year")
    system_codes, systems = table.texts["system"].codes, table.texts["system"].uniques
    year_codes, years = int_codes(table.typed["year"])
    width = len(years) + 1
    combined = system_codes.astype(np.int64) * width + (year_codes + 1)
    codes, pairs = pd.factorize(combined)
    system_of = systems
    year_of = np.asarray(years, dtype=np.float64)
    pair_codes = zip((pairs // width).tolist(), (pairs % width - 1).tolist(), strict=True)
    unknown_pair = np.array(
        [sc < 0 or yc < 0 or (system_of[sc], year_of[yc]) not in known for sc, yc in pair_codes],
        dtype=bool,
    )
    bad = unknown_pair[codes] & usable
    for i in np.flatnonzero(bad).tolist():
        shown_system, shown_year = system.iloc[i], int(year[i])
        value = f"{shown_system} {shown_year}"
        table.add(
            "unknown-edition",
            f"unknown edition {value!r}: system {shown_system!r}, year {shown_year} "
            "is not in editions",
            row=int(table.rows[i]),
            column="year",
            value=value,
        )


_MAX_CYCLE_SHOWN = 10
#: Levels of an indicator tree, root included (docs/formats.md, "Limits").
MAX_TREE_DEPTH = 64


def _check_tree(table: _Table) -> None:
    """unknown-parent, cycle (a self-parent included) and direction on leaves/inner nodes."""
    if not (table.has("id") and table.has("parent")):
        return
    ids = table.text("id").to_numpy(dtype=object)
    parents = table.text("parent").to_numpy(dtype=object)
    valid_id = table.text("id").notna().to_numpy() & ~table.skip("id")
    position: dict[str, int] = {}
    for i in np.flatnonzero(valid_id).tolist():
        position.setdefault(ids[i], i)
    has_parent = table.text("parent").notna().to_numpy() & ~table.skip("parent")
    parent_index = np.full(table.n, -1, dtype=np.int64)
    unknown = np.zeros(table.n, dtype=bool)
    for i in np.flatnonzero(has_parent).tolist():
        p = position.get(parents[i])
        if p is None:
            unknown[i] = True
        else:
            parent_index[i] = p
    table.report(
        unknown,
        "parent",
        "unknown-parent",
        "parent {v!r} is not an indicator id",
        parents,
    )
    on_cycle, cycles, depth = walk_parents(parent_index)
    for members in cycles:
        first = min(members, key=lambda k: int(table.rows[k]))
        if len(members) == 1:
            message = f"indicator {ids[first]!r} is its own parent"
        else:
            # The cycle once, from its first row, members capped (a 5,000-node cycle is one line).
            order = [first]
            j = int(parent_index[first])
            while j != first:
                order.append(j)
                j = int(parent_index[j])
            names = [repr(ids[k]) for k in order[:_MAX_CYCLE_SHOWN]] + [repr(ids[first])]
            more = len(order) - _MAX_CYCLE_SHOWN
            rows = sorted(int(table.rows[k]) for k in order)
            where = ", ".join(map(str, rows[:_MAX_CYCLE_SHOWN]))
            message = (
                "cycle in the indicator tree: "
                + " -> ".join(names if more <= 0 else [*names[:-1], f"... ({more:,} more)"])
                + f" ({len(order):,} indicators, rows {where}{', ...' if more > 0 else ''})"
            )
        table.add(
            "cycle", message, row=int(table.rows[first]), column="parent", value=parents[first]
        )
    too_deep = np.flatnonzero(depth > MAX_TREE_DEPTH)
    if too_deep.size:
        k = int(too_deep[np.argmin(table.rows[too_deep])])
        table.add(
            "limit-exceeded",
            f"the indicator tree is {int(depth.max()):,} levels deep under {ids[k]!r} "
            f"(limit {MAX_TREE_DEPTH})",
            row=int(table.rows[k]),
            column="parent",
            value=parents[k],
        )
    if table.has("direction"):
        # Nodes on a cycle are reported as such; their direction cannot be judged.
        inner = np.zeros(table.n, dtype=bool)
        linked = (parent_index >= 0) & ~on_cycle
        inner[parent_index[linked]] = True
        valid_id &= ~on_cycle
        direction = table.text("direction")
        given = direction.notna().to_numpy()
        allowed = table.per_unique("direction", _is_in(DIRECTIONS))
        leaf_bad = ~inner & valid_id & ~allowed
        inner_bad = inner & given & ~on_cycle
        shown = direction.fillna("").to_numpy(dtype=object)
        table.report(
            leaf_bad,
            "direction",
            "invalid-direction",
            "direction {v!r} on a leaf: give 'higher' or 'lower'",
            shown,
        )
        table.report(
            inner_bad,
            "direction",
            "invalid-direction",
            "direction {v!r} on an inner node (it has children): leave it empty",
            shown,
        )


def _typed_frame(table: _Table) -> pd.DataFrame:
    """The typed table: known columns in schema order, extras after, bad cells empty."""
    columns: dict[str, pd.Series] = {}
    for column in table.spec.columns:
        if column.name in table.typed:
            series = table.typed[column.name]
            bad = table.bad.get(column.name)
            if bad is not None and bad.any() and column.kind in ("id", "str"):
                series = series.mask(bad)
            columns[column.name] = series
    for name, series in table.typed.items():
        if name not in columns:
            columns[name] = series
    return pd.DataFrame(columns)


def validate_tables(
    frames: Mapping[str, pd.DataFrame],
    *,
    origin: str = "<frames>",
    sources: Mapping[str, TableSource] | None = None,
    decimal: str | None = None,
) -> tuple[dict[str, pd.DataFrame], Problems]:
    """Type and check the bundle's tables; return typed tables and every problem found.

    ``frames`` maps table names (``schema.TABLE_ORDER``) to DataFrames whose cells are strings
    (as read from files; "" or missing = empty) or already typed. ``sources`` locates each
    table (default: file ``origin``, sheet = table name, row = record index + 2). ``decimal``
    is the decimal separator of number cells (default ``.``).
    """
    problems = Problems()
    sources = dict(sources or {})
    for name in frames:
        if name not in TABLES:
            problems.add(
                sources.get(name, TableSource(origin, name)).file,
                "unknown-table",
                f"{name!r} is not a table of the bundle (known: {', '.join(TABLE_ORDER)})",
                severity="warning",
                value=name,
            )
    tables: dict[str, _Table] = {}
    for name in TABLE_ORDER:
        source = sources.get(name) or TableSource(origin, name)
        if name not in frames:
            if not TABLES[name].optional and not source.unusable:
                problems.add(
                    source.file,
                    "missing-table",
                    f"the bundle has no {name} table",
                    sheet=source.sheet,
                )
            continue
        table = _Table(name, frames[name], source, problems)
        usable = _check_header(table) and not source.unusable
        if table.n == 0 and not TABLES[name].optional:
            table.add(
                "header-only", f"the {name} table has a header but no rows", severity="warning"
            )
        if not usable:
            continue
        _type_columns(table, decimal)
        _check_cells(table)
        tables[name] = table
    for table in tables.values():
        _check_keys(table)
    _check_references(tables)
    if "indicators" in tables:
        _check_tree(tables["indicators"])
    return {name: _typed_frame(table) for name, table in tables.items()}, problems
