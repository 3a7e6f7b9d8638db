"""The Result of a run: scores at every level, ranks, bands, groups, and the working behind them.

A Result is immutable and self-describing: it carries the methodology (and its hash), the data
hash, the seed and the palmares version, so any exported table says how to regenerate it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares import ranking as rk
from palmares.methodology import Methodology
from palmares.plan import (
    aggregate_tree_full,
    ends_rounded,
    published_decimals,
    ranking_key,
    root_step,
    root_steps,
)
from palmares.ranking_table import RankingTable, rank_scores
from palmares.steps import FloatArray
from palmares.tree import Tree

GRADE_LETTERS = ("A", "B", "C", "D", "E")


def _version() -> str:
    # The installed distribution's version, as palmares.__version__ reads it (importing the
    # package root from here would make a cycle).
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("palmares")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0.0.0"


@dataclass(frozen=True, eq=False)
class Result:
    """One edition ranked with one methodology. Arrays are aligned with ``institutions``."""

    system: str
    edition: int
    methodology: Methodology
    methodology_hash: str
    data_hash: str
    seed: int
    institutions: tuple[str, ...]
    names: tuple[str, ...]
    attributes: Mapping[str, npt.NDArray[Any]]
    tree: Tree
    leaves: tuple[str, ...]
    direction: npt.NDArray[np.int8]
    raw: FloatArray  # (n, L) values as submitted (NaN where none)
    status: npt.NDArray[np.int8]  # (n, L) observation status codes
    eligible: npt.NDArray[np.bool_]
    imputed: npt.NDArray[np.bool_]  # (n, L)
    leaf_values: FloatArray  # (n, L) after every leaf step: what aggregation consumed
    leaf_mask: npt.NDArray[np.bool_]
    grades: npt.NDArray[np.int8] | None  # (n, L) 0 = A .. 4 = E, -1 none
    node_values: FloatArray  # (n, N) every node's value in tree order (root after rescaling)
    node_weights: FloatArray  # (n, N) each node's share of its parent (present children)
    grade_counts: npt.NDArray[np.int64] | None  # (n, N, 5)
    raw_score: FloatArray  # root before rescaling and rounding
    score: FloatArray  # root after every root step
    ranking: RankingTable
    records: tuple[Any, ...]
    networks: pd.DataFrame
    #: What a personalised ranking was re-ranked on (None for the methodology's own table).
    personalisation: Any = None
    palmares_version: str = ""
    #: (n, N) node values before inner rescale/round steps (what per-node tables rank).
    unscaled: FloatArray | None = None
    #: Institutions scored at all (not screened out by a coverage rule); None: every one.
    scored: npt.NDArray[np.bool_] | None = None

    def __post_init__(self) -> None:
        if not self.palmares_version:
            object.__setattr__(self, "palmares_version", _version())

    # -- identity ------------------------------------------------------------------------------

    @property
    def meta(self) -> dict[str, Any]:
        """What regenerates this table: system, edition, hashes, seed, version."""
        return {
            "system": self.system,
            "edition": self.edition,
            "methodology": self.methodology.id,
            "methodology_version": self.methodology.methodology.version,
            "methodology_hash": self.methodology_hash,
            "data_hash": self.data_hash,
            "seed": self.seed,
            "palmares_version": self.palmares_version,
        }

    def position(self, institution: str) -> int:
        try:
            return self.institutions.index(institution)
        except ValueError:
            from palmares.translatable import tr

            raise LookupError(
                tr(
                    "{institution!r} is not in the {system} {edition} field",
                    institution=institution,
                    system=self.system,
                    edition=self.edition,
                )
            ) from None

    @property
    def field_size(self) -> int:
        """The institutions of the overall table (ranked)."""
        return self.ranking.field_size

    @property
    def submitters(self) -> int:
        """The institutions with at least one value in this edition (THE Impact reports it
        beside the overall table's size)."""
        return int((~np.isnan(self.raw)).any(axis=1).sum())

    # -- node-level views ------------------------------------------------------------------------

    def node_scores(self, node: str) -> FloatArray:
        return self.node_values[:, self.tree.index(node)]

    def node_ranks(self, node: str) -> npt.NDArray[np.int64]:
        """Competition ranks on one node's score (a family, a dimension or an indicator)."""
        if self.grade_counts is not None and self.methodology.ranking.by == "grade_counts":
            key = self.grade_counts[:, self.tree.index(node), 0].astype(float)
        else:
            key = self.node_scores(node)
        key = np.where(self.eligible, key, np.nan)
        return rk.competition_rank(key)

    def node_key(self, node: str) -> FloatArray:
        """What a per-node table ranks: the unscaled node score of every scored institution
        (or its number of A grades for grade-count methodologies); NaN where it has none."""
        j = self.tree.index(node)
        if self.grade_counts is not None and self.methodology.ranking.by == "grade_counts":
            counts = self.grade_counts[:, j]
            key = np.where(counts.sum(axis=1) > 0, counts[:, 0], np.nan).astype(float)
        else:
            key = (self.unscaled if self.unscaled is not None else self.node_values)[:, j]
        if self.scored is not None:
            key = np.where(self.scored, key, np.nan)
        return np.asarray(key, dtype=float)

    def node_table(self, node: str) -> RankingTable:
        """The per-node table: every institution with a score on ``node`` (submitters of an SDG
        included when they are not in the overall table), competition ranks on the unscaled
        score at the published precision, the edition's bands, no groups."""

        spec = self.methodology.ranking.model_copy(
            update={"groups": {}, "groups_by": None, "cutoff": None}
        )
        key = self.node_key(node)
        decimals = published_decimals(self.methodology)
        return rank_scores(spec, self.edition, key, key, decimals=decimals)

    def node_subset_ranks(self, node: str, by: str = "country") -> npt.NDArray[np.int64]:
        """Competition ranks on one node's table inside each value of an attribute (national
        standing in a dimension or an SDG); 0 outside the node's table."""
        table = self.node_table(node)
        codes = pd.Series(self.attributes[by]).astype("object")
        labels, _ = pd.factorize(codes, use_na_sentinel=True)
        key = np.where(table.rank > 0, table.key, np.nan)
        return rk.subset_ranks_by_group(key, labels)

    def node_frame(self, node: str, lang: str = "en") -> pd.DataFrame:
        """A per-node table as rows (THE Impact's per-SDG table): every institution ranked on
        ``node``, in rank order, with its display rank, unscaled score, band, national rank and
        whether it is in the overall table."""
        table = self.node_table(node)
        frame = pd.DataFrame(
            {
                "institution": list(self.institutions),
                "name": list(self.names),
                "country": self.attributes.get("country", np.full(len(self.institutions), None)),
                "rank": table.rank,
                "rank_display": table.display(lang, self.attributes.get("gender")),
                "tie_size": table.tie_size,
                "score": table.key,
                "band": table.bands(),
                "national_rank": self.node_subset_ranks(node, "country")
                if "country" in self.attributes
                else 0,
                "in_overall_table": self.eligible,
            }
        )
        frame = frame[frame["rank"] > 0].sort_values(["rank", "institution"], kind="stable")
        return frame.reset_index(drop=True)

    def subset_ranks(self, by: str) -> npt.NDArray[np.int64]:
        """Competition ranks inside each value of an attribute (``country``, ``region_code``)."""
        codes = pd.Series(self.attributes[by]).astype("object")
        labels, uniques = pd.factorize(codes, use_na_sentinel=True)
        key = np.where(self.ranking.rank > 0, self.ranking.key, np.nan)
        del uniques
        return rk.subset_ranks_by_group(key, labels)

    def in_network(self, network: str) -> npt.NDArray[np.bool_]:
        net = self.networks
        members = set(net.loc[net["network"] == network, "institution"].tolist())
        return np.array([i in members for i in self.institutions], dtype=bool)

    # -- tables ------------------------------------------------------------------------------

    def to_frame(self, lang: str = "en", *, nodes: bool = True) -> pd.DataFrame:
        """One row per institution of the field, ranked ones first in rank order."""
        table = self.ranking
        frame = pd.DataFrame(
            {
                "institution": list(self.institutions),
                "name": list(self.names),
                "country": self.attributes.get("country", np.full(len(self.institutions), None)),
                "region_code": self.attributes.get(
                    "region_code", np.full(len(self.institutions), None)
                ),
                "eligible": self.eligible,
                "rank": table.rank,
                "rank_display": table.display(lang, self.attributes.get("gender")),
                "tie_size": table.tie_size,
                "score": table.published_score,
                "band": table.bands(),
                "band_lo": table.band_lo,
                "band_hi": table.band_hi,
                "group": table.group,
                "group_rank": table.group_rank,
                "group_size": table.group_size,
                "group_first_half": table.group_first_half,
                "top_percent": table.top_percent,
                "national_rank": self.subset_ranks("country")
                if "country" in self.attributes
                else 0,
            }
        )
        if "region_code" in self.attributes:
            frame["regional_rank"] = self.subset_ranks("region_code")
        if nodes:
            for node in self.tree.ids:
                if node == self.tree.roots[0]:
                    continue
                frame[f"score:{node}"] = self.node_scores(node)
        if self.grade_counts is not None:
            root = self.tree.index(self.tree.roots[0])
            for g, letter in enumerate(GRADE_LETTERS):
                frame[f"grades_{letter}"] = self.grade_counts[:, root, g]
        unranked_last = np.where(table.rank > 0, table.rank, np.iinfo(np.int64).max)
        frame["_order"] = unranked_last
        frame = frame.sort_values(["_order", "institution"], kind="stable").drop(columns="_order")
        if self.methodology.ranking.by == "grade_counts" and self.grade_counts is not None:
            frame = self._grade_display_order(frame)
        return frame.reset_index(drop=True)

    def _grade_display_order(self, frame: pd.DataFrame) -> pd.DataFrame:
        """U-Multirank's display: A count, then B, ..., then name; ranks stay on A counts."""
        keys = [f"grades_{letter}" for letter in GRADE_LETTERS]
        return frame.sort_values(
            [*keys, "name"], ascending=[False] * len(keys) + [True], kind="stable"
        )

    def explain(self, institution: str) -> pd.DataFrame:
        """Every node of one institution: raw value, status, imputed, normalised value, grade,
        share of its parent, contribution to the root score (for arithmetic trees: they sum to
        the unrescaled root score)."""
        i = self.position(institution)
        path_share = np.ones(len(self.tree))
        for j, parent in enumerate(self.tree.parent):
            if parent >= 0:
                share = self.node_weights[i, j]
                path_share[j] = path_share[parent] * (0.0 if np.isnan(share) else share)
        leaf_pos = {leaf: k for k, leaf in enumerate(self.leaves)}
        rows = []
        depth = self.tree.depth
        for j, node in enumerate(self.tree.ids):
            k = leaf_pos.get(node)
            grade = None
            if k is not None and self.grades is not None and self.grades[i, k] >= 0:
                grade = GRADE_LETTERS[int(self.grades[i, k])]
            value = self.node_values[i, j]
            rows.append(
                {
                    "node": node,
                    "parent": self.tree.parent_of(node),
                    "depth": int(depth[j]),
                    "raw": self.raw[i, k] if k is not None else np.nan,
                    "status": _status_name(int(self.status[i, k])) if k is not None else None,
                    "imputed": bool(self.imputed[i, k]) if k is not None else False,
                    "value": value,
                    "grade": grade,
                    "share_of_parent": self.node_weights[i, j],
                    "contribution": path_share[j] * value if k is not None else np.nan,
                }
            )
        return pd.DataFrame(rows)

    # -- personalisation -----------------------------------------------------------------------

    def personalise(
        self,
        criteria: Sequence[str] | None = None,
        weights: Mapping[str, float] | None = None,
        where: Mapping[str, Any] | None = None,
        *,
        network: str | None = None,
        working: bool = True,
    ) -> Any:
        """Re-rank on a subset of criteria, new weights and peer filters (no earlier step rerun).
        ``working=False``: scores and ranks only, each node's share of its parent left NaN
        (for callers that explain nothing, such as a page of the personalised table)."""
        return personalise(
            self, criteria=criteria, weights=weights, where=where, network=network, working=working
        )

    # -- exports -------------------------------------------------------------------------------

    def export_frame(self, lang: str = "en") -> pd.DataFrame:
        """The table as exported: :meth:`to_frame` plus the columns that regenerate it."""
        frame = self.to_frame(lang)
        for key, value in self.meta.items():
            frame[key] = value
        return frame

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        frame = self.to_frame(lang)
        records = json.loads(frame.to_json(orient="records", double_precision=15))
        return {**self.meta, "field_size": self.field_size, "results": records}

    def write(
        self,
        path: str | Path,
        *,
        lang: str = "en",
        force: bool = False,
        view: str = "published",
        labels: Mapping[str, str] | None = None,
    ) -> Path:
        """Write the table to .csv, .json, .parquet or .xlsx (atomically, deterministically) in
        ``view`` (contracts section 12); ``labels`` (node id -> label) head the workbook's
        columns (:mod:`palmares.workbook`)."""
        from palmares.result_io import write_result

        return write_result(self, Path(path), lang=lang, force=force, view=view, labels=labels)


def _status_name(code: int) -> str | None:
    from palmares.schema import STATUSES

    return STATUSES[code] if 0 <= code < len(STATUSES) else None


# -- personalised rankings (palmares.personalise) ------------------------------------------


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
        from palmares.translatable import tr

        known: Any = ", ".join(result.tree.ids)
        sets = readymade_sets(result.system, result.edition)
        if sets:
            known = tr("{nodes}; readymade rankings: {sets}", nodes=known, sets=", ".join(sets))
        raise PersonalisationError(
            tr(
                "unknown criterion {criteria} in {system} {edition}; nodes: {known}",
                criteria=", ".join(map(repr, unknown)),
                system=result.system,
                edition=result.edition,
                known=known,
            )
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
            from palmares.translatable import tr

            raise PersonalisationError(
                tr(
                    "no institution attribute {key!r}; attributes: {names}",
                    key=key,
                    names=", ".join(result.attributes),
                )
            )
        values = accepted if isinstance(accepted, (list, tuple, set)) else [accepted]
        column = result.attributes[key]
        keep &= np.isin(column.astype(str), [str(v) for v in values])
    if network is not None:
        members = result.in_network(network)
        if not members.any():
            from palmares.translatable import tr

            raise PersonalisationError(
                tr("no member of network {network!r} in this field", network=network)
            )
        keep &= members
    return keep


def _pick(items: tuple[str, ...], rows: npt.NDArray[np.intp]) -> tuple[str, ...]:
    if rows.size == len(items):
        return items
    return tuple(np.asarray(items, dtype=object)[rows].tolist())


#: Grade counts of the eligible rows over a tree, by the identity of a Result's grades and
#: eligibility and the tree: they depend on neither weights nor filters, so a personalised
#: ranking on grade counts (U-Multirank) counts them once, not on every request (a third of
#: its aggregation's time). Kept read-only: every personalised Result shares them.
_COUNTED: dict[tuple[int, int, Tree], tuple[Any, Any, npt.NDArray[np.int64]]] = {}
_COUNTED_LOCK = threading.Lock()  # the API personalises from several threads


def _counted(result: Result, tree: Tree) -> tuple[Any, Any, npt.NDArray[np.int64]] | None:
    if result.grades is None:
        return None
    with _COUNTED_LOCK:
        kept = _COUNTED.get((id(result.grades), id(result.eligible), tree))
    if kept is None or kept[0] is not result.grades or kept[1] is not result.eligible:
        return None
    return kept


def _keep_counted(result: Result, tree: Tree, counts: npt.NDArray[np.int64]) -> None:
    counts.flags.writeable = False
    with _COUNTED_LOCK:
        if len(_COUNTED) >= 32:
            _COUNTED.pop(next(iter(_COUNTED)), None)
        _COUNTED[(id(result.grades), id(result.eligible), tree)] = (
            result.grades,
            result.eligible,
            counts,
        )


def personalise(
    result: Result,
    *,
    criteria: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    where: Mapping[str, Any] | None = None,
    network: str | None = None,
    working: bool = True,
) -> Result:
    """A new Result ranked on the chosen criteria and weights, among the filtered peers
    (``working=False``: node weights left NaN, see :meth:`Result.personalise`)."""
    weights = dict(weights or {})
    unknown = [w for w in weights if w not in result.tree]
    if unknown:
        from palmares.translatable import tr

        nodes = ", ".join(map(repr, unknown))
        raise PersonalisationError(tr("weight on unknown node(s): {nodes}", nodes=nodes))
    if any(v < 0 for v in weights.values()):
        from palmares.translatable import tr

        raise PersonalisationError(tr("weights must be non-negative"))
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
    every_column = columns.size == len(result.leaves) and bool(
        (columns == np.arange(columns.size)).all()
    )

    def take(a: npt.NDArray[Any], which: npt.NDArray[np.intp]) -> npt.NDArray[Any]:
        # One gather: columns only when every row is kept (the common, unfiltered case), and
        # none at all when every column is kept too: a read-only view of the base's array.
        if which.size == n and every_column:
            view = a.view()
            view.flags.writeable = False
            return view
        return a[:, columns] if which.size == n else a[np.ix_(which, columns)]

    def cut(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return take(a, rows)

    m = result.methodology
    full = take(result.status, base)
    counted = _counted(result, tree)
    aggregated = aggregate_tree_full(
        m,
        tree,
        take(result.leaf_values, base),
        take(result.leaf_mask, base),
        # grades only feed the counts: none to pass when the counts are already known
        None if result.grades is None or counted is not None else take(result.grades, base),
        full != 2,  # not_applicable
        weights,
        working=working,
    )
    counts = aggregated.counts if counted is None else counted[2]
    if counted is None and counts is not None:
        _keep_counted(result, tree, counts)
    x = cut(result.leaf_values)
    mask = cut(result.leaf_mask)
    grades = None if result.grades is None else cut(result.grades)
    status = cut(result.status)
    every = pick.size == base.size  # no filter: the aggregated rows are the peers
    # Its own array (root steps write into it); order K: a straight copy of the node-major
    # block, not a transposing one.
    values = aggregated.values.copy(order="K") if every else aggregated.values[pick]
    node_weights = aggregated.weights if every else aggregated.weights[pick]
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
        attributes=result.attributes
        if rows.size == n
        else {k: v[rows] for k, v in result.attributes.items()},
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
        unscaled=aggregated.unscaled if every else aggregated.unscaled[pick],
        scored=None,
        records=(*result.records, *records),
        personalisation=Personalisation(tuple(criteria or ()), weights, dict(where or {}), network),
    )
