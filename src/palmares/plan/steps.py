"""The steps of a run on the institutions x leaves matrix, in the order a plan gives them.

Eligibility on what was submitted, then every leaf step (imputation, treatment,
normalisation, points, grades) through its operation in :mod:`palmares.steps.registry`, then
the aggregation of every inner node bottom-up (the plan's walk, :mod:`palmares.plan.walk`)
and the root's rescale and round steps. Each step leaves a :class:`StepRecord` for the working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.methodology import Methodology
from palmares.methodology.model import StepBase
from palmares.plan.aggregation import rescale_or_round
from palmares.plan.working import StepRecord
from palmares.steps import BoolArray, FloatArray
from palmares.steps.registry import (
    LeafBatch,
    eligibility_operation,
    leaf_operation,
)
from palmares.tree import Tree


@dataclass
class LeafState:
    """Mutable working arrays of one run (the Result freezes them)."""

    x: FloatArray  # (n, L) leaf values as transformed so far
    mask: BoolArray  # (n, L) value present (after imputation: filled cells too)
    imputed: BoolArray  # (n, L)
    applicable: BoolArray  # (n, L) False where the indicator does not apply (never imputed)
    grades: npt.NDArray[np.int8] | None = None
    records: list[StepRecord] = field(default_factory=list)


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


def eligibility_masks(
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
        if rule.screens(step):
            screened &= rule.apply(step, params, mask, cols, attributes)
        else:
            keep &= rule.apply(step, params, mask, cols, attributes)
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


def apply_leaf_step(
    index: int,
    step: StepBase,
    tree: Tree,
    state: LeafState,
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


# -- root steps ----------------------------------------------------------------------------------


def root_step(index: int, step: StepBase, tree: Tree, values: FloatArray, root: str) -> StepRecord:
    """Apply a rescale or round step to the root, in place on ``values`` (steps naming inner
    nodes act during the plan's walk, :func:`palmares.plan.walk.walk`)."""
    col = tree.index(root)
    s = values[:, col]
    values[:, col] = rescale_or_round(step, root, s, None)
    return StepRecord(index, step.tag, (root,))
