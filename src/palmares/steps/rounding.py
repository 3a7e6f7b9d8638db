"""Rounding to the published precision: half-up after snapping to 12 significant digits.

Published scores are decimal numbers; binary floats are not. 3.35 computed as 3.3499999999999996
must still print as 3.35, and 0.125 to two decimals must give 0.13 (Python's ``round`` rounds
half to even). :func:`round_half_up` returns exactly
``float(Decimal(f"{x:.12g}").quantize(Decimal(10) ** -decimals, ROUND_HALF_UP))`` for every
finite x with |x| < 1e33, vectorised with exact float arithmetic (no Decimal per element):

1. the 12-significant-digit mantissa N of |x| (the ``.12g`` step, round half to even on the exact
   binary value) is found with an error-free product (Dekker's TwoProduct) for |x| < 1e12 and an
   exact ``fmod`` remainder above, so ties are decided exactly;
2. N is rounded half-up (away from zero for negatives) to ``decimals`` places in int64 and
   divided by 10**decimals once, which gives the correctly rounded float of the decimal result.

NaN and infinities pass through; a result of zero is +0.0 (never "-0.0").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from palmares.steps import FloatArray, IntArray

MAX_DECIMALS = 10
#: Largest magnitude handled exactly (10**(e - 11) must be an exact double, e <= 32).
LIMIT = 1e33
SIGNIFICANT_DIGITS = 12

_POW10 = np.array([float(10**i) for i in range(23)])
_IPOW10 = np.array([10**i for i in range(19)], dtype=np.int64)
_SPLITTER = 134217729.0  # 2**27 + 1, Dekker's split of a double into two 26-bit halves
_LOW = 1e11  # 12-digit mantissas lie in [1e11, 1e12]
_HIGH = 1e12


def _split(v: FloatArray) -> tuple[FloatArray, FloatArray]:
    c = _SPLITTER * v
    big = c - (c - v)
    return big, v - big


def _product_error(a: FloatArray, b: FloatArray, product: FloatArray) -> FloatArray:
    """The exact rounding error of ``product = fl(a * b)`` (Dekker's TwoProduct)."""
    ah, al = _split(a)
    bh, bl = _split(b)
    return ((ah * bh - product) + ah * bl + al * bh) + al * bl


def _mantissa(a: FloatArray, e: IntArray) -> FloatArray:
    """round_half_even(a * 10**(11 - e)) computed exactly, as a float holding an integer."""
    k = 11 - e
    up = k >= 0
    scale = _POW10[np.clip(np.abs(k), 0, 22)]
    # |x| < 1e12: multiply by an exact power of ten and decide the tie on the exact product.
    hi = a * scale
    lo = _product_error(a, scale, hi)
    base = np.floor(hi)
    t = ((hi - base) - 0.5) + lo  # the sign of a sum of two doubles is exact
    from_product = base + (t > 0) + ((t == 0) & (np.fmod(base, 2.0) == 1.0))
    # |x| >= 1e12: divide by an exact power of ten; fmod gives the exact remainder.
    with np.errstate(invalid="ignore", divide="ignore"):
        rem = np.fmod(a, scale)
        q = np.rint((a - rem) / scale)
    half = scale / 2.0
    from_quotient = q + (rem > half) + ((rem == half) & (np.fmod(q, 2.0) == 1.0))
    return np.where(up, from_product, from_quotient)


def round_half_up(x: npt.ArrayLike, decimals: int | npt.ArrayLike) -> FloatArray:
    """Round half-up to ``decimals`` places (0..10, a scalar or broadcastable array).

    Values far from a rounding boundary take a plain ``floor(|x| 10**d + 0.5)``: snapping to
    12 significant digits moves them less than their distance to the boundary, so the result is
    the same. Only values near a boundary take the exact path below.
    Raises ValueError for |x| >= 1e33 or decimals outside 0..10.
    """
    xa = np.asarray(x, dtype=np.float64)
    if np.ndim(decimals) == 0 and isinstance(decimals, (int, np.integer)):
        d = int(decimals)
        if 0 <= d <= MAX_DECIMALS and xa.size:
            return _round_screened(xa, d)
    return _round_exact(xa, decimals)


def _round_screened(xa: FloatArray, d: int) -> FloatArray:
    finite = np.isfinite(xa)
    a = np.where(finite, np.abs(xa), 0.0)
    if (a >= LIMIT).any():
        raise ValueError(f"round_half_up handles |x| < {LIMIT:g} only")
    y = a * _POW10[d]
    base = np.floor(y)
    distance = np.abs((y - base) - 0.5)
    # The 12-digit snap moves |x| by at most 0.5 10**(e - 11), i.e. 0.5 10**(e - 11 + d) in
    # units of y; with the float error of y itself, a margin of 1e-10 y + 1e-15 covers both.
    safe = (distance > 1e-10 * y + 1e-15) & (y < 2.0**52)
    fast = (base + (y - base > 0.5)) / _POW10[d]
    out = np.where(finite, np.sign(xa) * fast, xa)
    out = np.where(out == 0, 0.0, out)
    if safe.all():
        return out
    unsafe = ~safe & finite
    if unsafe.any():
        out[unsafe] = _round_exact(xa[unsafe], d)
    return out


def _round_exact(x: npt.ArrayLike, decimals: int | npt.ArrayLike) -> FloatArray:
    xa = np.asarray(x, dtype=np.float64)
    dec = np.asarray(decimals)
    if not np.issubdtype(dec.dtype, np.integer):
        raise ValueError(f"decimals must be integers, got dtype {dec.dtype}")
    if ((dec < 0) | (dec > MAX_DECIMALS)).any():
        raise ValueError(f"decimals must lie in 0..{MAX_DECIMALS}")
    xa, dec = np.broadcast_arrays(xa, dec.astype(np.int64))
    finite = np.isfinite(xa)
    a = np.where(finite, np.abs(xa), 0.0)
    if (a >= LIMIT).any():
        raise ValueError(f"round_half_up handles |x| < {LIMIT:g} only")
    with np.errstate(divide="ignore"):
        e = np.floor(np.log10(np.where(a > 0, a, 1.0))).astype(np.int64)
    # Anything below 10**-(decimals + 1) rounds to 0; skip it so every power of ten is exact.
    live = (a > 0) & (e >= -(dec + 1))
    a_live = np.where(live, a, 1.0)
    e = np.where(live, e, 0)
    mantissa = _mantissa(a_live, e)
    # log10 can be one off next to a power of ten; one correction settles the exponent.
    e = e + (mantissa > _HIGH) - (mantissa < _LOW)
    mantissa = _mantissa(a_live, e)
    carry = mantissa == _HIGH
    mantissa = np.where(carry, _LOW, mantissa)
    e = e + carry
    live &= e >= -(dec + 1)

    n_int = np.where(live, mantissa, 0.0).astype(np.int64)
    drop = 11 - e - dec  # digits of the mantissa below the requested precision
    step = _IPOW10[np.clip(drop, 0, 18)]
    quantised = (n_int + step // 2) // step  # half-up on magnitudes (step is even when > 1)
    coarse = quantised / _POW10[dec]
    exponent = e - 11
    fine = np.where(
        exponent >= 0,
        n_int * _POW10[np.clip(exponent, 0, 22)],
        n_int / _POW10[np.clip(-exponent, 0, 22)],
    )
    magnitude = np.where(drop > 0, coarse, fine)
    value = np.where(live, np.sign(xa) * magnitude, 0.0)
    value = np.where(value == 0, 0.0, value)
    return np.where(finite, value, xa)


def round_units(s: FloatArray, decimals: int) -> FloatArray:
    """Half-up rounding of ``s`` to ``decimals`` places, in units of 10^-decimals (integers).

    Equal to ``round_half_up(s, decimals) * 10**decimals``: away from a half (relative distance
    > 1e-9, far beyond round_half_up's 12-significant-digit snap) floor(y + 0.5) of
    y = s 10^decimals is that integer; the few values near a half go through the exact routine.
    Ranks on the units are the ranks on the rounded scores (the replay ranks them by counting).
    """
    scale = 10.0**decimals
    y = s * scale
    t = y + 0.5
    units = np.floor(t)
    t -= units  # y + 0.5 - units, the same operations in place
    with np.errstate(invalid="ignore"):
        top = max(abs(float(np.nanmax(y, initial=0.0))), abs(float(np.nanmin(y, initial=0.0))))
        tol = 1e-9 * max(1.0, top)
        near = t < tol
        near |= t > 1.0 - tol
    if near.any():
        units[near] = np.rint(round_half_up(s[near], decimals) * scale)
    return units


def round_half_up_fast(s: FloatArray, decimals: int) -> FloatArray:
    """:func:`round_half_up` through :func:`round_units` (the exact routine only near halves):
    the same values, fewer arrays on a batch of draws."""
    out = round_units(s, decimals) / 10.0**decimals
    return np.where(out == 0, 0.0, out)
