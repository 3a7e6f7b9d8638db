"""Rebuild a published league table from its published components (contracts section 5).

A published total is a weighted sum of published component scores with the edition's weights
(the preset's methodology), then, depending on the system, rescaled: ARWU and QS 2012-2023 so
that the best total is 100, QS 2024+ by an affine map with an unpublished floor estimated here
from the published totals. Components are taken as printed: they are already normalised, so a
methodology's leaf ``normalise`` steps are not applied again.

Ranks are checked against the published totals at published precision (never against totals
rebuilt from rounded components, which create and break ties: THE 2015-16 =39), and bands
against the place each banded row's rebuilt total earns among all rows.

:func:`publish_table` does the reverse for tests and demonstrations: it prints a table from
components the way the publisher prints it (rounded totals, "=" ties, bands, hidden totals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from palmares.io.published_table import (
    PublishedTable,
    component_ids,
    published_format,
)
from palmares.methodology import Methodology, methodology_hash
from palmares.methodology.model import ImputeRedistribute, RescaleAffine
from palmares.plan import LeafState, apply_leaf_step
from palmares.plan import published_decimals as plan_decimals
from palmares.plan.bound import bind
from palmares.plan.compiled import compile_plan
from palmares.plan.walk import aggregate_draws, rescale_root
from palmares.problems import UsageProblem
from palmares.ranking import BAND_OPEN, assign_bands, band_labels, competition_rank, tie_sizes
from palmares.steps import BoolArray, FloatArray, IntArray
from palmares.steps import registry as ops
from palmares.steps.rounding import round_half_up
from palmares.translatable import tr, tr_n
from palmares.tree import Tree

#: |rebuilt - published| within this counts as agreement (contracts section 5).
TOLERANCE = 0.1 + 1e-9
CAUSES: tuple[str, ...] = (
    "total-mismatch",
    "rank-mismatch",
    "missing-component",
    "rounding-tie",
    "irregular-numbering",
    "band-typo",
    "unknown",
)
DIFF_COLUMNS: tuple[str, ...] = (
    "row",
    "institution",
    "published_rank",
    "published_total",
    "rebuilt_total",
    "rebuilt_rank",
    "check",
    "cause",
)


class NotRebuildable(UsageProblem):
    """The preset's totals cannot be rebuilt from what its publisher prints (exit 2)."""


# -- the rebuild -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rebuilt:
    """Rebuilt totals: ``total`` unrounded (NaN where it cannot be rebuilt), ``rounded`` at the
    published precision; ``floor`` is the affine floor used (QS 2024+), else None."""

    total: FloatArray
    rounded: FloatArray
    floor: float | None


def published_decimals(method: Methodology) -> int:
    """Decimals of the published total: the ranking's, else the last round step's (else 1)."""
    decimals = plan_decimals(method)
    return 1 if decimals is None else decimals


def estimate_floor(raw: FloatArray, published: FloatArray, best: float) -> float | None:
    """The floor L of ``T = 100 (raw - L) / (best - L)`` fitted to published totals.

    Each row gives ``L (100 - T) = 100 raw - T best``; least squares over the rows with both a
    raw and a published total below 100. None when no row constrains L.
    """
    use = np.isfinite(raw) & np.isfinite(published) & (published < 100.0)
    a = 100.0 - published[use]
    b = 100.0 * raw[use] - published[use] * best
    denominator = float(np.dot(a, a))
    return float(np.dot(a, b)) / denominator if denominator > 0 else None


def rebuild_totals(
    method: Methodology,
    components: FloatArray,
    not_applicable: BoolArray | None = None,
    published_total: FloatArray | None = None,
    *,
    floor: float | None = None,
) -> Rebuilt:
    """Rebuild totals from component scores (n, k) in the order of :func:`component_ids`.

    NaN components are missing; ``not_applicable`` (n, k) marks components whose weight goes to
    the others (ARWU's N&S). The methodology's imputation of missing components, its aggregate
    (renormalised or not), its rescaling and its precision are applied. The affine floor is
    ``floor`` when given, else estimated from ``published_total``, else the file's.
    """
    x = np.asarray(components, dtype=np.float64)
    n, k = x.shape
    na = np.zeros((n, k), dtype=bool) if not_applicable is None else np.asarray(not_applicable)
    # The plan over the components' one-level tree: the system, its components as leaves.
    names = [f"{method.system}.{c}" for c in component_ids(method)]
    tree = Tree.from_parents([(method.system, None), *((c, method.system) for c in names)])
    columns = [names.index(leaf) for leaf in tree.leaves]
    x, na = x[:, columns], na[:, columns]
    present = np.isfinite(x)
    # Components are printed normalised: of the leaf steps, only imputation runs again.
    state = LeafState(
        x=np.where(present, x, np.nan),
        mask=present,
        imputed=np.zeros((n, k), dtype=bool),
        applicable=~na,
    )
    for index, step in enumerate(method.steps):
        if isinstance(ops.leaf_operation(step), ops.Impute):
            apply_leaf_step(index, step, tree, state, np.ones(k, dtype=np.int8), {})
    # Each total through the aggregate's own operation, as the published tables were checked.
    plan = compile_plan(method, tree, level_means=False)
    bound = bind(plan, tuple(tree.leaves), state.x, state.mask & ~na, applicable=lambda: ~na)
    # The aggregate first (an affine floor is estimated on it), then the root's rescaling.
    raw = aggregate_draws(bound, plan.draw_weights())[0]
    valid = np.isfinite(raw)
    used_floor: float | None = None
    total = raw
    if valid.any():
        overrides: dict[int, dict[str, Any]] = {}
        for index, scaling in plan.root_steps:
            if isinstance(scaling, RescaleAffine):
                best = float(np.max(raw[valid]))
                used_floor = floor
                if used_floor is None and published_total is not None:
                    used_floor = estimate_floor(raw, np.asarray(published_total, float), best)
                if used_floor is None or not used_floor < best:
                    used_floor = float(scaling.floor)
                overrides[index] = {"floor": used_floor}
        total = rescale_root(bound, raw, params=overrides, rounds=False)
    decimals = published_decimals(method)
    return Rebuilt(total, round_half_up(total, decimals), used_floor)


def _pct(hits: int, total: int) -> float | None:
    return round(100.0 * hits / total, 2) if total else None


def _runs_with_same_offset(offsets: IntArray) -> BoolArray:
    """Entries belonging to a run (>= 2 consecutive) of the same nonzero offset."""
    same_next = np.zeros(offsets.size, dtype=bool)
    same_next[:-1] = (offsets[1:] == offsets[:-1]) & (offsets[:-1] != 0)
    in_run = same_next.copy()
    in_run[1:] |= same_next[:-1]
    return in_run


def _rank_agreement(
    published_rank: IntArray, totals: FloatArray, unrounded: bool
) -> tuple[BoolArray, IntArray]:
    """Whether each published rank is the competition rank of ``totals`` (for presets ranking
    on unrounded scores: inside the span of its tie), and by how many places it is off."""
    implied = competition_rank(totals)
    if not unrounded:
        return published_rank == implied, (implied - published_rank).astype(np.int64)
    span_end = implied + tie_sizes(implied) - 1
    ok = (published_rank >= implied) & (published_rank <= span_end)
    offset = np.where(published_rank < implied, implied - published_rank, 0) + np.where(
        published_rank > span_end, span_end - published_rank, 0
    )
    return ok, offset.astype(np.int64)


@dataclass(frozen=True)
class Reproduction:
    """The agreement report (``summary``, the JSON of contracts section 5) and the ``--diff``
    rows, one per mismatch, in table order."""

    summary: dict[str, Any]
    diff: pd.DataFrame
    rebuilt: Rebuilt


def reproduce(table: PublishedTable, method: Methodology) -> Reproduction:
    """Rebuild ``table`` with ``method`` and compare totals, ranks and bands."""
    require_rebuildable(table.system, table.edition)
    ids = component_ids(method)
    missing = [c for c in ids if c not in table.components]
    if missing:
        raise UsageProblem(
            tr_n(
                "component not mapped: {components} (pass --map FIELD=HEADER; headers: {headers})",
                "components not mapped: {components} (pass --map FIELD=HEADER; headers: {headers})",
                len(missing),
                components=", ".join(missing),
                headers=", ".join(table.columns.values()),
            )
        )
    if table.total is None:
        raise UsageProblem(tr("no column for the total: pass --map total=HEADER"))
    n = len(table)
    x = np.column_stack([table.components[c].value for c in ids]) if n else np.zeros((0, len(ids)))
    na = (
        np.column_stack([table.not_applicable.get(c, np.zeros(n, dtype=bool)) for c in ids])
        if n
        else np.zeros((0, len(ids)), dtype=bool)
    )
    published = table.total.value
    rebuilt = rebuild_totals(method, x, na, published)
    decimals = published_decimals(method)
    unrounded = method.ranking.rank_on == "unrounded"

    status = table.rank.status
    pub_rank = table.rank.rank
    scored = np.isfinite(published) & (status != "reporter")
    all_components = (np.isfinite(x) | na).all(axis=1)
    complete = scored & all_components
    banded = status == "banded"
    band_complete = banded & all_components
    error = np.abs(rebuilt.total - published)
    total_ok = error <= TOLERANCE

    # Ranks implied by the published totals at published precision (the contract's measure).
    # To explain mismatches, a total that disagrees with its components is taken as a misprint
    # and placed by its rebuilt total, so that one typo does not shift its neighbours' ranks.
    shown = round_half_up(np.where(scored, published, np.nan), decimals)
    ranked = scored & (pub_rank > 0)
    rank_exact, _ = _rank_agreement(pub_rank, shown, unrounded)
    rank_exact &= ranked
    misprinted = complete & ~total_ok
    rank_ok, offset = _rank_agreement(
        pub_rank, np.where(misprinted, rebuilt.rounded, shown), unrounded
    )
    rank_ok &= ranked

    # Ranks from rebuilt totals: complete rows by their rebuilt total, other scored rows by the
    # published one.
    key = np.where(complete, rebuilt.rounded, shown)
    rebuilt_rank = competition_rank(np.where(scored, key, np.nan))
    if unrounded:
        rebuilt_end = rebuilt_rank + tie_sizes(rebuilt_rank) - 1
        rebuilt_rank_ok = (pub_rank >= rebuilt_rank) & (pub_rank <= rebuilt_end)
    else:
        rebuilt_rank_ok = rebuilt_rank == pub_rank

    # Bands: a banded row's place among all rows; a printed total wins a tie against a rebuilt
    # one (the publisher printed that row above the band).
    # Rows without a published total (banded, or ranked past the score cut-off) are placed by
    # their rebuilt total.
    unscored = ~scored & np.isfinite(rebuilt.total)
    other_key = np.where(unscored, rebuilt.total, np.nan)
    band_key = np.where(banded, other_key, np.nan)
    above_scored = int(scored.sum()) - np.searchsorted(np.sort(shown[scored]), band_key)
    placement = np.where(
        np.isfinite(band_key), above_scored + competition_rank(other_key), 0
    ).astype(np.int64)
    hi = np.where(table.rank.band_hi == BAND_OPEN, np.iinfo(np.int64).max, table.rank.band_hi)
    band_ok = band_complete & (placement >= table.rank.band_lo) & (placement <= hi)
    # The places a banded row could hold if its rebuilt total were off by the tolerance.
    keys = np.sort(np.concatenate([shown[scored], other_key[unscored]]))
    best_place = 1 + keys.size - np.searchsorted(keys, band_key + TOLERANCE, side="right")
    worst_place = keys.size - np.searchsorted(keys, band_key - TOLERANCE, side="left")
    band_close = (worst_place >= table.rank.band_lo) & (best_place <= hi)

    # Rows whose missing components the methodology imputes (THE's missing income): their
    # rebuilt total exists though a component is not printed. Reported beside the headline.
    imputes = any(not isinstance(s, ImputeRedistribute) for s in method.steps_of("impute"))
    imputed = scored & ~all_components & np.isfinite(rebuilt.total) & imputes
    assumed, assumed_reason = assumed_edition(method)
    summary = {
        "system": table.system,
        "edition": table.edition,
        "methodology_hash": methodology_hash(method),
        "rows": n,
        "scored_rows": int(scored.sum()),
        "complete_rows": int(complete.sum()),
        "total_within_0_1_pct": _pct(int((total_ok & complete).sum()), int(complete.sum())),
        "total_max_error": (round(float(error[complete].max()), 4) if complete.any() else None),
        "imputed_rows": int(imputed.sum()),
        "total_within_0_1_imputed_pct": _pct(int((total_ok & imputed).sum()), int(imputed.sum())),
        "rank_exact_pct": _pct(int(rank_exact.sum()), int(scored.sum())),
        "rank_rebuilt_exact_pct": _pct(
            int((complete & rebuilt_rank_ok).sum()), int(complete.sum())
        ),
        "banded_rows": int(banded.sum()),
        "band_complete_rows": int(band_complete.sum()),
        "band_agreement_pct": _pct(int(band_ok.sum()), int(band_complete.sum())),
        "reporter_rows": int((status == "reporter").sum()),
        "mismatches": 0,
        "floor": rebuilt.floor,
        "assumed": assumed,
        "assumed_reason": assumed_reason,
        "placeholder_cells": table.placeholder_cells,
        "placeholders": dict(table.placeholders),
        "skipped_rows": len(table.skipped),
        "format": table.table_format,
    }
    diff = _diff(
        table,
        method,
        rebuilt,
        _Checks(
            scored=scored,
            complete=complete,
            banded=banded,
            all_components=all_components,
            total_ok=total_ok,
            ranked=ranked,
            rank_ok=rank_ok,
            offset=offset,
            shown=shown,
            rebuilt_rank=rebuilt_rank,
            rebuilt_rank_ok=rebuilt_rank_ok,
            placement=placement,
            band_ok=band_ok,
            band_close=band_close,
        ),
    )
    summary["mismatches"] = len(diff)
    return Reproduction(summary, diff, rebuilt)


def assumed_edition(method: Methodology) -> tuple[bool, str | None]:
    """Whether the preset's methodology for the edition is an assumption (its version says
    "assumed": THE 2025-2026), and why (its first stated assumption)."""
    info = method.methodology
    if "assumed" not in str(info.version).casefold():
        return False, None
    reasons = list(info.assumptions or [])
    return True, str(reasons[0]) if reasons else "the preset marks this edition as assumed"


def require_rebuildable(system: str, edition: int) -> None:
    """NotRebuildable (exit 2) naming the unpublished inputs when a preset cannot be rebuilt."""
    fmt = published_format(system)
    if not fmt.rebuildable:
        raise NotRebuildable(
            f"{system} {edition} cannot be rebuilt from what it publishes: {fmt.reason}"
        )


@dataclass(frozen=True)
class _Checks:
    scored: BoolArray
    complete: BoolArray
    banded: BoolArray
    all_components: BoolArray
    total_ok: BoolArray
    ranked: BoolArray
    rank_ok: BoolArray
    offset: IntArray
    shown: FloatArray
    rebuilt_rank: IntArray
    rebuilt_rank_ok: BoolArray
    placement: IntArray
    band_ok: BoolArray
    band_close: BoolArray


def _irregular(c: _Checks) -> tuple[BoolArray, int]:
    """Rows in a run of the same rank offset (an insertion without renumbering), and the
    offset most such rows share (0 when there is none)."""
    rows = np.flatnonzero(c.ranked)
    order = rows[np.lexsort((rows, -c.shown[rows]))]
    offsets = np.where(c.rank_ok[order], 0, c.offset[order])
    in_run = np.zeros(c.ranked.size, dtype=bool)
    in_run[order] = _runs_with_same_offset(offsets)
    if not in_run.any():
        return in_run, 0
    values, counts = np.unique(c.offset[in_run], return_counts=True)
    return in_run, int(values[np.argmax(counts)])


def _band_table_pairs(method: Methodology, edition: int) -> set[tuple[int, int]]:
    table = method.ranking.band_table(edition)
    if table is None:
        return set()
    return {(lo, BAND_OPEN if hi is None else hi) for lo, hi in table.bands}


def _near_band(lo: int, hi: int, bands: set[tuple[int, int]]) -> bool:
    """A band one place away from one of the edition's bands (a typo such as "350-400")."""
    return any(
        abs(lo - blo) <= 1
        and (hi == bhi or (hi != BAND_OPEN and bhi != BAND_OPEN and abs(hi - bhi) <= 1))
        for blo, bhi in bands
    )


def _band_typos(
    table: PublishedTable, banded: BoolArray, bands: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Printed bands that are not the edition's, one place off one of them, and that overlap
    or leave a gap with their printed neighbours ("350-400" after "301-350"). A band widened
    by a tie (ARWU's "101-152") stays contiguous with the next one and is not a typo."""
    printed = sorted(
        set(
            zip(
                table.rank.band_lo[banded].tolist(),
                table.rank.band_hi[banded].tolist(),
                strict=True,
            )
        ),
        key=lambda b: (b[0], b[1] == BAND_OPEN, b[1]),
    )
    typos: set[tuple[int, int]] = set()
    for j, (lo, hi) in enumerate(printed):
        if not bands or (lo, hi) in bands or not _near_band(lo, hi, bands):
            continue
        before = printed[j - 1] if j else None
        after = printed[j + 1] if j + 1 < len(printed) else None
        joins_before = before is None or before[1] + 1 == lo
        joins_after = after is None or hi == BAND_OPEN or after[0] == hi + 1
        if not (joins_before and joins_after):
            typos.add((lo, hi))
    return typos


def _diff(table: PublishedTable, method: Methodology, rebuilt: Rebuilt, c: _Checks) -> pd.DataFrame:
    """One row per mismatch: the first failing check of each row and its likeliest cause."""
    in_run, run_offset = _irregular(c)
    bands = _band_table_pairs(method, table.edition)
    typos = _band_typos(table, c.banded, bands)
    lo, hi = table.rank.band_lo, table.rank.band_hi
    top = np.where(hi == BAND_OPEN, np.iinfo(np.int64).max, hi)
    typo = c.banded & np.isin(lo * (2**32) + hi, [a * (2**32) + b for a, b in typos])
    unit = 10.0 ** -published_decimals(method)
    shifted = c.placement - run_offset
    failures = [
        ((c.scored | c.banded) & ~c.all_components, "components", "missing-component"),
        (c.complete & ~c.total_ok, "total", "total-mismatch"),
        (c.ranked & ~c.rank_ok & in_run, "rank", "irregular-numbering"),
        (c.ranked & ~c.rank_ok, "rank", "rank-mismatch"),
        (typo, "band", "band-typo"),
        (
            c.banded & ~c.band_ok & (run_offset != 0) & (shifted >= lo) & (shifted <= top),
            "band",
            "irregular-numbering",
        ),
        (c.banded & ~c.band_ok & c.band_close, "band", "rounding-tie"),
        (c.banded & ~c.band_ok, "band", "unknown"),
        (
            c.complete & ~c.rebuilt_rank_ok & (np.abs(rebuilt.rounded - c.shown) <= unit + 1e-9),
            "rebuilt-rank",
            "rounding-tie",
        ),
        (c.complete & ~c.rebuilt_rank_ok, "rebuilt-rank", "unknown"),
    ]
    conditions = [f[0] for f in failures]
    check = np.select(conditions, [f[1] for f in failures], default="")
    cause = np.select(conditions, [f[2] for f in failures], default="")
    rows = check != ""
    rank = np.where(c.rebuilt_rank > 0, c.rebuilt_rank, c.placement)[rows]
    return pd.DataFrame(
        {
            "row": table.rows[rows],
            "institution": table.institution[rows],
            "published_rank": table.rank.display[rows],
            "published_total": c.shown[rows],
            "rebuilt_total": np.round(rebuilt.total[rows], 4),
            "rebuilt_rank": pd.Series(rank, dtype="Int64").mask(rank == 0),
            "check": check[rows],
            "cause": cause[rows],
        },
        columns=list(DIFF_COLUMNS),
    )


# -- printing a table as its publisher does ---------------------------------------------------


def publish_table(
    method: Methodology,
    edition: int,
    names: list[str],
    components: FloatArray,
    *,
    not_applicable: BoolArray | None = None,
    component_decimals: int | None = 1,
    floor: float | None = None,
) -> pd.DataFrame:
    """A table as the publisher prints it, from component scores (n, k).

    Columns: ``rank``, ``institution``, ``total`` and the component ids (the canonical field
    names, which every preset's aliases accept). Totals are rounded to the published precision
    and hidden beyond the ranking's cut-off, where rows show their band; joint ranks carry "="
    when the preset prints ties so. ``component_decimals=None`` prints components at full
    precision; ``floor`` is the affine floor of presets that use one.
    """
    x = np.asarray(components, dtype=np.float64)
    na = np.zeros(x.shape, dtype=bool) if not_applicable is None else np.asarray(not_applicable)
    rebuilt = rebuild_totals(method, np.where(na, np.nan, x), na, floor=floor)
    ranking = method.ranking
    key = rebuilt.total if ranking.rank_on == "unrounded" else rebuilt.rounded
    ranks = competition_rank(key)
    tied = tie_sizes(ranks) > 1
    cutoff = ranking.cutoff or len(names)
    shown = ranks <= cutoff
    display = np.where(
        tied & (ranking.ties == "equals"), np.char.add("=", ranks.astype(str)), ranks.astype(str)
    )
    table = ranking.band_table(edition)
    if table is not None:
        band_lo, band_hi = assign_bands(ranks, table.bands, individual_until=table.individual_until)
        labels = band_labels(band_lo, band_hi)
        display = np.where(shown | (labels == ""), display, labels)
    decimals = published_decimals(method)
    totals = [f"{v:.{decimals}f}" for v in rebuilt.rounded.tolist()]
    frame = pd.DataFrame(
        {
            "rank": display.astype(str),
            "institution": names,
            "total": np.where(shown, totals, "-"),
        }
    )
    for j, name in enumerate(component_ids(method)):
        column = x[:, j]
        texts = (
            [repr(float(v)) for v in column.tolist()]
            if component_decimals is None
            else [f"{v:.{component_decimals}f}" for v in round_half_up(column, component_decimals)]
        )
        frame[name] = np.where(na[:, j], "", texts)
    order = np.lexsort((np.arange(len(names)), ranks))
    return frame.iloc[order].reset_index(drop=True)


__all__ = [
    "CAUSES",
    "DIFF_COLUMNS",
    "NotRebuildable",
    "Rebuilt",
    "Reproduction",
    "assumed_edition",
    "estimate_floor",
    "publish_table",
    "rebuild_totals",
    "reproduce",
    "require_rebuildable",
]
