"""The one executor of a plan: :func:`walk`, for any batch of weights (d, K).

Level by level (deepest first), every inner node through its steps' operations in
:mod:`palmares.steps.registry`, then the inner rescale and round steps of that level's nodes
(statistics over the overall table), and at the end the root; the root's steps follow
(:func:`apply_root_steps`, or the engine's records). The arithmetic of a level specialises by
shape: for one draw, the plain weighted means of a level go through one sparse product and other
parents through ``Weight.apply``/``Aggregate.apply``, keeping the working (node values, shares,
grade counts, values before inner rescaling, step records); for many draws, each parent through
``Aggregate.draws``/``Weight.draws``. A ranking on grade counts has no composite for many draws:
its key counts the A grades of the leaves a draw keeps. Loops run over tree levels and parents,
never over draws or institutions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.plan import queries
from palmares.plan.bound import DrawPlan
from palmares.plan.compiled import Level, Parent, ReplayUnsupported, ScoreStep
from palmares.plan.working import Aggregated, StepRecord
from palmares.steps import BoolArray, FloatArray
from palmares.steps import registry as ops

#: Cells (draws x institutions x children) one block of draws may hold.
BLOCK_CELLS = 500_000


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
