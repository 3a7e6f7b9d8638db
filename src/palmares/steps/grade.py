"""Performance groups A..E by distance to the median (U-Multirank style).

The real U-Multirank cut-offs were not published (methodologies.md section 1.4), so thresholds
are configuration. Grades are int8 codes: 0 = A (best) ... len(thresholds) = E; -1 = no value
(U-Multirank shows no symbol and leaves the cell out of counts).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from palmares.steps import (
    Int8Array,
    check_direction,
    check_matrix,
    column_percentile,
    reference_sample,
)

#: Default relative deviations from the median: A >= +25 %, B >= +10 %, C >= -10 %, D >= -25 %.
DEFAULT_THRESHOLDS: tuple[float, ...] = (0.25, 0.10, -0.10, -0.25)
GRADE_LETTERS: tuple[str, ...] = ("A", "B", "C", "D", "E")
MISSING_GRADE = -1

#: Deviations are snapped to this many decimals before comparing, so that 110 against a median
#: of 100 is exactly +10 % rather than 0.10000000000000009.
_SNAP_DECIMALS = 12


def median_distance(
    x: npt.ArrayLike,
    mask: npt.ArrayLike,
    direction: npt.ArrayLike,
    thresholds: npt.ArrayLike = DEFAULT_THRESHOLDS,
    *,
    reference: npt.ArrayLike | None = None,
) -> Int8Array:
    """Grade each value by its relative deviation from its column's median.

    deviation = direction * (x - median) / |median|; the grade is the number of thresholds the
    deviation falls below, so with the defaults A if >= +0.25, B if >= +0.10, C if >= -0.10,
    D if >= -0.25, else E. ``thresholds`` is strictly descending, shape (t,) for every node or
    (k, t) per node. A zero median makes any deviation infinite: values at the median get the
    grade containing 0 (C by default), others the extreme grade on their side. A single
    institution, or a constant column, is all at the median. ``reference``: multiplicities of
    the rows whose median counts (a bootstrap resample; None = every row once).
    """
    xa, ma = check_matrix(x, mask)
    k = xa.shape[1]
    d = check_direction(direction, k)
    thr = np.asarray(thresholds, dtype=np.float64)
    if thr.ndim == 1:
        thr = np.broadcast_to(thr, (k, thr.shape[0]))
    if thr.ndim != 2 or thr.shape[0] != k or thr.shape[1] == 0:
        raise ValueError(f"thresholds must have shape (t,) or ({k}, t), got {thr.shape}")
    if not np.isfinite(thr).all() or (np.diff(thr, axis=1) >= 0).any():
        raise ValueError("grade thresholds must be finite and strictly descending")
    if thr.shape[1] > 126:
        raise ValueError("at most 126 grade thresholds fit int8 codes")
    median = column_percentile(*reference_sample(xa, ma, reference), 50.0)
    diff = d * (xa - median)
    # A tiny median can overflow the quotient to +/-inf, which is the right limit.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        deviation = np.where(diff == 0, 0.0, diff / np.abs(median))
        small = np.abs(deviation) < 1e3
        deviation = np.where(
            small, np.round(np.where(small, deviation, 0.0), _SNAP_DECIMALS), deviation
        )
    with np.errstate(invalid="ignore"):
        below = (deviation[:, :, None] < thr[None, :, :]).sum(axis=2)
    return np.where(ma, below, MISSING_GRADE).astype(np.int8)
