"""Exact placement tools: give an institution chosen points or grades, and fix others' totals.

Both rest on two facts about the presets. A quantile-points criterion gives a school with r of
m schools strictly below it ``floor(r (P + 1) / m)`` points, so a value placed between two
known values gets known points. And exchanging two other schools' values on one criterion
leaves the column's values (so every third school's points) unchanged while it exchanges the
two schools' points: swaps move points between schools without touching anyone else.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from palmares.demo.seeds.edition import Edition

FloatArray = npt.NDArray[np.float64]


class TargetError(RuntimeError):
    """A seed target that the construction could not meet (a bug, never a silent miss)."""


def value_for_points(others: FloatArray, points: int, max_points: int, decimals: int) -> float:
    """A value that scores ``points`` of ``max_points`` among ``others`` (NaN-free) plus itself."""
    v = np.sort(others)
    m = len(v) + 1
    lo = math.ceil(points * m / (max_points + 1))
    hi = math.ceil((points + 1) * m / (max_points + 1)) - 1
    if points == max_points:
        hi = m - 1
    if lo > hi:
        raise TargetError(f"no rank gives {points} points of {max_points} among {m}")
    middle = (lo + hi) // 2
    for r in sorted(range(lo, hi + 1), key=lambda r: abs(r - middle)):
        if r == len(v):
            return float(round(v[-1] + max(abs(v[-1]) * 0.02, 10.0**-decimals), decimals))
        if r > 0 and v[r - 1] == v[r]:
            continue  # no value has exactly r others strictly below it here
        if r > 0:
            between = round((v[r - 1] + v[r]) / 2, decimals)
            if v[r - 1] < between < v[r]:
                return float(between)
        return float(v[r])  # equal to the next value: r others are still strictly below
    raise TargetError(f"no value scores {points} points of {max_points} here")


def set_points(
    edition: Edition, institution: str, leaf: str, points: int, max_points: int, decimals: int
) -> None:
    j = edition.col(leaf)
    i = edition.row(institution)
    column = np.delete(edition.values[:, j], i)
    value = value_for_points(column[~np.isnan(column)], points, max_points, decimals)
    edition.set(institution, leaf, value)


def attainable(others: FloatArray, max_points: int) -> list[int]:
    """The points a new value can score among ``others`` (ties make some classes unreachable)."""
    v = np.sort(others)
    m = len(v) + 1
    r = np.arange(m)
    first = np.ones(m, dtype=bool)
    first[1 : len(v)] = v[:-1] < v[1:]
    return sorted({int(x) for x in (r[first] * (max_points + 1)) // m})


def shaped(total: int, maxima: list[int], preference: list[float]) -> list[float]:
    """Real-valued points shaped like ``preference`` x max that sum to ``total``."""
    pref = np.asarray(preference, dtype=float)
    top = np.asarray(maxima, dtype=float)
    lo, hi = 0.0, 1e6
    for _ in range(100):
        f = (lo + hi) / 2
        if np.minimum(f * pref * top, top).sum() < total:
            lo = f
        else:
            hi = f
    return [float(x) for x in np.minimum(hi * pref * top, top)]


def distribute(total: int, options: list[list[int]], targets: list[float]) -> list[int]:
    """Points per criterion, each among its ``options``, summing exactly to ``total`` and
    closest to ``targets`` (least squares; a small dynamic programme over partial sums)."""
    best: dict[int, tuple[float, tuple[int, ...]]] = {0: (0.0, ())}
    for opts, target in zip(options, targets, strict=True):
        nxt: dict[int, tuple[float, tuple[int, ...]]] = {}
        for s, (cost, picks) in best.items():
            for p in opts:
                key, c = s + p, cost + (p - target) ** 2
                if key <= total and (key not in nxt or c < nxt[key][0]):
                    nxt[key] = (c, (*picks, p))
        best = nxt
    if total not in best:
        raise TargetError(f"{total} points cannot be spread over {options}")
    return list(best[total][1])


def _side(t: FloatArray, s: float) -> FloatArray:
    return np.sign(t - s)


def settle_totals(
    points: FloatArray,
    score: float,
    above: int,
    equal: int,
    below_only: npt.NDArray[np.bool_],
    *,
    bounds: Sequence[float] = (),
    window: Callable[[FloatArray], tuple[float, float] | None] | None = None,
    exact: Mapping[float, int] | None = None,
    max_steps: int = 400,
) -> list[tuple[int, int, int]]:
    """Swaps ``(x, y, criterion)`` between other schools after which exactly ``above`` of them
    total more than ``score``, ``equal`` total exactly ``score``, and none of ``below_only``
    reaches it. ``points`` is others x criteria (NaN = no value, never swapped). A swap never
    moves the partner across ``score``, a group bound of ``bounds`` or onto or off a level of
    ``exact``; once the counts hold, ``window(totals)`` may name a range of totals that needs one
    more school (groups), and ``exact`` gives how many schools total exactly some lower levels."""
    levels = dict(exact or {})
    q = points.copy()
    cuts = np.asarray(sorted(bounds), dtype=float)
    swaps: list[tuple[int, int, int]] = []
    for _ in range(max_steps):
        t = np.nansum(q, axis=1)
        side = _side(t, score)
        n_above, n_equal = int((side > 0).sum()), int((side == 0).sum())
        stray = np.flatnonzero(below_only & (side >= 0))
        settled = n_above == above and n_equal == equal and not len(stray)
        extra = window(t) if settled and window is not None else None
        level = None
        if settled and extra is None:
            level = next((v for v, n in levels.items() if int((t == v).sum()) != n), None)
            if level is None:
                return swaps
        if level is not None:
            at_level = np.flatnonzero(t == level)
            if len(at_level) > levels[level]:
                mover, want = int(at_level[0]), 3
            else:
                free = (t < level) & ~np.isin(t, list(levels))
                cands = np.flatnonzero(free)
                mover, want = int(cands[np.argmax(t[cands])]), 4
        elif extra is not None:
            lo_w, hi_w = extra
            cands = np.flatnonzero((t < lo_w) & ~below_only)
            mover, want = int(cands[np.argmax(t[cands])]), 2
        elif len(stray):
            mover, want = int(stray[0]), -1
        elif n_above > above:
            cands = np.flatnonzero((side > 0) & ~below_only)
            mover = int(cands[np.argmin(t[cands])])
            want = 0 if n_equal < equal else -1
        elif n_above < above:
            cands = np.flatnonzero((side <= 0) & ~below_only)
            mover = int(cands[np.argmax(t[cands])])
            want = 1
        elif n_equal > equal:
            cands = np.flatnonzero(side == 0)
            mover = int(cands[0])
            want = -1
        else:
            cands = np.flatnonzero((side < 0) & ~below_only)
            mover = int(cands[np.argmax(t[cands])])
            want = 0
        # d[y, j]: points the mover gives y by swapping criterion j (negative: receives)
        d = q[mover][None, :] - q
        new_mover = t[mover] - d
        new_other = t[:, None] + d
        group = np.searchsorted(cuts, t, side="right")
        if want == 2:
            ok_mover = (new_mover >= lo_w) & (new_mover <= hi_w)
        elif want == 3:  # off its level, still below the score and in its group
            ok_mover = (new_mover < score) & ~np.isin(new_mover, list(levels))
            ok_mover &= np.searchsorted(cuts, new_mover, side="right") == group[mover]
        elif want == 4:
            ok_mover = new_mover == level
        elif want == 0:
            ok_mover = new_mover == score
        else:
            ok_mover = np.sign(new_mover - score) == want
        ok_other = np.sign(new_other - score) == side[:, None]
        ok_other &= np.searchsorted(cuts, new_other, side="right") == group[:, None]
        for v in levels:
            ok_other &= (new_other == v) == (t == v)[:, None]
        ok_other &= ~(below_only[:, None] & (new_other >= score))
        ok = ok_mover & ok_other & ~np.isnan(d) & (d != 0)
        ok[mover] = False
        ys, js = np.nonzero(ok)
        if len(ys):
            k = int(np.lexsort((js, ys, np.abs(d[ys, js])))[0])
        else:
            # no single swap reaches the side: take the largest step towards it that keeps
            # the mover on the near side of the goal
            if want in (3, 4):
                raise TargetError(f"no swap moves school {mover} to level {level}")
            step = -d if want == 2 or want > side[mover] else d
            goal_side = np.sign(new_mover - score)
            toward = (step > 0) & ((goal_side == side[mover]) | (goal_side == want))
            ok = toward & ok_other & ~np.isnan(d)
            ok[mover] = False
            ys, js = np.nonzero(ok)
            if not len(ys):
                raise TargetError(f"no swap moves school {mover} to side {want} of {score}")
            k = int(np.lexsort((js, ys, -step[ys, js]))[0])
        y, j = int(ys[k]), int(js[k])
        q[[mover, y], j] = q[[y, mover], j]
        swaps.append((mover, y, j))
    raise TargetError("totals did not settle")
