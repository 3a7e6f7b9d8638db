"""Rescaling of final scores: top = 100, min-max to a range, affine with a floor.

Scores ``s`` are (n,) or (d, n) (one row per weight vector or draw); everything works along the
last axis. ``valid`` (same shape as ``s``, or (n,) for every row) marks the population the
scale is computed on, e.g. the overall-table institutions; NaN scores are never valid. Outputs
are NaN outside the valid entries.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from palmares.steps import BoolArray, FloatArray


def _prepare(s: npt.ArrayLike, valid: npt.ArrayLike) -> tuple[FloatArray, BoolArray]:
    sa = np.asarray(s, dtype=np.float64)
    va = np.asarray(valid)
    if sa.ndim not in (1, 2):
        raise ValueError(f"scores must be (n,) or (d, n), got shape {sa.shape}")
    if va.dtype != np.bool_:
        raise ValueError("valid must be a boolean array")
    try:
        va = np.broadcast_to(va, sa.shape)
    except ValueError:
        raise ValueError(f"valid shape {va.shape} does not fit scores shape {sa.shape}") from None
    return sa, va & np.isfinite(sa)


def _extremes(s: FloatArray, valid: BoolArray) -> tuple[FloatArray, FloatArray]:
    lo = np.min(s, axis=-1, where=valid, initial=np.inf, keepdims=True)
    hi = np.max(s, axis=-1, where=valid, initial=-np.inf, keepdims=True)
    return lo, hi


def top100(s: npt.ArrayLike, valid: npt.ArrayLike, top: float = 100.0) -> FloatArray:
    """s / max(s) * top (ARWU's total, THE Impact 2019): the best valid score becomes ``top``.

    Scores must be >= 0. If every valid score is 0 they all stay 0.
    """
    sa, va = _prepare(s, valid)
    if (va & (sa < 0)).any():
        raise ValueError("top100 rescaling needs non-negative scores")
    _, hi = _extremes(sa, va)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(hi > 0, sa / hi * top, 0.0)
    return np.where(va, out, np.nan)


def minmax(
    s: npt.ArrayLike, valid: npt.ArrayLike, lo: float = 0.0, hi: float = 100.0
) -> FloatArray:
    """Min-max to [lo, hi] along the last axis (THE Impact from 2022, QS's 1..100).

    If every valid score is equal they all get the middle of the range.
    """
    if not hi > lo:
        raise ValueError(f"minmax needs hi > lo, got [{lo}, {hi}]")
    sa, va = _prepare(s, valid)
    low, high = _extremes(sa, va)
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(span > 0, lo + (sa - low) / span * (hi - lo), (lo + hi) / 2.0)
    return np.where(va, out, np.nan)


def affine_floor(
    s: npt.ArrayLike, valid: npt.ArrayLike, floor: float, top: float = 100.0
) -> FloatArray:
    """top * (s - floor) / (max - floor), clipped at 0 (QS 2024: an unpublished floor L).

    ``floor`` is in the units of ``s``; the best valid score must exceed it. Scores below the
    floor get 0.
    """
    sa, va = _prepare(s, valid)
    _, high = _extremes(sa, va)
    if (va.any(axis=-1, keepdims=True) & (high <= floor)).any():
        raise ValueError(f"affine_floor needs the best score above the floor {floor}")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.clip(top * (sa - floor) / (high - floor), 0.0, None)
    return np.where(va, out, np.nan)
