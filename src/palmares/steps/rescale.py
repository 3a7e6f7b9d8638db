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


def top100(s: npt.ArrayLike, valid: npt.ArrayLike | None = None, top: float = 100.0) -> FloatArray:
    """s / max(s) * top (ARWU's total, THE Impact 2019): the best valid score becomes ``top``.

    Only the maximum is set (methodologies.md, section 3.2): scores below 0 (after a z-score)
    stay negative, in (-inf, top]. The best valid score must be above 0 (a ValueError naming
    each draw where it is not); if every valid score is 0 they all stay 0 (nothing to scale).
    A draw with no valid score is all NaN. ``valid`` None: every score that is not NaN (then a
    batch with no NaN takes one division and one product).
    """
    if valid is None:
        sa = np.asarray(s, dtype=np.float64)
        if not np.isnan(sa).any():
            hi = sa.max(axis=-1, keepdims=True)
            if (hi > 0).all() and np.isfinite(hi).all():
                out = np.divide(sa, hi)
                out *= top  # s / hi * top, the same operations, one array
                return out
        valid = ~np.isnan(sa)
    sa, va = _prepare(s, valid)
    lo, hi = _extremes(sa, va)
    present = va.any(axis=-1, keepdims=True)
    all_zero = (hi == 0) & (lo == 0)
    bad = (present & (hi <= 0) & ~all_zero).reshape(-1)
    if bad.any():
        best = hi.reshape(-1)
        where = [
            f"{best[k]:g}" if sa.ndim == 1 else f"{best[k]:g} in draw {k}"
            for k in np.flatnonzero(bad)
        ]
        raise ValueError(
            "top100 rescaling needs a best score above 0 (s / max * 100), got a best of "
            + ", ".join(where)
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(hi > 0, sa / hi * top, 0.0)
    return np.where(va, out, np.nan)


def minmax(
    s: npt.ArrayLike, valid: npt.ArrayLike, lo: float = 0.0, hi: float = 100.0
) -> FloatArray:
    """Min-max to [lo, hi] along the last axis (THE Impact from 2022, QS's 1..100).

    ``valid`` is (n,) (the same population for every row) or the shape of ``s``. If every valid
    score is equal they all get the middle of the range. Plain NaN-skipping reductions, no
    three-array selections (several times faster on a batch of draws).
    """
    if not hi > lo:
        raise ValueError(f"minmax needs hi > lo, got [{lo}, {hi}]")
    sa = np.asarray(s, dtype=np.float64)
    va = np.asarray(valid)
    if va.dtype != np.bool_:
        raise ValueError("valid must be a boolean array")
    if sa.ndim not in (1, 2) or va.shape not in (sa.shape, sa.shape[-1:]):
        raise ValueError(f"valid shape {va.shape} does not fit scores shape {sa.shape}")
    if va.shape == sa.shape:
        ignored = np.where(va, sa, np.nan)
    else:  # NaN: outside the population, or no score
        ignored = sa.copy()
        ignored[..., ~va] = np.nan
    if np.isinf(ignored).any():
        ignored[np.isinf(ignored)] = np.nan  # never valid
    low = np.fmin.reduce(ignored, axis=-1, keepdims=True)  # fmin skips NaN; all NaN -> NaN
    high = np.fmax.reduce(ignored, axis=-1, keepdims=True)
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        out = lo + (ignored - low) / span * (hi - lo)  # NaN stays NaN
    flat = ~(span > 0)  # every valid score equal (or none): the middle of the range
    if flat.any():
        out = np.where(flat & ~np.isnan(ignored), (lo + hi) / 2.0, out)
    return out


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
