"""Imputation of missing values, and weight redistribution for nodes that do not apply.

:func:`impute` returns the filled matrix and a mask of the cells it filled, so the working can
show them; the new presence mask is ``mask | imputed``. A cell that cannot be imputed (its
column, or its group in the column, has no value at all) stays missing, so a second impute
step can complete it (e.g. ``group_mean`` then ``median``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares.steps import (
    BoolArray,
    FloatArray,
    check_matrix,
    column_mean,
    column_percentile,
    masked,
    per_column,
    reference_rows,
    reference_sample,
)

ImputeMethod = Literal["none", "mean", "median", "zero", "constant", "percentile", "group_mean"]


def impute(
    x: npt.ArrayLike,
    mask: npt.ArrayLike,
    method: ImputeMethod,
    *,
    q: float = 25.0,
    value: float | npt.ArrayLike | None = None,
    groups: npt.ArrayLike | None = None,
    reference: npt.ArrayLike | None = None,
) -> tuple[FloatArray, BoolArray]:
    """Fill missing cells column by column; return ``(x_filled, imputed_mask)``.

    Methods: ``none``; ``mean`` / ``median`` / ``percentile`` (``q``, THE's 25th; numpy's linear
    interpolation) of the column's present values; ``zero`` (THE Impact: missing = 0, marked as
    imputed); ``constant`` (``value``, a scalar or one per column); ``group_mean`` (mean of the
    column's present values in the institution's group, ``groups`` an (n,) array of labels;
    institutions without a label are not imputed). ``reference``: multiplicities of the rows
    whose values define the mean, median, percentile or group means (a bootstrap resample;
    None = every row once); every missing cell is still filled.
    """
    xa, ma = check_matrix(x, mask)
    n, k = xa.shape
    out = masked(xa, ma)
    xr, mr = reference_sample(xa, ma, reference)
    if method == "none":
        return out, np.zeros((n, k), dtype=np.bool_)
    if method == "zero":
        fill = np.zeros((n, k))
    elif method == "constant":
        if value is None:
            raise ValueError("impute method 'constant' needs a value")
        fill = np.broadcast_to(per_column(value, k, "value"), (n, k))
        if not np.isfinite(fill).all():
            raise ValueError("impute method 'constant' needs a finite value")
    elif method == "mean":
        fill = np.broadcast_to(column_mean(xr, mr), (n, k))
    elif method == "median":
        fill = np.broadcast_to(column_percentile(xr, mr, 50.0), (n, k))
    elif method == "percentile":
        fill = np.broadcast_to(column_percentile(xr, mr, q), (n, k))
    elif method == "group_mean":
        if groups is None:
            raise ValueError(
                "impute method 'group_mean' needs groups (an attribute per institution)"
            )
        fill = _group_means(xa, ma, groups, reference)
    else:
        raise ValueError(f"unknown impute method {method!r}")
    imputed = ~ma & np.isfinite(fill)
    return np.where(imputed, fill, out), imputed


def _group_means(
    x: FloatArray, mask: BoolArray, groups: npt.ArrayLike, reference: npt.ArrayLike | None = None
) -> FloatArray:
    """(n, k) array: each institution's group mean per column (NaN without group or values),
    over the reference sample's rows when given."""
    labels = np.asarray(groups, dtype=object)
    n, k = x.shape
    if labels.shape != (n,):
        raise ValueError(f"groups must have shape ({n},), got {labels.shape}")
    codes, uniques = pd.factorize(pd.Series(labels), use_na_sentinel=True)
    labelled = codes >= 0
    code = np.where(labelled, codes, 0)
    totals = np.zeros((len(uniques), k))
    counts = np.zeros((len(uniques), k))
    rows = slice(None) if reference is None else reference_rows(reference, n)
    present = (mask & labelled[:, None])[rows]
    np.add.at(totals, code[rows], np.where(present, x[rows], 0.0))
    np.add.at(counts, code[rows], present.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = totals / counts
    return np.where(labelled[:, None], means[code], np.nan)


def redistribute_weights(weights: npt.ArrayLike, applicable: npt.ArrayLike) -> FloatArray:
    """Per-institution weights (n, k) where nodes that do not apply give their weight away.

    ARWU: for a humanities specialist N&S does not apply, and its weight goes to the other
    indicators in proportion to their own weights, so each row keeps the total weight. A row
    where no node applies has no weights to share and gets NaN.
    """
    w = np.asarray(weights, dtype=np.float64)
    ap = np.asarray(applicable)
    if w.ndim != 1 or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be a (k,) array of finite non-negative numbers")
    if ap.dtype != np.bool_ or ap.ndim != 2 or ap.shape[1] != w.shape[0]:
        raise ValueError(f"applicable must be a boolean (n, {w.shape[0]}) array, got {ap.shape}")
    kept = np.where(ap, w, 0.0)
    kept_total = kept.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(kept_total > 0, w.sum() / kept_total, np.nan)
    return kept * factor
