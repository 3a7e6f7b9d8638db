"""Normalisation: put every column on a common, direction-aware scale (higher is better after).

Every function takes ``(x, mask, direction, ...)`` and returns an (n, k) float64 array with NaN
where the mask is False. Formulas follow COINr ``R/normalise.R`` (methodologies.md section 8.2)
unless stated. Degenerate columns give documented values, never errors: an all-missing column
stays NaN; a constant column or a single institution is covered on each function.

``reference`` (keyword, every function): multiplicities of the rows whose values define the
statistics (min, max, mean, sd, ranks), a bootstrap resample of the population; every row is
still normalised with them. None (default) is every row once; all ones gives the same result.
A value outside the sample's range may then map outside the scale (min-max below ``lo``,
percentile ranks above ``scale``); points by quantiles are capped at ``max_points``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from palmares.steps import (
    FloatArray,
    centred,
    check_direction,
    check_matrix,
    column_count,
    column_max,
    column_min,
    competition_rank_worst_first,
    count_below,
    per_column,
    reference_sample,
)

#: Any array-like input, and a bootstrap's multiplicities (None: every row once).
Arr = npt.ArrayLike
Ref = npt.ArrayLike | None


def _prepare(
    x: npt.ArrayLike, mask: npt.ArrayLike, direction: npt.ArrayLike
) -> tuple[FloatArray, npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    xa, ma = check_matrix(x, mask)
    return xa, ma, check_direction(direction, xa.shape[1])


def minmax(
    x: Arr,
    mask: Arr,
    direction: Arr,
    lo: float = 0.0,
    hi: float = 100.0,
    *,
    constant: float | None = None,
    reference: Ref = None,
) -> FloatArray:
    """Min-max to [lo, hi]: the best value maps to ``hi``, the worst to ``lo``.

    A constant column (or a single institution) has no range: its values map to ``constant``,
    by default the middle of the range (COINr returns NaN; pass ``constant=nan`` for that).
    """
    xa, ma, d = _prepare(x, mask, direction)
    if not hi > lo:
        raise ValueError(f"minmax needs hi > lo, got [{lo}, {hi}]")
    xr, mr = reference_sample(xa, ma, reference)
    low = column_min(xr, mr)
    high = column_max(xr, mr)
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(d > 0, xa - low, high - xa) / span
    fill = (lo + hi) / 2.0 if constant is None else constant
    scaled = np.where(span > 0, lo + unit * (hi - lo), fill)
    return np.where(ma, scaled, np.nan)


def zscore(
    x: Arr, mask: Arr, direction: Arr, mean: float = 0, sd: float = 1, *, reference: Ref = None
) -> FloatArray:
    """Standardise with the sample sd (ddof = 1), then ``* sd + mean``; lower-better flips sign.

    A column with zero spread, or a single value, puts every present value at ``mean``.
    """
    xa, ma, d = _prepare(x, mask, direction)
    if reference is None:
        _, dev, spread = centred(xa, ma)
    else:  # the sample's mean and sd, every row's deviation from that mean
        centre, _, spread = centred(*reference_sample(xa, ma, reference))
        dev = np.where(ma, xa - centre, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(spread > 0, d * sd / spread, 0.0)
    return np.where(ma, dev * factor + mean, np.nan)


def zcdf(
    x: Arr, mask: Arr, direction: Arr, scale: float = 100.0, *, reference: Ref = None
) -> FloatArray:
    """z-score, then the standard normal CDF, times ``scale`` (QS). Constant column: scale / 2."""
    from scipy.special import ndtr  # only the methodologies that use it pay its import

    z = zscore(x, mask, direction, reference=reference)
    return np.asarray(ndtr(z) * scale)


def percent_of_best(
    x: Arr, mask: Arr, direction: Arr, scale: float = 100.0, *, reference: Ref = None
) -> FloatArray:
    """Percent of the best value (ARWU): x / max for higher-better, min / x for lower-better.

    Needs x >= 0; raises ValueError on a negative present value. An
    all-zero higher-better column gives 0 to everyone (nobody scored). In a lower-better column
    whose best is 0, the zeros get ``scale`` and every other value 0.
    """
    xa, ma, d = _prepare(x, mask, direction)
    higher = d > 0
    negative = ma & (xa < 0)
    if negative.any():
        columns = np.unique(np.nonzero(negative)[1]).tolist()
        raise ValueError(
            f"percent_of_best needs non-negative values; negative in columns {columns}"
        )
    xr, mr = reference_sample(xa, ma, reference)
    best = np.where(higher, column_max(xr, mr), column_min(xr, mr))
    # Both branches are computed; the one a column uses is a ratio <= 1 and cannot overflow.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        up = np.where(best > 0, xa / best, 0.0)
        down = np.where(xa > 0, best / xa, 1.0)
    return np.where(ma, np.where(higher, up, down) * scale, np.nan)


def rank(x: Arr, mask: Arr, direction: Arr, *, reference: Ref = None) -> FloatArray:
    """Competition rank within each column, 1 = best, ties share the best rank ("1224")."""
    xa, ma, d = _prepare(x, mask, direction)
    if reference is not None:  # 1 + the sample's values strictly better
        xr, mr = reference_sample(xa, ma, reference)
        return count_below(-(d * xa), ma, -(d * xr), mr) + 1.0
    # Ranking the negated goodness worst-first counts the values strictly better.
    return competition_rank_worst_first(-(d * xa), ma)


def goalposts(
    x: Arr,
    mask: Arr,
    direction: Arr,
    low: Arr,
    high: Arr,
    scale: float = 100.0,
    **_statistics: object,
) -> FloatArray:
    """Fixed goalposts (HDI style): (x - low) / (high - low) clipped to [0, 1], times ``scale``.

    Lower-better columns use (high - x) / (high - low). Needs high > low for every column.
    No statistic: a ``reference`` (any keyword) changes nothing.
    """
    xa, ma, d = _prepare(x, mask, direction)
    k = xa.shape[1]
    lo = per_column(low, k, "low")
    hi = per_column(high, k, "high")
    if not (hi > lo).all():
        raise ValueError("goalposts need high > low for every node")
    unit = np.where(d > 0, xa - lo, hi - xa) / (hi - lo)
    return np.where(ma, np.clip(unit, 0.0, 1.0) * scale, np.nan)


def percentile_rank(
    x: Arr, mask: Arr, direction: Arr, scale: float = 100.0, *, reference: Ref = None
) -> FloatArray:
    """Share of the other present values strictly worse, times ``scale``.

    COINr's (rank - 1) / (n - 1) with ``ties = "min"``. Ties share the lower value, so a column
    of ties is all 0; a single institution (no others) also gets 0.
    """
    xa, ma, d = _prepare(x, mask, direction)
    below, others = _below(xa, ma, d, reference)
    others = others - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(others > 0, below / np.maximum(others, 1), 0.0)
    return np.where(ma, share * scale, np.nan)


def distance_to_target(
    x: Arr,
    mask: Arr,
    direction: Arr,
    target: Arr,
    scale: float = 100.0,
    *,
    reference: Ref = None,
) -> FloatArray:
    """Progress from the worst value towards a per-node ``target``, capped at the target.

    Higher-better: (x - min) / (target - min); lower-better: (max - x) / (max - target); values
    at or beyond the target get ``scale``. A column whose worst value already meets the target
    is all ``scale``.
    """
    xa, ma, d = _prepare(x, mask, direction)
    t = per_column(target, xa.shape[1], "target")
    xr, mr = reference_sample(xa, ma, reference)
    low = column_min(xr, mr)
    high = column_max(xr, mr)
    reached = np.where(d > 0, xa >= t, xa <= t)
    # Cells at or beyond the target never use the quotient, whatever it gives.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        progress = np.where(d > 0, (xa - low) / (t - low), (high - xa) / (high - t))
    share = np.where(reached, 1.0, np.clip(progress, 0.0, 1.0))
    return np.where(ma, share * scale, np.nan)


def points_by_thresholds(
    x: Arr, mask: Arr, direction: Arr, thresholds: Arr, *, reference: Ref = None
) -> FloatArray:
    """Points = number of a node's thresholds passed, on a 0..t scale (no statistic:
    ``reference`` changes nothing).

    ``thresholds`` is (k, t), each row ascending and NaN-padded at the end (nodes may have fewer
    thresholds). Higher-better: a value passes a threshold when x >= it; lower-better when
    x <= it. Boundaries are inclusive.
    """
    xa, ma, d = _prepare(x, mask, direction)
    k = xa.shape[1]
    thr = np.asarray(thresholds, dtype=np.float64)
    if thr.ndim != 2 or thr.shape[0] != k:
        raise ValueError(f"thresholds must be a (k={k}, t) array, got shape {thr.shape}")
    given = ~np.isnan(thr)
    if (given[:, 1:] & ~given[:, :-1]).any():
        raise ValueError("thresholds must be NaN-padded at the end of each row only")
    if (given[:, 1:] & (np.diff(thr, axis=1) <= 0)).any() or np.isinf(thr).any():
        raise ValueError("thresholds must be finite and strictly ascending per node")
    xv = xa[:, :, None]
    t = thr[None, :, :]
    with np.errstate(invalid="ignore"):
        passed = np.where(d[None, :, None] > 0, xv >= t, xv <= t) & given[None, :, :]
    points = passed.sum(axis=2).astype(np.float64)
    return np.where(ma, points, np.nan)


def points_by_quantiles(
    x: Arr, mask: Arr, direction: Arr, max_points: int = 5, *, reference: Ref = None
) -> FloatArray:
    """Points 0..max_points from ``max_points + 1`` equal-count classes within each column.

    An institution with r present values strictly worse than it, among m present, gets
    floor(r (max_points + 1) / m) points, so ties share a class (the lower one): a column of
    ties, or a single institution, is all 0.
    """
    xa, ma, d = _prepare(x, mask, direction)
    if max_points < 1:
        raise ValueError(f"max_points must be >= 1, got {max_points}")
    below, count = _below(xa, ma, d, reference)
    m = np.maximum(count, 1)
    r = np.where(ma, below, 0.0).astype(np.int64)
    # Only a value above the whole reference sample could pass max_points.
    points = np.minimum((r * (max_points + 1)) // m, max_points)
    return np.where(ma, points.astype(np.float64), np.nan)


def _below(
    xa: FloatArray,
    ma: npt.NDArray[np.bool_],
    d: npt.NDArray[np.int64],
    reference: npt.ArrayLike | None,
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Per column: the values strictly worse than each (NaN where absent), and how many values
    the population (the reference sample) has."""
    if reference is None:
        return competition_rank_worst_first(d * xa, ma) - 1.0, column_count(ma)
    xr, mr = reference_sample(xa, ma, reference)
    return count_below(d * xa, ma, d * xr, mr), column_count(mr)
