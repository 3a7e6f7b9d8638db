"""A run's aggregation: one draw of the plan (:mod:`palmares.plan.walk`) with its working.

Every inner node bottom-up, with the inner rescale and round steps between levels, through the
plan's one walk; the weights are the methodology's, or a personalisation's overrides of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.methodology import Methodology
from palmares.methodology.model import StepBase
from palmares.plan.bound import bind
from palmares.plan.compiled import compile_plan
from palmares.plan.walk import aggregate_one
from palmares.plan.working import Aggregated, StepRecord
from palmares.steps import BoolArray, FloatArray
from palmares.steps import registry as ops
from palmares.tree import Tree


def aggregate_tree(
    *args: Any, **options: Any
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64] | None]:
    """Node values (n, N), each node's effective weight within its parent (n, N), grade counts:
    :func:`aggregate_tree_full` (same arguments) as a tuple."""
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
    """One draw of the plan of ``m`` over ``tree`` with its working.

    ``x``/``mask``/``grades``/``applicable`` are over ``tree.leaves``; ``weight_overrides``
    replaces some of the methodology's weights (the personalised ranking). ``population``
    (default: every row) is whom inner rescale steps take their statistics over. Without
    ``working`` the plain weighted means skip each child's share of its parent (the weights
    come back NaN there): scores and ranks only, for callers that explain nothing.
    """
    plan = compile_plan(m, tree)
    bound = bind(
        plan,
        None,
        x,
        mask,
        eligible=population,
        applicable=lambda: applicable,
        grades=grades,
    )
    return aggregate_one(bound, plan.draw_weights(weight_overrides), working=working)


def rescale_or_round(
    step: StepBase, node: str, s: FloatArray, population: BoolArray | None
) -> FloatArray:
    """One node's scores through a rescale (statistics over ``population``) or a round."""
    return ops.SCORES.apply(step, step.params_for(node), s, population, node)


__all__ = ["Aggregated", "StepRecord", "aggregate_tree", "aggregate_tree_full", "rescale_or_round"]
