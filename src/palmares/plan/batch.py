"""The plan: a methodology compiled over a tree, and its one executor, for any batch of weights.

Weights come as (d, K): one row per draw, one column per child of every inner node
(:func:`weight_layout`: inner nodes bottom-up, their children in tree order). A run and a
personalisation are one draw (the methodology's weights, with a personalisation's overrides:
:meth:`Plan.draw_weights`); the uncertainty replay passes blocks of many. The leaves are fixed
(a run's values after its leaf steps).

:func:`walk` is the one level walk: level by level (deepest first), every inner node through its
steps' operations in :mod:`palmares.steps.registry`, then the inner rescale and round steps of
that level's nodes (statistics over the overall table), and at the end the root; the root's
steps follow (:func:`apply_root_steps`, or the engine's records). The arithmetic of a level
specialises by shape: for one draw, the plain weighted means of a level go through one sparse
product (:class:`~palmares.plan.mean_level.MeanLevel`) and other parents through
``Weight.apply``/``Aggregate.apply``, keeping the working (node values, shares, grade counts,
values before inner rescaling, step records); for many draws, each parent through
``Aggregate.draws``/``Weight.draws``. A ranking on grade counts has no composite for many
draws: its key counts the A grades of the leaves a draw keeps. Loops run over tree levels and
parents, never over draws or institutions.

The compiled plan depends on the methodology and the tree only: it is cached by methodology
digest and tree (thread-safe), and bound to a run's leaves by :func:`bind`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.methodology import Methodology
from palmares.methodology.model import StepBase
from palmares.plan import queries
from palmares.plan.mean_level import MeanLevel
from palmares.plan.working import Aggregated, StepRecord
from palmares.steps import BoolArray, FloatArray, IntArray
from palmares.steps import registry as ops
from palmares.tree import Tree

#: Cells (draws x institutions x children) one block of draws may hold.
BLOCK_CELLS = 500_000


class ReplayUnsupported(ValueError):
    """A methodology feature (or a perturbation of it) the batch path does not replay."""


def step_label(m: Methodology, step: StepBase) -> str:
    """``steps[i] (type.method)``: how errors name a step of the methodology."""
    index = next(i for i, s in enumerate(m.steps) if s is step)
    return f"steps[{index}] ({step.tag})"


# -- the weight layout -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightLayout:
    """The columns of a batch of weights: one per child of an aggregated node, grouped by
    parent (inner nodes bottom-up)."""

    nodes: tuple[str, ...]  # (K,) node ids carrying a weight
    group: IntArray  # (K,) index of each node's parent in ``parents``
    nominal: (
        FloatArray  # (K,) weights as the methodology gives them (0: a weight that does not count)
    )
    parents: tuple[str, ...]  # the aggregated nodes, bottom-up


def _shared_weights(
    m: Methodology, tree: Tree, parent: str, overrides: Mapping[str, float]
) -> list[float]:
    """A parent's children's weights shared by every institution: the file's (``overrides``
    replacing some), through the parent's weight step when it has one (equal weights, a table)."""
    children = tree.children(parent)
    base = [float(overrides.get(c, m.weight(c))) for c in children]
    step = queries.step_for(m, "weight", parent, tree)
    if step is None:
        return base
    found = ops.WEIGHT.nominal(step, step.params_for(parent), children, np.array(base))
    return [float(v) for v in found]


def _fixed(m: Methodology, tree: Tree, parent: str) -> list[bool]:
    """Children whose weight does not count (a bonus, added with weight 1)."""
    agg = queries.step_for(m, "aggregate", parent, tree)
    params = {} if agg is None else agg.params_for(parent)
    found: list[bool] = ops.AGGREGATE.fixed_children(agg, params, tree.children(parent)).tolist()
    return found


def _parents(tree: Tree) -> list[str]:
    return [tree.ids[i] for level in tree.levels_bottom_up() for i in level.tolist()]


def weight_layout(m: Methodology, tree: Tree) -> WeightLayout:
    """The weight columns of a methodology over a tree, with their nominal weights."""
    nodes: list[str] = []
    group: list[int] = []
    nominal: list[float] = []
    parents = _parents(tree)
    for g, parent in enumerate(parents):
        # A child whose weight does not count (a bonus, added with weight 1) does not vary,
        # and its siblings keep their own nominal sum.
        base = _shared_weights(m, tree, parent, {})
        for child, w, off in zip(tree.children(parent), base, _fixed(m, tree, parent), strict=True):
            nodes.append(child)
            group.append(g)
            nominal.append(0.0 if off else w)
    return WeightLayout(
        nodes=tuple(nodes),
        group=np.array(group, dtype=np.int64),
        nominal=np.array(nominal, dtype=np.float64),
        parents=tuple(parents),
    )


# -- the compiled plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Parent:
    """One aggregated node: its children (tree indices), their weight columns, its steps."""

    node: int
    children: tuple[int, ...]
    columns: IntArray  # positions of the children in the weight layout
    #: The aggregate step (None: the default arithmetic mean), its parameters for this node
    #: and the children's ids.
    step: StepBase | None
    params: Mapping[str, Any]
    names: tuple[str, ...]
    leaves: bool  # every child a leaf
    #: The weight step covering the node (equal weights, a table, best k), its parameters.
    weight_step: StepBase | None = None
    weight_params: Mapping[str, Any] = field(default_factory=dict)
    #: An imputation redistributes the weight of children that do not apply.
    redistributes: bool = False
    #: With redistribution and no renormalisation, only the children that apply must be
    #: present (a batch of draws asks which they are of the bound leaves).
    needs_required: bool = False
    #: A renormalised weighted arithmetic mean with shared weights: one draw does the level's
    #: such parents at once (:class:`~palmares.plan.mean_level.MeanLevel`).
    plain_mean: bool = False
    #: Why a batch of draws cannot aggregate it (None: it can).
    unsupported: str | None = None

    @property
    def chooser(self) -> StepBase | None:
        """A weight step choosing children per draw and institution (best k)."""
        return self.weight_step if ops.is_best_k(self.weight_step) else None

    @property
    def plain(self) -> bool:
        """A weighted mean with weights shared by every institution (the batch fast paths)."""
        return (
            not ops.AGGREGATE.sums_points(self.step)
            and self.chooser is None
            and not self.needs_required
        )

    @property
    def stacks(self) -> bool:
        """Whether its children go through a (draws, children, institutions) array."""
        return not self.leaves or self.chooser is not None or self.needs_required


@dataclass(frozen=True)
class ScoreStep:
    """A rescale or round step a run applies to an inner node right after its level."""

    node: int
    step: StepBase
    name: str  # the node's id


@dataclass(frozen=True)
class Level:
    """One tree level (deepest first): its parents, how one draw splits them, and the inner
    rescale and round steps that act after it."""

    nodes: IntArray
    parents: tuple[Parent, ...]
    #: One draw: the parents through their own operations, and the plain means at once.
    one_by_one: tuple[Parent, ...]
    means: MeanLevel | None
    #: The inner rescale and round steps of its nodes (methodology order, then node order).
    after: tuple[ScoreStep, ...]
    #: Their records: (step index, tag, the level's nodes it acts on).
    records: tuple[tuple[int, str, tuple[str, ...]], ...]


@dataclass(frozen=True, eq=False)
class Plan:
    """A methodology compiled over a tree: what executing it needs, whatever the data."""

    methodology: Methodology
    tree: Tree
    weights: WeightLayout
    levels: tuple[Level, ...]
    root: int
    root_steps: tuple[tuple[int, StepBase], ...]
    rank_decimals: int | None  # round the key to this before ranking (published precision)
    by_grades: bool  # ranking by grade counts
    #: Why a batch of draws cannot replay it (None: it can).
    unsupported: str | None
    redistributes: bool  # any weight redistribution
    any_one_by_one: bool  # any parent aggregated through its own operation for one draw
    #: (K,) one draw of the methodology's own weights (children whose weight does not count
    #: keep theirs: the working shows them).
    draw_nominal: FloatArray
    column: Mapping[str, int]  # node id -> its weight column
    leaves: tuple[str, ...]  # the tree's leaves
    leaf_rows: IntArray  # tree index of each leaf
    #: One draw: a level's plain means through one sparse product (else every parent through
    #: its operation, children institution by institution: the rebuild of published totals).
    level_means: bool = True
    #: One draw's weights by their overrides.
    overridden: dict[tuple[tuple[str, float], ...], FloatArray] = field(
        default_factory=dict, compare=False, repr=False
    )

    def draw_weights(self, overrides: Mapping[str, float] | None = None) -> FloatArray:
        """(1, K): a run's one draw, with ``overrides`` (node -> weight) replacing the file's
        weights (a personalised ranking) before any weight step. Read-only (cached: a
        personalised ranking asks the same weights many times)."""
        if not overrides:
            return self.nominal_draw
        key = tuple(overrides.items())
        with _PLANS_LOCK:
            found = self.overridden.get(key)
        if found is not None:
            return found
        layout = self.weights
        w = self.draw_nominal.copy()
        touched = sorted({int(layout.group[self.column[n]]) for n in overrides if n in self.column})
        for g in touched:
            columns = np.flatnonzero(layout.group == g)
            w[columns] = _shared_weights(self.methodology, self.tree, layout.parents[g], overrides)
        w.flags.writeable = False
        with _PLANS_LOCK:
            if len(self.overridden) >= 32:
                self.overridden.pop(next(iter(self.overridden)), None)
            return self.overridden.setdefault(key, w[None])

    @cached_property
    def nominal_draw(self) -> FloatArray:
        """(1, K) the methodology's own weights, read-only."""
        w = self.draw_nominal[None]
        w.flags.writeable = False
        return w


def _parent(m: Methodology, tree: Tree, index: int, column: Mapping[str, int]) -> Parent:
    """How the plan aggregates one inner node."""
    node = tree.ids[index]
    children = tree.child_index[index]
    ids = tuple(tree.ids[c] for c in children)
    agg = queries.step_for(m, "aggregate", node, tree)
    params: Mapping[str, Any] = {} if agg is None else agg.params_for(node)
    sums = ops.AGGREGATE.sums_points(agg)
    weight = queries.step_for(m, "weight", node, tree)
    redistributes = ops.is_redistribution(queries.step_for(m, "impute", node, tree))
    best_k = ops.is_best_k(weight)
    unsupported = None
    if agg is not None and not ops.AGGREGATE.batches(agg):
        unsupported = f"{step_label(m, agg)} on node {node!r}"
    elif best_k and sums:
        assert weight is not None
        unsupported = f"{step_label(m, weight)} with sum_points on node {node!r}"
    return Parent(
        node=index,
        children=tuple(children),
        columns=np.array([column[c] for c in ids], dtype=np.int64),
        step=agg,
        params=params,
        names=ids,
        leaves=bool(tree.is_leaf[list(children)].all()),
        weight_step=weight,
        weight_params={} if weight is None else weight.params_for(node),
        redistributes=redistributes,
        # A renormalised mean already ignores children that do not apply (they have no
        # value); without renormalisation, redistribution excuses them from being present
        # (a run redistributes shared weights only).
        needs_required=redistributes
        and not best_k
        and not sums
        and not params.get("renormalise", True),
        plain_mean=ops.AGGREGATE.plain_mean(agg) and weight is None and not redistributes,
        unsupported=unsupported,
    )


def _level(
    m: Methodology,
    tree: Tree,
    level: IntArray,
    column: Mapping[str, int],
    pending: list[tuple[int, StepBase, list[str]]],
    level_means: bool,
) -> Level:
    parents = tuple(_parent(m, tree, index, column) for index in level.tolist())
    fast = [p for p in parents if p.plain_mean] if level_means else []
    means = None
    if fast:
        means = MeanLevel.of(
            [p.node for p in fast],
            tree.child_index,
            [c for p in fast for c in p.columns.tolist()],
            np.array([float(p.params.get("min_children", 1)) for p in fast]),
            np.array([bool(p.params.get("renormalise", True)) for p in fast], dtype=bool),
        )
    here = {tree.ids[i] for i in level.tolist()}
    after = tuple(
        ScoreStep(tree.index(node), step, node)
        for _, step, nodes in pending
        for node in nodes
        if node in here
    )
    records = tuple(
        (index, step.tag, tuple(node for node in nodes if node in here))
        for index, step, nodes in pending
        if any(node in here for node in nodes)
    )
    return Level(
        nodes=level,
        parents=parents,
        one_by_one=tuple(p for p in parents if not p.plain_mean or not level_means),
        means=means,
        after=after,
        records=records,
    )


#: Plans by (methodology digest, tree, level means): equal methodologies share a plan.
_PLANS: dict[tuple[str, Tree, bool], Plan] = {}
#: Guards the plan cache (the API calls the engine from threads).
_PLANS_LOCK = threading.Lock()


def compile_plan(m: Methodology, tree: Tree, *, level_means: bool = True) -> Plan:
    """The plan of a methodology over a tree. Cached: personalised re-rankings replay the same
    plan many times. Without ``level_means`` one draw aggregates every parent through its own
    operation (``Aggregate.apply``) on its children laid out institution by institution, never
    a level's plain means through one sparse product: the rebuild of published totals keeps
    the arithmetic (to the last bit) its checks against published tables were made with."""
    key = (m.digest(), tree, level_means)
    with _PLANS_LOCK:
        cached = _PLANS.get(key)
    if cached is not None:
        return cached
    layout = weight_layout(m, tree)
    column = {node: k for k, node in enumerate(layout.nodes)}
    pending = queries.inner_steps(m, tree)
    levels = tuple(
        _level(m, tree, level, column, pending, level_means) for level in tree.levels_bottom_up()
    )
    by_grades = m.ranking.by == "grade_counts"
    unsupported = None
    if not by_grades:
        unsupported = next(
            (p.unsupported for lv in levels for p in lv.parents if p.unsupported), None
        )
    decimals = queries.published_decimals(m)
    root_id = tree.roots[0]
    plan = Plan(
        methodology=m,
        tree=tree,
        weights=layout,
        levels=levels,
        root=tree.index(root_id),
        root_steps=tuple(queries.root_steps(m, root_id)),
        rank_decimals=(
            decimals
            if m.ranking.rank_on == "published"
            and decimals is not None
            and not queries.ends_rounded(m)
            else None
        ),
        by_grades=by_grades,
        unsupported=unsupported,
        redistributes=any(ops.is_redistribution(step) for step in m.steps),
        any_one_by_one=any(lv.one_by_one for lv in levels),
        draw_nominal=np.array(
            [w for parent in layout.parents for w in _shared_weights(m, tree, parent, {})],
            dtype=np.float64,
        ),
        column=column,
        leaves=tuple(tree.leaves),
        leaf_rows=np.array([tree.index(leaf) for leaf in tree.leaves], dtype=np.intp),
        level_means=level_means,
    )
    with _PLANS_LOCK:
        if len(_PLANS) >= 64:
            _PLANS.pop(next(iter(_PLANS)))
        return _PLANS.setdefault(key, plan)


# -- the plan bound to a run's leaves --------------------------------------------------------------


@dataclass(frozen=True)
class GradeKey:
    """A ranking on the number of A grades (U-Multirank): no weights, no composite.

    A draw keeps the leaves none of whose weight columns (the leaf's and its ancestors') it
    sets to 0 (an excluded indicator or dimension); the key is the A count over the kept
    leaves, for institutions with at least one kept grade.
    """

    a_grades: FloatArray  # (L, n) 1.0 where the leaf's grade is A
    graded: FloatArray  # (L, n) 1.0 where the leaf has a grade
    paths: FloatArray  # (K, L) 1.0 where weight column K is the leaf or one of its ancestors


@dataclass(frozen=True, eq=False)
class DrawPlan:
    """A compiled plan bound to fixed leaves: what executing it for any weights needs."""

    plan: Plan
    leaves: tuple[str, ...]
    values: FloatArray  # (n, L) leaf values (whatever where absent)
    mask: BoolArray  # (n, L) value present
    eligible: BoolArray  # (n,) the overall table: inner rescale statistics, the root's scores
    #: (n, L) whether each leaf applies to each institution (asked with redistribution only).
    applicable: Callable[[], BoolArray]
    grade_values: npt.NDArray[np.int8] | None = None  # (n, L) grades, -1 none

    @property
    def tree(self) -> Tree:
        return self.plan.tree

    @property
    def weights(self) -> WeightLayout:
        return self.plan.weights

    @property
    def root(self) -> int:
        return self.plan.root

    @property
    def rank_decimals(self) -> int | None:
        return None if self.plan.by_grades else self.plan.rank_decimals

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    @cached_property
    def leaf_rows(self) -> IntArray:
        """Tree index of each leaf column."""
        if self.leaves is self.plan.leaves or self.leaves == self.plan.leaves:
            return self.plan.leaf_rows
        return np.array([self.tree.index(leaf) for leaf in self.leaves], dtype=np.intp)

    @cached_property
    def leaf_column(self) -> dict[int, int]:
        """Tree index -> leaf column."""
        return {int(row): j for j, row in enumerate(self.leaf_rows.tolist())}

    @cached_property
    def x(self) -> FloatArray:
        """(n, L) leaf values, 0 where absent."""
        return np.where(self.mask, self.values, 0.0)

    @cached_property
    def xt(self) -> FloatArray:
        return np.ascontiguousarray(self.x.T)

    @cached_property
    def maskt(self) -> FloatArray:
        return np.ascontiguousarray(self.mask.T, dtype=np.float64)

    @cached_property
    def node_applicable(self) -> BoolArray:
        """(N, n) whether each tree node applies to each institution (any leaf below does)."""
        tree = self.tree
        out = np.zeros((len(tree), self.n), dtype=bool)
        out[self.leaf_rows] = np.asarray(self.applicable(), dtype=bool).T
        for level in tree.levels_bottom_up():
            for index in level.tolist():
                out[index] = out[list(tree.child_index[index])].any(axis=0)
        return out

    def required(self, parent: Parent) -> BoolArray | None:
        """(k, n) the children a mean without renormalisation needs present (None: every child
        with a positive weight)."""
        if not parent.needs_required:
            return None
        return np.asarray(self.node_applicable[list(parent.children)], dtype=bool)

    @cached_property
    def _leaf_children(self) -> dict[int, ops.LeafChildren]:
        return {}

    def leaf_children(self, parent: Parent) -> ops.LeafChildren:
        """A parent's leaf children, laid out once for every batch."""
        found = self._leaf_children.get(parent.node)
        if found is None:
            cols = [self.leaf_column[c] for c in parent.children]
            found = ops.LeafChildren.of(
                self.x[:, cols],
                self.mask[:, cols],
                np.ascontiguousarray(self.xt[cols]),
                self.maskt[cols],
            )
            self._leaf_children[parent.node] = found
        return found

    @cached_property
    def grades(self) -> GradeKey | None:
        """The grade-count key's operands (a ranking by grade counts), else None."""
        if not self.plan.by_grades:
            return None
        if self.grade_values is None:
            raise ReplayUnsupported('ranking by = "grade_counts" needs a grade step')
        layout = self.weights
        paths = np.zeros((len(layout.nodes), len(self.leaves)))
        for k, node in enumerate(layout.nodes):
            under = set(self.tree.leaves_under(node))
            paths[k] = [leaf in under for leaf in self.leaves]
        g = np.asarray(self.grade_values)
        return GradeKey(
            a_grades=np.ascontiguousarray((g == 0).T, dtype=np.float64),
            graded=np.ascontiguousarray((g >= 0).T, dtype=np.float64),
            paths=paths,
        )


def bind(
    plan: Plan,
    leaves: tuple[str, ...] | None,
    values: FloatArray,
    mask: BoolArray,
    *,
    eligible: BoolArray | None = None,
    applicable: Callable[[], BoolArray] | None = None,
    grades: npt.NDArray[np.int8] | None = None,
) -> DrawPlan:
    """A plan bound to leaves (default: the tree's) with ``values`` (n, L) where ``mask``;
    ``eligible`` (default: every row) the overall table; ``applicable()`` (n, L) whether each
    leaf applies (default: all)."""
    n = values.shape[0]
    return DrawPlan(
        plan=plan,
        leaves=plan.leaves if leaves is None else leaves,
        values=values,
        mask=np.asarray(mask, dtype=bool),
        eligible=np.ones(n, dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool),
        applicable=applicable or (lambda: np.ones(values.shape, dtype=bool)),
        grade_values=grades,
    )


def compile_draws(
    m: Methodology,
    tree: Tree,
    leaves: tuple[str, ...],
    values: FloatArray,
    mask: BoolArray,
    eligible: BoolArray,
    *,
    applicable: Callable[[], BoolArray],
    grades: npt.NDArray[np.int8] | None = None,
) -> DrawPlan:
    """The plan of a methodology over a tree bound to leaves for batches of draws: ``values``
    (n, L) where ``mask``; ``applicable()`` (n, L) whether each leaf applies (asked only with
    weight redistribution); ``grades`` (n, L) for a ranking on grade counts. Raises
    :class:`ReplayUnsupported` for what a batch of draws cannot replay (Copeland aggregation,
    best-k weights on sums of points, ranking methods other than competition)."""
    if m.ranking.method not in ("competition", "fractional"):
        raise ReplayUnsupported(f'[ranking] method = "{m.ranking.method}"')
    bound = bind(
        compile_plan(m, tree),
        leaves,
        values,
        mask,
        eligible=eligible,
        applicable=applicable,
        grades=grades,
    )
    if bound.grades is None and bound.plan.unsupported is not None:
        raise ReplayUnsupported(bound.plan.unsupported)
    return bound


# -- the one walk ----------------------------------------------------------------------------------


def _score_step(inner: ScoreStep, s: FloatArray, population: BoolArray) -> FloatArray:
    """An inner rescale or round step on its node's scores (n,) or (d, n)."""
    return queries.apply_score_steps([inner.step], inner.name, s, population)


class _OneDraw:
    """One draw's level kernels, node-major (N, n), keeping the working."""

    def __init__(self, bound: DrawPlan, draw: FloatArray, *, working: bool) -> None:
        plan = bound.plan
        x, mask = bound.values, bound.mask
        n = x.shape[0]
        size = len(plan.tree)
        rows = bound.leaf_rows
        self.bound, self.draw, self.working = bound, draw, working
        # Node-major storage (node, institution): a node's values are one contiguous row, so
        # gathering children and summing them per parent runs along the fast axis. Every row
        # is written (leaves here, each inner node by its level), so no fill.
        self.values = values = np.empty((size, n))
        self.present = present = np.empty((size, n), dtype=bool)
        # Rows present for every institution: their parents' means skip the masks altogether.
        self.full = full = np.zeros(size, dtype=bool)
        if mask.all():
            values[rows] = x.T
            present[rows] = True
            full[rows] = True
        else:
            values[rows] = np.where(mask, x, np.nan).T
            present[rows] = mask.T
            full[rows] = mask.all(axis=0)
        # Applicability matters to parents aggregated one by one (weight redistribution).
        needed = plan.redistributes or plan.any_one_by_one
        self.applicable = np.ones((size, n) if needed else (0, n), dtype=bool)
        if needed:
            self.applicable[rows] = np.asarray(bound.applicable(), dtype=bool).T
        self.weights = np.full((size, n), np.nan) if working else np.empty((0, n))
        if working:
            self.weights[plan.root] = 1.0
        self.counts: npt.NDArray[np.int64] | None = None
        if bound.grade_values is not None:
            # Grade-major (node, grade, institution): each grade's counts of a node are one
            # contiguous row, so the comparisons below and the sums per parent run along the
            # fast axis (a third of a personalised re-ranking's time went to the strided
            # (node, institution, grade) slots). Every row is written, so no fill.
            self.counts = np.empty((size, 5, n), dtype=np.int64)
            leaf_grades = np.ascontiguousarray(bound.grade_values.T)
            for g in range(5):
                self.counts[rows, g] = leaf_grades == g
        self.unscaled_rows: dict[int, FloatArray] = {}
        self.records: list[StepRecord] = []

    def aggregate(self, level: Level) -> None:
        for parent in level.one_by_one:
            self._parent(parent)
        if level.means is not None:
            level.means.means(
                self.draw,
                self.values,
                self.present,
                self.weights,
                self.applicable,
                self.counts,
                self.full,
                redistributes=self.bound.plan.redistributes,
                working=self.working,
            )

    def _parent(self, parent: Parent) -> None:
        """A parent through its weight and aggregate steps' operations."""
        values, present = self.values, self.present
        row = parent.node
        children = list(parent.children)
        cx = values[children].T
        cmask = present[children].T
        if not self.bound.plan.level_means:
            cx, cmask = np.ascontiguousarray(cx), np.ascontiguousarray(cmask)
        w: FloatArray = self.draw[parent.columns]
        if parent.weight_step is not None:
            w = ops.WEIGHT.apply(
                parent.weight_step, parent.weight_params, parent.names, w, cx, cmask
            )
        if parent.redistributes and w.ndim == 1:
            # Best-k weights (per institution) with a redistribution are refused at validation.
            w = ops.REDISTRIBUTE.weights(w, self.applicable[children].T)
        values[row] = ops.AGGREGATE.apply(parent.step, parent.params, parent.names, cx, cmask, w)
        present[row] = ~np.isnan(values[row])
        self.full[row] = present[row].all()
        self.applicable[row] = self.applicable[children].any(axis=0)
        if self.working and w.ndim == 1:
            # Shared weights: each child's share computed in its node-major row (the gathered
            # mask as is, no transposed copies; the same sums, child by child).
            shared = cmask.T * w[:, None]
            whole = shared.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                self.weights[children] = np.where(whole > 0, shared / whole, np.nan)
        elif self.working:
            shares = w * cmask
            total = shares.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                self.weights[children] = np.where(total > 0, shares / total, np.nan).T
        if self.counts is not None:
            # Child by child into the parent's row: no (children, n, 5) gathered copy.
            into = self.counts[row]
            into[...] = self.counts[children[0]]
            for c in children[1:]:
                into += self.counts[c]

    def rescale(self, inner: ScoreStep) -> None:
        row = inner.node
        self.unscaled_rows.setdefault(row, self.values[row].copy())
        self.values[row] = _score_step(inner, self.values[row], self.bound.eligible)
        self.present[row] = ~np.isnan(self.values[row])
        self.full[row] = self.present[row].all()

    def record(self, level: Level) -> None:
        self.records.extend(StepRecord(index, tag, nodes) for index, tag, nodes in level.records)

    def root_scores(self) -> FloatArray:
        score = self.values[self.bound.root]
        eligible = self.bound.eligible
        return (score if eligible.all() else np.where(eligible, score, np.nan))[None]

    def aggregated(self) -> Aggregated:
        values = self.values
        n, size = values.shape[1], values.shape[0]
        unscaled = values.copy() if self.unscaled_rows else values
        for row, original in self.unscaled_rows.items():
            unscaled[row] = original
        return Aggregated(
            values=values.T,
            # Without the working, a read-only all-NaN view (no allocation).
            weights=self.weights.T
            if self.working
            else np.broadcast_to(np.float64(np.nan), (n, size)),
            counts=None if self.counts is None else self.counts.transpose(2, 0, 1),
            unscaled=unscaled.T,
            records=sorted(self.records, key=lambda r: r.index),
        )


class _Draws:
    """A batch of draws' level kernels: each node's scores (d, n), each parent through its
    steps' batch operations."""

    def __init__(self, bound: DrawPlan, w: FloatArray) -> None:
        self.bound, self.w = bound, w
        self.values: dict[int, FloatArray] = {}
        self.gap_free: set[int] = set()  # nodes known to have a value for every draw and row

    def _child(self, c: int) -> FloatArray:
        if c in self.values:
            return self.values.pop(c)  # each node feeds one parent: let it go once read
        bound = self.bound
        j = bound.leaf_column[c]
        return np.broadcast_to(
            np.where(bound.mask[:, j], bound.x[:, j], np.nan), (self.w.shape[0], bound.n)
        )

    def aggregate(self, level: Level) -> None:
        bound = self.bound
        for parent in level.parents:
            wp = self.w[:, parent.columns]
            children = parent.children

            def stacked(children: tuple[int, ...] = children) -> list[FloatArray]:
                return [self._child(c) for c in children]

            chooser = parent.chooser
            if chooser is not None:
                self.values[parent.node] = ops.WEIGHT.draws(
                    wp,
                    stacked(),
                    chooser,
                    parent.weight_params,
                    parent.names,
                    (parent.step, parent.params),
                )
                continue
            batch = ops.DrawChildren(
                leaves=bound.leaf_children(parent) if parent.leaves else None,
                values=stacked,
                gap_free=all(c in self.gap_free for c in children),
                required=bound.required(parent),
            )
            out, whole = ops.AGGREGATE.draws(wp, parent.step, parent.params, parent.names, batch)
            self.values[parent.node] = out
            if whole:
                self.gap_free.add(parent.node)

    def rescale(self, inner: ScoreStep) -> None:
        s = _score_step(inner, self.values[inner.node], self.bound.eligible)
        self.values[inner.node] = s
        if np.isnan(s).any():
            self.gap_free.discard(inner.node)

    def record(self, level: Level) -> None:
        """Many draws keep no working."""

    def root_scores(self) -> FloatArray:
        score = self.values[self.bound.root]
        eligible = self.bound.eligible
        return score if eligible.all() else np.where(eligible, score, np.nan)


def walk(
    bound: DrawPlan, w: FloatArray, *, working: bool = False, blocks: bool = False
) -> _OneDraw | _Draws:
    """Execute the plan for weights ``w`` (d, K): every level bottom-up through its parents'
    operations, then the inner rescale and round steps of that level's nodes.

    One draw (d = 1, unless ``blocks``: a block of a larger batch keeps the batch kernels) keeps
    the working when asked (:meth:`_OneDraw.aggregated`); many draws need every parent to have
    a batch operation (else :class:`ReplayUnsupported`).
    """
    state: _OneDraw | _Draws
    if w.shape[0] == 1 and not blocks:
        state = _OneDraw(bound, w[0], working=working)
    else:
        if bound.plan.unsupported is not None:
            raise ReplayUnsupported(bound.plan.unsupported)
        state = _Draws(bound, w)
    for level in bound.plan.levels:
        state.aggregate(level)
        for inner in level.after:  # inner rescale / round, after the whole level
            state.rescale(inner)
        state.record(level)
    return state


def aggregate_one(bound: DrawPlan, w: FloatArray, *, working: bool = True) -> Aggregated:
    """One draw (1, K) of the plan with its working: node values, shares, grade counts,
    unscaled values and the inner steps' records."""
    state = walk(bound, w, working=working)
    assert isinstance(state, _OneDraw)
    return state.aggregated()


def aggregate_draws(bound: DrawPlan, w: FloatArray, *, blocks: bool = False) -> FloatArray:
    """Root scores (d, n) for weights (d, K), before root steps, NaN outside the table."""
    return walk(bound, w, blocks=blocks).root_scores()


def apply_root_steps(bound: DrawPlan, score: FloatArray) -> tuple[FloatArray, bool]:
    """The methodology's rescale and round steps of the root, on every draw's scores.

    Returns the ranking key and whether it is on an integer grid (the scores in units of their
    last rounding, which rank the same as the rounded scores).
    """
    steps = [step for _, step in bound.plan.root_steps]
    last_round = None
    if bound.rank_decimals is not None:
        last_round = bound.rank_decimals
    elif steps and ops.SCORES.rounds(steps[-1]):
        last_round = int(steps[-1].params()["decimals"])
        steps = steps[:-1]
    s = queries.apply_score_steps(steps, bound.tree.ids[bound.root], score)
    if last_round is None:
        return s, False
    return ops.SCORES.round_units(s, last_round), True


def rescale_root(
    bound: DrawPlan,
    score: FloatArray,
    *,
    params: Mapping[int, Mapping[str, Any]] | None = None,
    rounds: bool = True,
) -> FloatArray:
    """The root's rescale (and, with ``rounds``, round) steps on scores (n,) or (d, n), in
    the methodology's order, statistics over the scores present. ``params`` (step index ->
    parameters) overrides some of a step's parameters (an affine floor estimated from data)."""
    root = bound.tree.ids[bound.root]
    given = params or {}
    for index, step in bound.plan.root_steps:
        if not rounds and ops.SCORES.rounds(step):
            continue
        params_here = {**step.params_for(root), **given.get(index, {})}
        score = ops.SCORES.apply(step, params_here, score, None, root)
    return score


def grade_keys(bound: DrawPlan, w: FloatArray) -> FloatArray:
    """A counts (d, n) over the leaves each draw keeps (NaN: no grade kept, or off the table).

    A draw drops a leaf when it sets the weight of the leaf or of one of its ancestors to 0
    (an excluded indicator or dimension); grade counts add up 0/1 cells, exact in floats.
    """
    g = bound.grades
    assert g is not None
    dropped = ((w <= 0) & (bound.weights.nominal > 0)).astype(np.float64)
    kept = ((dropped @ g.paths) < 0.5).astype(np.float64)  # (d, L)
    a_count = kept @ g.a_grades
    graded = kept @ g.graded
    return queries.grade_count_key(np.where(bound.eligible, a_count, np.nan), graded > 0.5)


def ranking_keys(
    bound: DrawPlan, w: FloatArray, *, blocks: bool = False
) -> tuple[FloatArray, bool]:
    """The ranking key (d, n) of a batch of draws, and whether it is on an integer grid."""
    if bound.grades is not None:
        return grade_keys(bound, w), True
    return apply_root_steps(bound, aggregate_draws(bound, w, blocks=blocks))


def block_size(bound: DrawPlan) -> int:
    """Draws per block: (draws x institutions x children) arrays stay within BLOCK_CELLS."""
    levels = () if bound.grades is not None else bound.plan.levels
    wide = [len(p.children) for lv in levels for p in lv.parents if p.stacks]
    widest = max(wide + [len(lv.parents) for lv in levels] + [1])
    if bound.grades is not None:
        widest = max(widest, bound.grades.paths.shape[1] // 8)
    special = any(not p.plain for lv in levels for p in lv.parents) or any(
        lv.after for lv in levels
    )
    # Best-k, inner rescaling and the like run many small passes per block: larger blocks
    # spend less per call (measured on THE Impact: 13 % less time at 4x the cells).
    cells = 4 * BLOCK_CELLS if special else BLOCK_CELLS
    return max(1, cells // max(bound.n * widest, 1))
