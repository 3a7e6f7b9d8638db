"""Highlights from rank intervals (``palmares highlights ... --uncertainty FILE.parquet``).

Two kinds, built from the table of ``palmares uncertainty --out`` for the same edition:

- ``rank_interval``: the nominal rank with its q05-q95 interval over the draws ("rang 16e
  (intervalle 14e–19e sur 1 000 tirages, niveau 90 %)"). For a rank the publisher prints inside
  a band, the band and the share of draws that stay in it: a rank below the cut-off is never
  stated, not even as an interval.
- ``movement_robustness``: whether the published move since the run's previous edition keeps its
  direction in the draws (``p_move_real``); robust when p >= the threshold (0.95). Only for a
  move between exact ranks of two computed editions, the one the ``movement`` fact states.

Never flatter: both ends of the interval are stated, shares of draws are rounded down, and a
move that is not robust is called so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from palmares.highlights.facts import (
    BASE_PRIORITY,
    KINDS,
    Context,
    Fact,
    MovementRobustnessValues,
    RankIntervalValues,
    context,
)
from palmares.history import EditionSeries

if TYPE_CHECKING:
    from palmares.uncertainty.intervals import Intervals

#: P(the published move keeps its direction) at or above which a move is called robust.
ROBUST = 0.95


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(float(value))


def _share(value: Any) -> float | None:
    """A probability read from the table, None when absent (NaN, null)."""
    return float(value) if _finite(value) else None


def floor_percent(p: float) -> int:
    """A share of draws in whole percent, rounded down (0.979 -> 97): never flatters."""
    return math.floor(100 * float(p) + 1e-9)


def check_edition(series: EditionSeries, edition: int, intervals: Intervals) -> None:
    """Refuse intervals that are not those of ``edition``'s computed table."""
    from palmares.uncertainty.intervals import IntervalsError

    if series.source_of(edition) != "computed":
        raise IntervalsError(
            f"{series.system} {edition} is read from a published table: intervals of computed "
            "ranks do not apply to it"
        )
    # Intervals are of computed ranks (contracts section 12: shown as computed, the published
    # band beside them), whatever the view.
    result = series.result(edition)
    assert result is not None
    ranked = result.ranking.rank > 0
    ids = [i for i, keep in zip(result.institutions, ranked.tolist(), strict=True) if keep]
    intervals.check_ranks(
        pd.Index(ids, name="id"), result.ranking.rank[ranked], f"{series.system} {edition}"
    )


def _rank_interval(c: Context, row: Mapping[str, Any], intervals: Intervals) -> list[Fact]:
    r = c.row
    if not r["ranked"] or not _finite(row.get("q05")) or not _finite(row.get("q95")):
        return []
    result = c.series.result(c.edition)
    assert result is not None
    i = result.position(str(r.get("entity") or c.history.institution))
    share = _share(row.get("p_same_band")) if r.get("band") else None
    values = RankIntervalValues(
        rank=int(result.ranking.rank[i]),
        tie_size=int(result.ranking.tie_size[i] or 1),
        q05=int(row["q05"]),
        q95=int(row["q95"]),
        median=int(row["median_rank"]) if _finite(row.get("median_rank")) else None,
        draws=intervals.draws,
        level=intervals.level,
        band=str(r["band"]) if r.get("band") else None,
        p_same_band=share,
        p_same_band_percent=None if share is None else floor_percent(share),
    )
    return [c.fact("rank_interval", values)]


def _movement_robustness(
    c: Context,
    row: Mapping[str, Any],
    intervals: Intervals,
    found: Sequence[Fact],
    robust: float,
) -> list[Fact]:
    previous = intervals.previous_edition
    p = _share(row.get("p_move_real"))
    if previous is None or p is None or previous not in c.history.rows:
        return []
    # The draws compare the engine's ranks: a published previous table is another move.
    if c.series.source_of(previous) != "computed":
        return []
    m = c.history.movement(previous, c.edition)
    if m.places is None or m.from_rank is None or m.to_rank is None:
        return []
    if m.from_band or m.to_band or "banded" in m.flags:
        return []  # a rank inside a printed band is never stated, nor its move
    flags = list(m.flags)
    if intervals.methodology_changed and "methodology" not in flags:
        flags.append("methodology")
    values = MovementRobustnessValues(
        previous_edition=previous,
        previous_rank=m.from_rank,
        rank=m.to_rank,
        places=m.places,
        p_move_real=p,
        p_move_real_percent=floor_percent(p),
        robust=p >= robust,
        threshold=robust,
        threshold_percent=floor_percent(robust),
        draws=intervals.draws,
        flags=flags,
    )
    # Right after the movement it qualifies: the same priority, and a later kind.
    same = [
        f.priority
        for f in found
        if f.kind == "movement" and f.values.get("previous_edition") == previous
    ]
    bonus = (same[0] if same else BASE_PRIORITY["movement"]) - BASE_PRIORITY["movement_robustness"]
    return [c.fact("movement_robustness", values, bonus)]


def uncertainty_facts(
    series: EditionSeries,
    institution: str,
    edition: int,
    intervals: Intervals,
    *,
    found: Sequence[Fact] = (),
    data_hash: str | None = None,
    robust: float = ROBUST,
) -> list[Fact]:
    """The ``rank_interval`` and ``movement_robustness`` facts of ``institution``.

    ``found`` are the edition's other facts (the robustness of a move takes its movement's
    priority). Raises :class:`~palmares.uncertainty.intervals.IntervalsError` when the
    intervals are not those of this edition's computed table.
    """
    if not 0 < robust <= 1:
        raise ValueError(f"the robustness threshold must be in (0, 1], got {robust}")
    check_edition(series, edition, intervals)
    c = context(series, institution, edition, data_hash=data_hash)
    entity = c.row.get("entity") or c.history.institution
    row = intervals.row(str(entity))
    if row is None:
        return []
    return _rank_interval(c, row, intervals) + _movement_robustness(
        c, row, intervals, found, robust
    )


def with_uncertainty(
    found: Sequence[Fact],
    series: EditionSeries,
    institution: str,
    edition: int,
    intervals: Intervals,
    *,
    data_hash: str | None = None,
    robust: float = ROBUST,
) -> list[Fact]:
    """``found`` plus the interval facts, sorted like :func:`palmares.highlights.facts`."""
    extra = uncertainty_facts(
        series,
        institution,
        edition,
        intervals,
        found=found,
        data_hash=data_hash,
        robust=robust,
    )
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted([*found, *extra], key=lambda f: (-f.priority, order[f.kind]))
