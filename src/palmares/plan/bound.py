"""The plan bound to a run's leaves: their values and masks, the overall table, the leaf
children laid out once for every batch of draws, the grade key of a ranking on grade counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from palmares.methodology import Methodology
from palmares.plan.compiled import (
    Parent,
    Plan,
    ReplayUnsupported,
    WeightLayout,
    compile_plan,
)
from palmares.steps import BoolArray, FloatArray, IntArray
from palmares.steps import registry as ops
from palmares.tree import Tree

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
