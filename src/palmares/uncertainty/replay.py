"""The vectorised replay: re-aggregate a computed Result for many weight vectors at once.

Nothing before aggregation reruns: the leaf values the engine cached are aggregated level by
level with batched weights (d, k) -> (d, n); nodes whose children are all leaves use
:mod:`palmares.steps.aggregate` (one matrix product per parent), higher nodes combine (d, n)
children elementwise. As in the engine, rescale and round steps naming inner nodes act on
every draw right after their level (THE Impact's per-SDG min-max over the overall table); the
best-k weights (THE Impact's SDG 17 + best three), weight redistribution (ARWU) and sums of
points with bonus children (L'Etudiant) are per draw and per institution, on (d, k, n) arrays.
The methodology's root steps (rescale, round half-up) and competition ranks then apply to
every draw. A ranking on grade counts (U-Multirank) has no composite: its replay counts the A
grades of the indicators a draw keeps. Loops run over tree levels and parents, never over
draws or institutions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.methodology import Methodology, StepBase
from palmares.methodology.model import AggregateSumPoints
from palmares.plan import queries
from palmares.ranking import competition_rank, competition_rank_on_grid
from palmares.result import Result
from palmares.steps import BoolArray, FloatArray, IntArray, aggregate
from palmares.steps import registry as ops
from palmares.tree import Tree
from palmares.uncertainty.blas import single_thread
from palmares.uncertainty.draws import WeightModel

MEANS = ("arithmetic", "geometric", "harmonic", "generalised")
#: Cells (draws x institutions x children) one block of the replay may hold.
BLOCK_CELLS = 500_000
#: Status code of a value that does not apply (palmares.schema.STATUSES).
NOT_APPLICABLE = 2


class ReplayUnsupported(ValueError):
    """A methodology feature (or a perturbation of it) the vectorised replay does not replay."""


def step_label(m: Methodology, step: StepBase) -> str:
    """``steps[i] (type.method)``: how errors name a step of the methodology."""
    index = next(i for i, s in enumerate(m.steps) if s is step)
    return f"steps[{index}] ({step.tag})"


@dataclass(frozen=True)
class Parent:
    """One aggregated node: its children (tree indices), their weight columns, the mean."""

    node: int
    children: tuple[int, ...]
    columns: IntArray  # positions of the children in WeightModel.nodes
    method: str  # one of MEANS, or "sum_points"
    p: float
    renormalise: bool
    min_children: int
    best_k: int = 0  # > 0: only the best k children (plus ``always``) count, per institution
    always: BoolArray | None = None  # (k,) children best-k always keeps
    bonus: BoolArray | None = None  # (k,) sum_points children added with weight 1
    #: (k, n) children a mean without renormalisation needs present: with weight
    #: redistribution, only those that apply (None: every child with a positive weight).
    required: BoolArray | None = None
    #: The aggregate step (None: the default arithmetic mean), its parameters for this node
    #: and the children's ids: what the step's own batch of draws needs.
    step: StepBase | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    names: tuple[str, ...] = ()

    @property
    def plain(self) -> bool:
        """A weighted mean with shared weights (the fast paths)."""
        return self.method in MEANS and self.best_k == 0 and self.required is None


@dataclass(frozen=True)
class InnerStep:
    """A rescale or round step the engine applies to an inner node right after its level."""

    node: int
    step: StepBase


@dataclass(frozen=True)
class GradePlan:
    """A ranking on the number of A grades (U-Multirank): no weights, no composite.

    A draw keeps the leaves none of whose weight columns (the leaf's and its ancestors') it
    sets to 0 (an excluded indicator or dimension); the key is the A count over the kept
    leaves, for institutions with at least one kept grade.
    """

    a_grades: FloatArray  # (L, n) 1.0 where the leaf's grade is A
    graded: FloatArray  # (L, n) 1.0 where the leaf has a grade
    paths: FloatArray  # (K, L) 1.0 where weight column K is the leaf or one of its ancestors


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
    #: Per level, the inner rescale and round steps applied after it (in methodology order).
    after: tuple[tuple[InnerStep, ...], ...] = ()
    grades: GradePlan | None = None  # ranking by grade counts

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
    step = queries.step_for(m, "weight", parent, tree)
    if step is None:
        return [m.weight(c) for c in children]
    base = np.array([m.weight(c) for c in children], dtype=float)
    return [float(v) for v in ops.WEIGHT.nominal(step, step.params_for(parent), children, base)]


def _inner_after(m: Methodology, tree: Tree) -> tuple[tuple[InnerStep, ...], ...]:
    """Per level (bottom-up), the inner rescale/round steps of its nodes (engine order)."""
    pending = queries.inner_steps(m, tree)
    out = []
    for level in tree.levels_bottom_up():
        here = {int(i) for i in level.tolist()}
        out.append(
            tuple(
                InnerStep(tree.index(node), step)
                for _, step, nodes in pending
                for node in nodes
                if tree.index(node) in here
            )
        )
    return tuple(out)


def _applicable(result: Result) -> BoolArray:
    """(N, n) whether each tree node applies to each institution (any leaf below applies)."""
    tree = result.tree
    out = np.zeros((len(tree), len(result.institutions)), dtype=bool)
    out[[tree.index(leaf) for leaf in result.leaves]] = (result.status != NOT_APPLICABLE).T
    for level in tree.levels_bottom_up():
        for index in level.tolist():
            out[index] = out[list(tree.child_index[index])].any(axis=0)
    return out


def _grade_plan(result: Result, nodes: list[str]) -> GradePlan:
    tree, leaves = result.tree, result.leaves
    if result.grades is None:
        raise ReplayUnsupported('ranking by = "grade_counts" needs a grade step')
    paths = np.zeros((len(nodes), len(leaves)))
    for k, node in enumerate(nodes):
        under = set(tree.leaves_under(node))
        paths[k] = [leaf in under for leaf in leaves]
    grades = np.asarray(result.grades)
    return GradePlan(
        a_grades=np.ascontiguousarray((grades == 0).T, dtype=np.float64),
        graded=np.ascontiguousarray((grades >= 0).T, dtype=np.float64),
        paths=paths,
    )


def _parent(
    m: Methodology,
    tree: Tree,
    index: int,
    position: Mapping[str, int],
    applicable: Any,
) -> Parent:
    """How the engine aggregates one inner node, or :class:`ReplayUnsupported`."""
    node = tree.ids[index]
    children = tree.child_index[index]
    ids = [tree.ids[c] for c in children]
    agg = queries.step_for(m, "aggregate", node, tree)
    method = "arithmetic" if agg is None else agg.method
    if agg is not None and method not in (*MEANS, "sum_points"):
        raise ReplayUnsupported(f"{step_label(m, agg)} on node {node!r}")
    params: Mapping[str, Any] = {} if agg is None else agg.params_for(node)
    weight = queries.step_for(m, "weight", node, tree)
    best_k, always = 0, None
    if ops.is_best_k(weight):
        assert weight is not None
        if method == "sum_points":
            raise ReplayUnsupported(f"{step_label(m, weight)} with sum_points on node {node!r}")
        wp = weight.params_for(node)
        best_k = int(wp["k"])
        kept = set(wp.get("always") or [])
        always = np.array([c in kept for c in ids], dtype=bool)
    bonus = ops.AGGREGATE.bonus(params, ids) if method == "sum_points" else None
    required = None
    redistribute = queries.step_for(m, "impute", node, tree)
    if (
        ops.is_redistribution(redistribute)
        and best_k == 0  # the engine redistributes shared weights only
        and method in MEANS
        and not params.get("renormalise", True)
    ):
        # A renormalised mean already ignores children that do not apply (they have no value);
        # without renormalisation, redistribution excuses them from being present.
        required = np.asarray(applicable()[list(children)], dtype=bool)
    return Parent(
        node=index,
        children=tuple(children),
        columns=np.array([position[c] for c in ids], dtype=np.int64),
        method=method,
        p=float(params.get("p", 1.0)),
        renormalise=bool(params.get("renormalise", True)),
        min_children=int(params.get("min_children", 1)),
        best_k=best_k,
        always=always,
        bonus=bonus,
        required=required,
        step=agg,
        params=params,
        names=tuple(ids),
    )


def build_plan(
    result: Result, varied_parents: list[str] | None = None, *, perturbed: bool = True
) -> ReplayPlan:
    """Read a Result into a replay plan; raise :class:`ReplayUnsupported` for what it cannot
    replay (Copeland aggregation, best-k weights on sums of points, ranking methods other than
    competition) or what makes no sense: ``perturbed`` weights of a ranking on grade counts."""
    m, tree = result.methodology, result.tree
    if m.ranking.method not in ("competition", "fractional"):
        raise ReplayUnsupported(f'[ranking] method = "{m.ranking.method}"')
    root_id = tree.roots[0]
    root_steps = tuple(step for _, step in queries.root_steps(m, root_id))
    nodes: list[str] = []
    group: list[int] = []
    nominal: list[float] = []
    varied: list[bool] = []
    inner = [tree.ids[i] for level in tree.levels_bottom_up() for i in level.tolist()]
    chosen = set(inner if varied_parents is None else varied_parents)
    by_grades = m.ranking.by == "grade_counts"
    for g, parent_id in enumerate(inner):
        base = _nominal_weights(m, tree, parent_id)
        agg = queries.step_for(m, "aggregate", parent_id, tree)
        bonus = set(agg.params_for(parent_id).get("bonus") or []) if agg is not None else set()
        if isinstance(agg, AggregateSumPoints) and bonus:
            children = tree.children(parent_id)
            if not bonus.issuperset(children):
                # A bonus child counts with weight 1 whatever its weight: it does not vary, and
                # its siblings keep their own nominal sum.
                base = [0.0 if c in bonus else w for c, w in zip(children, base, strict=True)]
        for child, w in zip(tree.children(parent_id), base, strict=True):
            nodes.append(child)
            group.append(g)
            nominal.append(w)
            varied.append(parent_id in chosen)
    position = {node: k for k, node in enumerate(nodes)}
    model = WeightModel(
        nodes=tuple(nodes),
        group=np.array(group, dtype=np.int64),
        nominal=np.array(nominal, dtype=np.float64),
        varied=np.array(varied, dtype=bool),
    )
    eligible = np.asarray(result.eligible, dtype=bool)
    common: dict[str, Any] = {
        "tree": tree,
        "leaf_rows": np.array([tree.index(leaf) for leaf in result.leaves], dtype=np.int64),
        "x": np.where(result.leaf_mask, result.leaf_values, 0.0),
        "mask": np.asarray(result.leaf_mask, dtype=bool),
        "eligible": eligible,
        "root": tree.index(root_id),
        "weights": model,
    }
    if by_grades:
        if perturbed:
            counts = next((s for s in m.steps if ops.counts_grades(s)), None)
            named = step_label(m, counts) if counts is not None else "[ranking]"
            raise ReplayUnsupported(
                f'{named}: the ranking is on grade counts ([ranking] by = "grade_counts"), '
                "no weighted composite, so there are no weights to perturb; set "
                '[uncertainty.weights] method = "none" and vary the data ([uncertainty.noise]), '
                "the grade thresholds (an alternative on the grade step) or the indicators "
                "([uncertainty.exclude])"
            )
        return ReplayPlan(
            levels=(),
            root_steps=(),
            rank_decimals=None,
            grades=_grade_plan(result, nodes),
            **common,
        )
    applicable: dict[str, BoolArray] = {}

    def node_applicable() -> BoolArray:
        if "a" not in applicable:
            applicable["a"] = _applicable(result)
        return applicable["a"]

    levels = tuple(
        tuple(_parent(m, tree, index, position, node_applicable) for index in level.tolist())
        for level in tree.levels_bottom_up()
    )
    decimals = queries.published_decimals(m)
    rank_decimals = (
        decimals
        if m.ranking.rank_on == "published" and decimals is not None and not queries.ends_rounded(m)
        else None
    )
    return ReplayPlan(
        levels=levels,
        root_steps=root_steps,
        rank_decimals=rank_decimals,
        after=_inner_after(m, tree),
        **common,
    )


# -- aggregation ----------------------------------------------------------------------------------


def _static_mean(parent: Parent, x: FloatArray, mask: BoolArray, w: FloatArray) -> FloatArray:
    """Children all leaves: the step functions with (d, k) weights give (d, n)."""
    renormalise, least = parent.renormalise, parent.min_children
    if parent.method == "generalised":
        return aggregate.generalised(
            x, mask, w, parent.p, renormalise=renormalise, min_children=least
        )
    mean: aggregate.Mean = getattr(aggregate, parent.method)
    return mean(x, mask, w, renormalise=renormalise, min_children=least)


def _leaf_mean(parent: Parent, plan: ReplayPlan, w: FloatArray) -> tuple[FloatArray, bool]:
    """Renormalised weighted arithmetic mean of leaf children for every draw: (d, n), and
    whether it is known to have no gap (then nobody needs to look for NaN in it).

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
        return np.divide(total, weight_sum, out=total), True  # total is this call's own array
    ok = weight_sum > 0
    if plain and ok.all():
        return total / weight_sum, True
    cols = plan.leaf_columns[list(parent.children)]
    if parent.min_children > 1 or not parent.renormalise:
        positive = (w > 0).astype(np.float64)
        count = positive @ plan.maskt[cols]
        ok &= count >= parent.min_children - 0.5
        if not parent.renormalise:
            ok &= count >= positive.sum(axis=1)[:, None] - 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, total / weight_sum, np.nan)
    return mean, not np.isnan(mean).any()


def _dynamic_mean(parent: Parent, v: FloatArray, w: FloatArray) -> FloatArray:
    """Children with one value per draw: v (d, k, n) NaN where absent, weights (d, k), or
    (d, k, n) per draw and institution (best k) -> (d, n): the step's own batch."""
    return ops.AGGREGATE.per_draw(
        parent.step, parent.params, parent.names, v, w, required=parent.required
    )


def best_k_top(
    parent: Parent, children: list[FloatArray], w: FloatArray
) -> tuple[list[FloatArray], list[npt.NDArray[np.int16]]]:
    """Each draw's and institution's best k candidates: values and child positions, best first.

    As :func:`palmares.steps.weight.best_k` for every draw: candidates are the present children
    not always kept and of positive weight in the draw (``w``, (d, k)), ordered by value then by
    child order (a stable sort of -v); absent ones are never chosen (position -1, value -inf
    where fewer than k are present). An insertion into k sorted (d, n) arrays, child by child:
    a child enters after the equal values already in place, and everything below it moves
    down one place.
    """
    shape = children[0].shape
    always = parent.always
    k = parent.best_k
    top = [np.full(shape, -np.inf) for _ in range(k)]
    index = [np.full(shape, -1, dtype=np.int16) for _ in range(k)]
    for j, v in enumerate(children):
        if always is not None and always[j]:
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


def _best_k_mean(parent: Parent, children: list[FloatArray], w: FloatArray) -> FloatArray:
    """A mean over each institution's best k children (plus ``always``), (d, k) weights."""
    top, index = best_k_top(parent, children, w)
    k = len(children)
    always = np.zeros(k, dtype=bool) if parent.always is None else parent.always
    if parent.method != "arithmetic":  # (d, k, n) weights for the general means
        chosen = np.zeros((w.shape[0], k, children[0].shape[1]), dtype=bool)
        chosen[:, always] = True
        for at in index:
            for j in range(k):
                chosen[:, j] |= at == j
        wk = np.where(chosen, w[:, :, None], 0.0)
        return _dynamic_mean(parent, np.stack(children, axis=1), wk)
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
    if parent.renormalise:
        weight_sum = present_weight
        ok = np.ones(total.shape, dtype=bool)
    else:  # every kept child with a weight must be present
        weight_sum = kept_weight
        ok = count == kept_count
    ok &= (count >= parent.min_children) & (weight_sum > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, total / weight_sum, np.nan)


def _leaf_points(parent: Parent, plan: ReplayPlan, w: FloatArray) -> FloatArray:
    """Sums of points of leaf children, (d, k) weights -> (d, n): one product per draw block.

    As :func:`palmares.steps.aggregate.sum_points` with ``skip_missing``: a missing child adds
    nothing, bonus children add their points with weight 1, and at least one weighted child
    must be present.
    """
    assert parent.bonus is not None
    cols = plan.leaf_columns[list(parent.children)]
    wb = np.where(parent.bonus, 0.0, w)
    total = wb @ plan.xt[cols]  # plan.x holds 0 where a value is absent
    count = (wb > 0).astype(np.float64) @ plan.maskt[cols]
    extra = plan.x[:, cols[parent.bonus]].sum(axis=1)
    return np.where(count >= 0.5, total + extra, np.nan)


def _weighted_sum(children: list[FloatArray], w: FloatArray) -> FloatArray:
    """sum_j w_j c_j / sum_j w_j for gap-free (d, n) children, accumulated in place."""
    total = children[0] * w[:, 0, None]
    term = np.empty_like(total)
    for j in range(1, len(children)):  # a few children: each pass is over every draw
        np.multiply(children[j], w[:, j, None], out=term)
        total += term
    total /= w.sum(axis=1)[:, None]
    return total


def _special(
    parent: Parent,
    plan: ReplayPlan,
    w: FloatArray,
    child_values: Callable[[int], FloatArray],
    leaf_column: Mapping[int, int],
) -> FloatArray:
    """Sums of points, best-k weights and redistribution: (d, k, n) children, per draw."""
    if parent.method == "sum_points" and all(c in leaf_column for c in parent.children):
        return _leaf_points(parent, plan, w)
    children = [child_values(c) for c in parent.children]
    if parent.best_k:
        return _best_k_mean(parent, children, w)
    v = np.stack(children, axis=1)
    return _dynamic_mean(parent, v, w)


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

    after = plan.after or ((),) * len(plan.levels)
    for level, steps in zip(plan.levels, after, strict=True):
        for parent in level:
            wp = w[:, parent.columns]
            if not parent.plain:
                values[parent.node] = _special(parent, plan, wp, child_values, leaf_column)
                continue
            if all(c in leaf_column for c in parent.children):
                if parent.method == "arithmetic":
                    mean, whole = _leaf_mean(parent, plan, wp)
                    values[parent.node] = mean
                    if whole:
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
        for inner in steps:  # inner rescale / round, after the whole level as in the engine
            node = plan.tree.ids[inner.node]
            s = queries.apply_score_steps([inner.step], node, values[inner.node], plan.eligible)
            values[inner.node] = s
            if np.isnan(s).any():
                gap_free.discard(inner.node)
    score = values[plan.root]
    return score if plan.eligible.all() else np.where(plan.eligible, score, np.nan)


# -- root steps and ranks ---------------------------------------------------------------------


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
    elif steps and ops.SCORES.rounds(steps[-1]):
        last_round = int(steps[-1].params()["decimals"])
        steps = steps[:-1]
    s = queries.apply_score_steps(steps, plan.tree.ids[plan.root], s)
    if last_round is None:
        return s, False
    return ops.SCORES.round_units(s, last_round), True


def grade_keys(plan: ReplayPlan, w: FloatArray) -> FloatArray:
    """A counts (d, n) over the leaves each draw keeps (NaN: no grade kept, or off the table).

    A draw drops a leaf when it sets the weight of the leaf or of one of its ancestors to 0
    (an excluded indicator or dimension); grade counts add up 0/1 cells, exact in floats.
    """
    g = plan.grades
    assert g is not None
    dropped = ((w <= 0) & (plan.weights.nominal > 0)).astype(np.float64)
    kept = ((dropped @ g.paths) < 0.5).astype(np.float64)  # (d, L)
    a_count = kept @ g.a_grades
    graded = kept @ g.graded
    return queries.grade_count_key(np.where(plan.eligible, a_count, np.nan), graded > 0.5)


def ranking_keys(plan: ReplayPlan, w: FloatArray) -> tuple[FloatArray, bool]:
    """The ranking key (d, n) of a block of draws, and whether it is on an integer grid."""
    if plan.grades is not None:
        return grade_keys(plan, w), True
    return apply_root_steps(plan, aggregate_draws(plan, w))


def _block(plan: ReplayPlan) -> int:
    """Draws per block: (draws x institutions x children) arrays stay within BLOCK_CELLS."""
    leaves = set(plan.leaf_rows.tolist())
    wide = [
        len(p.children)
        for lv in plan.levels
        for p in lv
        if not leaves.issuperset(p.children) or (not p.plain and p.method != "sum_points")
    ]
    widest = max(wide + [len(lv) for lv in plan.levels] + [1])
    if plan.grades is not None:
        widest = max(widest, plan.grades.paths.shape[1] // 8)
    special = any(not p.plain for lv in plan.levels for p in lv) or any(plan.after)
    # Best-k, inner rescaling and the like run many small passes per block: larger blocks
    # spend less per call (measured on THE Impact: 13 % less time at 4x the cells).
    cells = 4 * BLOCK_CELLS if special else BLOCK_CELLS
    return max(1, cells // max(plan.n * widest, 1))


def replay_ranks(plan: ReplayPlan, w: FloatArray) -> IntArray:
    """Competition ranks (d, n) of every draw, in blocks of bounded memory."""
    block = _block(plan)
    out = np.empty((w.shape[0], plan.n), dtype=np.int64)
    with single_thread():
        for start in range(0, w.shape[0], block):
            part = slice(start, min(start + block, w.shape[0]))
            key, grid = ranking_keys(plan, w[part])
            out[part] = competition_rank_on_grid(key) if grid else competition_rank(key)
    return out
