"""Run a methodology on one edition of a dataset: the only place that sequences steps.

The pipeline follows the methodology's ``[[steps]]`` in order over the institutions x leaves
matrix: eligibility (on what was submitted), imputation, outlier treatment, normalisation,
points and grades act on leaves; weights and aggregation then build every inner node bottom-up;
a rescale or round step naming inner nodes acts right after those nodes are aggregated and before
their parents (THE Impact rescales each SDG, then keeps the best three); rescaling and rounding
of the root, then ranking, bands and groups come last.

Eligibility has two roles. A ``coverage`` rule screens out institutions with too little data:
they are not scored at all and leaf statistics ignore them (the JRC screen). Every other rule
(``required``, ``k_of``, ``where``) decides membership of the overall table only: the institution
is still scored wherever it has data, so per-node tables (THE Impact's per-SDG tables) rank every
submitter, while the root score, its rank and the statistics of inner rescale steps are taken
over the overall table.

Every intermediate array is kept in the :class:`~palmares.result.Result` so each number can be
explained, and the cached leaf values let :mod:`palmares.personalise` re-aggregate
without rerunning the earlier steps.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from palmares.dataset import Dataset
from palmares.methodology import Methodology, methodology_hash
from palmares.methodology.load import check_with_tree
from palmares.methodology.model import StepBase
from palmares.plan import (
    ends_rounded,
    inner_steps,
    published_decimals,
    ranking_key,
    resolve,
    root_steps,
    step_for,
    targets_root,
    with_bundle_weights,
)
from palmares.ranking_table import RankingTable, rank_scores
from palmares.result import Result
from palmares.steps.registry import (
    AGGREGATE,
    REDISTRIBUTE,
    SCORES,
    WEIGHT,
    LeafBatch,
    MethodologyDataError,
    eligibility_operation,
    is_redistribution,
    leaf_operation,
)
from palmares.tree import Tree

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Aggregation used for inner nodes no aggregate step covers (the JRC default).
DEFAULT_AGGREGATION = AGGREGATE.DEFAULT


@dataclass(frozen=True)
class StepRecord:
    """What one step did, for the working: its tag, scope and per-column facts."""

    index: int
    tag: str
    nodes: tuple[str, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _State:
    """Mutable working arrays of one run (private to the engine; Result freezes them)."""

    x: FloatArray  # (n, L) leaf values as transformed so far
    mask: BoolArray  # (n, L) value present (after imputation: filled cells too)
    imputed: BoolArray  # (n, L)
    applicable: BoolArray  # (n, L) False where the indicator does not apply (never imputed)
    grades: npt.NDArray[np.int8] | None = None
    records: list[StepRecord] = field(default_factory=list)


def methodology_tree(dataset: Dataset, method: Methodology) -> tuple[Tree, dict[str, int]]:
    """The tree the methodology aggregates over, and each leaf's direction (+1 / -1)."""
    if method.tree.source == "inline":
        tree = Tree.from_parents((n.id, n.parent) for n in method.tree.nodes)
        directions = {n.id: -1 if n.direction == "lower" else 1 for n in method.tree.nodes}
        return tree, directions
    if method.system not in dataset.tree():
        raise MethodologyDataError(
            f"the bundle has no indicator tree rooted at {method.system!r} "
            f"(systems in the bundle: {', '.join(dataset.systems) or 'none'})"
        )
    tree = dataset.tree(method.system)
    ind = dataset.indicators
    lower = set(ind.loc[ind["direction"] == "lower", "id"].tolist())
    return tree, {n: -1 if n in lower else 1 for n in tree.ids}


def run(
    dataset: Dataset,
    method: Methodology | str | os.PathLike[str],
    edition: int,
    *,
    seed: int = 0,
    data_hash: str | None = None,
    reference: npt.ArrayLike | None = None,
) -> Result:
    """Score, rank, band and group every institution of ``edition`` with ``method``.

    Returns a :class:`~palmares.result.Result` carrying the working of every step and the
    methodology hash, data hash, seed and palmares version. ``reference``: one non-negative
    integer per institution of the edition (in the Result's order), the multiplicity of its
    row in the population whose values define the statistics of the leaf steps (imputation,
    treatment, normalisation, points, grades): a bootstrap resample. Every institution is
    still scored; None (default) is every row once, and all ones gives the same result.
    """
    from palmares.io import data_hash as compute_data_hash

    m = resolve(method, edition)
    if not m.applies_to(edition):
        raise MethodologyDataError(
            f"methodology {m.id!r} applies to editions {m.methodology.describe_editions()}, "
            f"not {edition}"
        )
    full_tree, directions = methodology_tree(dataset, m)
    m = with_bundle_weights(dataset, m, full_tree)
    check_with_tree(m, full_tree if m.tree.source == "bundle" else dataset.tree())
    matrix = dataset.matrix(m.system, edition, full_tree.leaves)
    # Leaves without a single row in this edition (criteria introduced later) drop out.
    present_leaves = [
        leaf for j, leaf in enumerate(matrix.nodes) if (matrix.status[:, j] >= 0).any()
    ]
    if not present_leaves:
        raise MethodologyDataError(f"no indicator of {m.system!r} has data in {edition}")
    tree = full_tree.restrict(present_leaves)
    leaves = tree.leaves
    columns = [matrix.nodes.index(leaf) for leaf in leaves]
    values = matrix.values[:, columns]
    submitted = matrix.mask[:, columns]
    applicable = ~matrix.not_applicable[:, columns]
    direction = np.array([directions.get(leaf, 1) for leaf in leaves], dtype=np.int8)
    attributes = _attributes(dataset, matrix.institutions)

    status = matrix.status[:, columns]
    # An SDG is submitted when it has rows that apply, even if a metric is missing.
    declared = (status >= 0) & applicable
    screened, eligible = _eligibility(m, tree, submitted, attributes, declared)
    rows = np.flatnonzero(screened)
    in_table = eligible[rows]
    if reference is not None:
        reference = np.asarray(reference)
        if reference.shape != (len(matrix.institutions),):
            raise ValueError(
                f"reference needs one multiplicity per institution of {edition} "
                f"({len(matrix.institutions)}), got shape {reference.shape}"
            )
        reference = reference[rows]  # screened-out institutions are in no statistic
    state = _State(
        x=np.where(submitted, values, np.nan)[rows],
        mask=submitted[rows].copy(),
        imputed=np.zeros((rows.size, len(leaves)), dtype=bool),
        applicable=applicable[rows],
    )
    sub_attributes = {k: v[rows] for k, v in attributes.items()}
    for index, step in enumerate(m.steps):
        if leaf_operation(step) is not None:
            _leaf_step(index, step, tree, state, direction, sub_attributes, reference)
    aggregated = aggregate_tree_full(
        m, tree, state.x, state.mask, state.grades, applicable[rows], population=in_table
    )
    node_values = aggregated.values
    counts = aggregated.counts
    state.records.extend(aggregated.records)
    root = tree.roots[0]
    root_column = tree.index(root)
    # Only the overall table has a root score.
    node_values[~in_table, root_column] = np.nan
    raw_score = node_values[:, root_column].copy()
    for index, root_scaling in root_steps(m, root):
        state.records.append(root_step(index, root_scaling, tree, node_values, root))
    score = node_values[:, root_column]

    key = np.where(in_table, ranking_key(m, score, counts, tree, root), np.nan)
    table = rank_scores(
        m.ranking,
        edition,
        key,
        key if m.ranking.by == "grade_counts" else score,  # U-Multirank shows its A count
        decimals=published_decimals(m),
        rounded=ends_rounded(m),
    )

    n = len(matrix.institutions)

    def widen(a: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
        if rows.size == n:
            return a
        out = np.full((n, *a.shape[1:]), fill, dtype=a.dtype if fill is not np.nan else float)
        out[rows] = a
        return out

    return Result(
        system=m.system,
        edition=int(edition),
        methodology=m,
        methodology_hash=methodology_hash(m),
        data_hash=data_hash
        if data_hash is not None
        else dataset.memo("data_hash", lambda: compute_data_hash(dataset)),
        seed=seed,
        institutions=matrix.institutions,
        names=_names(dataset, matrix.institutions),
        attributes=attributes,
        tree=tree,
        leaves=tuple(leaves),
        direction=direction,
        raw=values,
        status=status,
        eligible=eligible,
        imputed=widen(state.imputed, False),
        leaf_values=widen(state.x, np.nan),
        leaf_mask=widen(state.mask, False),
        grades=None if state.grades is None else widen(state.grades, np.int8(-1)),
        node_values=widen(node_values, np.nan),
        node_weights=widen(aggregated.weights, np.nan),
        grade_counts=None if counts is None else widen(counts, np.int64(0)),
        unscaled=widen(aggregated.unscaled, np.nan),
        scored=screened,
        raw_score=widen(raw_score, np.nan),
        score=widen(score, np.nan),
        ranking=table.widen(rows, n),
        records=tuple(state.records),
        networks=dataset.networks,
    )


# -- eligibility ---------------------------------------------------------------------------------


def _columns(tree: Tree, leaves: Sequence[str], nodes: Sequence[str] | None) -> list[int]:
    """Leaf columns under the given nodes (an inner node stands for its leaves)."""
    if nodes is None:
        return list(range(len(leaves)))
    position = {leaf: j for j, leaf in enumerate(leaves)}
    out: list[int] = []
    for node in nodes:
        if node not in tree:
            continue  # a node absent from this edition simply contributes no column
        out.extend(position[leaf] for leaf in tree.leaves_under(node))
    return sorted(set(out))


def _node_submitted(
    tree: Tree, leaves: Sequence[str], submitted: BoolArray, nodes: Sequence[str] | None
) -> tuple[BoolArray, list[int]] | None:
    """For rules naming inner nodes: (n, k) "submitted" per named node (any leaf below is
    submitted), and the columns; None when the step names leaves only (leaf rules apply)."""
    if nodes is None or all(n not in tree or tree.is_leaf[tree.index(n)] for n in nodes):
        return None
    present = [n for n in nodes if n in tree]
    position = {leaf: j for j, leaf in enumerate(leaves)}
    out = np.zeros((submitted.shape[0], len(present)), dtype=bool)
    for k, node in enumerate(present):
        cols = [position[leaf] for leaf in tree.leaves_under(node)]
        out[:, k] = submitted[:, cols].any(axis=1)
    return out, list(range(len(present)))


def _eligibility(
    m: Methodology,
    tree: Tree,
    submitted: BoolArray,
    attributes: Mapping[str, npt.NDArray[Any]],
    declared: BoolArray | None = None,
) -> tuple[BoolArray, BoolArray]:
    """(screened, eligible): who is scored at all (coverage rules), who enters the overall
    table (every rule). Leaf rules count values present; a rule naming inner nodes counts a
    node as submitted when any leaf below it is ``declared`` (a row that applies, even with a
    missing value: THE Impact's SDG 17 plus three other SDGs submitted)."""
    declared = submitted if declared is None else declared
    screened = np.ones(submitted.shape[0], dtype=bool)
    keep = np.ones(submitted.shape[0], dtype=bool)
    leaves = tree.leaves
    for step in m.steps:
        rule = eligibility_operation(step)
        if rule is None:
            continue
        params = step.params()
        by_node = _node_submitted(tree, leaves, declared, step.nodes)
        mask, cols = by_node if by_node is not None else (submitted, None)
        if cols is None:
            cols = _columns(tree, leaves, step.nodes)
        if rule.screens:
            screened &= rule.apply(params, mask, cols, attributes)
        else:
            keep &= rule.apply(params, mask, cols, attributes)
    return screened, keep & screened


# -- leaf steps ----------------------------------------------------------------------------------


def _param_groups(
    step: StepBase, nodes: Sequence[str], columns: Sequence[int]
) -> list[tuple[dict[str, Any], list[int]]]:
    """Columns grouped by their effective parameters (overrides make groups)."""
    groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for node, column in zip(nodes, columns, strict=True):
        params = step.params_for(node)
        key = repr(sorted(params.items()))
        groups.setdefault(key, (params, []))[1].append(column)
    return list(groups.values())


def _leaf_scope(step: StepBase, tree: Tree) -> list[int]:
    leaves = tree.leaves
    if step.level is not None:
        depth = tree.depth
        chosen = [n for n in leaves if depth[tree.index(n)] == step.level]
        return [leaves.index(n) for n in chosen]
    return _columns(tree, leaves, step.nodes)


def _leaf_step(
    index: int,
    step: StepBase,
    tree: Tree,
    state: _State,
    direction: npt.NDArray[np.int8],
    attributes: Mapping[str, npt.NDArray[Any]],
    reference: npt.ArrayLike | None = None,
) -> None:
    op = leaf_operation(step)
    scope = _leaf_scope(step, tree)
    if op is None or not scope:
        return
    leaves = tree.leaves
    facts: dict[str, Any] = {}
    everything = len(scope) == len(leaves)
    for params, cols in _param_groups(step, [leaves[c] for c in scope], scope):
        # One group over every column (the common case) works on whole arrays, not copies.
        whole: slice | list[int] = slice(None) if everything and len(cols) == len(leaves) else cols
        batch = LeafBatch(
            x=state.x[:, whole],
            mask=state.mask[:, whole],
            direction=direction[whole],
            applicable=state.applicable[:, whole],
            attributes=attributes,
            reference=reference,
        )
        done = op.apply(step, params, batch)
        if done.x is not None:
            state.x[:, whole] = done.x
        if done.imputed is not None:
            state.mask[:, whole] = batch.mask | done.imputed
            state.imputed[:, whole] |= done.imputed
        if done.grades is not None:
            if state.grades is None:
                state.grades = np.full(state.x.shape, -1, dtype=np.int8)
            state.grades[:, whole] = done.grades
        facts.update({leaves[c]: f for c, f in zip(cols, done.facts, strict=False)})
    state.records.append(StepRecord(index, step.tag, tuple(leaves[c] for c in scope), facts))


# -- weights and aggregation ---------------------------------------------------------------------


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
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64] | None]:
    """Node values (n, N), each node's effective weight within its parent (n, N), grade counts.

    ``x``/``mask``/``grades``/``applicable`` are over ``tree.leaves``; ``weights`` overrides the
    methodology's weights (``weight_overrides``: the personalised ranking). ``population``
    (default: every row) is whom inner rescale steps take their statistics over. Without
    ``working`` the plain weighted means skip each child's share of its parent (the weights
    come back NaN there): scores and ranks only, for callers that explain nothing.
    """
    out = aggregate_tree_full(
        m,
        tree,
        x,
        mask,
        grades,
        applicable,
        weight_overrides,
        population=population,
        working=working,
    )
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

    def weight_of(node: str) -> float:
        return overrides.get(node, m.weight(node))

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
        counts = np.zeros((size, n, 5), dtype=np.int64)
        counts[leaf_rows] = (grades.T[:, :, None] == np.arange(5)).astype(np.int64)
    pending = plan.pending
    unscaled_rows: dict[int, FloatArray] = {}
    records: list[StepRecord] = []
    for level, slow, fast in plan.levels:
        for parent in slow:
            node = tree.ids[parent]
            agg = step_for(m, "aggregate", node, tree)
            children = list(tree.child_index[parent])
            cx = values[children].T
            cmask = present[children].T
            base = np.array([weight_of(tree.ids[c]) for c in children], dtype=float)
            w = _node_weights(m, tree, node, cx, cmask, base, node_applicable[children].T)
            params = {} if agg is None else agg.params_for(node)
            names = [tree.ids[c] for c in children]
            values[parent] = AGGREGATE.apply(agg, params, names, cx, cmask, w)
            present[parent] = ~np.isnan(values[parent])
            full[parent] = present[parent].all()
            node_applicable[parent] = node_applicable[children].any(axis=0)
            shares = w * cmask if w.ndim == 2 else np.broadcast_to(w, cx.shape) * cmask
            total = shares.sum(axis=1, keepdims=True)
            if working:
                with np.errstate(invalid="ignore", divide="ignore"):
                    weights[children] = np.where(total > 0, shares / total, np.nan).T
            if counts is not None:
                counts[parent] = counts[children].sum(axis=0)
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
                values[row] = _rescale_or_round(step, node, values[row], pop)
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
        counts=None if counts is None else counts.transpose(1, 0, 2),
        unscaled=unscaled.T,
        records=sorted(records, key=lambda r: r.index),
    )


def _rescale_or_round(
    step: StepBase, node: str, s: FloatArray, population: BoolArray | None
) -> FloatArray:
    """One node's scores through a rescale (statistics over ``population``) or a round."""
    return SCORES.apply(step, step.params_for(node), s, population)


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
class _Plan:
    """What aggregating a tree with a methodology needs, whatever the data: per level (deepest
    first) its nodes, the parents aggregated one by one and the plain weighted means done
    together; the leaves' rows; the inner rescale/round steps."""

    levels: list[tuple[npt.NDArray[np.int64], list[int], _MeanLevel | None]]
    leaf_rows: npt.NDArray[np.intp]
    pending: list[tuple[int, StepBase, list[str]]]
    redistributes: bool
    any_slow: bool


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
        redistributes=any(is_redistribution(step) for step in m.steps),
        any_slow=any(slow for _, slow, _ in levels),
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
    if not AGGREGATE.plain_mean(agg):
        return False
    if step_for(m, "weight", node, tree) is not None:
        return False
    return not is_redistribution(step_for(m, "impute", node, tree))


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
        w = WEIGHT.apply(step, step.params_for(node), tree.children(node), base, x, mask)
    redistribute = step_for(m, "impute", node, tree)
    if is_redistribution(redistribute) and w.ndim == 1:
        # Best-k weights (per institution) with a redistribution are refused at validation.
        w = REDISTRIBUTE.weights(w, applicable)
    return w


# -- root steps ----------------------------------------------------------------------------------


def root_step(index: int, step: StepBase, tree: Tree, values: FloatArray, root: str) -> StepRecord:
    """Apply a rescale or round step to the root, in place on ``values`` (steps naming inner
    nodes act during aggregation, see :func:`aggregate_tree_full`)."""
    col = tree.index(root)
    s = values[:, col]
    values[:, col] = _rescale_or_round(step, root, s, None)
    return StepRecord(index, step.tag, (root,))


# -- institutions ----------------------------------------------------------------------------


def _attributes(dataset: Dataset, ids: Sequence[str]) -> dict[str, npt.NDArray[Any]]:
    """Institution attributes (every column but the names) aligned with ``ids``."""
    inst = dataset.institutions.set_index("id")
    inst = inst.reindex(list(ids))
    skip = {"name", "name_en", "name_fr"}
    return {c: inst[c].to_numpy(dtype=object) for c in inst.columns if c not in skip}


def _names(dataset: Dataset, ids: Sequence[str]) -> tuple[str, ...]:
    inst = dataset.institutions.set_index("id")
    return tuple(inst.reindex(list(ids))["name"].fillna("").tolist())


__all__ = [
    "Aggregated",
    "MethodologyDataError",
    "RankingTable",
    "StepRecord",
    "aggregate_tree",
    "aggregate_tree_full",
    "ends_rounded",
    "inner_steps",
    "published_decimals",
    "ranking_key",
    "resolve",
    "run",
    "targets_root",
]
