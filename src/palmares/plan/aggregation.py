"""Aggregation of every inner node, bottom-up, with the inner rescale and round steps between
levels: the plan of a methodology over a tree (cached by methodology hash and tree), executed
for a run, a personalisation, or any weights a caller overrides.

Plain renormalised weighted means of a level go together through one sparse product (the fast
path); other parents (geometric, sums of points, best-k weights, redistributed weights) go
one by one through their operations.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from palmares.methodology import Methodology
from palmares.methodology.model import StepBase
from palmares.plan.queries import inner_steps, step_for
from palmares.steps import BoolArray, FloatArray
from palmares.steps import registry as ops
from palmares.tree import Tree

if TYPE_CHECKING:
    # imported where a plan is built (0.1-0.3 s, 10 MB): a kept table is read without it
    from scipy import sparse


@dataclass(frozen=True)
class StepRecord:
    """What one step did, for the working: its tag, scope and per-column facts."""

    index: int
    tag: str
    nodes: tuple[str, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Aggregated:
    """What aggregation produced: node values (n, N) as their parents consumed them, each
    node's share of its parent, grade counts, node values before any inner rescale or round
    (what per-node tables rank), and the records of the inner steps."""

    values: FloatArray
    weights: FloatArray
    counts: npt.NDArray[np.int64] | None
    unscaled: FloatArray
    records: list[StepRecord]


def aggregate_tree(
    *args: Any, **options: Any
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64] | None]:
    """Node values (n, N), each node's effective weight within its parent (n, N), grade counts:
    :func:`aggregate_tree_full` (same arguments) as a tuple.

    ``x``/``mask``/``grades``/``applicable`` are over ``tree.leaves``; ``weights`` overrides the
    methodology's weights (``weight_overrides``: the personalised ranking). ``population``
    (default: every row) is whom inner rescale steps take their statistics over. Without
    ``working`` the plain weighted means skip each child's share of its parent (the weights
    come back NaN there): scores and ranks only, for callers that explain nothing.
    """
    out = aggregate_tree_full(*args, **options)
    return out.values, out.weights, out.counts


def aggregate_tree_full(
    m: Methodology,
    tree: Tree,
    x: FloatArray,
    mask: BoolArray,
    grades: npt.NDArray[np.int8] | None,
    applicable: BoolArray,
    weight_overrides: Mapping[str, float] | None = None,
    *,
    population: BoolArray | None = None,
    working: bool = True,
) -> Aggregated:
    """Aggregate bottom-up, applying inner rescale/round steps between levels (see
    :func:`aggregate_tree`)."""
    n = x.shape[0]
    overrides = dict(weight_overrides or {})
    pop = np.ones(n, dtype=bool) if population is None else np.asarray(population, dtype=bool)

    # Node-major storage (node, institution): a node's values are one contiguous row, so
    # gathering children and summing them per parent runs along the fast axis.
    size = len(tree)
    plan = _plan(m, tree)
    redistributes = plan.redistributes
    leaf_rows = plan.leaf_rows
    # Every row is written below (leaves here, each inner node by its level), so no fill.
    values = np.empty((size, n))
    present = np.empty((size, n), dtype=bool)
    # Rows present for every institution: their parents' means skip the masks altogether.
    full = np.zeros(size, dtype=bool)
    if mask.all():
        values[leaf_rows] = x.T
        present[leaf_rows] = True
        full[leaf_rows] = True
    else:
        values[leaf_rows] = np.where(mask, x, np.nan).T
        present[leaf_rows] = mask.T
        full[leaf_rows] = mask.all(axis=0)
    # Applicability only matters to parents aggregated one by one (weight redistribution).
    node_applicable = np.ones((size, n) if redistributes or plan.any_slow else (0, n), dtype=bool)
    if node_applicable.size:
        node_applicable[leaf_rows] = applicable.T
    weights = np.full((size, n), np.nan) if working else np.empty((0, n))
    if working:
        weights[tree.index(tree.roots[0])] = 1.0
    counts: npt.NDArray[np.int64] | None = None
    if grades is not None:
        # Grade-major (node, grade, institution): each grade's counts of a node are one
        # contiguous row, so the comparisons below and the sums per parent run along the fast
        # axis (a third of a personalised re-ranking's time went to the strided
        # (node, institution, grade) slots). Every row is written below, so no fill.
        counts = np.empty((size, 5, n), dtype=np.int64)
        leaf_grades = np.ascontiguousarray(grades.T)
        for g in range(5):
            counts[leaf_rows, g] = leaf_grades == g
    pending = plan.pending
    unscaled_rows: dict[int, FloatArray] = {}
    records: list[StepRecord] = []
    for level, slow, fast in plan.levels:
        for parent in slow:
            one = plan.slow_parents[parent]
            node, agg, children, names, params = (
                one.node,
                one.step,
                one.children,
                one.names,
                one.params,
            )
            cx = values[children].T
            cmask = present[children].T
            base = one.weights
            touched = [(j, overrides[c]) for j, c in enumerate(names) if c in overrides]
            if touched:
                base = base.copy()
                for j, value in touched:
                    base[j] = value
            w = _node_weights(m, tree, node, cx, cmask, base, node_applicable[children].T)
            values[parent] = ops.AGGREGATE.apply(agg, params, names, cx, cmask, w)
            present[parent] = ~np.isnan(values[parent])
            full[parent] = present[parent].all()
            node_applicable[parent] = node_applicable[children].any(axis=0)
            if working and w.ndim == 1:
                # Shared weights: each child's share computed in its node-major row (the
                # gathered mask as is, no transposed copies; the same sums, child by child).
                shared = cmask.T * w[:, None]
                whole = shared.sum(axis=0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    weights[children] = np.where(whole > 0, shared / whole, np.nan)
            elif working:
                shares = w * cmask
                total = shares.sum(axis=1, keepdims=True)
                with np.errstate(invalid="ignore", divide="ignore"):
                    weights[children] = np.where(total > 0, shares / total, np.nan).T
            if counts is not None:
                # Child by child into the parent's row: no (children, n, 5) gathered copy.
                into = counts[parent]
                into[...] = counts[children[0]]
                for c in children[1:]:
                    into += counts[c]
        if fast is not None:
            _mean_level(
                fast,
                overrides,
                values,
                present,
                weights,
                node_applicable,
                counts,
                full,
                redistributes=redistributes,
                working=working,
            )
        in_level = {tree.ids[i] for i in level.tolist()} if pending else set()
        for index, step, nodes in pending:
            here = [node for node in nodes if node in in_level]
            for node in here:
                row = tree.index(node)
                unscaled_rows.setdefault(row, values[row].copy())
                values[row] = rescale_or_round(step, node, values[row], pop)
                present[row] = ~np.isnan(values[row])
                full[row] = present[row].all()
            if here:
                records.append(StepRecord(index, step.tag, tuple(here)))
    unscaled = values.copy() if unscaled_rows else values
    for row, original in unscaled_rows.items():
        unscaled[row] = original
    return Aggregated(
        values=values.T,
        # Without the working, a read-only all-NaN view (no allocation).
        weights=weights.T if working else np.broadcast_to(np.float64(np.nan), (n, size)),
        counts=None if counts is None else counts.transpose(2, 0, 1),
        unscaled=unscaled.T,
        records=sorted(records, key=lambda r: r.index),
    )


def rescale_or_round(
    step: StepBase, node: str, s: FloatArray, population: BoolArray | None
) -> FloatArray:
    """One node's scores through a rescale (statistics over ``population``) or a round."""
    return ops.SCORES.apply(step, step.params_for(node), s, population)


@dataclass(frozen=True)
class _Weighted:
    """One level's weights once a call's overrides apply (cached: a personalised ranking
    replays the same weights many times)."""

    weights: FloatArray
    #: (parents x children) weights; children are laid out parent by parent, so the CSR row
    #: pointers are the running sizes.
    by_weight: sparse.csr_matrix
    #: (parents x children) 1 where a child's weight is positive (``min_children`` counts them).
    by_count: sparse.csr_matrix
    #: (parents, 1) each parent's weight sum when every child is present, summed child by child
    #: from 0 as the sparse product sums them (so both paths give the same bits).
    full_sum: FloatArray
    #: (parents,) whether a parent is scored when every child is present.
    full_ok: npt.NDArray[np.bool_]
    #: (children, 1) each child's share of its parent when every child is present.
    full_share: FloatArray


@dataclass(frozen=True)
class _MeanLevel:
    """What one level's weighted means need that depends only on the methodology and tree."""

    parents: list[int]
    children: list[int]
    sizes: npt.NDArray[np.int64]
    owner_col: npt.NDArray[np.int64]
    indptr: npt.NDArray[np.int64]
    mins: FloatArray
    renormalise: npt.NDArray[np.bool_]
    weights: FloatArray  # each child's weight in the methodology (overrides apply per call)
    position: Mapping[str, int]  # child id -> its column
    parent_rows: npt.NDArray[np.intp]
    child_rows: npt.NDArray[np.intp]
    #: Weighted forms by the overrides touching this level ((column, weight) pairs).
    weighted: dict[tuple[tuple[int, float], ...], _Weighted] = field(
        default_factory=dict, compare=False, repr=False
    )

    def weigh(self, overrides: Mapping[str, float]) -> _Weighted:
        """This level's weights with ``overrides`` applied."""
        position = self.position
        key = tuple((position[node], v) for node, v in overrides.items() if node in position)
        with _PLANS_LOCK:
            found = self.weighted.get(key)
        if found is not None:
            return found
        from scipy import sparse

        w = self.weights.copy()
        for at, value in key:
            w[at] = value
        structure = (np.arange(len(self.children)), self.indptr)
        shape = (len(self.parents), len(self.children))
        positive = (w > 0).astype(np.float64)
        sums = np.zeros(len(self.parents))
        counts = np.zeros(len(self.parents))
        for j in range(len(self.parents)):
            total = 0.0
            for value in w[self.indptr[j] : self.indptr[j + 1]].tolist():
                total += value  # in child order, as the sparse row sums add them
            sums[j] = total
            counts[j] = positive[self.indptr[j] : self.indptr[j + 1]].sum()
        # Every child present: no missing weight, so ``renormalise`` cannot fail a parent.
        ok = (sums > 0) & (counts >= self.mins)
        with np.errstate(divide="ignore"):
            inverse = np.where(sums > 0, 1.0 / np.where(sums > 0, sums, 1.0), np.nan)
        out = _Weighted(
            weights=w,
            by_weight=sparse.csr_matrix((w, *structure), shape=shape),
            by_count=sparse.csr_matrix((positive, *structure), shape=shape),
            full_sum=sums[:, None],
            full_ok=ok,
            full_share=(w * inverse[self.owner_col])[:, None],
        )
        with _PLANS_LOCK:
            if len(self.weighted) >= 32:
                self.weighted.pop(next(iter(self.weighted)), None)
            return self.weighted.setdefault(key, out)


@dataclass(frozen=True)
class _SlowParent:
    """What aggregating one parent on its own needs that depends only on the methodology and
    tree (looked up once per plan, not per call)."""

    node: str
    step: StepBase | None
    children: list[int]
    names: list[str]
    params: Mapping[str, Any]
    weights: FloatArray  # the children's weights in the methodology; read-only


def _slow_parent(m: Methodology, tree: Tree, parent: int) -> _SlowParent:
    node = tree.ids[parent]
    step = step_for(m, "aggregate", node, tree)
    children = list(tree.child_index[parent])
    names = [tree.ids[c] for c in children]
    weights = np.array([m.weight(c) for c in names], dtype=float)
    weights.flags.writeable = False
    params = {} if step is None else step.params_for(node)
    return _SlowParent(node, step, children, names, params, weights)


@dataclass(frozen=True)
class _Plan:
    """What aggregating a tree with a methodology needs, whatever the data: per level (deepest
    first) its nodes, the parents aggregated one by one and the plain weighted means done
    together; the leaves' rows; the inner rescale/round steps."""

    levels: list[tuple[npt.NDArray[np.int64], list[int], _MeanLevel | None]]
    leaf_rows: npt.NDArray[np.intp]
    pending: list[tuple[int, StepBase, list[str]]]
    redistributes: bool
    any_slow: bool
    slow_parents: dict[int, _SlowParent]


#: Plans by (methodology hash, tree): equal methodologies share a plan, whatever the object.
_PLANS: dict[tuple[str, Tree], _Plan] = {}
#: Guards the plan cache and each level's weighted forms (the API calls the engine from threads).
_PLANS_LOCK = threading.Lock()


def _plan(m: Methodology, tree: Tree) -> _Plan:
    """The aggregation plan of a methodology over a tree. Cached: personalised re-rankings
    replay the same plan many times."""
    key = (m.digest(), tree)
    with _PLANS_LOCK:
        cached = _PLANS.get(key)
    if cached is not None:
        return cached
    levels: list[tuple[npt.NDArray[np.int64], list[int], _MeanLevel | None]] = []
    for level in tree.levels_bottom_up():
        slow: list[int] = []
        fast: list[int] = []
        for parent in level.tolist():
            agg = step_for(m, "aggregate", tree.ids[parent], tree)
            (fast if _is_plain_mean(m, tree, tree.ids[parent], agg) else slow).append(parent)
        levels.append((level, slow, _mean_level_plan(m, tree, fast) if fast else None))
    plan = _Plan(
        levels=levels,
        leaf_rows=np.array([tree.index(leaf) for leaf in tree.leaves], dtype=np.intp),
        pending=inner_steps(m, tree),
        redistributes=any(ops.is_redistribution(step) for step in m.steps),
        any_slow=any(slow for _, slow, _ in levels),
        slow_parents={p: _slow_parent(m, tree, p) for _, slow, _ in levels for p in slow},
    )
    with _PLANS_LOCK:
        if len(_PLANS) >= 64:
            _PLANS.pop(next(iter(_PLANS)))
        return _PLANS.setdefault(key, plan)


def _mean_level_plan(m: Methodology, tree: Tree, parents: list[int]) -> _MeanLevel:
    children = [c for p in parents for c in tree.child_index[p]]
    sizes = np.array([len(tree.child_index[p]) for p in parents], dtype=np.int64)
    mins = np.ones(len(parents))
    renormalise = np.ones(len(parents), dtype=bool)
    for j, p in enumerate(parents):
        agg = step_for(m, "aggregate", tree.ids[p], tree)
        if agg is not None:
            params = agg.params_for(tree.ids[p])
            mins[j] = params.get("min_children", 1)
            renormalise[j] = params.get("renormalise", True)
    weights = np.array([m.weight(tree.ids[c]) for c in children], dtype=float)
    return _MeanLevel(
        parents=parents,
        children=children,
        sizes=sizes,
        owner_col=np.repeat(np.arange(len(parents)), sizes),
        indptr=np.concatenate(([0], np.cumsum(sizes))),
        mins=mins,
        renormalise=renormalise,
        weights=weights,
        position={tree.ids[c]: j for j, c in enumerate(children)},
        parent_rows=np.array(parents, dtype=np.intp),
        child_rows=np.array(children, dtype=np.intp),
    )


def _is_plain_mean(m: Methodology, tree: Tree, node: str, agg: StepBase | None) -> bool:
    """A renormalised weighted arithmetic mean with the file's weights: the matmul fast path."""
    if not ops.AGGREGATE.plain_mean(agg):
        return False
    if step_for(m, "weight", node, tree) is not None:
        return False
    return not ops.is_redistribution(step_for(m, "impute", node, tree))


def _mean_level(
    plan: _MeanLevel,
    overrides: Mapping[str, float],
    values: FloatArray,
    present: BoolArray,
    weights: FloatArray,
    applicable: BoolArray,
    counts: npt.NDArray[np.int64] | None,
    full: npt.NDArray[np.bool_],
    *,
    redistributes: bool,
    working: bool = True,
) -> None:
    """Weighted arithmetic means of many parents of one level at once (node-major arrays).

    A sparse (parents x children) matrix S holds each child's weight in its parent's row, so
    S (X M) is every parent's sum w x over present children and S M its renormalising weight.
    Sparse products sum each row's children in order (no BLAS), so results do not depend on
    the machine or its thread count. When every child is present for every institution
    (``full``: the usual case once missing values are imputed), M is all ones: the weight sums
    and shares are the level's constants and only S X is computed.
    """
    parents, children = plan.parent_rows, plan.child_rows
    mins, renormalise = plan.mins, plan.renormalise
    level = plan.weigh(overrides)
    w = level.weights
    by_weight = level.by_weight
    starts = plan.indptr[:-1]
    cx = values[children]
    if full[children].all():
        total = np.asarray(by_weight @ cx)
        ok_rows = level.full_ok
        if ok_rows.all():
            scores = np.divide(total, level.full_sum, out=total)
        else:
            scores = np.divide(
                total, level.full_sum, out=np.full_like(total, np.nan), where=ok_rows[:, None]
            )
        values[parents] = scores
        present[parents] = ok_rows[:, None]
        full[parents] = ok_rows
        if working:
            weights[children] = level.full_share  # NaN: parent unweighted
    else:
        cm = present[children]
        cmf = cm.astype(np.float64)
        # Absent children hold NaN: zero them in the gathered copy (np.nan_to_num is slower).
        np.copyto(cx, 0.0, where=~cm)
        total = np.asarray(by_weight @ cx)
        weight_sum = np.asarray(by_weight @ cmf)
        ok = weight_sum > 0  # with weights >= 0, this is "at least one weighted child present"
        if (mins > 1).any():
            ok &= np.asarray(level.by_count @ cmf) >= mins[:, None]
        if not renormalise.all():
            missing_weight = np.asarray(by_weight @ (1.0 - cmf))
            ok &= renormalise[:, None] | (missing_weight == 0)
        scores = np.divide(total, weight_sum, out=np.full_like(total, np.nan), where=ok)
        values[parents] = scores
        present[parents] = ok
        full[parents] = ok.all(axis=1)
        if working:
            inverse = np.divide(
                1.0, weight_sum, out=np.full_like(weight_sum, np.nan), where=weight_sum > 0
            )
            weights[children] = (cmf * w[:, None]) * inverse[plan.owner_col]
    if redistributes:
        applicable[parents] = np.logical_or.reduceat(applicable[children], starts, axis=0)
    if counts is not None:
        counts[parents] = np.add.reduceat(counts[children], starts, axis=0)


def _node_weights(
    m: Methodology,
    tree: Tree,
    node: str,
    x: FloatArray,
    mask: BoolArray,
    base: FloatArray,
    applicable: BoolArray,
) -> FloatArray:
    """Children weights for one parent: (c,) shared, or (n, c) per institution."""
    w: FloatArray = base
    step = step_for(m, "weight", node, tree)
    if step is not None:
        w = ops.WEIGHT.apply(step, step.params_for(node), tree.children(node), base, x, mask)
    redistribute = step_for(m, "impute", node, tree)
    if ops.is_redistribution(redistribute) and w.ndim == 1:
        # Best-k weights (per institution) with a redistribution are refused at validation.
        w = ops.REDISTRIBUTE.weights(w, applicable)
    return w
