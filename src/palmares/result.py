"""The Result of a run: scores at every level, ranks, bands, groups, and the working behind them.

A Result is immutable and self-describing: it carries the methodology (and its hash), the data
hash, the seed and the palmares version, so any exported table says how to regenerate it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares import ranking as rk
from palmares.methodology import Methodology
from palmares.ranking_table import RankingTable
from palmares.tree import Tree

FloatArray = npt.NDArray[np.float64]
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
            raise LookupError(
                f"{institution!r} is not in the {self.system} {self.edition} field"
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
        from palmares.plan import published_decimals
        from palmares.ranking_table import rank_scores

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
    ) -> Any:
        """Re-rank on a subset of criteria, new weights and peer filters (no earlier step rerun)."""
        from palmares.personalise import personalise

        return personalise(self, criteria=criteria, weights=weights, where=where, network=network)

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

    def write(self, path: str | Path, *, lang: str = "en", force: bool = False) -> Path:
        """Write the table to .csv, .json, .parquet or .xlsx (atomically, deterministically)."""
        from palmares.result_io import write_result

        return write_result(self, Path(path), lang=lang, force=force)


def _status_name(code: int) -> str | None:
    from palmares.schema import STATUSES

    return STATUSES[code] if 0 <= code < len(STATUSES) else None
