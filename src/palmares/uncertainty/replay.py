"""The vectorised replay: re-rank a computed Result for many weight vectors at once.

Nothing before aggregation reruns: the replay reads the leaf values a Result cached and executes
the plan's one walk (:mod:`palmares.plan.walk`) on blocks of draws (d, K): every inner node
through its steps' own batch operation, the inner and root rescale and round steps on every
draw, then competition ranks. What varies is chosen here: the sibling groups whose weights a
draw perturbs (:class:`~palmares.uncertainty.draws.WeightModel`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from palmares.plan.bound import DrawPlan, GradeKey, compile_draws
from palmares.plan.compiled import ReplayUnsupported, step_label
from palmares.plan.walk import aggregate_draws as aggregate_batch
from palmares.plan.walk import block_size
from palmares.plan.walk import ranking_keys as batch_keys
from palmares.ranking import competition_rank, competition_rank_on_grid
from palmares.result import Result
from palmares.steps import BoolArray, FloatArray, IntArray
from palmares.steps import registry as ops
from palmares.tree import Tree
from palmares.uncertainty.blas import single_thread
from palmares.uncertainty.draws import WeightModel

#: Status code of a value that does not apply (palmares.schema.STATUSES).
NOT_APPLICABLE = 2


@dataclass(frozen=True)
class ReplayPlan:
    """A Result's batch plan and the weights a draw may vary."""

    batch: DrawPlan
    weights: WeightModel

    @property
    def tree(self) -> Tree:
        return self.batch.tree

    @property
    def n(self) -> int:
        return self.batch.n

    @property
    def rank_decimals(self) -> int | None:
        return self.batch.rank_decimals

    @property
    def grades(self) -> GradeKey | None:
        return self.batch.grades


def _applicable(result: Result) -> BoolArray:
    """(n, L) whether each leaf applies to each institution."""
    return np.asarray(result.status != NOT_APPLICABLE)


def build_plan(
    result: Result, varied_parents: list[str] | None = None, *, perturbed: bool = True
) -> ReplayPlan:
    """Read a Result into a replay plan; raise :class:`ReplayUnsupported` for what the batch
    path cannot replay or what makes no sense: ``perturbed`` weights of a ranking on grade
    counts. ``varied_parents``: the nodes whose children's weights vary (default: every one)."""
    m, tree = result.methodology, result.tree
    if m.ranking.method not in ("competition", "fractional"):
        raise ReplayUnsupported(f'[ranking] method = "{m.ranking.method}"')
    if m.ranking.by == "grade_counts" and perturbed:
        counts = next((s for s in m.steps if ops.counts_grades(s)), None)
        named = step_label(m, counts) if counts is not None else "[ranking]"
        raise ReplayUnsupported(
            f'{named}: the ranking is on grade counts ([ranking] by = "grade_counts"), '
            "no weighted composite, so there are no weights to perturb; set "
            '[uncertainty.weights] method = "none" and vary the data ([uncertainty.noise]), '
            "the grade thresholds (an alternative on the grade step) or the indicators "
            "([uncertainty.exclude])"
        )
    found: dict[str, BoolArray] = {}

    def applicable() -> BoolArray:
        if "a" not in found:
            found["a"] = _applicable(result)
        return found["a"]

    batch = compile_draws(
        m,
        tree,
        tuple(result.leaves),
        np.asarray(result.leaf_values),
        np.asarray(result.leaf_mask, dtype=bool),
        np.asarray(result.eligible, dtype=bool),
        applicable=applicable,
        grades=None if result.grades is None else np.asarray(result.grades),
    )
    layout = batch.weights
    chosen = set(layout.parents if varied_parents is None else varied_parents)
    model = WeightModel(
        nodes=layout.nodes,
        group=layout.group,
        nominal=layout.nominal,
        varied=np.array([layout.parents[g] in chosen for g in layout.group.tolist()], dtype=bool),
    )
    return ReplayPlan(batch=batch, weights=model)


def aggregate_draws(plan: ReplayPlan, w: FloatArray) -> FloatArray:
    """Root scores (d, n) for weights (d, K), before root steps, NaN outside the table."""
    return aggregate_batch(plan.batch, w)


def ranking_keys(plan: ReplayPlan, w: FloatArray) -> tuple[FloatArray, bool]:
    """The ranking key (d, n) of a block of draws, and whether it is on an integer grid."""
    return batch_keys(plan.batch, w)


def replay_ranks(plan: ReplayPlan, w: FloatArray) -> IntArray:
    """Competition ranks (d, n) of every draw, in blocks of bounded memory."""
    block = block_size(plan.batch)
    out = np.empty((w.shape[0], plan.n), dtype=np.int64)
    with single_thread():
        for start in range(0, w.shape[0], block):
            part = slice(start, min(start + block, w.shape[0]))
            key, grid = batch_keys(plan.batch, w[part], blocks=True)
            out[part] = competition_rank_on_grid(key) if grid else competition_rank(key)
    return out


__all__ = [
    "ReplayPlan",
    "ReplayUnsupported",
    "aggregate_draws",
    "build_plan",
    "ranking_keys",
    "replay_ranks",
]
