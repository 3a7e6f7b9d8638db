"""A methodology's ``[ranking]`` applied to scores: ranks, display, bands, groups, percentiles.

The vectorised primitives live in :mod:`palmares.ranking`; this module reads a validated
:class:`~palmares.methodology.Ranking` and applies them in the right order (round to the published
precision when the methodology ranks on it, rank, suppress scores past the cut-off, band, group).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares import ranking as rk
from palmares.methodology import Ranking
from palmares.steps import FloatArray, IntArray
from palmares.steps.rounding import round_half_up


@dataclass(frozen=True)
class RankingTable:
    """Per-institution ranking outputs, aligned with the institutions ranked."""

    key: FloatArray  # what was ranked (published or unrounded score, or A counts)
    rank: IntArray  # 0 = unranked
    tie_size: IntArray
    field_size: int
    ties: str  # display style of ties
    band_lo: IntArray  # 0 = no band; band_hi == ranking.BAND_OPEN for "1001+"
    band_hi: IntArray
    group: npt.NDArray[np.object_]  # group label or None
    group_rank: IntArray
    group_size: IntArray
    group_first_half: npt.NDArray[np.bool_]
    top_percent: IntArray
    published_score: FloatArray  # NaN past the cut-off

    def widen(self, rows: npt.NDArray[np.intp], n: int) -> RankingTable:
        """The table over ``n`` institutions, those outside ``rows`` unranked."""

        def put(a: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
            out = np.full(n, fill, dtype=a.dtype)
            out[rows] = a
            return out

        return replace(
            self,
            key=put(self.key, np.nan),
            rank=put(self.rank, 0),
            tie_size=put(self.tie_size, 0),
            band_lo=put(self.band_lo, 0),
            band_hi=put(self.band_hi, 0),
            group=put(self.group, None),
            group_rank=put(self.group_rank, 0),
            group_size=put(self.group_size, 0),
            group_first_half=put(self.group_first_half, False),
            top_percent=put(self.top_percent, 0),
            published_score=put(self.published_score, np.nan),
        )

    def display(self, lang: str = "en", genders: Any = None, *, prose: bool = False) -> list[str]:
        """Display ranks in the methodology's tie style ("=39", "16e ex aequo", "39")."""
        shown = rk.display_ranks(self.rank, self.tie_size, self.ties, lang, genders, prose=prose)
        return [str(s) for s in shown.tolist()]

    def bands(self) -> list[str]:
        return [str(s) for s in rk.band_labels(self.band_lo, self.band_hi).tolist()]


def rank_scores(
    spec: Ranking,
    edition: int,
    key: FloatArray,
    score: FloatArray,
    *,
    decimals: int | None,
    rounded: bool = False,
) -> RankingTable:
    """Apply a ``[ranking]`` section to one edition's ranking key and scores.

    ``rounded``: the key is already at the published precision (the last root step rounded it).
    """
    ranked_on = key
    if spec.rank_on == "published" and decimals is not None and spec.by == "score" and not rounded:
        ranked_on = round_half_up(key, decimals)
    if spec.method == "competition":
        rank = rk.competition_rank(ranked_on)
    elif spec.method == "dense":
        rank = rk.dense_rank(ranked_on)
    elif spec.method == "fractional":
        # Fractional ranks are floats; the table keeps the competition rank for bands and groups.
        rank = rk.competition_rank(ranked_on)
    else:
        rank = rk.ordinal_rank(ranked_on, np.arange(ranked_on.shape[-1]))
    ties = rk.tie_sizes(rank)
    field_size = int((rank > 0).sum())
    published = score if spec.cutoff is None else rk.published_scores(score, rank, spec.cutoff)
    band_lo = np.zeros_like(rank)
    band_hi = np.zeros_like(rank)
    table = spec.band_table(edition)
    if table is not None:
        # ARWU (bare ranks) widens a band so a tie never splits ("101-152"); THE and QS
        # ("=" ties) print fixed band edges and band each institution by its competition rank.
        band_lo, band_hi = rk.assign_bands(
            rank,
            table.bands,
            individual_until=table.individual_until,
            ties=ties if spec.ties == "bare" else np.ones_like(ties),
        )
    group = np.full(rank.shape, None, dtype=object)
    groups = spec.group_table(edition)
    if groups and spec.groups_by is not None:
        labels = list(groups)
        if spec.groups_by == "points":
            shown = score if rounded or decimals is None else round_half_up(score, decimals)
            codes = rk.groups_by_min_points(shown, groups)
        else:
            order = sorted(labels, key=lambda g: groups[g])
            cuts = [groups[g] for g in order]
            codes_sorted = rk.groups_by_rank_percentile(rank, None, cuts)
            codes = np.where(
                codes_sorted >= 0,
                np.array([labels.index(g) for g in order])[np.clip(codes_sorted, 0, None)],
                -1,
            )
        codes = np.where(rank > 0, codes, -1)
        names = np.array([*labels, None], dtype=object)
        group = names[np.where(codes >= 0, codes, len(labels))]
        position = rk.position_in_group(rank, codes)
    else:
        position = rk.GroupPosition(
            np.zeros_like(rank), np.zeros_like(rank), np.zeros(rank.shape, dtype=bool)
        )
    return RankingTable(
        key=np.asarray(ranked_on, dtype=float),
        rank=rank,
        tie_size=ties,
        field_size=field_size,
        ties=spec.ties,
        band_lo=band_lo,
        band_hi=band_hi,
        group=group,
        group_rank=position.rank,
        group_size=position.size,
        group_first_half=position.first_half,
        top_percent=rk.percentile_top(rank, max(field_size, 1)),
        published_score=published,
    )
