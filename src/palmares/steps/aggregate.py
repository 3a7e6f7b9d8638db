"""Aggregation of children into a parent score, for many weight vectors in one call.

Weights of shape (k,) give scores (n,); (d, k) give (d, n), one row per weight vector, computed
with one matrix product (the personalised ranking and the Monte Carlo engine rely on this).
With ``per_institution=True`` weights are (n, k) -> (n,) or (d, n, k) -> (d, n): the output of
:func:`~palmares.steps.weight.best_k`, :func:`~palmares.steps.weight.renormalise` or
:func:`~palmares.steps.impute.redistribute_weights`; a NaN row of weights gives a NaN score.

Missing children, formulas as in COINr ``R/aggregate.R``:

- ``renormalise=True`` (default): weights are renormalised over the present children, e.g.
  sum_j w_j x_ij m_ij / sum_j w_j m_ij; missing values do not count as zero.
- ``renormalise=False``: a missing child with positive weight makes the score NaN (impute
  first, e.g. with zeros, to say what missing means).
- Either way the score is NaN when fewer than ``min_children`` children with positive weight
  are present, or when their weights sum to zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from palmares.steps import (
    BoolArray,
    Columns,
    FloatArray,
    IntArray,
    check_matrix,
    column_selector,
)

#: Copeland treats weighted win/loss balances within this share of the total weight as ties, so
#: that 0.1 + 0.2 against 0.3 is a tie rather than a float artefact.
_COPELAND_TIE = 1e-12
#: Copeland works on blocks of institutions holding at most this many pairwise balances.
_COPELAND_CELLS = 2**24


def _weights(
    weights: npt.ArrayLike, n: int, k: int, per_institution: bool
) -> tuple[FloatArray, bool]:
    """Return weights as (d, k) or (d, n, k) and whether the input was batched."""
    w = np.asarray(weights, dtype=np.float64)
    if per_institution:
        if w.ndim not in (2, 3) or w.shape[-2:] != (n, k):
            raise ValueError(
                f"per-institution weights must be ({n}, {k}) or (d, {n}, {k}), got {w.shape}"
            )
        if np.isinf(w).any() or (w < 0).any():
            raise ValueError("weights must be finite (or NaN for a whole row) and non-negative")
        return (w if w.ndim == 3 else w[None]), w.ndim == 3
    if w.ndim not in (1, 2) or w.shape[-1] != k:
        raise ValueError(f"weights must have shape ({k},) or (d, {k}), got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return (w if w.ndim == 2 else w[None]), w.ndim == 2


def _sum(w: FloatArray, values: FloatArray, per_institution: bool) -> FloatArray:
    """sum_j w_j v_ij as (d, n): a matmul for shared weights, einsum for per-institution ones."""
    if per_institution:
        return np.einsum("dnk,nk->dn", w, values)
    return w @ values.T


def _aggregate(
    mean: Mean,
    x: npt.ArrayLike,
    mask: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    renormalise: bool,
    min_children: int,
    per_institution: bool,
) -> FloatArray:
    """Shared skeleton: score = mean.finish(sum w f(x) over present, sum of weights)."""
    transform, finish, domain = mean.transform, mean.finish, mean.domain
    xa, ma = check_matrix(x, mask)
    n, k = xa.shape
    w, batched = _weights(weights, n, k, per_institution)
    if min_children < 0:
        raise ValueError(f"min_children must be >= 0, got {min_children}")
    positive = w > 0
    if transform is None:  # arithmetic: zero-weight columns need no care, 0 * x = 0
        values = np.where(ma, xa, 0.0)
    else:
        used = positive.any(axis=0) & ma  # (n, k): cells that carry weight in some vector
        if domain is not None:
            bad = used & ~domain(xa)
            if bad.any():
                columns = np.unique(np.nonzero(bad)[1]).tolist()
                raise ValueError(
                    f"{mean.domain_message}; offending value(s) in column(s) {columns}"
                )
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(used, transform(np.where(used, xa, 1.0)), 0.0)
    m = ma.astype(np.float64)
    total = _sum(w, values, per_institution)
    present_weight = _sum(w, m, per_institution)
    n_positive = positive.sum(axis=-1)
    if per_institution or not positive.all():
        count = _sum(positive.astype(np.float64), m, per_institution)
    else:  # every weight positive: the count of present children is the same for every vector
        count = np.broadcast_to(m.sum(axis=1), total.shape)
    if renormalise:
        weight_sum = present_weight
        complete = np.ones_like(total, dtype=np.bool_)
    else:
        weight_sum = w.sum(axis=-1) if per_institution else w.sum(axis=-1)[:, None]
        complete = count == (n_positive if per_institution else n_positive[:, None])
    ok = complete & (count >= min_children) & (weight_sum > 0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        score = np.where(ok, finish(total, weight_sum), np.nan)
    return score if batched else score[0]


def _per_draw(
    mean: Mean,
    v: FloatArray,
    w: FloatArray,
    *,
    renormalise: bool,
    min_children: int,
    required: BoolArray | None,
) -> FloatArray:
    """:meth:`Mean.per_draw`: the skeleton of :func:`_aggregate` over (d, k, n) children,
    summed child by child (draws and institutions vectorised)."""
    wk = w[:, :, None] if w.ndim == 2 else w
    present = ~np.isnan(v)
    if (
        w.ndim == 2
        and mean.transform is None
        and min_children <= 1
        and present.all()
        and (w.sum(axis=1) > 0).all()
    ):  # the common case: every child present, one batched product
        total = np.matmul(w[:, None, :], v)[:, 0, :]
        return total / w.sum(axis=1)[:, None]
    positive = wk > 0
    used = present & positive
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if mean.transform is None:
            f = np.where(used, v, 0.0)
        else:
            safe = np.where(used, v, 1.0)
            if mean.domain is not None and (used & ~mean.domain(safe)).any():
                raise ValueError(mean.domain_message)
            f = np.where(used, mean.transform(safe), 0.0)
        total = (f * wk).sum(axis=1)
        present_weight = (used * wk).sum(axis=1)
        count = used.sum(axis=1)
        if renormalise:
            weight_sum = present_weight
            ok = np.ones(total.shape, dtype=bool)
        elif required is not None:
            # Redistribution: the weight of children that do not apply goes to the others, so
            # only the applicable ones must be present, and the mean is over those.
            weight_sum = present_weight
            ok = np.asarray(~(positive & ~present & required[None]).any(axis=1))
        else:
            weight_sum = np.broadcast_to(wk.sum(axis=1), total.shape)
            ok = count == positive.sum(axis=1)
        ok &= (count >= min_children) & (weight_sum > 0)
        out = mean.finish(total, weight_sum)
    return np.where(ok, out, np.nan)


@dataclass(frozen=True)
class Mean:
    """A weighted mean: finish(sum w f(x) over the present children, their weight sum).

    Called as ``mean(x, mask, weights, *, renormalise=True, min_children=1,
    per_institution=False)``: scores (n,) for weights (k,), (d, n) for a batch of weight
    vectors (d, k), or (n,) with one weight vector per institution (n, k) when
    ``per_institution``. Without ``renormalise`` a parent with a missing weighted child has no
    score; below ``min_children`` present children neither.
    """

    name: str
    transform: Callable[[FloatArray], FloatArray] | None
    finish: Callable[[FloatArray, FloatArray], FloatArray]
    domain: Callable[[FloatArray], BoolArray] | None = None
    domain_message: str = ""

    def __call__(
        self,
        x: npt.ArrayLike,
        mask: npt.ArrayLike,
        weights: npt.ArrayLike,
        *,
        renormalise: bool = True,
        min_children: int = 1,
        per_institution: bool = False,
    ) -> FloatArray:
        return _aggregate(
            self,
            x,
            mask,
            weights,
            renormalise=renormalise,
            min_children=min_children,
            per_institution=per_institution,
        )

    def per_draw(
        self,
        v: FloatArray,
        w: FloatArray,
        *,
        renormalise: bool = True,
        min_children: int = 1,
        required: BoolArray | None = None,
    ) -> FloatArray:
        """Children with one value per draw (the uncertainty replay above the leaves): ``v``
        (d, k, n), NaN where absent; weights (d, k), or (d, k, n) per draw and institution
        (best k) -> (d, n). ``required`` (k, n): with weight redistribution and no
        renormalisation, the children that apply (only they must be present)."""
        return _per_draw(
            self, v, w, renormalise=renormalise, min_children=min_children, required=required
        )


def _positive(v: FloatArray) -> BoolArray:
    return v > 0


#: Weighted arithmetic mean sum w x / sum w (between the present children's min and max).
arithmetic = Mean("arithmetic", None, lambda total, wsum: total / wsum)
#: Weighted geometric mean exp(sum w ln x / sum w); every weighted child must be > 0.
geometric = Mean(
    "geometric",
    np.log,
    lambda total, wsum: np.exp(total / wsum),
    _positive,
    "geometric mean needs values > 0 (normalise to a positive range first)",
)
#: Weighted harmonic mean sum w / sum (w / x); every weighted child must be > 0.
harmonic = Mean(
    "harmonic",
    lambda v: 1.0 / v,
    lambda total, wsum: wsum / total,
    _positive,
    "harmonic mean needs values > 0 (normalise to a positive range first)",
)


def generalised(
    x: npt.ArrayLike,
    mask: npt.ArrayLike,
    weights: npt.ArrayLike,
    p: float,
    *,
    renormalise: bool = True,
    min_children: int = 1,
    per_institution: bool = False,
) -> FloatArray:
    """Weighted power mean (sum w x^p / sum w)^(1/p); p = 0 is the geometric mean.

    Needs x > 0 when p <= 0 and x >= 0 when p > 0.
    """
    return power_mean(p)(
        x,
        mask,
        weights,
        renormalise=renormalise,
        min_children=min_children,
        per_institution=per_institution,
    )


def power_mean(p: float) -> Mean:
    """The weighted power mean of exponent ``p`` (p = 0: the geometric mean)."""
    if not np.isfinite(p):
        raise ValueError(f"p must be finite, got {p}")
    if p == 0:
        return geometric
    power = float(p)
    if power > 0:
        domain: Callable[[FloatArray], BoolArray] = lambda v: v >= 0  # noqa: E731
        message = f"generalised mean with p = {power} needs values >= 0"
    else:
        domain = _positive
        message = f"generalised mean with p = {power} needs values > 0"
    return Mean(
        "generalised",
        lambda v: v**power,
        lambda total, wsum: (total / wsum) ** (1.0 / power),
        domain,
        message,
    )


def sum_points(
    x: npt.ArrayLike,
    mask: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    bonus: Columns | None = None,
    *,
    skip_missing: bool = False,
    min_children: int = 1,
) -> FloatArray:
    """Sum of (weighted) points plus bonus points (L'Étudiant): sum_j w_j x_ij + sum_b x_ib.

    ``weights`` (k,) or (d, k), default 1 for every node; ``bonus`` columns are added with
    weight 1, whatever ``weights`` says, and a missing bonus adds nothing. A missing scored
    child makes the total NaN unless ``skip_missing`` (then it adds nothing, and at least
    ``min_children`` scored children must be present).
    """
    xa, ma = check_matrix(x, mask)
    n, k = xa.shape
    w, batched = _weights(np.ones(k) if weights is None else weights, n, k, False)
    is_bonus = np.zeros(k, dtype=np.bool_) if bonus is None else column_selector(bonus, k)
    w = np.where(is_bonus, 0.0, w)
    m = ma.astype(np.float64)
    scored = _sum(w, np.where(ma, xa, 0.0), False)
    count = _sum((w > 0).astype(np.float64), m, False)
    missing = _sum(w, 1.0 - m, False)
    extra = np.where(ma & is_bonus, xa, 0.0).sum(axis=1)
    ok = count >= min_children
    if not skip_missing:
        ok &= missing == 0
    score = np.where(ok, scored + extra, np.nan)
    return score if batched else score[0]


def sum_points_per_draw(v: FloatArray, w: FloatArray, bonus: BoolArray) -> FloatArray:
    """:func:`sum_points` with ``skip_missing`` over children with one value per draw: ``v``
    (d, k, n) NaN where absent, weights (d, k), ``bonus`` (k,) children added with weight 1."""
    present = ~np.isnan(v)
    wb = np.where(bonus, 0.0, w)[:, :, None]
    values = np.where(present, v, 0.0)
    total = (values * wb).sum(axis=1)
    count = (present & (wb > 0)).sum(axis=1)
    extra = (values * bonus[None, :, None]).sum(axis=1)
    return np.where(count >= 1, total + extra, np.nan)


def arithmetic_of_leaves(
    xt: FloatArray,
    maskt: FloatArray,
    patterns: FloatArray | None,
    pattern_of: IntArray,
    covered: bool,
    w: FloatArray,
    *,
    renormalise: bool = True,
    min_children: int = 1,
) -> tuple[FloatArray, bool]:
    """The weighted arithmetic mean of fixed children for a batch of weight vectors: ``xt``
    (k, n) values (0 where absent), ``maskt`` (k, n) 1.0 where present, weights (d, k) ->
    (d, n), and whether it is known to have no gap (then nobody needs to look for NaN in it).

    One matrix product (d, k) @ (k, n) gives the weighted sums. Institutions share few
    patterns of present children (``patterns`` (k, u), ``pattern_of`` (n,); None: no gap at
    all), so the weight of the present children is one small product per pattern, then a
    gather. ``covered``: every institution has a child present.
    """
    total = w @ xt
    if patterns is None:  # no gap among the children: the weight sum is the row sum
        weight_sum = np.broadcast_to(w.sum(axis=1)[:, None], total.shape)
    else:  # the weight present in each gap pattern, gathered per institution
        weight_sum = np.take(w @ patterns, pattern_of, axis=1)
    plain = min_children <= 1 and renormalise
    if plain and covered and bool((w > 0).all()):
        # Every institution has a child present and every weight is positive: no empty mean.
        return np.divide(total, weight_sum, out=total), True  # total is this call's own array
    ok = weight_sum > 0
    if plain and ok.all():
        return total / weight_sum, True
    if min_children > 1 or not renormalise:
        positive = (w > 0).astype(np.float64)
        count = positive @ maskt
        ok &= count >= min_children - 0.5
        if not renormalise:
            ok &= count >= positive.sum(axis=1)[:, None] - 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, total / weight_sum, np.nan)
    return mean, not np.isnan(mean).any()


def weighted_sum(children: list[FloatArray], w: FloatArray) -> FloatArray:
    """sum_j w_j c_j / sum_j w_j for gap-free (d, n) children and weights (d, k), accumulated
    in place (a few children: each pass is over every draw)."""
    total = children[0] * w[:, 0, None]
    term = np.empty_like(total)
    for j in range(1, len(children)):
        np.multiply(children[j], w[:, j, None], out=term)
        total += term
    total /= w.sum(axis=1)[:, None]
    return total


def sum_points_of_leaves(
    x: FloatArray, xt: FloatArray, maskt: FloatArray, w: FloatArray, bonus: BoolArray
) -> FloatArray:
    """:func:`sum_points` with ``skip_missing`` of fixed children for a batch of weight
    vectors: ``x`` (n, k) and ``xt`` (k, n) values (0 where absent), ``maskt`` (k, n) 1.0
    where present, weights (d, k) -> (d, n); bonus children add their points with weight 1,
    and at least one weighted child must be present."""
    wb = np.where(bonus, 0.0, w)
    total = wb @ xt
    count = (wb > 0).astype(np.float64) @ maskt
    extra = x[:, bonus].sum(axis=1)
    return np.where(count >= 0.5, total + extra, np.nan)


def arithmetic_of_best(
    children: list[FloatArray],
    w: FloatArray,
    top: list[FloatArray],
    index: list[npt.NDArray[np.int16]],
    always: BoolArray,
    *,
    renormalise: bool = True,
    min_children: int = 1,
) -> FloatArray:
    """The weighted arithmetic mean over each draw's and institution's chosen children: the
    best ones (``top`` values and their positions ``index``, as
    :func:`palmares.steps.weight.best_k_per_draw` gives them) plus the ``always`` kept ones;
    children (d, n) NaN where absent, weights (d, k) -> (d, n)."""
    total = np.zeros(top[0].shape)
    present_weight = np.zeros(top[0].shape)
    count = np.zeros(top[0].shape, dtype=np.int64)
    kept_weight = np.zeros(top[0].shape)  # every kept child's weight, present or not
    kept_count = np.zeros(top[0].shape, dtype=np.int64)  # kept children with a weight
    for value, at in zip(top, index, strict=True):
        found = at >= 0
        weight = np.where(found, np.take_along_axis(w, np.maximum(at, 0), axis=1), 0.0)
        used = found & (weight > 0)
        total += np.where(used, value, 0.0) * weight
        present_weight += weight
        count += used
        kept_weight += weight
        kept_count += used
    for j in np.flatnonzero(always).tolist():
        v = children[j]
        present = ~np.isnan(v)
        wj = w[:, j, None]
        used = present & (wj > 0)
        total += np.where(used, v, 0.0) * wj
        present_weight += np.where(present, wj, 0.0)
        count += used
        kept_weight += wj
        kept_count += wj > 0
    if renormalise:
        weight_sum = present_weight
        ok = np.ones(total.shape, dtype=bool)
    else:  # every kept child with a weight must be present
        weight_sum = kept_weight
        ok = count == kept_count
    ok &= (count >= min_children) & (weight_sum > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, total / weight_sum, np.nan)


def grade_counts(grades: npt.ArrayLike, n_grades: int = 5) -> IntArray:
    """Counts of each grade code 0..n_grades-1 per institution, (n, n_grades); -1 is skipped."""
    g = np.asarray(grades)
    if g.ndim != 2 or not np.issubdtype(g.dtype, np.integer):
        raise ValueError("grades must be a 2-D integer array of grade codes")
    if ((g < -1) | (g >= n_grades)).any():
        raise ValueError(f"grade codes must lie in -1..{n_grades - 1}")
    return (g[:, :, None] == np.arange(n_grades)).sum(axis=1, dtype=np.int64)


def copeland(
    x: npt.ArrayLike,
    mask: npt.ArrayLike,
    weights: npt.ArrayLike,
    *,
    min_children: int = 1,
) -> FloatArray:
    """Copeland score: pairwise weighted majority, +1 per rival beaten and -1 per rival lost to.

    For institutions a and b, the balance is the weight of the children where a is higher minus
    the weight of those where b is higher, over the children both have (so the outranking
    entry is above 1/2 exactly when the balance is positive). No common child is a draw.
    Scores lie in [-(n - 1), n - 1]; NaN for institutions with fewer than ``min_children``
    present children of positive weight. Cost O(d n^2 k) time, memory bounded by blocks.
    """
    xa, ma = check_matrix(x, mask)
    n, k = xa.shape
    w, batched = _weights(weights, n, k, False)
    d = w.shape[0]
    tolerance = _COPELAND_TIE * w.sum(axis=1)[:, None, None]
    score = np.zeros((d, n))
    # Rows in blocks so the (d, rows, n) balance stays within _COPELAND_CELLS floats.
    block = max(1, _COPELAND_CELLS // max(d * n, 1))
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        balance = np.zeros((d, rows.stop - rows.start, n))
        for j in range(k):  # one comparison per child: k is small, institutions are vectorised
            both = ma[rows, j, None] & ma[None, :, j]
            wins = (xa[rows, j, None] > xa[None, :, j]) & both
            losses = (xa[rows, j, None] < xa[None, :, j]) & both
            balance += w[:, j, None, None] * (wins.astype(np.float64) - losses)[None]
        verdict = np.where(balance > tolerance, 1.0, np.where(balance < -tolerance, -1.0, 0.0))
        score[:, rows] = verdict.sum(axis=2)
    count = (w > 0).astype(np.float64) @ ma.T.astype(np.float64)
    score = np.where(count >= min_children, score, np.nan)
    return score if batched else score[0]
