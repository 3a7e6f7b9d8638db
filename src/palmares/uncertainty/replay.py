"""The vectorised replay: re-aggregate a computed Result for many weight vectors at once.

Nothing before aggregation reruns: the leaf values the engine cached are aggregated level by
level with batched weights (d, k) -> (d, n); nodes whose children are all leaves use
:mod:`palmares.steps.aggregate` (one matrix product per parent), higher nodes combine (d, n)
children elementwise. The methodology's root steps (rescale, round half-up) and competition
ranks then apply to every draw. Loops run over tree levels and parents, never over draws or
institutions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.engine import ends_rounded, published_decimals
from palmares.methodology import Methodology, StepBase
from palmares.result import Result
from palmares.steps import aggregate, rescale
from palmares.steps.rounding import round_half_up
from palmares.tree import Tree
from palmares.uncertainty.blas import single_thread
from palmares.uncertainty.draws import WeightModel

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

MEANS = ("arithmetic", "geometric", "harmonic", "generalised")
#: Cells (draws x institutions x children) one block of the replay may hold.
BLOCK_CELLS = 500_000


class ReplayUnsupported(ValueError):
    """A methodology feature the vectorised replay does not re-aggregate."""


def step_for(m: Methodology, step_type: str, node: str, tree: Tree) -> StepBase | None:
    """The last step of a type whose scope covers an inner node (as the engine reads it)."""
    found: StepBase | None = None
    for step in m.steps_of(step_type):
        if step.nodes is not None and node not in step.nodes:
            continue
        if step.level is not None and int(tree.depth[tree.index(node)]) != step.level:
            continue
        found = step
    return found


@dataclass(frozen=True)
class Parent:
    """One aggregated node: its children (tree indices), their weight columns, the mean."""

    node: int
    children: tuple[int, ...]
    columns: IntArray  # positions of the children in WeightModel.nodes
    method: str
    p: float
    renormalise: bool
    min_children: int


@dataclass(frozen=True)
class ReplayPlan:
    """What a replay needs from one Result: cached leaves, the tree's parents, root steps."""

    tree: Tree
    leaf_rows: IntArray  # tree index of each leaf column
    x: FloatArray  # (n, L) cached leaf values
    mask: BoolArray  # (n, L)
    eligible: BoolArray  # (n,) in the overall table
    levels: tuple[tuple[Parent, ...], ...]  # bottom-up
    root: int
    root_steps: tuple[StepBase, ...]
    rank_decimals: int | None  # round the key to this before ranking (published precision)
    weights: WeightModel

    @cached_property
    def leaf_columns(self) -> IntArray:
        """Tree index -> leaf column (-1 for inner nodes)."""
        out = np.full(len(self.tree), -1, dtype=np.int64)
        out[self.leaf_rows] = np.arange(self.leaf_rows.size)
        return out

    @cached_property
    def xt(self) -> FloatArray:
        return np.ascontiguousarray(self.x.T)

    @cached_property
    def maskt(self) -> FloatArray:
        return np.ascontiguousarray(self.mask.T, dtype=np.float64)

    def operands(self, parent: Parent) -> tuple[FloatArray, FloatArray | None, IntArray]:
        """A parent's leaf values (k, n); its gap patterns (k, u) and each institution's pattern.

        Institutions share few patterns of present children, so the weight of the present
        children is one small product per pattern, then a gather (None: no gap at all).
        """
        cache: dict[int, Any] = self.__dict__.setdefault("_operands", {})
        if parent.node not in cache:
            cols = self.leaf_columns[list(parent.children)]
            present = self.mask[:, cols]
            xt = np.ascontiguousarray(self.xt[cols])
            if present.all():
                cache[parent.node] = (xt, None, np.zeros(self.n, dtype=np.int64))
            else:
                patterns, index = np.unique(present, axis=0, return_inverse=True)
                patterns_t = np.ascontiguousarray(patterns.T, dtype=np.float64)
                cache[parent.node] = (xt, patterns_t, index.reshape(-1).astype(np.int64))
        found: tuple[FloatArray, FloatArray | None, IntArray] = cache[parent.node]
        return found

    def covered(self, parent: Parent) -> bool:
        """Whether every institution has at least one of the parent's (leaf) children."""
        cache: dict[int, bool] = self.__dict__.setdefault("_covered", {})
        if parent.node not in cache:
            cols = self.leaf_columns[list(parent.children)]
            cache[parent.node] = bool(self.mask[:, cols].any(axis=1).all())
        return cache[parent.node]

    @cached_property
    def complete(self) -> BoolArray:
        """Leaf columns without a gap (their present weight is the weight sum)."""
        return np.asarray(self.mask.all(axis=0))

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


def _nominal_weights(m: Methodology, tree: Tree, parent: str) -> list[float]:
    children = tree.children(parent)
    step = step_for(m, "weight", parent, tree)
    if step is None:
        return [m.weight(c) for c in children]
    if step.method == "equal":
        return [1.0] * len(children)
    if step.method in ("fixed", "renormalise"):
        table = step.params_for(parent).get("weights") or {}
        return [float(table.get(c, m.weight(c))) for c in children]
    raise ReplayUnsupported(f"weight method {step.method!r} (node {parent!r})")


def build_plan(result: Result, varied_parents: list[str] | None = None) -> ReplayPlan:
    """Read a Result into a replay plan; raise :class:`ReplayUnsupported` for what it cannot
    re-aggregate (best-k weights, redistribution, Copeland, points sums, grade counts,
    inner-node rescaling)."""
    m, tree = result.methodology, result.tree
    if m.ranking.by != "score":
        raise ReplayUnsupported("ranking by grade counts does not depend on weights")
    if any(s.method == "redistribute" for s in m.steps_of("impute")):
        raise ReplayUnsupported("impute.redistribute")
    root_id = tree.roots[0]
    root_steps = []
    for step in m.steps:
        if step.acts_on != "root":
            continue
        if step.nodes is not None and root_id not in step.nodes:
            raise ReplayUnsupported(f"{step.tag} on inner nodes {step.nodes}")
        root_steps.append(step)
    nodes: list[str] = []
    group: list[int] = []
    nominal: list[float] = []
    varied: list[bool] = []
    levels: list[tuple[Parent, ...]] = []
    inner = [tree.ids[i] for level in tree.levels_bottom_up() for i in level.tolist()]
    chosen = set(inner if varied_parents is None else varied_parents)
    for g, parent_id in enumerate(inner):
        base = _nominal_weights(m, tree, parent_id)
        for child, w in zip(tree.children(parent_id), base, strict=True):
            nodes.append(child)
            group.append(g)
            nominal.append(w)
            varied.append(parent_id in chosen)
    position = {node: k for k, node in enumerate(nodes)}
    for level in tree.levels_bottom_up():
        parents = []
        for index in level.tolist():
            node = tree.ids[index]
            agg = step_for(m, "aggregate", node, tree)
            method = "arithmetic" if agg is None else agg.method
            if method not in MEANS:
                raise ReplayUnsupported(f"aggregate.{method} (node {node!r})")
            params: Mapping[str, Any] = {} if agg is None else agg.params_for(node)
            children = tree.child_index[index]
            parents.append(
                Parent(
                    node=index,
                    children=tuple(children),
                    columns=np.array([position[tree.ids[c]] for c in children], dtype=np.int64),
                    method=method,
                    p=float(params.get("p", 1.0)),
                    renormalise=bool(params.get("renormalise", True)),
                    min_children=int(params.get("min_children", 1)),
                )
            )
        levels.append(tuple(parents))
    decimals = published_decimals(m)
    rank_decimals = (
        decimals
        if m.ranking.rank_on == "published" and decimals is not None and not ends_rounded(m)
        else None
    )
    return ReplayPlan(
        tree=tree,
        leaf_rows=np.array([tree.index(leaf) for leaf in result.leaves], dtype=np.int64),
        x=np.where(result.leaf_mask, result.leaf_values, 0.0),
        mask=np.asarray(result.leaf_mask, dtype=bool),
        eligible=np.asarray(result.eligible, dtype=bool),
        levels=tuple(levels),
        root=tree.index(root_id),
        root_steps=tuple(root_steps),
        rank_decimals=rank_decimals,
        weights=WeightModel(
            nodes=tuple(nodes),
            group=np.array(group, dtype=np.int64),
            nominal=np.array(nominal, dtype=np.float64),
            varied=np.array(varied, dtype=bool),
        ),
    )


# -- aggregation ----------------------------------------------------------------------------------


def _static_mean(parent: Parent, x: FloatArray, mask: BoolArray, w: FloatArray) -> FloatArray:
    """Children all leaves: the step functions with (d, k) weights give (d, n)."""
    renormalise, least = parent.renormalise, parent.min_children
    if parent.method == "arithmetic":
        return aggregate.arithmetic(x, mask, w, renormalise=renormalise, min_children=least)
    if parent.method == "geometric":
        return aggregate.geometric(x, mask, w, renormalise=renormalise, min_children=least)
    if parent.method == "harmonic":
        return aggregate.harmonic(x, mask, w, renormalise=renormalise, min_children=least)
    return aggregate.generalised(x, mask, w, parent.p, renormalise=renormalise, min_children=least)


def _leaf_mean(parent: Parent, plan: ReplayPlan, w: FloatArray) -> FloatArray:
    """Renormalised weighted arithmetic mean of leaf children for every draw: (d, n).

    One matrix product (d, k) @ (k, n) gives the weighted sums; the weights of the present
    children come from the few patterns of gaps (see :meth:`ReplayPlan.operands`).
    """
    xt, patterns, index = plan.operands(parent)
    total = w @ xt
    if patterns is None:  # no gap among the children: the weight sum is the row sum
        weight_sum = np.broadcast_to(w.sum(axis=1)[:, None], total.shape)
    else:  # the weight present in each gap pattern, gathered per institution
        weight_sum = np.take(w @ patterns, index, axis=1)
    plain = parent.min_children <= 1 and parent.renormalise
    if plain and plan.covered(parent) and bool((w > 0).all()):
        # Every institution has a child present and every weight is positive: no empty mean.
        return np.divide(total, weight_sum, out=total)  # total is this call's own array
    ok = weight_sum > 0
    if plain and ok.all():
        return total / weight_sum
    cols = plan.leaf_columns[list(parent.children)]
    if parent.min_children > 1 or not parent.renormalise:
        positive = (w > 0).astype(np.float64)
        count = positive @ plan.maskt[cols]
        ok &= count >= parent.min_children - 0.5
        if not parent.renormalise:
            ok &= count >= positive.sum(axis=1)[:, None] - 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, total / weight_sum, np.nan)


def _dynamic_mean(parent: Parent, v: FloatArray, w: FloatArray) -> FloatArray:
    """Children with one value per draw: v (d, k, n) NaN where absent, weights (d, k) -> (d, n)."""
    wk = w[:, :, None]
    present = ~np.isnan(v)
    if (
        parent.method == "arithmetic"
        and parent.min_children <= 1
        and present.all()
        and (w.sum(axis=1) > 0).all()
    ):  # the common case: every child present, one batched product
        total = np.matmul(w[:, None, :], v)[:, 0, :]
        return total / w.sum(axis=1)[:, None]
    positive = wk > 0
    used = present & positive
    method = parent.method
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        safe = np.where(used, v, 1.0)
        if method == "arithmetic":
            f = np.where(used, v, 0.0)
        elif method == "geometric" or (method == "generalised" and parent.p == 0):
            if (used & (v <= 0)).any():
                raise ValueError("geometric mean needs values > 0")
            f = np.where(used, np.log(safe), 0.0)
        elif method == "harmonic":
            if (used & (v <= 0)).any():
                raise ValueError("harmonic mean needs values > 0")
            f = np.where(used, 1.0 / safe, 0.0)
        else:
            f = np.where(used, safe**parent.p, 0.0)
        total = (f * wk).sum(axis=1)
        present_weight = (used * wk).sum(axis=1)
        count = used.sum(axis=1)
        if parent.renormalise:
            weight_sum = present_weight
            ok = np.ones(total.shape, dtype=bool)
        else:
            weight_sum = np.broadcast_to(w.sum(axis=1)[:, None], total.shape)
            ok = count == positive.sum(axis=1)
        ok &= (count >= parent.min_children) & (weight_sum > 0)
        mean = total / weight_sum
        if method == "geometric" or (method == "generalised" and parent.p == 0):
            out = np.exp(mean)
        elif method == "harmonic":
            out = 1.0 / mean
        elif method == "generalised":
            out = mean ** (1.0 / parent.p)
        else:
            out = mean
    return np.where(ok, out, np.nan)


def _weighted_sum(children: list[FloatArray], w: FloatArray) -> FloatArray:
    """sum_j w_j c_j / sum_j w_j for gap-free (d, n) children, accumulated in place."""
    total = children[0] * w[:, 0, None]
    term = np.empty_like(total)
    for j in range(1, len(children)):  # a few children: each pass is over every draw
        np.multiply(children[j], w[:, j, None], out=term)
        total += term
    total /= w.sum(axis=1)[:, None]
    return total


def aggregate_draws(plan: ReplayPlan, w: FloatArray) -> FloatArray:
    """Root scores (d, n) for weights (d, K), before root steps, NaN outside the table."""
    d = w.shape[0]
    n = plan.n
    leaf_column = {int(row): j for j, row in enumerate(plan.leaf_rows)}
    values: dict[int, FloatArray] = {}
    gap_free: set[int] = set()  # nodes known to have a value for every draw and institution

    def child_values(c: int) -> FloatArray:
        if c in values:
            return values.pop(c)
        j = leaf_column[c]
        return np.broadcast_to(np.where(plan.mask[:, j], plan.x[:, j], np.nan), (d, n))

    for level in plan.levels:
        for parent in level:
            wp = w[:, parent.columns]
            if all(c in leaf_column for c in parent.children):
                if parent.method == "arithmetic":
                    mean = _leaf_mean(parent, plan, wp)
                    values[parent.node] = mean
                    if not np.isnan(mean).any():
                        gap_free.add(parent.node)
                    continue
                cols = plan.leaf_columns[list(parent.children)]
                values[parent.node] = _static_mean(parent, plan.x[:, cols], plan.mask[:, cols], wp)
                continue
            simple = (
                parent.method == "arithmetic"
                and parent.min_children <= 1
                and all(c in gap_free for c in parent.children)
                and bool((wp.sum(axis=1) > 0).all())
            )
            if simple:
                values[parent.node] = _weighted_sum([values.pop(c) for c in parent.children], wp)
                gap_free.add(parent.node)
                continue
            v = np.stack([child_values(c) for c in parent.children], axis=1)
            values[parent.node] = _dynamic_mean(parent, v, wp)
    score = values[plan.root]
    return score if plan.eligible.all() else np.where(plan.eligible, score, np.nan)


# -- root steps and ranks ---------------------------------------------------------------------


def round_units(s: FloatArray, decimals: int) -> FloatArray:
    """Half-up rounding of ``s`` to ``decimals`` places, in units of 10^-decimals (integers).

    Equal to ``round_half_up(s, decimals) * 10**decimals``: away from a half (relative distance
    > 1e-9, far beyond round_half_up's 12-significant-digit snap) floor(y + 0.5) of
    y = s 10^decimals is that integer; the few values near a half go through the exact routine.
    """
    scale = 10.0**decimals
    y = s * scale
    units = np.floor(y + 0.5)
    t = y + 0.5 - units
    with np.errstate(invalid="ignore"):
        tol = 1e-9 * max(1.0, float(np.nanmax(np.abs(y), initial=0.0)))
        near = (t < tol) | (t > 1.0 - tol)
    if near.any():
        units[near] = np.rint(round_half_up(s[near], decimals) * scale)
    return units


def fast_round_half_up(s: FloatArray, decimals: int) -> FloatArray:
    """:func:`~palmares.steps.rounding.round_half_up`, the exact routine only near halves."""
    out = round_units(s, decimals) / 10.0**decimals
    return np.where(out == 0, 0.0, out)


def _top100(s: FloatArray) -> FloatArray:
    """:func:`~palmares.steps.rescale.top100` (same arithmetic), fast when no score is NaN."""
    if np.isnan(s).any():
        return rescale.top100(s, ~np.isnan(s))
    hi = s.max(axis=-1, keepdims=True)
    if (hi <= 0).any() or (s < 0).any():
        return rescale.top100(s, np.ones(s.shape, dtype=bool))
    return s / hi * 100.0


def apply_root_steps(plan: ReplayPlan, score: FloatArray) -> tuple[FloatArray, bool]:
    """The methodology's rescale and round steps of the root, on every draw's scores.

    Returns the ranking key and whether it is on an integer grid (the scores in units of their
    last rounding, which rank the same as the rounded scores).
    """
    s = score
    steps = list(plan.root_steps)
    last_round = None
    if plan.rank_decimals is not None:
        last_round = plan.rank_decimals
    elif steps and steps[-1].type == "round":
        last_round = int(steps[-1].params()["decimals"])
        steps = steps[:-1]
    for step in steps:
        p = step.params()
        if step.type == "rescale":
            if step.method == "top100":
                s = _top100(s)
            elif step.method == "minmax":
                lo, hi = p["range"]
                s = rescale.minmax(s, ~np.isnan(s), lo, hi)
            elif step.method == "affine":
                s = rescale.affine_floor(s, ~np.isnan(s), p["floor"], p["top"])
        elif step.type == "round":
            s = fast_round_half_up(s, int(p["decimals"]))
    if last_round is None:
        return s, False
    return round_units(s, last_round), True


#: Largest (draws x distinct scores) table the counting ranks may build.
GRID_CELLS = 40_000_000


def grid_ranks(units: FloatArray) -> IntArray:
    """Competition ranks of integer-valued scores (rounded scores in their units), no sort.

    Each row's histogram and its running count from the top give 1 + the number of strictly
    better scores. Falls back to sorting when the range of scores is too wide for a table.
    """
    valid = ~np.isnan(units)
    everyone = bool(valid.all())
    if not valid.any():
        return np.zeros(units.shape, dtype=np.int64)
    lo, hi = (units.min(), units.max()) if everyone else (units[valid].min(), units[valid].max())
    d = units.shape[0]
    width = int(hi - lo) + 2
    if width * d > GRID_CELLS or abs(hi) > 2**52 or abs(lo) > 2**52:
        return competition_ranks(units)
    bins = (units if everyone else np.where(valid, units, lo)).astype(np.int64) - int(lo)
    flat = bins + (np.arange(d, dtype=np.int64) * width)[:, None]
    counts = np.bincount(flat.ravel() if everyone else flat[valid], minlength=d * width)
    # at_least[r, b] = scores of row r in bins >= b; a score's rank is 1 + at_least[bin + 1].
    at_least = np.cumsum(counts.reshape(d, width)[:, ::-1], axis=1)[:, ::-1]
    better = at_least.ravel()[flat + 1]
    return better + 1 if everyone else np.where(valid, better + 1, 0)


def competition_ranks(scores: FloatArray) -> IntArray:
    """Competition ranks along the last axis (1 + number strictly better; NaN -> 0).

    Same values as :func:`palmares.ranking.competition_rank`; an unstable sort suffices since a
    competition rank depends on the sorted values only.
    """
    key = -scores
    order = np.argsort(key, axis=-1)
    ordered = np.take_along_axis(key, order, axis=-1)
    new = np.ones(ordered.shape, dtype=bool)
    new[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    idx = np.arange(scores.shape[-1], dtype=np.int64)
    start = np.maximum.accumulate(np.where(new, idx, 0), axis=-1) + 1
    start = np.where(np.isnan(ordered), 0, start)
    out = np.empty_like(start)
    np.put_along_axis(out, order, start, axis=-1)
    return out


def replay_ranks(plan: ReplayPlan, w: FloatArray) -> IntArray:
    """Competition ranks (d, n) of every draw, in blocks of bounded memory."""
    # Only parents above the leaves hold (draws x institutions x children) arrays.
    leaves = set(plan.leaf_rows.tolist())
    widest = max(
        [len(p.children) for lv in plan.levels for p in lv if not leaves.issuperset(p.children)]
        + [len(lv) for lv in plan.levels]
        + [1]
    )
    block = max(1, BLOCK_CELLS // max(plan.n * widest, 1))
    out = np.empty((w.shape[0], plan.n), dtype=np.int64)
    with single_thread():
        for start in range(0, w.shape[0], block):
            part = slice(start, min(start + block, w.shape[0]))
            key, grid = apply_root_steps(plan, aggregate_draws(plan, w[part]))
            out[part] = grid_ranks(key) if grid else competition_ranks(key)
    return out
