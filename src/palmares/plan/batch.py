"""The plan's batch path: a methodology over a tree, executed for a batch of weight vectors.

Weights come as (d, K): one row per draw (a single weighting is one draw), one column per child
of every inner node (:func:`weight_layout`: inner nodes bottom-up, their children in tree
order). The leaves are fixed (a computed run's values); every inner node is aggregated level by
level through its steps' own batch operation (:meth:`palmares.steps.registry.Aggregate.draws`,
:meth:`palmares.steps.registry.Weight.draws` for weights chosen per institution), the inner
rescale and round steps act on every draw right after their level, as in a run, and the root's
steps give the ranking key. A ranking on grade counts has no composite: its key counts the A
grades of the leaves a draw keeps. Loops run over tree levels and parents, never over draws or
institutions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.methodology import Methodology
from palmares.methodology.model import StepBase
from palmares.plan import queries
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


def _nominal_weights(m: Methodology, tree: Tree, parent: str) -> list[float]:
    children = tree.children(parent)
    step = queries.step_for(m, "weight", parent, tree)
    if step is None:
        return [m.weight(c) for c in children]
    base = np.array([m.weight(c) for c in children], dtype=float)
    return [float(v) for v in ops.WEIGHT.nominal(step, step.params_for(parent), children, base)]


def weight_layout(m: Methodology, tree: Tree) -> WeightLayout:
    """The weight columns of a methodology over a tree, with their nominal weights."""
    nodes: list[str] = []
    group: list[int] = []
    nominal: list[float] = []
    parents = [tree.ids[i] for level in tree.levels_bottom_up() for i in level.tolist()]
    for g, parent in enumerate(parents):
        children = tree.children(parent)
        agg = queries.step_for(m, "aggregate", parent, tree)
        params = {} if agg is None else agg.params_for(parent)
        # A child whose weight does not count (a bonus, added with weight 1) does not vary,
        # and its siblings keep their own nominal sum.
        fixed = ops.AGGREGATE.fixed_children(agg, params, children).tolist()
        base = _nominal_weights(m, tree, parent)
        for child, w, off in zip(children, base, fixed, strict=True):
            nodes.append(child)
            group.append(g)
            nominal.append(0.0 if off else w)
    return WeightLayout(
        nodes=tuple(nodes),
        group=np.array(group, dtype=np.int64),
        nominal=np.array(nominal, dtype=np.float64),
        parents=tuple(parents),
    )


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
    #: A weight step choosing children per draw and institution (best k), its parameters.
    chooser: StepBase | None = None
    chooser_params: Mapping[str, Any] = field(default_factory=dict)
    #: (k, n) children a mean without renormalisation needs present: with weight
    #: redistribution, only those that apply (None: every child with a positive weight).
    required: BoolArray | None = None
    #: A weighted mean with weights shared by every institution (the fast paths).
    plain: bool = True

    @property
    def stacks(self) -> bool:
        """Whether its children go through a (draws, children, institutions) array."""
        return not self.leaves or self.chooser is not None or self.required is not None


@dataclass(frozen=True)
class ScoreStep:
    """A rescale or round step a run applies to an inner node right after its level."""

    node: int
    step: StepBase


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


@dataclass(frozen=True)
class DrawPlan:
    """A methodology over a tree with its leaves fixed: what a batch of draws needs."""

    tree: Tree
    leaf_rows: IntArray  # tree index of each leaf column
    x: FloatArray  # (n, L) leaf values, 0 where absent
    mask: BoolArray  # (n, L)
    eligible: BoolArray  # (n,) in the overall table
    weights: WeightLayout
    levels: tuple[tuple[Parent, ...], ...]  # bottom-up
    #: Per level, the inner rescale and round steps applied after it (in methodology order).
    after: tuple[tuple[ScoreStep, ...], ...]
    root: int
    root_steps: tuple[StepBase, ...]
    rank_decimals: int | None  # round the key to this before ranking (published precision)
    grades: GradeKey | None = None  # ranking by grade counts

    @cached_property
    def leaf_column(self) -> dict[int, int]:
        """Tree index -> leaf column."""
        return {int(row): j for j, row in enumerate(self.leaf_rows.tolist())}

    @cached_property
    def xt(self) -> FloatArray:
        return np.ascontiguousarray(self.x.T)

    @cached_property
    def maskt(self) -> FloatArray:
        return np.ascontiguousarray(self.mask.T, dtype=np.float64)

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

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


def _inner_after(m: Methodology, tree: Tree) -> tuple[tuple[ScoreStep, ...], ...]:
    """Per level (bottom-up), the inner rescale/round steps of its nodes (a run's order)."""
    pending = queries.inner_steps(m, tree)
    out = []
    for level in tree.levels_bottom_up():
        here = {int(i) for i in level.tolist()}
        out.append(
            tuple(
                ScoreStep(tree.index(node), step)
                for _, step, nodes in pending
                for node in nodes
                if tree.index(node) in here
            )
        )
    return tuple(out)


def _parent(
    m: Methodology,
    tree: Tree,
    index: int,
    position: Mapping[str, int],
    leaf_rows: set[int],
    applicable: Callable[[], BoolArray],
) -> Parent:
    """How a run aggregates one inner node, or :class:`ReplayUnsupported`."""
    node = tree.ids[index]
    children = tree.child_index[index]
    ids = tuple(tree.ids[c] for c in children)
    agg = queries.step_for(m, "aggregate", node, tree)
    if agg is not None and not ops.AGGREGATE.batches(agg):
        raise ReplayUnsupported(f"{step_label(m, agg)} on node {node!r}")
    params: Mapping[str, Any] = {} if agg is None else agg.params_for(node)
    sums = ops.AGGREGATE.sums_points(agg)
    weight = queries.step_for(m, "weight", node, tree)
    chooser = weight if ops.is_best_k(weight) else None
    if chooser is not None and sums:
        raise ReplayUnsupported(f"{step_label(m, chooser)} with sum_points on node {node!r}")
    required = None
    redistribute = queries.step_for(m, "impute", node, tree)
    if (
        ops.is_redistribution(redistribute)
        and chooser is None  # a run redistributes shared weights only
        and not sums
        and not params.get("renormalise", True)
    ):
        # A renormalised mean already ignores children that do not apply (they have no value);
        # without renormalisation, redistribution excuses them from being present.
        required = np.asarray(applicable()[list(children)], dtype=bool)
    return Parent(
        node=index,
        children=tuple(children),
        columns=np.array([position[c] for c in ids], dtype=np.int64),
        step=agg,
        params=params,
        names=ids,
        leaves=leaf_rows.issuperset(children),
        chooser=chooser,
        chooser_params={} if chooser is None else chooser.params_for(node),
        required=required,
        plain=not sums and chooser is None and required is None,
    )


def _grade_key(
    tree: Tree, leaves: tuple[str, ...], grades: npt.NDArray[np.int8] | None, nodes: tuple[str, ...]
) -> GradeKey:
    if grades is None:
        raise ReplayUnsupported('ranking by = "grade_counts" needs a grade step')
    paths = np.zeros((len(nodes), len(leaves)))
    for k, node in enumerate(nodes):
        under = set(tree.leaves_under(node))
        paths[k] = [leaf in under for leaf in leaves]
    g = np.asarray(grades)
    return GradeKey(
        a_grades=np.ascontiguousarray((g == 0).T, dtype=np.float64),
        graded=np.ascontiguousarray((g >= 0).T, dtype=np.float64),
        paths=paths,
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
    """The batch plan of a methodology over a tree whose leaves hold ``values`` (n, L) where
    ``mask``; ``applicable()`` (N, n) whether each tree node applies to each institution
    (asked only with weight redistribution); ``grades`` (n, L) for a ranking on grade counts.
    Raises :class:`ReplayUnsupported` for what the batch path cannot replay (Copeland
    aggregation, best-k weights on sums of points, ranking methods other than competition)."""
    if m.ranking.method not in ("competition", "fractional"):
        raise ReplayUnsupported(f'[ranking] method = "{m.ranking.method}"')
    root_id = tree.roots[0]
    layout = weight_layout(m, tree)
    leaf_rows = np.array([tree.index(leaf) for leaf in leaves], dtype=np.int64)
    common: dict[str, Any] = {
        "tree": tree,
        "leaf_rows": leaf_rows,
        "x": np.where(mask, values, 0.0),
        "mask": np.asarray(mask, dtype=bool),
        "eligible": np.asarray(eligible, dtype=bool),
        "root": tree.index(root_id),
        "weights": layout,
    }
    if m.ranking.by == "grade_counts":
        return DrawPlan(
            levels=(),
            after=(),
            root_steps=(),
            rank_decimals=None,
            grades=_grade_key(tree, leaves, grades, layout.nodes),
            **common,
        )
    position = {node: k for k, node in enumerate(layout.nodes)}
    rows = set(leaf_rows.tolist())
    levels = tuple(
        tuple(_parent(m, tree, index, position, rows, applicable) for index in level.tolist())
        for level in tree.levels_bottom_up()
    )
    decimals = queries.published_decimals(m)
    rank_decimals = (
        decimals
        if m.ranking.rank_on == "published" and decimals is not None and not queries.ends_rounded(m)
        else None
    )
    return DrawPlan(
        levels=levels,
        after=_inner_after(m, tree),
        root_steps=tuple(step for _, step in queries.root_steps(m, root_id)),
        rank_decimals=rank_decimals,
        **common,
    )


# -- a batch of draws ------------------------------------------------------------------------------


def aggregate_draws(plan: DrawPlan, w: FloatArray) -> FloatArray:
    """Root scores (d, n) for weights (d, K), before root steps, NaN outside the table."""
    d = w.shape[0]
    n = plan.n
    leaf_column = plan.leaf_column
    values: dict[int, FloatArray] = {}
    gap_free: set[int] = set()  # nodes known to have a value for every draw and institution

    def child_values(c: int) -> FloatArray:
        if c in values:
            return values.pop(c)  # each node feeds one parent: let it go once read
        j = leaf_column[c]
        return np.broadcast_to(np.where(plan.mask[:, j], plan.x[:, j], np.nan), (d, n))

    for level, steps in zip(plan.levels, plan.after, strict=True):
        for parent in level:
            wp = w[:, parent.columns]
            children = parent.children

            def stacked(children: tuple[int, ...] = children) -> list[FloatArray]:
                return [child_values(c) for c in children]

            if parent.chooser is not None:
                values[parent.node] = ops.WEIGHT.draws(
                    wp,
                    stacked(),
                    parent.chooser,
                    parent.chooser_params,
                    parent.names,
                    (parent.step, parent.params),
                )
                continue
            batch = ops.DrawChildren(
                leaves=plan.leaf_children(parent) if parent.leaves else None,
                values=stacked,
                gap_free=all(c in gap_free for c in children),
                required=parent.required,
            )
            out, whole = ops.AGGREGATE.draws(wp, parent.step, parent.params, parent.names, batch)
            values[parent.node] = out
            if whole:
                gap_free.add(parent.node)
        for inner in steps:  # inner rescale / round, after the whole level as in a run
            node = plan.tree.ids[inner.node]
            s = queries.apply_score_steps([inner.step], node, values[inner.node], plan.eligible)
            values[inner.node] = s
            if np.isnan(s).any():
                gap_free.discard(inner.node)
    score = values[plan.root]
    return score if plan.eligible.all() else np.where(plan.eligible, score, np.nan)


def apply_root_steps(plan: DrawPlan, score: FloatArray) -> tuple[FloatArray, bool]:
    """The methodology's rescale and round steps of the root, on every draw's scores.

    Returns the ranking key and whether it is on an integer grid (the scores in units of their
    last rounding, which rank the same as the rounded scores).
    """
    steps = list(plan.root_steps)
    last_round = None
    if plan.rank_decimals is not None:
        last_round = plan.rank_decimals
    elif steps and ops.SCORES.rounds(steps[-1]):
        last_round = int(steps[-1].params()["decimals"])
        steps = steps[:-1]
    s = queries.apply_score_steps(steps, plan.tree.ids[plan.root], score)
    if last_round is None:
        return s, False
    return ops.SCORES.round_units(s, last_round), True


def grade_keys(plan: DrawPlan, w: FloatArray) -> FloatArray:
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


def ranking_keys(plan: DrawPlan, w: FloatArray) -> tuple[FloatArray, bool]:
    """The ranking key (d, n) of a batch of draws, and whether it is on an integer grid."""
    if plan.grades is not None:
        return grade_keys(plan, w), True
    return apply_root_steps(plan, aggregate_draws(plan, w))


def block_size(plan: DrawPlan) -> int:
    """Draws per block: (draws x institutions x children) arrays stay within BLOCK_CELLS."""
    wide = [len(p.children) for lv in plan.levels for p in lv if p.stacks]
    widest = max(wide + [len(lv) for lv in plan.levels] + [1])
    if plan.grades is not None:
        widest = max(widest, plan.grades.paths.shape[1] // 8)
    special = any(not p.plain for lv in plan.levels for p in lv) or any(plan.after)
    # Best-k, inner rescaling and the like run many small passes per block: larger blocks
    # spend less per call (measured on THE Impact: 13 % less time at 4x the cells).
    cells = 4 * BLOCK_CELLS if special else BLOCK_CELLS
    return max(1, cells // max(plan.n * widest, 1))
