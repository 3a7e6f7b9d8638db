"""A methodology compiled to a plan, and the plan executed: the only place that sequences steps.

- :mod:`palmares.plan.queries`: what a methodology says where (which step covers a node, the
  inner and root steps, the published precision, the ranking key, bundle weights).
- :mod:`palmares.plan.steps`: eligibility and the leaf steps of a run.
- :mod:`palmares.plan.compiled`: the compiled plan (cached per methodology hash and tree);
  :mod:`palmares.plan.bound`: the plan bound to a run's leaves; :mod:`palmares.plan.walk`: its
  one executor, :func:`~palmares.plan.walk.walk`: every inner node bottom-up through its
  steps' operations, the inner rescale and round steps after each level, then the root's
  steps, for weights (d, K): a run and a personalisation are one draw (keeping the working),
  the uncertainty replay a batch of many.
- :mod:`palmares.plan.mean_level`: one draw's plain weighted means of a level in one sparse
  product; :mod:`palmares.plan.working`: what one draw keeps for the working.
- :mod:`palmares.plan.aggregation`: a run's one draw with its working
  (:func:`aggregate_tree_full`, a thin name over the walk).

:func:`palmares.engine.run` executes the plan into a :class:`~palmares.result.Result`;
personalisation, the uncertainty replay and the rebuild of published totals execute the same
plan through the same walk.
"""

from palmares.plan.aggregation import (
    Aggregated,
    StepRecord,
    aggregate_tree,
    aggregate_tree_full,
    rescale_or_round,
)
from palmares.plan.queries import (
    BUNDLE_WEIGHT_COLUMN,
    BundleWeightsIgnored,
    apply_score_steps,
    bundle_weights,
    ends_rounded,
    grade_count_key,
    inner_steps,
    published_decimals,
    ranking_key,
    resolve,
    root_steps,
    step_for,
    targets_root,
    with_bundle_weights,
)
from palmares.plan.steps import LeafState, apply_leaf_step, eligibility_masks, root_step

__all__ = [
    "BUNDLE_WEIGHT_COLUMN",
    "Aggregated",
    "BundleWeightsIgnored",
    "LeafState",
    "StepRecord",
    "aggregate_tree",
    "aggregate_tree_full",
    "apply_leaf_step",
    "apply_score_steps",
    "bundle_weights",
    "eligibility_masks",
    "ends_rounded",
    "grade_count_key",
    "inner_steps",
    "published_decimals",
    "ranking_key",
    "rescale_or_round",
    "resolve",
    "root_step",
    "root_steps",
    "step_for",
    "targets_root",
    "with_bundle_weights",
]
