"""Personalised rankings: re-aggregate a computed Result on chosen criteria, weights and peers.

Nothing before aggregation reruns: the leaf values the engine cached (after imputation,
treatment, normalisation, points or grades, computed on the whole field) are re-aggregated over
the tree restricted to the chosen criteria, with the user's weights, for the institutions that
pass the filters; then the methodology's root steps and ranking rules apply. Bands and groups
belong to the published table and are not recomputed for a personalised one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.plan import (
    aggregate_tree_full,
    ends_rounded,
    published_decimals,
    ranking_key,
    root_step,
    root_steps,
)
from palmares.ranking_table import rank_scores
from palmares.result import Result


class PersonalisationError(LookupError):
    """A criterion, weight or filter that does not exist in the computed result."""


@dataclass(frozen=True)
class Personalisation:
    """What a personalised ranking was re-ranked on, to state it to the user."""

    criteria: tuple[str, ...]
    weights: Mapping[str, float]
    where: Mapping[str, Any]
    network: str | None

    def describe(self) -> str:
        parts = []
        if self.criteria:
            parts.append("criteria " + ", ".join(self.criteria))
        if self.weights:
            parts.append("weights " + ", ".join(f"{k}={v:g}" for k, v in self.weights.items()))
        if self.where:
            parts.append("filters " + ", ".join(f"{k}={v}" for k, v in self.where.items()))
        if self.network:
            parts.append(f"network {self.network}")
        return "re-ranked on " + "; ".join(parts) if parts else "the published method"


def expand_criteria(result: Result, criteria: Sequence[str]) -> list[str]:
    """Criteria as node ids: a readymade ranking's name (U-Multirank) stands for its set."""
    from palmares.systems.readymade import readymade_sets

    sets = readymade_sets(result.system, result.edition)
    out: list[str] = []
    for c in criteria:
        if c in sets and c not in result.tree:
            # indicators an edition lacks drop out of the set for that edition
            out.extend(node for node in sets[c] if node in result.tree)
        else:
            out.append(c)
    return out


def _selected_leaves(result: Result, criteria: Sequence[str] | None) -> list[str]:
    if not criteria:
        return list(result.leaves)
    criteria = expand_criteria(result, criteria)
    unknown = [c for c in criteria if c not in result.tree]
    if unknown:
        from palmares.systems.readymade import readymade_sets

        known = ", ".join(result.tree.ids)
        sets = readymade_sets(result.system, result.edition)
        if sets:
            known += "; readymade rankings: " + ", ".join(sets)
        raise PersonalisationError(
            f"unknown criterion {', '.join(map(repr, unknown))} in {result.system} "
            f"{result.edition}; nodes: {known}"
        )
    chosen: set[str] = set()
    leaves = set(result.leaves)
    for c in criteria:
        chosen.update((c,) if c in leaves else result.tree.leaves_under(c))
    return [leaf for leaf in result.leaves if leaf in chosen]


def _filter_rows(
    result: Result, where: Mapping[str, Any] | None, network: str | None
) -> npt.NDArray[np.bool_]:
    keep = result.eligible.copy()
    for key, accepted in (where or {}).items():
        if key not in result.attributes:
            raise PersonalisationError(
                f"no institution attribute {key!r}; attributes: {', '.join(result.attributes)}"
            )
        values = accepted if isinstance(accepted, (list, tuple, set)) else [accepted]
        column = result.attributes[key]
        keep &= np.isin(column.astype(str), [str(v) for v in values])
    if network is not None:
        members = result.in_network(network)
        if not members.any():
            raise PersonalisationError(f"no member of network {network!r} in this field")
        keep &= members
    return keep


def _pick(items: tuple[str, ...], rows: npt.NDArray[np.intp]) -> tuple[str, ...]:
    if rows.size == len(items):
        return items
    return tuple(np.asarray(items, dtype=object)[rows].tolist())


def personalise(
    result: Result,
    *,
    criteria: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    where: Mapping[str, Any] | None = None,
    network: str | None = None,
) -> Result:
    """A new Result ranked on the chosen criteria and weights, among the filtered peers."""
    weights = dict(weights or {})
    unknown = [w for w in weights if w not in result.tree]
    if unknown:
        raise PersonalisationError(f"weight on unknown node(s): {', '.join(map(repr, unknown))}")
    if any(v < 0 for v in weights.values()):
        raise PersonalisationError("weights must be non-negative")
    leaves = _selected_leaves(result, criteria)
    tree = result.tree.restrict(leaves)
    leaves = list(tree.leaves)
    columns = np.array([result.leaves.index(leaf) for leaf in leaves], dtype=np.intp)
    keep = _filter_rows(result, where, network)
    # Aggregate over the whole overall table (inner rescale statistics stay those of the
    # published table), then keep the filtered peers.
    base = np.flatnonzero(result.eligible)
    rows = np.flatnonzero(keep)
    pick = np.searchsorted(base, rows)

    n = len(result.institutions)

    def take(a: npt.NDArray[Any], which: npt.NDArray[np.intp]) -> npt.NDArray[Any]:
        # One gather: columns only when every row is kept (the common, unfiltered case).
        return a[:, columns] if which.size == n else a[np.ix_(which, columns)]

    def cut(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return take(a, rows)

    m = result.methodology
    full = take(result.status, base)
    aggregated = aggregate_tree_full(
        m,
        tree,
        take(result.leaf_values, base),
        take(result.leaf_mask, base),
        None if result.grades is None else take(result.grades, base),
        full != 2,  # not_applicable
        weights,
    )
    x = cut(result.leaf_values)
    mask = cut(result.leaf_mask)
    grades = None if result.grades is None else cut(result.grades)
    status = cut(result.status)
    every = pick.size == base.size  # no filter: the aggregated rows are the peers
    values = aggregated.values.copy() if every else aggregated.values[pick]
    node_weights = aggregated.weights if every else aggregated.weights[pick]
    counts = aggregated.counts
    if counts is not None and not every:
        counts = counts[pick]
    root = tree.roots[0]
    raw_score = values[:, tree.index(root)].copy()
    records = [
        *aggregated.records,
        *(root_step(i, step, tree, values, root) for i, step in root_steps(m, root)),
    ]
    score = values[:, tree.index(root)]
    plain = m.ranking.model_copy(update={"bands": {}, "groups": {}, "groups_by": None})
    key = ranking_key(m, score, counts, tree, root)
    table = rank_scores(
        plain,
        result.edition,
        key,
        key if m.ranking.by == "grade_counts" else score,
        decimals=published_decimals(m),
        rounded=ends_rounded(m),
    )
    return replace(
        result,
        institutions=_pick(result.institutions, rows),
        names=_pick(result.names, rows),
        attributes={k: v[rows] for k, v in result.attributes.items()},
        tree=tree,
        leaves=tuple(leaves),
        direction=result.direction[columns],
        raw=cut(result.raw),
        status=status,
        eligible=np.ones(rows.size, dtype=bool),
        imputed=cut(result.imputed),
        leaf_values=x,
        leaf_mask=mask,
        grades=grades,
        node_values=values,
        node_weights=node_weights,
        grade_counts=counts,
        raw_score=raw_score,
        score=score,
        ranking=table,
        unscaled=aggregated.unscaled[pick],
        scored=None,
        records=(*result.records, *records),
        personalisation=Personalisation(tuple(criteria or ()), weights, dict(where or {}), network),
    )
