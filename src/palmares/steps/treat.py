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
    masked,
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
    m2 = d2.sum(axis=0)
    m3 = (d2 * dev).sum(axis=0)
    m4 = (d2 * d2).sum(axis=0)
    spread = column_max(x, mask) > column_min(x, mask)
    with np.errstate(invalid="ignore", divide="ignore"):
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
) -> TreatResult:
    """Apply the JRC outlier rule to every column at once (loops over steps, not columns).

    ``log``: ``log_ct`` (COINr's ``log_CT``, log(x - min + 0.01 (max - min))) or ``log_shift1``
    (log(x - min + 1)). A negatively skewed column is log-transformed as its mirror image,
    -log(max - x + c), which keeps the order of values.
    """
    xa, ma = check_matrix(x, mask)
    if max_winsorised < 0:
        raise ValueError(f"max_winsorised must be >= 0, got {max_winsorised}")
    if log not in ("log_ct", "log_shift1"):
        raise ValueError(f"unknown log method {log!r}")
    original = masked(xa, ma)
    work = original.copy()
    n, k = xa.shape
    winsorised = np.zeros((n, k), dtype=np.bool_)
    steps = np.zeros(k, dtype=np.int64)
    skew, kurt = _moments(work, ma)
    first_skew = skew
    failing = _fails(skew, kurt, skew_max, kurt_max)
    for _ in range(max_winsorised):
        if not failing.any():
            break
        high = failing & (skew > 0)
        low = failing & (skew < 0)
        top = column_max(work, ma)
        bottom = column_min(work, ma)
        at_top = ma & (work == top) & high
        at_bottom = ma & (work == bottom) & low
        next_top = np.max(work, axis=0, where=ma & ~at_top, initial=-np.inf)
        next_bottom = np.min(work, axis=0, where=ma & ~at_bottom, initial=np.inf)
        work = np.where(at_top, next_top, np.where(at_bottom, next_bottom, work))
        winsorised |= at_top | at_bottom
        steps += failing
        skew, kurt = _moments(work, ma)
        failing = _fails(skew, kurt, skew_max, kurt_max)
    logged = failing
    if logged.any():
        work = np.where(logged, _log_transform(original, ma, first_skew, log), work)
        winsorised &= ~logged
    n_winsorised = winsorised.sum(axis=0, dtype=np.int64)
    return TreatResult(
        x=np.where(ma, work, np.nan),
        winsorised=winsorised,
        n_winsorised=n_winsorised,
        steps=steps,
        logged=logged,
        treated=(n_winsorised > 0) | logged,
    )


def _log_transform(
    x: FloatArray, mask: BoolArray, skew: FloatArray, method: LogMethod
) -> FloatArray:
    lo = column_min(x, mask)
    hi = column_max(x, mask)
    shift = 0.01 * (hi - lo) if method == "log_ct" else np.ones_like(lo)
    with np.errstate(invalid="ignore", divide="ignore"):
        up = np.log(x - lo + shift)
        down = -np.log(hi - x + shift)
    return np.where(mask, np.where(skew < 0, down, up), np.nan)
