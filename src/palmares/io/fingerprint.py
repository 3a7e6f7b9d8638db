"""The data hash: SHA-256 of a bundle's canonical CSV bytes, computed over Arrow buffers.

The hash is defined by the bytes :func:`palmares.io.csv_bundle.table_csv_bytes` writes: for each
table in schema order, its name, a newline, then its canonical CSV (rows sorted by the key
columns, then by every other column; floats as Python's shortest ``repr``; integers without
``.0``; RFC 4180 quoting; an empty cell where a value is missing). Every backend of the store
keeps the hash computed here at load, so it is the same for DuckDB, PostgreSQL and ``--data``.

Nothing here loops over rows in Python: rows are ordered by integer codes of the key columns
(one counting pass when the keys are distinct, as validated tables' are), cells are formatted
by Arrow column by column, and each chunk of lines is fed to SHA-256 straight from the Arrow
buffer that holds it. Floats are formatted by Arrow where its shortest round-trip digits are
laid out as ``repr`` lays them out (``1e-4 <= |x| < 1e16``, plus ``.0`` on whole numbers);
the few others go through ``repr`` itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from palmares.schema import TABLE_ORDER, TABLES

#: Rows formatted at a time: the CSV text of a large table is never held whole.
CHUNK_ROWS = 250_000

#: Where Python's ``repr`` of a float is positional (it switches to an exponent outside).
_POSITIONAL_LOW, _POSITIONAL_HIGH = 1e-4, 1e16

_QUOTED = r'[",\r\n]'

#: Every cell is formatted as this type (64-bit offsets: a chunk may exceed 2 GiB of text).
_TEXT = pa.large_string()


def bundle_hash(table: Callable[[str], pd.DataFrame]) -> str:
    """SHA-256 (hex) of the canonical CSV bundle whose tables ``table(name)`` returns."""
    digest = hashlib.sha256()
    for name in TABLE_ORDER:
        digest.update(name.encode("utf-8") + b"\n")
        for part in table_csv_parts(name, table(name)):
            digest.update(part)
    return digest.hexdigest()


def table_csv_parts(name: str, frame: pd.DataFrame) -> Iterator[bytes | memoryview]:
    """The bytes of ``table_csv_bytes(name, frame)``, as a few large buffers in order."""
    header = ",".join(_quote_text(str(c)) for c in frame.columns)
    yield (header + "\n").encode("utf-8")
    if not len(frame.columns) or not len(frame):
        return
    coded = CodedColumns(frame)
    order = canonical_order(name, frame, coded)
    # The line's newline rides on its last cell: one join of the cells makes the lines.
    last = len(frame.columns) - 1
    cells = [
        _column_cells(frame[c], coded(c), "\n" if i == last else "")
        for i, c in enumerate(frame.columns)
    ]
    comma = pa.scalar(",", _TEXT)
    for start in range(0, len(frame), CHUNK_ROWS):
        rows = order[start : start + CHUNK_ROWS]
        texts = [cell(rows) for cell in cells]
        yield _value_bytes(pc.binary_join_element_wise(*texts, comma) if last else texts[0])


def _value_bytes(array: pa.Array) -> memoryview:
    """The concatenated values of a string array, straight from its data buffer."""
    offsets_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    offsets = np.frombuffer(array.buffers()[1], dtype=offsets_type)
    first, last = int(offsets[array.offset]), int(offsets[array.offset + len(array)])
    return memoryview(array.buffers()[2])[first:last]


@dataclass(frozen=True)
class Coded:
    """A column as codes into its distinct cell texts: ``texts[codes[i]]`` is row i's cell
    (code -1: missing). ``rank`` orders the distinct values as the column's values sort."""

    codes: npt.NDArray[np.signedinteger[Any]]
    texts: pa.Array
    rank: npt.NDArray[np.int64]


def _smallest(codes: npt.NDArray[np.integer[Any]], size: int) -> npt.NDArray[Any]:
    """Codes (-1 .. size - 1) in the smallest signed integer type that holds them."""
    for kind in (np.int8, np.int16, np.int32):
        if size < np.iinfo(kind).max:
            return codes.astype(kind, copy=False)
    return codes.astype(np.int64, copy=False)


class CodedColumns:
    """The columns of a table that repeat a few values (text, and integers of a short range
    such as years), coded once for both sorting and writing; None for the others."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._done: dict[str, Coded | None] = {}

    def __call__(self, column: str) -> Coded | None:
        if column not in self._done:
            self._done[column] = _coded(self._frame[column])
        return self._done[column]


def _coded(series: pd.Series) -> Coded | None:
    dtype = series.dtype
    if isinstance(dtype, pd.Int64Dtype) or (
        pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    ):
        mask = series.isna().to_numpy()
        ints = series.to_numpy(dtype=np.int64, na_value=0)
        present = ints[~mask] if mask.any() else ints
        if not present.size:
            return None
        low, high = int(present.min()), int(present.max())
        if high - low > 65_535:
            return None
        codes = _smallest(ints - low, high - low + 1)
        codes[mask] = -1
        texts = pc.cast(pa.array(np.arange(low, high + 1, dtype=np.int64)), _TEXT)
        return Coded(codes, texts, np.arange(high - low + 1, dtype=np.int64))
    numeric = pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
    if numeric and not isinstance(dtype, pd.CategoricalDtype):
        return None
    texts = series if isinstance(dtype, pd.StringDtype) else series.astype("str")
    encoded = pc.dictionary_encode(_arrow_column(texts, _TEXT))
    dictionary = encoded.dictionary
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    rank = np.empty(len(dictionary), dtype=np.int64)
    # Arrow compares strings byte-wise: UTF-8 byte order is code point order, as Python's.
    rank[np.asarray(pc.sort_indices(dictionary))] = np.arange(len(dictionary))
    return Coded(_smallest(indices, len(dictionary)), dictionary, rank)


# -- row order -----------------------------------------------------------------------------------


def canonical_order(
    name: str, frame: pd.DataFrame, coded: CodedColumns | None = None
) -> npt.NDArray[np.integer[Any]]:
    """Row positions in the order :func:`palmares.io.csv_bundle.sorted_table` gives: by the key
    columns, then every other column (ties), missing first, stable; categorical columns are
    not sorted on."""
    n = len(frame)
    coded = coded or CodedColumns(frame)
    spec = TABLES.get(name)
    if spec is None or n == 0:
        return np.arange(n, dtype=np.intp)
    key = [c for c in spec.key if c in frame.columns]
    rest = [c for c in frame.columns if c not in key]
    sortable = [c for c in (*key, *rest) if not isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not sortable:
        return np.arange(n, dtype=np.intp)
    leading = [c for c in sortable if c in key] or sortable[:1]
    composite, span = _composite(frame, leading, coded)
    order = _distinct_order(composite, span)
    if order is not None:
        return order  # the leading columns alone tell every row apart
    order = np.argsort(composite, kind="stable")
    ranked = composite[order]
    if len(leading) == len(sortable) or not (ranked[1:] == ranked[:-1]).any():
        return order
    # Rows tie on the key: the other columns decide (not in validated tables).
    keys = [_sort_codes(frame[c], coded(c))[0] for c in reversed(sortable)]
    return np.lexsort(keys).astype(np.intp)


def _composite(
    frame: pd.DataFrame, columns: list[str], coded: CodedColumns
) -> tuple[npt.NDArray[np.int64], int]:
    """One integer per row that sorts as the rows sort by ``columns``, and its span."""
    composite = np.zeros(len(frame), dtype=np.int64)
    span = 1
    for column in columns:
        codes, size = _sort_codes(frame[column], coded(column))
        if span * size >= 2**62:
            # Renumber densely (order kept) so that wide keys never overflow.
            uniques, composite = np.unique(composite, return_inverse=True)
            composite = composite.astype(np.int64)
            span = len(uniques)
        composite *= size
        composite += codes
        span *= size
    return composite, span


def _distinct_order(
    composite: npt.NDArray[np.int64], span: int
) -> npt.NDArray[np.integer[Any]] | None:
    """The sorting permutation by one counting pass, when every value is distinct and the span
    small; None otherwise."""
    n = len(composite)
    if span > 4 * n + 1024 or n >= 2**31:
        return None
    slots = np.full(span, -1, dtype=np.int32)
    slots[composite] = np.arange(n, dtype=np.int32)
    order = slots[slots >= 0]
    return order if len(order) == n else None  # 32-bit positions: half the memory


def _sort_codes(series: pd.Series, coded: Coded | None) -> tuple[npt.NDArray[np.integer[Any]], int]:
    """Dense codes that sort as the column's values sort (missing first) and their count."""
    if coded is not None and not isinstance(series.dtype, pd.CategoricalDtype):
        size = len(coded.rank)
        if not (coded.codes < 0).any():
            return _smallest(coded.rank, size)[coded.codes], size
        # Missing (-1) first, then each value by its rank.
        ranks = _smallest(np.concatenate([[0], coded.rank + 1]), size + 1)
        return ranks[coded.codes.astype(np.int32) + 1], size + 1
    factor, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    return (factor.astype(np.int64) + 1), len(uniques) + 1


# -- cells -----------------------------------------------------------------------------------


def _arrow_column(series: pd.Series, type_: pa.DataType) -> pa.Array:
    array = pa.array(series, type=type_, from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _column_cells(
    series: pd.Series, coded: Coded | None, suffix: str
) -> Callable[[npt.NDArray[np.integer[Any]]], pa.Array]:
    """A function giving the CSV cells of the rows asked for, each followed by ``suffix``, as
    Arrow strings (never null), as :func:`palmares.io.csv_bundle._format_column` writes them."""
    dtype = series.dtype
    integer = isinstance(dtype, pd.Int64Dtype) or pd.api.types.is_integer_dtype(dtype)
    if coded is not None:
        # Quote per distinct value: id columns repeat a few thousand values a million times.
        texts = coded.texts if integer else quote_texts(coded.texts)
        # Position 0 holds the missing cell: codes shift by one.
        cells = _suffixed(pa.concat_arrays([pa.array([""], _TEXT), texts]), suffix)
        codes = coded.codes
        return lambda rows: pc.take(cells, pa.array(codes[rows].astype(np.int32) + 1))
    if integer:
        mask = series.isna().to_numpy()
        ints = series.to_numpy(dtype=np.int64, na_value=0)
        return lambda rows: _suffixed(pa.array(ints[rows], mask=mask[rows]), suffix)
    if pd.api.types.is_bool_dtype(dtype):
        flags = _arrow_column(series, pa.bool_())
        return lambda rows: _suffixed(pc.take(flags, rows), suffix)
    if pd.api.types.is_float_dtype(dtype):
        # A float64 column is read in place (NaN is missing): no copy of a million values.
        values = (
            series.to_numpy()
            if dtype == np.float64
            else series.to_numpy(dtype=np.float64, na_value=np.nan)
        )
        return lambda rows: _suffixed(float_texts(values[rows]), suffix)
    raise TypeError(f"no cells for a column of {dtype}")


def _suffixed(cells: pa.Array, suffix: str) -> pa.Array:
    """Cells as text ("" where null), each followed by ``suffix``."""
    texts = pc.fill_null(pc.cast(cells, _TEXT), "")
    if not suffix:
        return texts
    return pc.binary_join_element_wise(texts, pa.scalar(suffix, _TEXT), pa.scalar("", _TEXT))


def quote_texts(texts: pa.Array) -> pa.Array:
    """RFC 4180 quoting where a cell holds a quote, comma or line break."""
    needs = pc.match_substring_regex(texts, _QUOTED)
    if not pc.any(needs).as_py():
        return texts
    doubled = pc.replace_substring(texts, '"', '""')
    quote, nothing = pa.scalar('"', texts.type), pa.scalar("", texts.type)
    wrapped = pc.binary_join_element_wise(quote, doubled, quote, nothing)
    return pc.if_else(needs, wrapped, texts)


def _quote_text(text: str) -> str:
    if any(ch in text for ch in '",\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def float_texts(values: npt.NDArray[np.float64]) -> pa.Array:
    """``repr`` of each float ("" for NaN) as Arrow strings, without a Python call per value."""
    missing = np.isnan(values)
    magnitude = np.abs(values)
    positional = ((magnitude >= _POSITIONAL_LOW) & (magnitude < _POSITIONAL_HIGH)) | (values == 0)
    texts = pc.cast(pa.array(values), _TEXT)
    exponent = pc.match_substring(texts, "e").to_numpy(zero_copy_only=False)
    by_python = ~missing & (~positional | exponent)
    whole = ~missing & ~by_python & ~pc.match_substring(texts, ".").to_numpy(zero_copy_only=False)
    if whole.any():
        dotted = pc.binary_join_element_wise(texts, pa.scalar(".0", _TEXT), pa.scalar("", _TEXT))
        texts = pc.if_else(pa.array(whole), dotted, texts)
    if by_python.any():
        at = np.flatnonzero(by_python)
        fixed = pa.array([repr(v) for v in values[at].tolist()], type=_TEXT)
        texts = _replace_at(texts, at, fixed)
    if missing.any():
        texts = pc.if_else(pa.array(missing), pa.scalar("", texts.type), texts)
    return texts


def _replace_at(texts: pa.Array, at: npt.NDArray[np.intp], fixed: pa.Array) -> pa.Array:
    """``texts`` with the cells at positions ``at`` replaced by ``fixed``."""
    source = np.zeros(len(texts), dtype=np.int64)
    source[at] = 1
    position = np.arange(len(texts), dtype=np.int64)
    position[at] = np.arange(len(at), dtype=np.int64)
    both = pa.chunked_array([texts, fixed]).combine_chunks()
    return pc.take(both, pa.array(position + source * len(texts)))
