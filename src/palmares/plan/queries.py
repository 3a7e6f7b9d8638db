"""A methodology read as a plan: which step acts where, in which order, to what precision.

The engine's run, personalisation, the uncertainty replay and the rebuild of published totals
all ask a methodology the same questions (which aggregate or weight step covers this node,
which rescale and round steps act on inner nodes and on the root, to how many decimals the
ranking is published, what ranks are computed on); they ask them here, once. The arithmetic of
each step is in :mod:`palmares.steps.registry`.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.dataset import Dataset
from palmares.methodology import Methodology, load_methodology, resolve_methodology
from palmares.methodology.model import StepBase
from palmares.steps import BoolArray, FloatArray
from palmares.steps.registry import SCORES, MethodologyDataError, rounds
from palmares.tree import Tree


def resolve(method: Methodology | str | os.PathLike[str], edition: int | None) -> Methodology:
    """A Methodology from an object, TOML text, a TOML path, a bundled example id or a preset
    reference (``id`` or ``id@YEAR``)."""
    if isinstance(method, Methodology):
        return method
    if isinstance(method, str) and "\n" in method:  # TOML text given directly
        return load_methodology(method)
    return resolve_methodology(str(method), edition)


#: The column COINr's iMeta ``Weight`` is kept in (the indicators table of a COINr bundle).
BUNDLE_WEIGHT_COLUMN = "coinr_Weight"


class BundleWeightsIgnored(UserWarning):
    """A bundle carries its own weights (COINr's ``Weight``) that the methodology does not use."""


def bundle_weights(dataset: Dataset) -> dict[str, float]:
    """Node id -> weight as the bundle gives them (COINr's ``Weight`` column; empty cells are
    no weight). Raises MethodologyDataError listing every weight that is not a number >= 0."""
    table = dataset.indicators
    if BUNDLE_WEIGHT_COLUMN not in table.columns:
        return {}
    out: dict[str, float] = {}
    bad: list[str] = []
    for node, text in zip(table["id"].tolist(), table[BUNDLE_WEIGHT_COLUMN].tolist(), strict=True):
        if (
            text is None
            or (isinstance(text, float) and math.isnan(text))
            or str(text).strip()
            in (
                "",
                "NA",
            )
        ):
            continue
        try:
            value = float(str(text).strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            bad.append(f"{node} ({text!r})")
        else:
            out[str(node)] = value
    if bad:
        raise MethodologyDataError(
            "the bundle's weights (COINr's Weight column) must be numbers >= 0: " + ", ".join(bad)
        )
    return out


def with_bundle_weights(dataset: Dataset, m: Methodology, tree: Tree) -> Methodology:
    """The methodology with the tree's weights it runs with.

    ``[weights] source = "bundle"``: the bundle's own weights (COINr's ``Weight`` column) for
    the nodes of ``tree``, the file's ``[weights]`` entries overriding them. A methodology with
    no ``[weights]`` at all, on a bundle whose weights are not all 1, warns
    (:class:`BundleWeightsIgnored`): a COINr user's index would otherwise be equal-weighted
    without a word.
    """
    root = tree.roots[0]
    found = {n: w for n, w in bundle_weights(dataset).items() if n in tree and n != root}
    if m.weights_source == "bundle":
        if not found:
            raise MethodologyDataError(
                '[weights] source = "bundle", but the bundle gives no weight for the nodes of '
                f"{m.system!r} (no COINr Weight column)"
            )
        return m.model_copy(update={"weights": {**found, **m.weights}})
    if not m.weights and any(w != 1.0 for w in found.values()):
        warnings.warn(
            BundleWeightsIgnored(
                f"the bundle gives its own weights ({len(found)} nodes of {m.system!r}, COINr's "
                f"Weight column) and methodology {m.id!r} ignores them: add [weights] source = "
                '"bundle" to use them'
            ),
            stacklevel=3,
        )
    return m


def step_for(m: Methodology, step_type: str, node: str, tree: Tree) -> StepBase | None:
    """The last step of a type whose scope covers an inner node (later steps win)."""
    found: StepBase | None = None
    for step in m.steps_of(step_type):
        if step.nodes is not None and node not in step.nodes:
            continue
        if step.level is not None and int(tree.depth[tree.index(node)]) != step.level:
            continue
        found = step
    return found


def inner_steps(m: Methodology, tree: Tree) -> list[tuple[int, StepBase, list[str]]]:
    """Rescale and round steps naming inner nodes (not the root): (index, step, nodes)."""
    root = tree.roots[0]
    out: list[tuple[int, StepBase, list[str]]] = []
    for index, step in enumerate(m.steps):
        if step.acts_on != "root" or step.nodes is None:
            continue
        nodes = [
            n for n in step.nodes if n in tree and n != root and not tree.is_leaf[tree.index(n)]
        ]
        if nodes:
            out.append((index, step, nodes))
    return out


def targets_root(step: StepBase, root: str) -> bool:
    return step.nodes is None or root in step.nodes


def root_steps(m: Methodology, root: str) -> list[tuple[int, StepBase]]:
    """The rescale and round steps acting on the root, in order: (index, step)."""
    return [
        (i, step)
        for i, step in enumerate(m.steps)
        if step.acts_on == "root" and targets_root(step, root)
    ]


def apply_score_steps(
    steps: Sequence[StepBase], node: str, s: FloatArray, population: BoolArray | None = None
) -> FloatArray:
    """Scores (n,) or (draws, n) of one node through rescale and round steps, in order."""
    for step in steps:
        s = SCORES.apply(step, step.params_for(node), s, population, node)
    return s


def published_decimals(m: Methodology) -> int | None:
    """Decimals of the published score: the ranking's, else the last round step's (None)."""
    if m.ranking.decimals is not None:
        return m.ranking.decimals
    found = [s for s in m.steps if rounds(s)]
    return int(found[-1].params()["decimals"]) if found else None


def ends_rounded(m: Methodology) -> bool:
    """Whether the root's last step rounds it to the published precision."""
    last = [s for s in m.steps if s.acts_on == "root" and s.nodes is None]
    if not last or not rounds(last[-1]):
        return False
    return int(last[-1].params()["decimals"]) == published_decimals(m)


def grade_count_key(a_counts: npt.NDArray[Any], graded: npt.NDArray[Any]) -> FloatArray:
    """A ranking on grade counts: the number of A grades, among institutions with a grade
    (NaN: none, outside the field). Any shape: (n,) for a run, (draws, n) for a replay."""
    return np.where(graded > 0, a_counts, np.nan).astype(float)


def ranking_key(
    m: Methodology,
    score: FloatArray,
    counts: npt.NDArray[np.int64] | None,
    tree: Tree,
    root: str,
) -> FloatArray:
    """What ranks are computed on: the score, or the number of A grades at the root."""
    if m.ranking.by == "grade_counts":
        if counts is None:
            raise MethodologyDataError('ranking by = "grade_counts" needs a grade step')
        at_root = counts[:, tree.index(root)]
        return grade_count_key(at_root[:, 0], at_root.sum(axis=1))
    return score


__all__ = [
    "BUNDLE_WEIGHT_COLUMN",
    "BundleWeightsIgnored",
    "apply_score_steps",
    "bundle_weights",
    "ends_rounded",
    "grade_count_key",
    "inner_steps",
    "published_decimals",
    "ranking_key",
    "resolve",
    "root_steps",
    "step_for",
    "targets_root",
    "with_bundle_weights",
]
