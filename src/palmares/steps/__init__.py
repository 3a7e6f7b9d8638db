"""Pipeline steps: pure, vectorised numpy functions over an (institutions x nodes) matrix.

Conventions shared by every module here (see the step catalogue):

- ``x`` is a float64 array (n, k), NaN where there is no value; ``mask`` is a bool array (n, k),
  True where a value is present. Present values must be finite. Outputs keep NaN where the
  mask is False unless the step fills (imputation).
- ``direction`` is an int array (k,) of +1 (higher is better) or -1 (lower is better).
- Column statistics are over present values only; constant columns, all-missing columns and a
  single institution give defined results, documented on each function.
- Functions never mutate their inputs.

Modules: :mod:`eligibility`, :mod:`impute`, :mod:`treat`, :mod:`normalise`, :mod:`grade`,
:mod:`weight`, :mod:`aggregate`, :mod:`rescale`, :mod:`rounding`. This package module holds the
array checks and column statistics they share.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from palmares.ranking import competition_rank

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]

#: A set of columns: integer positions or a boolean (k,) selector.
Columns = Sequence[int] | npt.NDArray[np.integer] | npt.NDArray[np.bool_]


def check_matrix(x: npt.ArrayLike, mask: npt.ArrayLike) -> tuple[FloatArray, BoolArray]:
    """Validate ``x`` and ``mask`` and return them as float64 / bool arrays (no copy if possible).

    Raises ValueError when the shapes differ, the matrix is not 2-D, or a present value is not
    finite (a mask that claims a value where there is none would silently poison statistics).
    """
    xa = np.asarray(x, dtype=np.float64)
    ma = np.asarray(mask)
    if xa.ndim != 2:
        raise ValueError(f"x must be a 2-D (institutions x nodes) array, got shape {xa.shape}")
    if ma.shape != xa.shape:
        raise ValueError(f"mask shape {ma.shape} does not match x shape {xa.shape}")
    if ma.dtype != np.bool_:
        raise ValueError(f"mask must be boolean, got dtype {ma.dtype}")
    bad = ma & ~np.isfinite(xa)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise ValueError(
            f"{bad.sum()} present value(s) are not finite, first at row {rows[0]}, column {cols[0]}"
        )
    return xa, ma


def check_direction(direction: npt.ArrayLike, k: int) -> IntArray:
    """Return ``direction`` as an int64 (k,) array of +1/-1, or raise ValueError."""
    d = np.asarray(direction)
    if d.shape != (k,):
        raise ValueError(f"direction must have shape ({k},), got {d.shape}")
    if not np.isin(d, (1, -1)).all():
        raise ValueError("direction must hold only +1 (higher is better) or -1 (lower is better)")
    return d.astype(np.int64)


def per_column(value: npt.ArrayLike, k: int, name: str) -> FloatArray:
    """Broadcast a scalar or (k,) per-node parameter to a float64 (k,) array."""
    v = np.asarray(value, dtype=np.float64)
    if v.ndim == 0:
        return np.full(k, float(v))
    if v.shape != (k,):
        raise ValueError(f"{name} must be a scalar or have shape ({k},), got {v.shape}")
    return v


def column_selector(columns: Columns | None, k: int) -> BoolArray:
    """Turn a set of columns (positions or a bool (k,) selector; None = all) into a bool (k,)."""
    if columns is None:
        return np.ones(k, dtype=np.bool_)
    c = np.asarray(columns)
    if c.dtype == np.bool_:
        if c.shape != (k,):
            raise ValueError(f"a boolean column selector must have shape ({k},), got {c.shape}")
        return c.copy()
    if c.size and not np.issubdtype(c.dtype, np.integer):
        raise ValueError(f"columns must be integer positions or a boolean selector, got {c.dtype}")
    c = c.astype(np.int64).ravel()
    if c.size and (c.min() < -k or c.max() >= k):
        raise ValueError(f"column position out of range for {k} columns: {c.tolist()}")
    selected = np.zeros(k, dtype=np.bool_)
    selected[c] = True
    return selected


def masked(x: FloatArray, mask: BoolArray) -> FloatArray:
    """A copy of ``x`` with NaN wherever ``mask`` is False."""
    return np.where(mask, x, np.nan)


def column_count(mask: BoolArray) -> IntArray:
    """Number of present values per column (k,)."""
    return mask.sum(axis=0, dtype=np.int64)


def column_min(x: FloatArray, mask: BoolArray) -> FloatArray:
    """Minimum of present values per column; NaN for an all-missing column."""
    if x.shape[0] == 0:
        return np.full(x.shape[1], np.nan)
    # fmin ignores NaN (and yields NaN for an all-NaN column); faster than a where= reduction.
    return np.fmin.reduce(np.where(mask, x, np.nan), axis=0)


def column_max(x: FloatArray, mask: BoolArray) -> FloatArray:
    """Maximum of present values per column; NaN for an all-missing column."""
    if x.shape[0] == 0:
        return np.full(x.shape[1], np.nan)
    return np.fmax.reduce(np.where(mask, x, np.nan), axis=0)


def column_mean(x: FloatArray, mask: BoolArray) -> FloatArray:
    """Mean of present values per column; NaN for an all-missing column."""
    count = column_count(mask)
    total = np.where(mask, x, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def column_sd(x: FloatArray, mask: BoolArray) -> FloatArray:
    """Sample standard deviation (ddof = 1) per column; NaN with fewer than two values."""
    return centred(x, mask)[2]


def centred(x: FloatArray, mask: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per column: mean (k,), deviations from it (n, k; 0 where missing), sample sd (k,).

    The sd is NaN below two values and exactly 0 for a constant column (whose mean can carry a
    rounding residue).
    """
    count = column_count(mask)
    mean = column_mean(x, mask)
    dev = np.where(mask, x - mean, 0.0)
    ss = np.einsum("ij,ij->j", dev, dev)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(ss / np.maximum(count - 1, 1))
    if x.shape[0]:
        filled = np.where(mask, dev, np.nan)
        sd = np.where(np.fmax.reduce(filled, axis=0) == np.fmin.reduce(filled, axis=0), 0.0, sd)
    return mean, dev, np.where(count >= 2, sd, np.nan)


def column_percentile(x: FloatArray, mask: BoolArray, q: float) -> FloatArray:
    """The q-th percentile (numpy's default linear interpolation) of present values per column.

    NaN for an all-missing column. Sorting with missing values as +inf puts the present values
    first in every column, so one sort serves all columns.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile q must lie in [0, 100], got {q}")
    n, k = x.shape
    count = column_count(mask)
    if n == 0:
        return np.full(k, np.nan)
    ordered = np.sort(np.where(mask, x, np.inf), axis=0)
    position = (q / 100.0) * np.maximum(count - 1, 0)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(count - 1, 0))
    cols = np.arange(k)
    lo = ordered[below, cols]
    hi = ordered[above, cols]
    frac = position - below
    with np.errstate(invalid="ignore"):
        value = np.where(frac > 0, lo + (hi - lo) * frac, lo)
    return np.where(count > 0, value, np.nan)


def reference_sample(
    x: FloatArray, mask: BoolArray, reference: npt.ArrayLike | None
) -> tuple[FloatArray, BoolArray]:
    """The rows column statistics are taken on: row i repeated ``reference[i]`` times.

    ``reference`` holds non-negative integer multiplicities, one per row (a bootstrap
    resample of the population: 0 = not drawn, 2 = drawn twice); None is every row once, the
    arrays themselves. Statistics of the sample then apply to every row, so an institution
    outside the sample is still scored (it may fall outside the sample's range).
    """
    if reference is None:
        return x, mask
    rows = reference_rows(reference, x.shape[0])
    if x.flags.f_contiguous and not x.flags.c_contiguous:
        # Same memory order as x, so column sums add in the same order (all ones: same bits).
        return np.asfortranarray(x[rows]), np.asfortranarray(mask[rows])
    return x[rows], mask[rows]


def reference_rows(reference: npt.ArrayLike, n: int) -> IntArray:
    """Row positions of a reference sample given by multiplicities (validated)."""
    counts = np.asarray(reference)
    if counts.shape != (n,):
        raise ValueError(f"reference must have one multiplicity per row ({n},), got {counts.shape}")
    if counts.dtype.kind == "f" and np.isfinite(counts).all() and (counts == np.rint(counts)).all():
        counts = counts.astype(np.int64)
    if counts.dtype.kind not in "iub" or (counts < 0).any():
        raise ValueError("reference multiplicities must be non-negative integers")
    return np.repeat(np.arange(n), counts.astype(np.int64))


def count_below(
    keys: FloatArray, mask: BoolArray, ref_keys: FloatArray, ref_mask: BoolArray
) -> FloatArray:
    """Per column, the number of present reference keys strictly below each present key (NaN
    where absent). One sort and one binary search per column."""
    out = np.full(keys.shape, np.nan)
    for j in range(keys.shape[1]):  # columns (indicators), never rows
        ref = np.sort(ref_keys[ref_mask[:, j], j])
        out[mask[:, j], j] = np.searchsorted(ref, keys[mask[:, j], j], side="left")
    return out


def competition_rank_worst_first(keys: FloatArray, mask: BoolArray) -> FloatArray:
    """Per column, 1 + the number of present values strictly below each present value.

    ``keys`` are oriented so that larger is better; missing cells give NaN. Ties share the
    lowest rank, so a column of ties is all 1: the competition ranks of
    :func:`palmares.ranking.competition_rank` with lower keys first, column by column.
    """
    n, k = keys.shape
    if n == 0:
        return np.empty((0, k))
    ranks = competition_rank(np.where(mask, keys, np.nan).T, higher_is_better=False).T
    return np.where(mask, ranks.astype(np.float64), np.nan)


__all__ = [
    "BoolArray",
    "Columns",
    "FloatArray",
    "Int8Array",
    "IntArray",
    "centred",
    "check_direction",
    "check_matrix",
    "column_count",
    "column_max",
    "column_mean",
    "column_min",
    "column_percentile",
    "column_sd",
    "column_selector",
    "competition_rank_worst_first",
    "count_below",
    "masked",
    "per_column",
    "reference_rows",
    "reference_sample",
]
