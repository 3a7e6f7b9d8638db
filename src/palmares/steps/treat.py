"""Outlier treatment: the JRC rule as implemented in COINr (``R/treat.R``).

A column fails when |skewness| >= ``skew_max`` and kurtosis >= ``kurt_max``. Skewness is the
e1071 type-2 sample skewness and kurtosis the e1071 type-2 **excess** kurtosis (normal = 0), the
estimators COINr uses and methodologies.md section 8.5 specifies; they equal
``scipy.stats.skew(bias=False)`` and ``scipy.stats.kurtosis(bias=False)``.

A failing column is winsorised one step at a time on the side of its skew: the extreme value (all
tied copies at once, as COINr does) is replaced by the next value inward, and the rule is
checked again. After ``max_winsorised`` steps, a column that still fails is instead
log-transformed from its original values. Columns with fewer than four values, or constant,
have undefined moments and pass untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from palmares.steps import (
    BoolArray,
    FloatArray,
    IntArray,
    check_matrix,
    column_count,
    column_max,
    column_mean,
    column_min,
    reference_sample,
)

LogMethod = Literal["log_ct", "log_shift1"]


@dataclass(frozen=True)
class TreatResult:
    """Treated matrix and what was done to each column.

    ``winsorised`` marks the cells whose value was replaced; ``n_winsorised`` counts them per
    column (tied extremes move together, so it can exceed the number of steps); ``steps`` is
    the number of winsorisation steps taken (tried and undone, for a logged column);
    ``logged`` marks log-transformed columns; ``treated`` is ``n_winsorised > 0 | logged``.
    """

    x: FloatArray
    winsorised: BoolArray
    n_winsorised: IntArray
    steps: IntArray
    logged: BoolArray
    treated: BoolArray


def skewness(x: npt.ArrayLike, mask: npt.ArrayLike) -> FloatArray:
    """e1071 type-2 sample skewness per column; NaN below 3 values or for a constant column."""
    xa, ma = check_matrix(x, mask)
    return _moments(xa, ma)[0]


def kurtosis(x: npt.ArrayLike, mask: npt.ArrayLike) -> FloatArray:
    """e1071 type-2 sample excess kurtosis per column; NaN below 4 values or if constant."""
    xa, ma = check_matrix(x, mask)
    return _moments(xa, ma)[1]


def _moments(x: FloatArray, mask: BoolArray) -> tuple[FloatArray, FloatArray]:
    n = column_count(mask).astype(np.float64)
    dev = np.where(mask, x - column_mean(x, mask), 0.0)
    d2 = dev * dev
    s3 = np.einsum("ij,ij->j", d2, dev)
    s4 = np.einsum("ij,ij->j", d2, d2)
    spread = column_max(x, mask) > column_min(x, mask)
    return _from_sums(n, dev.sum(axis=0), d2.sum(axis=0), s3, s4, spread)


def _from_sums(
    n: FloatArray,
    s1: FloatArray,
    s2: FloatArray,
    s3: FloatArray,
    s4: FloatArray,
    spread: BoolArray,
) -> tuple[FloatArray, FloatArray]:
    """e1071 type-2 skewness and excess kurtosis from power sums about a shift c.

    s_p = sum (x - c)^p; with c close to the mean (it starts as the mean) the central sums below
    lose nothing noticeable to cancellation.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = s1 / n
        m2 = s2 - n * delta**2
        m3 = s3 - 3 * delta * s2 + 2 * n * delta**3
        m4 = s4 - 4 * delta * s3 + 6 * delta**2 * s2 - 3 * n * delta**4
        g1 = np.sqrt(n) * m3 / m2**1.5
        skew = g1 * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * m4 / (m2 * m2)
        kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    skew = np.where(spread & (n >= 3), skew, np.nan)
    kurt = np.where(spread & (n >= 4), kurt, np.nan)
    return skew, kurt


def _fails(skew: FloatArray, kurt: FloatArray, skew_max: float, kurt_max: float) -> BoolArray:
    # NaN moments compare False: such columns pass.
    return (np.abs(skew) >= skew_max) & (kurt >= kurt_max)


def jrc(
    x: npt.ArrayLike,
    mask: npt.ArrayLike,
    skew_max: float = 2.0,
    kurt_max: float = 3.5,
    max_winsorised: int = 5,
    *,
    log: LogMethod = "log_ct",
    reference: npt.ArrayLike | None = None,
) -> TreatResult:
    """Apply the JRC outlier rule to every column at once (loops over steps, not columns).

    ``reference``: multiplicities of the rows whose values decide the treatment (a bootstrap
    resample; None = every row once). The rule runs on that sample; every row is then clipped
    to the bounds the sample's winsorisation reached (a side it did not touch stays open), or
    log-transformed with the sample's min and max (values outside them are first brought to
    them, or they would have no log).

    ``log``: ``log_ct`` (COINr's ``log_CT``, log(x - min + 0.01 (max - min))) or ``log_shift1``
    (log(x - min + 1)). A negatively skewed column is log-transformed as its mirror image,
    -log(max - x + c), which keeps the order of values.

    Winsorising only ever clips a column to [floor, cap], so the matrix is never rewritten
    during the steps: each step moves the cap (or floor) of the failing columns to the next
    value inward, and the power sums behind the moments are updated from the number of cells
    that moved, all of which held the old cap and now hold the new one.
    """
    xa, ma = check_matrix(x, mask)
    if max_winsorised < 0:
        raise ValueError(f"max_winsorised must be >= 0, got {max_winsorised}")
    if log not in ("log_ct", "log_shift1"):
        raise ValueError(f"unknown log method {log!r}")
    if reference is not None:
        return _jrc_from_sample(xa, ma, skew_max, kurt_max, max_winsorised, log, reference)
    n, k = xa.shape
    # Columns as contiguous rows: the steps gather whole columns of the failing indicators.
    by_column = np.where(ma.T, xa.T, np.nan)
    count = column_count(ma).astype(np.float64)
    centre = column_mean(xa, ma)
    dev = np.where(ma, xa - centre, 0.0)
    d2 = dev * dev
    sums = [dev.sum(axis=0), d2.sum(axis=0), np.einsum("ij,ij->j", d2, dev)]
    sums.append(np.einsum("ij,ij->j", d2, d2))
    del dev, d2
    cap = np.fmax.reduce(by_column, axis=1) if n else np.full(k, np.nan)
    floor = np.fmin.reduce(by_column, axis=1) if n else np.full(k, np.nan)
    skew, kurt = _from_sums(count, sums[0], sums[1], sums[2], sums[3], cap > floor)
    first_skew = skew
    failing = _fails(skew, kurt, skew_max, kurt_max)
    steps = np.zeros(k, dtype=np.int64)
    # Each tail walk only visits the few largest values of a column (smallest, for the low
    # tail), so the failing columns' tails are cut out once, in "oriented" form (negated for
    # the low tail, missing = -inf): their `tail_size` largest values, by partition.
    tail_size = min(n, 8 * (max_winsorised + 1))
    tails: dict[int, tuple[IntArray, FloatArray]] = {}
    for side in (1, -1):
        cols = np.nonzero(failing & (side * skew > 0))[0]
        position = np.full(k, -1, dtype=np.int64)
        position[cols] = np.arange(cols.size)
        tails[side] = (position, _largest(_oriented(by_column[cols], side), tail_size))
    for _ in range(max_winsorised):
        if not failing.any():
            break
        for side in (1, -1):  # the two tails, each over all its failing columns at once
            cols = np.nonzero(failing & (side * skew > 0))[0]
            if cols.size == 0:
                continue
            old = cap[cols] if side > 0 else floor[cols]
            position, tail = tails[side]
            at = position[cols]
            if tail.shape[0]:
                block = tail[np.maximum(at, 0)]
                # A cut-out tail answers exactly while it still holds a value inside the bound.
                exact = (at >= 0) & (block.min(axis=1, initial=np.inf) < side * old)
                inward, moved = _step_inward(block, side * old)
            else:
                exact = np.zeros(cols.size, dtype=np.bool_)
                inward, moved = np.empty(cols.size), np.empty(cols.size)
            redo = np.nonzero(~exact)[0]
            if redo.size:  # a tail ran out (long ties, or a skew that changed sign)
                full = _oriented(by_column[cols[redo]], side)
                inward[redo], moved[redo] = _step_inward(full, side * old[redo])
            if side > 0:
                new = np.maximum(inward, floor[cols])
                cap[cols] = new
            else:
                new = np.minimum(-inward, cap[cols])
                floor[cols] = new
            a = old - centre[cols]
            b = new - centre[cols]
            for p in range(4):  # the four power sums
                sums[p][cols] += moved * (b ** (p + 1) - a ** (p + 1))
        steps += failing
        skew, kurt = _from_sums(count, sums[0], sums[1], sums[2], sums[3], cap > floor)
        failing = _fails(skew, kurt, skew_max, kurt_max)
    logged = failing
    out = by_column.copy()
    winsorised = np.zeros((k, n), dtype=np.bool_)
    clipped = np.nonzero((steps > 0) & ~logged)[0]
    if clipped.size:
        rows = by_column[clipped]
        low, high = floor[clipped, None], cap[clipped, None]
        out[clipped] = np.clip(rows, low, high)
        winsorised[clipped] = (rows > high) | (rows < low)
    for mirrored in (False, True):
        to_log = np.nonzero(logged & ((first_skew < 0) == mirrored))[0]
        if to_log.size:
            out[to_log] = _log_transform(by_column[to_log], mirrored, log)
    out = out.T
    winsorised = winsorised.T
    n_winsorised = winsorised.sum(axis=0, dtype=np.int64)
    return TreatResult(
        x=out,
        winsorised=winsorised,
        n_winsorised=n_winsorised,
        steps=steps,
        logged=logged,
        treated=(n_winsorised > 0) | logged,
    )


def _jrc_from_sample(
    xa: FloatArray,
    ma: BoolArray,
    skew_max: float,
    kurt_max: float,
    max_winsorised: int,
    log: LogMethod,
    reference: npt.ArrayLike,
) -> TreatResult:
    """:func:`jrc` decided on a reference sample, applied to every row."""
    xr, mr = reference_sample(xa, ma, reference)
    sample = jrc(xr, mr, skew_max, kurt_max, max_winsorised, log=log)
    lo, hi = column_min(xr, mr), column_max(xr, mr)
    treated_lo = column_min(sample.x, mr)
    treated_hi = column_max(sample.x, mr)
    clipped = (sample.steps > 0) & ~sample.logged
    # The bounds winsorisation moved; a side it left alone stays open.
    floor = np.where(clipped & (treated_lo > lo), treated_lo, -np.inf)
    cap = np.where(clipped & (treated_hi < hi), treated_hi, np.inf)
    x = np.where(ma, xa, np.nan)
    out = np.where(clipped, np.clip(x, floor, cap), x)
    winsorised = ma & clipped & ((x > cap) | (x < floor))
    first_skew = skewness(xr, mr)
    for mirrored in (False, True):
        cols = np.flatnonzero(sample.logged & ((first_skew < 0) == mirrored))
        if cols.size:
            inside = np.clip(x[:, cols], lo[cols], hi[cols]).T
            out[:, cols] = _log_transform(inside, mirrored, log, lo[cols], hi[cols]).T
    n_winsorised = winsorised.sum(axis=0, dtype=np.int64)
    return TreatResult(
        x=out,
        winsorised=winsorised,
        n_winsorised=n_winsorised,
        steps=sample.steps,
        logged=sample.logged,
        treated=(n_winsorised > 0) | sample.logged,
    )


def _oriented(rows: FloatArray, side: int) -> FloatArray:
    """Rows (columns of x) turned so the tail to winsorise is the top; missing = -inf."""
    return np.where(np.isnan(rows), -np.inf, side * rows)


def _largest(rows: FloatArray, size: int) -> FloatArray:
    """The ``size`` largest values of each row, unordered."""
    if size >= rows.shape[1]:
        return rows
    return np.partition(rows, rows.shape[1] - size, axis=1)[:, -size:]


def _step_inward(rows: FloatArray, bound: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per row: the largest value below ``bound`` and how many values reach ``bound``."""
    inside = rows < bound[:, None]
    inward = np.where(inside, rows, -np.inf).max(axis=1, initial=-np.inf)
    moved = (rows >= bound[:, None]).sum(axis=1).astype(np.float64)
    return inward, moved


def _log_transform(
    rows: FloatArray,
    mirrored: bool,
    method: LogMethod,
    low: FloatArray | None = None,
    high: FloatArray | None = None,
) -> FloatArray:
    """Log of NaN-filled columns given as rows (NaN stays NaN); mirrored for negative skew.

    ``low``/``high`` (one per row): the range the shift is taken from (default: the rows')."""
    lo = (np.fmin.reduce(rows, axis=1) if low is None else low)[:, None]
    hi = (np.fmax.reduce(rows, axis=1) if high is None else high)[:, None]
    shift = 0.01 * (hi - lo) if method == "log_ct" else 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return -np.log(hi - rows + shift) if mirrored else np.log(rows - lo + shift)
