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
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares import plan
from palmares.dataset import Dataset
from palmares.methodology import Methodology, methodology_hash
from palmares.methodology.load import check_with_tree
from palmares.ranking_table import RankingTable, rank_scores
from palmares.result import Result
from palmares.steps.registry import AGGREGATE, MethodologyDataError, leaf_operation
from palmares.tree import Tree

#: Aggregation used for inner nodes no aggregate step covers (the JRC default).
DEFAULT_AGGREGATION = AGGREGATE.DEFAULT


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


def _data_hash(dataset: Dataset) -> str:
    # Imported when computed: a Dataset from a store carries its hash, and the readers and
    # writers of every format (openpyxl, Parquet) are not needed to rank it.
    from palmares.io import data_hash

    return data_hash(dataset)


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
    m = plan.resolve(method, edition)
    if not m.applies_to(edition):
        raise MethodologyDataError(
            f"methodology {m.id!r} applies to editions {m.methodology.describe_editions()}, "
            f"not {edition}"
        )
    full_tree, directions = methodology_tree(dataset, m)
    m = plan.with_bundle_weights(dataset, m, full_tree)
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
    attributes = institution_attributes(dataset, matrix.institutions)

    status = matrix.status[:, columns]
    # An SDG is submitted when it has rows that apply, even if a metric is missing.
    declared = (status >= 0) & applicable
    screened, eligible = plan.eligibility_masks(m, tree, submitted, attributes, declared)
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
    state = plan.LeafState(
        x=np.where(submitted, values, np.nan)[rows],
        mask=submitted[rows].copy(),
        imputed=np.zeros((rows.size, len(leaves)), dtype=bool),
        applicable=applicable[rows],
    )
    sub_attributes = {k: v[rows] for k, v in attributes.items()}
    for index, step in enumerate(m.steps):
        if leaf_operation(step) is not None:
            plan.apply_leaf_step(index, step, tree, state, direction, sub_attributes, reference)
    aggregated = plan.aggregate_tree_full(
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
    for index, root_scaling in plan.root_steps(m, root):
        state.records.append(plan.root_step(index, root_scaling, tree, node_values, root))
    score = node_values[:, root_column]

    key = np.where(in_table, plan.ranking_key(m, score, counts, tree, root), np.nan)
    table = rank_scores(
        m.ranking,
        edition,
        key,
        key if m.ranking.by == "grade_counts" else score,  # U-Multirank shows its A count
        decimals=plan.published_decimals(m),
        rounded=plan.ends_rounded(m),
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
        else dataset.memo("data_hash", lambda: _data_hash(dataset)),
        seed=seed,
        institutions=matrix.institutions,
        names=institution_names(dataset, matrix.institutions),
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


# -- institutions ----------------------------------------------------------------------------


def institution_attributes(dataset: Dataset, ids: Sequence[str]) -> dict[str, npt.NDArray[Any]]:
    """Institution attributes (every column but the names) aligned with ``ids``."""
    inst = dataset.institutions.set_index("id")
    inst = inst.reindex(list(ids))
    skip = {"name", "name_en", "name_fr"}
    return {c: inst[c].to_numpy(dtype=object) for c in inst.columns if c not in skip}


def institution_names(dataset: Dataset, ids: Sequence[str]) -> tuple[str, ...]:
    inst = dataset.institutions.set_index("id")
    return tuple(inst.reindex(list(ids))["name"].fillna("").tolist())


#: Names the plan now holds, still importable from here (old import paths keep working).
_FROM_PLAN = frozenset(
    {
        "Aggregated",
        "StepRecord",
        "aggregate_tree",
        "aggregate_tree_full",
        "ends_rounded",
        "inner_steps",
        "published_decimals",
        "ranking_key",
        "resolve",
        "root_step",
        "targets_root",
    }
)


def __getattr__(name: str) -> Any:
    if name in _FROM_PLAN:
        return getattr(plan, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MethodologyDataError", "RankingTable", "methodology_tree", "run"]
