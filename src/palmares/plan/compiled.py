"""The plan: a methodology compiled over a tree, whatever the data.

Weights come as (d, K): one row per draw, one column per child of every inner node
(:func:`weight_layout`: inner nodes bottom-up, their children in tree order). A run and a
personalisation are one draw (the methodology's weights, with a personalisation's overrides:
:meth:`Plan.draw_weights`); the uncertainty replay passes blocks of many. Each inner node is a
:class:`Parent` (its steps and their parameters), grouped in :class:`Level` s (deepest first) with
the inner rescale and round steps that follow them, and, for one draw, the level's plain
weighted means as one sparse product (:class:`~palmares.plan.mean_level.MeanLevel`).

The compiled plan depends on the methodology and the tree only: it is cached by methodology
digest and tree (thread-safe), bound to a run's leaves by :func:`palmares.plan.bound.bind` and
executed by :func:`palmares.plan.walk.walk`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from palmares.methodology import Methodology
from palmares.methodology.model import StepBase
from palmares.plan import queries
from palmares.plan.mean_level import MeanLevel
from palmares.steps import FloatArray, IntArray
from palmares.steps import registry as ops
from palmares.tree import Tree


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
