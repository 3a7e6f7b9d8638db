"""Weighting: fixed tables, equal weights, renormalisation over present children, best k of a set.

Weights are relative: aggregation divides by their sum, so 30/7.5/30/30/2.5 and
0.3/0.075/0.3/0.3/0.025 score the same. Per-institution weights (n, k) come out of
:func:`renormalise` and :func:`best_k` (and :func:`palmares.steps.impute.redistribute_weights`);
the aggregation functions take them with ``per_institution=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.steps import BoolArray, Columns, FloatArray, check_matrix, column_selector


def check_weights(weights: npt.ArrayLike, k: int) -> FloatArray:
    """Validate weights of shape (k,) or (d, k): finite and non-negative. Returns float64."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim not in (1, 2) or w.shape[-1] != k:
        raise ValueError(f"weights must have shape ({k},) or (d, {k}), got {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite")
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    return w


def fixed(table: Mapping[str, float], nodes: Sequence[str]) -> FloatArray:
    """The (k,) weights of ``nodes`` from a {node: weight} table; every node needs one."""
    missing = [node for node in nodes if node not in table]
    extra = sorted(set(table) - set(nodes))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"no weight for {', '.join(missing)}")
        if extra:
            parts.append(f"weight for unknown node(s) {', '.join(extra)}")
        raise ValueError("; ".join(parts))
    return check_weights([float(table[node]) for node in nodes], len(nodes))


def equal(k: int) -> FloatArray:
    """Equal weights 1/k for k children."""
    if k < 1:
        raise ValueError(f"equal weights need k >= 1, got {k}")
    return np.full(k, 1.0 / k)


def renormalise(weights: npt.ArrayLike, mask: npt.ArrayLike) -> FloatArray:
    """Per-institution weights over present children, summing to 1 in each row.

    weights (k,) -> (n, k); (d, k) -> (d, n, k). Missing children get 0; a row with no present
    child of positive weight has nothing to share and is NaN.
    """
    m = np.asarray(mask)
    if m.ndim != 2 or m.dtype != np.bool_:
        raise ValueError("mask must be a 2-D boolean array")
    w = check_weights(weights, m.shape[1])
    kept = w[..., None, :] * m
    total = kept.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, kept / total, np.nan)


def best_k(
    x: npt.ArrayLike,
    mask: npt.ArrayLike,
    weights: npt.ArrayLike,
    k: int,
    *,
    always: Columns | None = None,
) -> FloatArray:
    """Per-institution (n, k) weights keeping ``always`` nodes and the best ``k`` of the others.

    THE Impact: SDG 17 always counts, plus the three best other SDGs on their *scaled* scores
    (pass the scaled matrix). Missing values are never chosen; an institution with fewer than
    ``k`` present candidates keeps those it has. Equal values are chosen by column order (the
    score is the same whichever is kept). A node of weight 0 (an indicator left out) is never a
    candidate: it would take a place and count nothing. ``always`` nodes keep their weight
    even when missing (aggregation then decides what a missing child means). Weights off the
    chosen nodes are 0; nothing is renormalised.
    """
    xa, ma = check_matrix(x, mask)
    n, ncol = xa.shape
    w = check_weights(weights, ncol)
    if w.ndim != 1:
        raise ValueError("best_k takes one weight vector (k,)")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    fixed_nodes = (
        np.zeros(ncol, dtype=np.bool_) if always is None else column_selector(always, ncol)
    )
    candidate = ma & ~fixed_nodes & (w > 0)
    keys = np.where(candidate, -xa, np.inf)
    order = np.argsort(keys, axis=1, kind="stable")
    position = np.empty((n, ncol), dtype=np.int64)
    np.put_along_axis(position, order, np.broadcast_to(np.arange(ncol), (n, ncol)), axis=1)
    chosen = (candidate & (position < k)) | fixed_nodes
    return np.where(chosen, w, 0.0)


def best_k_per_draw(
    children: list[FloatArray], w: FloatArray, k: int, always: BoolArray
) -> tuple[list[FloatArray], list[npt.NDArray[np.int16]]]:
    """:func:`best_k` for a batch of draws: each draw's and institution's best ``k``
    candidates, values and child positions, best first. ``children`` (d, n) NaN where absent,
    weights (d, k).

    Candidates are the present children not ``always`` kept and of positive weight in the
    draw, ordered by value then by child order (a stable sort of -v); absent ones are never
    chosen (position -1, value -inf where fewer than k are present). An insertion into k
    sorted (d, n) arrays, child by child: a child enters after the equal values already in
    place, and everything below it moves down one place.
    """
    shape = children[0].shape
    top = [np.full(shape, -np.inf) for _ in range(k)]
    index = [np.full(shape, -1, dtype=np.int16) for _ in range(k)]
    for j, v in enumerate(children):
        if always[j]:
            continue
        x = np.fmax(v, -np.inf)  # absent (NaN) -> -inf: never above anything
        if (w[:, j] <= 0).any():  # a child left out of a draw is no candidate in it
            x = np.where(w[:, j, None] > 0, x, -np.inf)
        at: Any = np.int16(j)  # a scalar, then (d, n) positions once it moves
        moving: BoolArray | None = None
        # max / min move the values (a tie moves nothing visible); positions move by integer
        # arithmetic on the swap mask: both far cheaper than np.where on three arrays.
        for r in range(k):
            swap = x > top[r] if moving is None else moving | (x > top[r])
            shift = (at - index[r]) * swap
            if r == k - 1:  # what falls off the end is not needed
                np.maximum(top[r], x, out=top[r])
                index[r] += shift
                break
            higher = np.maximum(top[r], x)
            x = np.minimum(top[r], x)
            top[r] = higher
            index[r] += shift
            at = at - shift
            moving = swap
    return top, index


def chosen_per_draw(
    index: list[npt.NDArray[np.int16]], always: BoolArray, draws: int, n: int
) -> BoolArray:
    """(d, k, n) the children each draw keeps for each institution: the best ones (their
    positions ``index`` from :func:`best_k_per_draw`) and the ``always`` kept ones."""
    k = always.size
    chosen = np.zeros((draws, k, n), dtype=bool)
    chosen[:, always] = True
    for at in index:
        for j in range(k):
            chosen[:, j] |= at == j
    return chosen
