"""History of a ranking system across editions, and of one institution inside it.

An :class:`EditionSeries` holds one system's editions: the methodology each edition resolves to
(a preset id resolves per edition, a file or a list of files applies to their editions), one
:class:`~palmares.result.Result` per computed edition (cached), and a *standings* table per edition
with every institution of the overall table (vectorised: ranks, ties, bands, groups, percentiles,
national and regional ranks with tie and field sizes). Editions where a publisher's table was
imported (``published.csv``, node = the system's root) are read from it instead: a banded entry
holds an interval of possible ranks, so ranks derived from it (national, regional, network) are
ranges and both ends are reported (``*_rank`` the better end, ``*_rank_worst`` the worse).

:func:`history` follows one institution through the editions, through renames and mergers
(``Dataset.lineage_ids``: a successor's history includes its predecessors' editions, marked),
with movements, band and group changes, participation and streaks, field sizes, per-indicator
changes and methodology changes between consecutive editions. A movement across a methodology
change is flagged; scores are never compared across a scale change.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares import ranking as rk
from palmares.dataset import Dataset
from palmares.jsonsafe import json_safe
from palmares.methodology import (
    Methodology,
    diff_methodologies,
    load_methodology,
    methodology_hash,
    resolve_methodology,
)
from palmares.published_view import hide_overall_rank, published_standings
from palmares.result import GRADE_LETTERS, Result

Source = Literal["auto", "computed", "published"]
#: What is shown of the results (contracts section 12): what the publisher prints, or what
#: palmares computes inside bands (for the publisher's own team).
View = Literal["published", "producer"]
VIEWS: tuple[str, ...] = ("published", "producer")
MethodRef = Methodology | str | os.PathLike[str]
IntArray = npt.NDArray[np.int64]

#: Columns of a standings table (one row per institution of an edition's overall table).
STANDING_COLUMNS = (
    "name",
    "country",
    "region_code",
    "gender",
    "score",
    "score_lo",
    "score_hi",
    "rank",
    "tie_size",
    "rank_display_en",
    "rank_display_fr",
    "rank_lo",
    "rank_hi",
    "band_lo",
    "band_hi",
    "band",
    "group",
    "group_rank",
    "group_size",
    "group_first_half",
    "top_percent",
    "national_rank",
    "national_rank_worst",
    "national_tie_size",
    "national_field_size",
    "regional_rank",
    "regional_rank_worst",
    "regional_tie_size",
    "regional_field_size",
)


# -- ranks inside subsets, from rank intervals ----------------------------------------------------


@dataclass(frozen=True)
class SubsetRanks:
    """Ranks inside groups (countries, regions, a network) from overall rank intervals.

    ``best``: 1 + the members certainly ahead; ``worst``: 1 + the members possibly ahead (equal
    to ``best`` for exact ranks: competition ranking). ``tie``: members sharing the same exact
    rank (0 for an interval). ``field``: ranked members of the group. All 0 outside a group.
    """

    best: IntArray
    worst: IntArray
    tie: IntArray
    field: IntArray


def subset_ranks(lo: npt.ArrayLike, hi: npt.ArrayLike, groups: npt.ArrayLike) -> SubsetRanks:
    """Competition ranks inside every group at once, from rank intervals ``[lo, hi]``.

    ``lo == hi`` is an exact overall rank; ``lo < hi`` a band (an open band's ``hi`` is the field
    size). ``lo <= 0`` is unranked; ``groups`` are integer codes (negative = no group). One sort
    per bound, no loop over institutions or groups.
    """
    lo_a = np.asarray(lo, dtype=np.int64)
    hi_a = np.asarray(hi, dtype=np.int64)
    g_a = np.asarray(groups, dtype=np.int64)
    n = lo_a.shape[0]
    out = [np.zeros(n, dtype=np.int64) for _ in range(4)]
    inside = np.flatnonzero((g_a >= 0) & (lo_a > 0))
    if inside.size == 0:
        return SubsetRanks(*out)
    g, lo_i, hi_i = g_a[inside], lo_a[inside], np.maximum(hi_a[inside], lo_a[inside])
    width = int(hi_i.max()) + 2  # every bound of group k lies in (k * width, (k + 1) * width)
    base = g * width
    by_lo = np.sort(base + lo_i)
    by_hi = np.sort(base + hi_i)
    start = np.searchsorted(by_lo, base, side="left")
    end = np.searchsorted(by_lo, base + width, side="left")
    surely_ahead = np.searchsorted(by_hi, base + lo_i, side="left") - start
    maybe_ahead = np.searchsorted(by_lo, base + hi_i, side="left") - start - (lo_i < hi_i)
    # Ties: members with the same interval (the same exact rank, or the same band: "6e ex
    # aequo en France" for the compatriots of one band).
    # One integer per (group, lo, hi): ``hi`` < width, so the code is unique (an int64 for any
    # field palmares ranks); counted by one np.unique, no pandas grouping.
    _, where, counts = np.unique(
        (base + lo_i) * width + hi_i, return_inverse=True, return_counts=True
    )
    ties = counts[where.reshape(-1)]
    out[0][inside] = 1 + surely_ahead
    out[1][inside] = 1 + maybe_ahead
    out[2][inside] = ties
    out[3][inside] = end - start
    return SubsetRanks(*out)


def group_codes(values: npt.ArrayLike) -> IntArray:
    """Integer codes of labels (countries, regions); missing or empty labels get -1."""
    codes, labels = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    # "" is missing as None is: its code becomes the sentinel (codes stay distinct integers,
    # one per label; one factorisation, no Series built and searched for "")
    empty = np.flatnonzero(np.asarray(labels, dtype=object) == "")
    if empty.size:
        codes[codes == empty[0]] = -1
    return codes


# -- methodology changes -------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodologyChange:
    """What changed in the method from one edition to the next (identical hash: nothing)."""

    previous_edition: int
    edition: int
    previous_hash: str | None
    hash: str | None
    changed: bool
    scale_changed: bool
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    scale_changes: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "previous_edition": self.previous_edition,
            "edition": self.edition,
            "previous_hash": self.previous_hash,
            "hash": self.hash,
            "changed": self.changed,
            "scale_changed": self.scale_changed,
            "added": list(self.added),
            "removed": list(self.removed),
            "scale_changes": list(self.scale_changes),
            "changes": list(self.changes),
        }


def _methodologies(ref: MethodRef | Sequence[MethodRef]) -> tuple[Methodology, ...]:
    """Every methodology a reference stands for: one object or file, a list of them, a folder of
    TOML files, a bundled example id, or every edition range of a preset (``PRESET@YEAR``: one)."""
    if isinstance(ref, Methodology):
        return (ref,)
    if isinstance(ref, (list, tuple)):
        return tuple(m for item in ref for m in _methodologies(item))
    text = os.fspath(ref)  # type: ignore[arg-type]
    path = Path(text)
    files = sorted(path.glob("*.toml")) if path.is_dir() else []
    if files:
        return tuple(load_methodology(f) for f in files)
    if path.suffix.lower() == ".toml" or path.exists() or "@" in text or "\n" in text:
        return (load_methodology(text) if "\n" in text else resolve_methodology(text),)
    from palmares.examples import EXAMPLES

    if (EXAMPLES / f"{text}.toml").exists():
        return (resolve_methodology(text),)
    from palmares.systems import preset_files

    return tuple(load_methodology(f) for f in preset_files(text))


def _hide_scoped_ranks(frame: pd.DataFrame) -> None:
    """No national or regional rank derived from an overall rank that is not published (the
    scopes' field sizes stay)."""
    for scope in ("national", "regional"):
        for suffix in ("rank", "rank_worst", "tie_size"):
            frame[f"{scope}_{suffix}"] = 0


# -- one system's editions ----------------------------------------------------------------------


class EditionSeries:
    """One system's editions: methodologies, cached Results and standings tables.

    ``source``: ``"auto"`` reads an edition's published table when one was imported and computes
    it otherwise; ``"computed"`` and ``"published"`` use one source only.

    ``view``: ``"published"`` (default) shows what the publisher prints: beyond a band cut-off
    only the band (no rank inside it), and no overall rank where the publisher prints none
    (systems ranked on grade counts, U-Multirank). ``"producer"`` keeps the computed positions.
    """

    def __init__(
        self,
        dataset: Dataset,
        system_or_method: MethodRef | Sequence[MethodRef],
        *,
        editions: Sequence[int] | None = None,
        source: Source = "auto",
        seed: int = 0,
        view: View = "published",
    ) -> None:
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r} (valid: {', '.join(VIEWS)})")
        self.view = view
        self.dataset = dataset
        self.methodologies = _methodologies(system_or_method)
        systems = sorted({m.system for m in self.methodologies})
        if len(systems) != 1:
            raise ValueError(f"the methodologies rank different systems: {', '.join(systems)}")
        self.system = systems[0]
        self.source = source
        self.seed = seed
        published = dataset.published
        mine = published[published["system"] == self.system]
        self._published = mine[mine["node"] == self.system]
        #: Printed per-node rows (components, grades, per-node tables such as THE Impact SDGs).
        self._published_nodes = mine[mine["node"] != self.system]
        self._grade_tables: dict[int, dict[str, pd.DataFrame]] = {}
        known = set(dataset.edition_years(self.system)) | {
            int(y) for y in self._published["year"].dropna().unique()
        }
        self.years: tuple[int, ...] = tuple(sorted(int(y) for y in (editions or known)))
        self._results: dict[int, Result | None] = {}
        self._standings: dict[int, pd.DataFrame] = {}
        self._nodes: dict[int, pd.DataFrame] = {}
        self._histories: dict[str, History] = {}
        self._sources: dict[int, str | None] = {}
        inst = dataset.institutions.set_index("id")
        self._institutions = inst

    # -- per edition ----------------------------------------------------------------------------

    def methodology(self, year: int) -> Methodology | None:
        """The methodology that applies to ``year`` (the first one given that does), or None."""
        for m in self.methodologies:
            if m.applies_to(year):
                return m
        return None

    def publishes_rank(self, year: int) -> bool:
        """Whether an overall rank is shown for ``year``: not in the published view of a system
        ranked on grade counts (U-Multirank prints no overall rank), whether computed or
        imported from the publisher's grades."""
        if self.view == "producer" or self.source_of(year) is None:
            return True
        return not self._graded(year)

    def _graded(self, year: int) -> bool:
        """Whether the edition's method ranks on counts of grades (U-Multirank)."""
        m = self.methodology(year)
        return m is not None and m.ranking.by == "grade_counts"

    def _has_observations(self, year: int) -> bool:
        try:
            self.dataset.field(self.system, year)
        except KeyError:
            return False
        return True

    def source_of(self, year: int) -> str | None:
        """``"published"``, ``"computed"`` or None (nothing to read for this edition)."""
        if year not in self._sources:
            has_published = bool((self._published["year"] == year).any())
            computable = self.methodology(year) is not None and self._has_observations(year)
            source = None
            if self.source in ("auto", "published") and has_published:
                source = "published"
            elif self.source in ("auto", "computed") and computable:
                source = "computed"
            self._sources[year] = source
        return self._sources[year]

    def result(self, year: int) -> Result | None:
        """The computed Result of ``year`` (run once, then cached); None if not computable."""
        if year not in self._results:
            m = self.methodology(year)
            if m is None or not self._has_observations(year):
                self._results[year] = None
            else:
                from palmares.result_store import run_or_reuse

                # the engine, or the table a store keeps for this methodology and data
                self._results[year] = run_or_reuse(self.dataset, m, year, seed=self.seed)
        return self._results[year]

    def standings(self, year: int) -> pd.DataFrame:
        """Every institution of the edition's overall table, indexed by id (empty if none)."""
        if year not in self._standings:
            source = self.source_of(year)
            if source == "published":
                frame = self._published_standings(year)
            elif source == "computed":
                result = self.result(year)
                assert result is not None
                frame = self._computed_standings(result)
            else:
                frame = pd.DataFrame(columns=list(STANDING_COLUMNS), index=pd.Index([], name="id"))
            self._standings[year] = frame
        return self._standings[year]

    def _attributes(self, ids: Sequence[str]) -> pd.DataFrame:
        inst = self._institutions
        # one look-up of the rows for every column (the ids' positions in the table)
        at = inst.index.get_indexer(pd.Index(list(ids)))
        found = at >= 0
        cols = {}
        for column in ("name", "country", "region_code", "gender"):
            if column not in inst.columns:
                cols[column] = np.full(len(ids), None, dtype=object)
                continue
            values = np.full(len(ids), np.nan, dtype=object)  # an unknown id: NaN, as reindex
            values[found] = inst[column].to_numpy(dtype=object)[at[found]]
            cols[column] = values
        return pd.DataFrame(cols, index=pd.Index(list(ids), name="id"))

    def _finish(self, frame: pd.DataFrame) -> pd.DataFrame:
        """National and regional ranks from the rank intervals (one pass per attribute)."""
        lo, hi = frame["rank_lo"].to_numpy(), frame["rank_hi"].to_numpy()
        scoped: dict[str, Any] = {}
        for scope, column in (("national", "country"), ("regional", "region_code")):
            ranks = subset_ranks(lo, hi, group_codes(frame[column].to_numpy()))
            scoped[f"{scope}_rank"] = ranks.best
            scoped[f"{scope}_rank_worst"] = ranks.worst
            scoped[f"{scope}_tie_size"] = ranks.tie
            scoped[f"{scope}_field_size"] = ranks.field
        kept = frame.drop(columns=[c for c in scoped if c in frame])
        joined = pd.concat([kept, pd.DataFrame(scoped, index=frame.index)], axis=1)
        return joined[list(STANDING_COLUMNS)]

    def _computed_standings(self, result: Result) -> pd.DataFrame:
        table = result.ranking
        keep = np.flatnonzero(table.rank > 0)
        ids = [result.institutions[i] for i in keep]
        attributes = self._attributes(ids)
        genders = attributes["gender"].to_numpy(dtype=object)
        rank = table.rank[keep]
        lo, hi = table.band_lo[keep], table.band_hi[keep]
        banded = (lo > 0) & (lo != hi)
        labels = rk.band_labels(lo, hi)
        # Every column at once (one frame built, not one insertion per column).
        columns: dict[str, Any] = {c: attributes[c].to_numpy() for c in attributes.columns}
        columns |= {
            "score": table.published_score[keep],
            "score_lo": np.full(len(keep), np.nan),
            "score_hi": np.full(len(keep), np.nan),
            "rank": rank,
            "tie_size": table.tie_size[keep],
        }
        for lang in ("en", "fr"):
            shown = rk.display_ranks(rank, table.tie_size[keep], table.ties, lang, genders)
            columns[f"rank_display_{lang}"] = [str(s) for s in shown.tolist()]
        columns |= {
            "rank_lo": rank,
            "rank_hi": rank,
            "band_lo": np.where(banded, lo, 0),
            "band_hi": np.where(banded, hi, 0),
            "band": [str(s) if b else None for s, b in zip(labels.tolist(), banded, strict=True)],
            "group": table.group[keep],
            "group_rank": table.group_rank[keep],
            "group_size": table.group_size[keep],
            "group_first_half": table.group_first_half[keep],
            "top_percent": table.top_percent[keep],
        }
        frame = pd.DataFrame(columns, index=attributes.index)
        if self.view == "published":
            published_standings(
                frame, result, keep, publishes_rank=self.publishes_rank(result.edition)
            )
        frame = self._finish(frame)
        if not self.publishes_rank(result.edition):
            _hide_scoped_ranks(frame)
        return frame

    def _published_standings(self, year: int) -> pd.DataFrame:
        if self._graded(year):
            return self._graded_standings(year)
        rows = self._published[self._published["year"] == year]
        rows = rows[rows["status"].isin(["ranked", "banded"])]
        ids = rows["institution"].tolist()
        frame = self._attributes(ids)
        field_size = len(rows)
        rank = rows["rank"].to_numpy(dtype=np.int64, na_value=0)
        band_lo = rows["band_lo"].to_numpy(dtype=np.int64, na_value=0)
        band_hi = rows["band_hi"].to_numpy(dtype=np.int64, na_value=0)
        exact = rank > 0
        open_band = ~exact & (band_lo > 0) & (band_hi <= 0)
        lo = np.where(exact, rank, band_lo)
        hi = np.where(exact, rank, np.where(open_band, max(field_size, 1), band_hi))
        hi = np.maximum(hi, lo)
        frame["score"] = rows["score"].to_numpy(dtype=float, na_value=np.nan)
        for column in ("score_lo", "score_hi"):  # a range printed for a banded row (THE)
            frame[column] = (
                rows[column].to_numpy(dtype=float, na_value=np.nan) if column in rows else np.nan
            )
        frame["rank"] = rank
        frame["tie_size"] = np.where(exact, rk.tie_sizes(rank), 0)
        shown = rows["rank_display"].fillna("").astype(str).tolist()
        frame["rank_display_en"] = shown
        frame["rank_display_fr"] = shown
        frame["rank_lo"] = lo
        frame["rank_hi"] = hi
        banded = ~exact & (lo > 0)
        frame["band_lo"] = np.where(banded, band_lo, 0)
        frame["band_hi"] = np.where(banded, np.where(open_band, rk.BAND_OPEN, band_hi), 0)
        labels = rk.band_labels(frame["band_lo"].to_numpy(), frame["band_hi"].to_numpy())
        frame["band"] = [
            str(s) if b else None for s, b in zip(labels.tolist(), banded, strict=True)
        ]
        frame["group"] = None
        frame["group_rank"] = 0
        frame["group_size"] = 0
        frame["group_first_half"] = False
        # The worse end of an interval: a percentile never flatters (claims.md); none when the
        # import is partial (a position beyond its rows: the field size is unknown).
        known = int(np.maximum(hi, lo).max(initial=0)) <= field_size
        frame["top_percent"] = (
            np.where(lo > 0, -((-100 * hi) // max(field_size, 1)), 0) if known else 0
        )
        frame = self._finish(frame)
        if not known:
            for scope in ("national", "regional"):
                for suffix in ("rank", "rank_worst", "tie_size", "field_size"):
                    frame[f"{scope}_{suffix}"] = 0
        return frame

    # -- imported grades (U-Multirank) ----------------------------------------------------------

    def _dimension_of(self) -> dict[str, str | None]:
        """Each node of the bundle's tree -> its ancestor that is a child of the root (None
        for the root, a dimension itself and an indicator directly under the root)."""
        ind = self.dataset.indicators
        parent = {
            str(n): (str(p) if isinstance(p, str) and p else None)
            for n, p in zip(ind["id"], ind["parent"], strict=True)
        }
        out: dict[str, str | None] = {}
        for node in parent:
            current, steps = node, 0
            while parent.get(current) not in (None, self.system) and steps <= len(parent):
                current = str(parent[current])
                steps += 1
            below_root = parent.get(current) == self.system and current != node
            out[node] = current if below_root else None
        return out

    def grade_tables(self, year: int) -> dict[str, pd.DataFrame]:
        """Counts of the printed grades A..E of an imported edition, per institution with at
        least one grade (the field, as the methodology defines it): the root's table, then one
        per dimension (child of the root in the bundle's tree) holding a graded indicator, each
        indexed by institution with one column per letter. Empty when nothing was graded."""
        if year in self._grade_tables:
            return self._grade_tables[year]
        rows = self._published_nodes[self._published_nodes["year"] == year]
        letters = rows["rank_display"].astype("string").str.strip().str.upper()
        graded = letters.isin(GRADE_LETTERS).to_numpy(dtype=bool, na_value=False)
        rows, letters = rows[graded], letters[graded]
        out: dict[str, pd.DataFrame] = {}
        if len(rows):
            dims = rows["node"].astype(str).map(self._dimension_of()).to_numpy(dtype=object)
            frame = pd.DataFrame(
                {
                    "institution": rows["institution"].astype(str).to_numpy(),
                    "dimension": dims,
                    "letter": letters.astype(str).to_numpy(),
                }
            )
            out[self.system] = _letter_counts(frame)
            for dim in sorted({d for d in dims.tolist() if d is not None}):
                out[dim] = _letter_counts(frame[frame["dimension"] == dim])
        self._grade_tables[year] = out
        return out

    def grade_counts(self, year: int, entity: str) -> dict[str, dict[str, int]]:
        """A..E counts of one institution at the root and per dimension, computed or imported
        (empty when the edition is not graded)."""
        source = self.source_of(year)
        if source == "computed":
            return _grade_counts(self.result(year), entity)
        if source != "published" or not self._graded(year):
            return {}
        tables = self.grade_tables(year)
        if entity not in tables.get(self.system, pd.DataFrame()).index:
            return {}
        zero = dict.fromkeys(GRADE_LETTERS, 0)
        return {
            node: (
                dict(
                    zip(
                        GRADE_LETTERS,
                        (int(x) for x in table.loc[entity, list(GRADE_LETTERS)].to_numpy()),
                        strict=True,
                    )
                )
                if entity in table.index
                else dict(zero)
            )
            for node, table in tables.items()
        }

    def _graded_standings(self, year: int) -> pd.DataFrame:
        """The overall table of an imported graded edition, as the computed one: the field is
        the institutions with at least one grade, ordered on A counts (competition rank, then
        B, ... and name); the published view states no overall rank."""
        counts = self.grade_tables(year).get(self.system)
        if counts is None or counts.empty:
            return pd.DataFrame(columns=list(STANDING_COLUMNS), index=pd.Index([], name="id"))
        frame = self._attributes(counts.index.tolist())
        names = [
            str(n) if isinstance(n, str) else str(i)
            for n, i in zip(frame["name"], counts.index, strict=True)
        ]
        order = rk.order_by_grade_counts(counts.to_numpy(dtype=np.int64), names)
        frame = frame.iloc[order.order]
        rank = order.rank[order.order]
        tie = order.tie_size[order.order]
        field_size = max(len(frame), 1)
        m = self.methodology(year)
        style = m.ranking.ties if m is not None else "bare"
        genders = frame["gender"].to_numpy(dtype=object)
        frame["score"] = counts["A"].reindex(frame.index).to_numpy(dtype=float)
        frame["score_lo"] = np.nan
        frame["score_hi"] = np.nan
        frame["rank"] = rank
        frame["tie_size"] = tie
        for lang in ("en", "fr"):
            shown = rk.display_ranks(rank, tie, style, lang, genders)
            frame[f"rank_display_{lang}"] = [str(x) for x in shown.tolist()]
        frame["rank_lo"] = rank
        frame["rank_hi"] = rank
        frame["band_lo"] = 0
        frame["band_hi"] = 0
        frame["band"] = None
        frame["group"] = None
        frame["group_rank"] = 0
        frame["group_size"] = 0
        frame["group_first_half"] = False
        frame["top_percent"] = -((-100 * rank) // field_size)
        if not self.publishes_rank(year):  # as in the computed published view
            hide_overall_rank(frame)
        frame = self._finish(frame)
        if not self.publishes_rank(year):
            _hide_scoped_ranks(frame)
        return frame

    def _published_node_standings(self, year: int) -> list[pd.DataFrame]:
        """Per-node tables of an imported edition: the dimensions' A counts of a graded one,
        else every node imported as a table of its own (``import --node``, a THE Impact SDG:
        rows with a printed rank or band). Components printed as ranks in the overall table
        (CWUR's indicator ranks) are columns of that table, not tables."""
        if self._graded(year):
            return self._graded_node_standings(year)
        from palmares.io.published_table import published_format

        try:
            if published_format(self.system).component_kind != "score":
                return []
        except LookupError:
            pass  # a system without a preset format: its node tables are read as printed
        rows = self._published_nodes[self._published_nodes["year"] == year]
        rows = rows[rows["status"].isin(["ranked", "banded"])]
        rank = rows["rank"].to_numpy(dtype=np.int64, na_value=0)
        band_lo = rows["band_lo"].to_numpy(dtype=np.int64, na_value=0)
        positioned = (rank > 0) | (band_lo > 0)
        rows = rows[positioned]
        frames = []
        for node, table in rows.groupby("node", sort=True):
            ids = table["institution"].astype(str).tolist()
            rank = table["rank"].to_numpy(dtype=np.int64, na_value=0)
            band_lo = table["band_lo"].to_numpy(dtype=np.int64, na_value=0)
            band_hi = table["band_hi"].to_numpy(dtype=np.int64, na_value=0)
            exact = rank > 0
            field_size = len(table)
            # An open band ("1001+") ends at the foot of the node's table.
            hi_band = np.where(band_hi > 0, band_hi, field_size)
            lo = np.where(exact, rank, band_lo)
            hi = np.maximum(np.where(exact, rank, hi_band), lo)
            countries = group_codes(self._attributes(ids)["country"].to_numpy(dtype=object))
            national = subset_ranks(lo, hi, countries)
            frames.append(
                pd.DataFrame(
                    {
                        "node": str(node),
                        "institution": ids,
                        "score": table["score"].to_numpy(dtype=float, na_value=np.nan),
                        "rank": rank,
                        "tie_size": np.where(exact, rk.tie_sizes(rank), 0),
                        "field_size": field_size,
                        "band_lo": np.where(exact, 0, band_lo),
                        "band_hi": np.where(exact, 0, hi_band),
                        "national_rank": national.best,
                        "national_tie_size": national.tie,
                        "national_field_size": national.field,
                    }
                )
            )
        return frames

    def _graded_node_standings(self, year: int) -> list[pd.DataFrame]:
        """Per-dimension tables of an imported graded edition: the competition rank of the A
        count among the institutions with a grade in the dimension (U-Multirank's own tools
        sort a dimension so; always stated as the dimension's A count)."""
        frames = []
        attributes = self.standings(year)
        for node, counts in self.grade_tables(year).items():
            if node == self.system:
                continue
            a = counts["A"].to_numpy(dtype=float)
            rank = rk.competition_rank(a)
            countries = group_codes(
                attributes["country"].reindex(counts.index).to_numpy(dtype=object)
            )
            national = subset_ranks(rank, rank, countries)
            frames.append(
                pd.DataFrame(
                    {
                        "node": node,
                        "institution": counts.index.to_numpy(dtype=object),
                        "score": a,
                        "rank": rank,
                        "tie_size": rk.tie_sizes(rank),
                        "field_size": len(counts),
                        "band_lo": 0,
                        "band_hi": 0,
                        "national_rank": national.best,
                        "national_tie_size": national.tie,
                        "national_field_size": national.field,
                    }
                )
            )
        return frames

    def node_standings(self, year: int) -> pd.DataFrame:
        """Per-node tables of the dimensions or families (children of the root) of a computed
        edition, long format: node, institution, score, rank, tie size, field size, band,
        national rank. For an imported edition: the dimensions' A counts of printed grades and
        the tables imported per node (:meth:`_published_node_standings`), else empty."""
        if year in self._nodes:
            return self._nodes[year]
        result = self.result(year) if self.source_of(year) == "computed" else None
        frames = []
        if self.source_of(year) == "published":
            frames = self._published_node_standings(year)
        if result is not None:
            root = result.tree.roots[0]
            children = [n for n in result.tree.ids if result.tree.parent_of(n) == root]
            countries = group_codes(result.attributes.get("country", []))
            for node in children:
                if result.tree.is_leaf[result.tree.index(node)]:
                    continue
                table = result.node_table(node)
                keep = np.flatnonzero(table.rank > 0)
                national = subset_ranks(table.rank, table.rank, countries)
                frames.append(
                    pd.DataFrame(
                        {
                            "node": node,
                            "institution": [result.institutions[i] for i in keep],
                            "score": table.key[keep],
                            "rank": table.rank[keep],
                            "tie_size": table.tie_size[keep],
                            "field_size": table.field_size,
                            "band_lo": table.band_lo[keep],
                            "band_hi": table.band_hi[keep],
                            "national_rank": national.best[keep],
                            "national_tie_size": national.tie[keep],
                            "national_field_size": national.field[keep],
                        }
                    )
                )
        columns = [
            "node",
            "institution",
            "score",
            "rank",
            "tie_size",
            "field_size",
            "band_lo",
            "band_hi",
            "national_rank",
            "national_tie_size",
            "national_field_size",
        ]
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        self._nodes[year] = out
        return out

    # -- across editions -----------------------------------------------------------------------

    def field_size(self, year: int) -> int:
        return len(self.standings(year))

    def field_known(self, year: int) -> bool:
        """Whether the edition's field size is known: always for a computed edition; for an
        imported table only when no printed position lies beyond its rows (a partial import,
        e.g. two rows ranked 250th and 401–500, says nothing of how many were ranked)."""
        if self.source_of(year) != "published":
            return True
        frame = self.standings(year)
        if frame.empty:
            return False
        deepest = np.maximum(frame["rank"].to_numpy(), frame["band_hi"].to_numpy()).max()
        deepest = max(int(deepest), int(frame["band_lo"].to_numpy().max()))
        return deepest <= len(frame)

    def countries(self, year: int) -> int:
        return int(self.standings(year)["country"].dropna().nunique())

    def submitters(self, year: int) -> int | None:
        """Institutions with data in a computed edition (THE Impact reports it beside the table)."""
        result = self.result(year) if self.source_of(year) == "computed" else None
        return None if result is None else result.submitters

    def first_edition(self) -> int | None:
        """The system's first edition (from the bundle's editions, else the first one read)."""
        years = self.dataset.edition_years(self.system) or self.years
        return min(years) if years else None

    def previous(self, year: int) -> int | None:
        earlier = [y for y in self.years if y < year]
        return earlier[-1] if earlier else None

    def methodology_change(self, previous: int, year: int) -> MethodologyChange:
        """The method's changes from ``previous`` to ``year``: the diff of their methodologies
        (identical hash: no change) plus the indicators that appear or disappear in the data."""
        ma = self.methodology(previous) if self.source_of(previous) == "computed" else None
        mb = self.methodology(year) if self.source_of(year) == "computed" else None
        ha = methodology_hash(ma) if ma is not None else None
        hb = methodology_hash(mb) if mb is not None else None
        if ma is None or mb is None:
            # A published edition has no methodology: a change of source is a change of method.
            changed = self.source_of(previous) != self.source_of(year)
            return MethodologyChange(previous, year, ha, hb, changed, changed)
        ra, rb = self.result(previous), self.result(year)
        leaves_a = set(ra.leaves) if ra is not None else set()
        leaves_b = set(rb.leaves) if rb is not None else set()
        if ha == hb:
            return MethodologyChange(
                previous,
                year,
                ha,
                hb,
                False,
                False,
                tuple(sorted(leaves_b - leaves_a)),
                tuple(sorted(leaves_a - leaves_b)),
            )
        diff = diff_methodologies(ma, mb)
        added = sorted(set(diff.indicators_added) | (leaves_b - leaves_a))
        removed = sorted(set(diff.indicators_removed) | (leaves_a - leaves_b))
        changes = [
            c.key
            for part in (diff.weights, diff.thresholds, diff.steps, diff.ranking, diff.directions)
            for c in part
        ]
        return MethodologyChange(
            previous,
            year,
            ha,
            hb,
            True,
            bool(diff.scales),
            tuple(added),
            tuple(removed),
            tuple(c.key for c in diff.scales),
            tuple(changes),
        )

    def rank_matrix(self) -> tuple[tuple[str, ...], IntArray, IntArray]:
        """(institutions, rank_lo, rank_hi): every institution ever in an overall table by every
        edition (0 where absent), for vectorised trajectories and movements."""
        frames = [self.standings(y) for y in self.years]
        ids = sorted(set().union(*(f.index for f in frames))) if frames else []
        position = pd.Index(ids)
        lo = np.zeros((len(ids), len(self.years)), dtype=np.int64)
        hi = np.zeros_like(lo)
        for t, frame in enumerate(frames):
            rows = position.get_indexer(frame.index)
            lo[rows, t] = frame["rank_lo"].to_numpy(dtype=np.int64)
            hi[rows, t] = frame["rank_hi"].to_numpy(dtype=np.int64)
        return tuple(ids), lo, hi

    def history(self, institution: str) -> History:
        """The history of one institution (id or exact name/alias) in this series."""
        key = self.dataset.resolve(institution)
        if key not in self._histories:
            self._histories[key] = _build_history(self, key)
        return self._histories[key]


# -- one institution ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    """A rank movement between two editions: ``places`` = earlier rank - later rank (competition
    ranks; positive = up). ``flags`` say why a comparison needs care: ``methodology`` (the
    method changed in between), ``scale`` (a score scale changed: no score change is given),
    ``source`` (computed vs published), ``rename`` / ``merger`` (through lineage), ``banded``
    (a band, not a rank, at one end), ``absent`` (not in a table at one end)."""

    institution: str
    from_edition: int
    to_edition: int
    from_rank: int | None
    to_rank: int | None
    places: int | None
    from_band: str | None
    to_band: str | None
    band_change: str | None  # improved | declined | kept
    from_score: float | None
    to_score: float | None
    score_change: float | None
    flags: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["flags"] = list(self.flags)
        return json_safe(out)


#: Columns where 0 stands for "not ranked": shown as missing (never 0, contracts section 12).
ZERO_IS_MISSING = frozenset(
    {
        "rank",
        "tie_size",
        "rank_lo",
        "rank_hi",
        "band_lo",
        "band_hi",
        "group_rank",
        "group_size",
        "top_percent",
        "national_rank",
        "national_rank_worst",
        "national_tie_size",
        "national_field_size",
        "regional_rank",
        "regional_rank_worst",
        "regional_tie_size",
        "regional_field_size",
    }
)


def missing_not_zero(record: dict[str, Any]) -> dict[str, Any]:
    """The record with every "not ranked" 0 replaced by None (empty in CSV, null in JSON)."""
    for key in ZERO_IS_MISSING & record.keys():
        value = record[key]
        if value is not None and not isinstance(value, bool) and value == 0:
            record[key] = None
    if record.get("rank_display") == "":
        record["rank_display"] = None
    if record.get("field_known") is False:
        record["field_size"] = None  # a partial import: the field size is unknown
    return record


@dataclass(frozen=True)
class History:
    """One institution's editions in one system. ``rows`` maps edition -> its facts (the
    columns of :meth:`to_frame`); ``nodes`` holds per-node standings (long format)."""

    institution: str
    name: str
    system: str
    lineage: tuple[str, ...]
    system_first_edition: int | None
    rows: Mapping[int, Mapping[str, Any]]
    nodes: pd.DataFrame
    indicator_changes: Mapping[int, pd.DataFrame]
    methodology_changes: Mapping[int, MethodologyChange]
    series: EditionSeries = field(repr=False, compare=False)

    @property
    def editions(self) -> tuple[int, ...]:
        return tuple(self.rows)

    @property
    def ranked_editions(self) -> tuple[int, ...]:
        return tuple(y for y, row in self.rows.items() if row["ranked"])

    @property
    def first_edition(self) -> int | None:
        ranked = self.ranked_editions
        return ranked[0] if ranked else None

    @property
    def participation(self) -> int:
        return len(self.ranked_editions)

    def row(self, edition: int) -> Mapping[str, Any]:
        try:
            return self.rows[edition]
        except KeyError:
            from palmares.translatable import tr

            known = ", ".join(map(str, self.rows)) or tr("none")
            raise LookupError(
                tr(
                    "no {system} edition {edition} (editions: {known})",
                    system=self.system,
                    edition=edition,
                    known=known,
                )
            ) from None

    def to_frame(self, lang: str = "en", *, missing: bool = False) -> pd.DataFrame:
        """One row per edition of the system (absent editions included, ``ranked`` False);
        ``missing``: positions palmares does not have are None (for people), not 0."""
        records = []
        for year, row in self.rows.items():
            record = {k: v for k, v in row.items() if not isinstance(v, (dict, list))}
            record["rank_display"] = row[f"rank_display_{lang}"]
            for key in ("rank_display_en", "rank_display_fr"):
                record.pop(key, None)
            for key in (
                "indicators_improved",
                "indicators_declined",
                "merged_from",
                "movement_flags",
            ):
                record[key] = ",".join(row[key])
            for net, info in row["networks"].items():
                record[f"network_rank:{net}"] = info["rank"]
                record[f"network_field_size:{net}"] = info["field_size"]
            for node, counts in row["grades"].items():
                for letter, count in counts.items():
                    record[f"grades_{letter}" + ("" if node == self.system else f":{node}")] = count
            nodes = self.nodes[self.nodes["edition"] == year]
            for node, rank in zip(nodes["node"], nodes["rank"], strict=True):
                record[f"rank:{node}"] = rank
            records.append(missing_not_zero(record) if missing else record)
        frame = pd.DataFrame(records)
        return frame

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        editions = []
        for year, row in self.rows.items():
            record = dict(row)
            record["rank_display"] = row[f"rank_display_{lang}"]
            nodes = self.nodes[self.nodes["edition"] == year].drop(columns=["edition"])
            # per-node positions: missing is never 0 (null), as in the edition's own record
            record["nodes"] = [
                missing_not_zero({str(k): v for k, v in n.items()})
                for n in nodes.to_dict(orient="records")
            ]
            changes = self.indicator_changes.get(year)
            record["indicator_changes"] = (
                [] if changes is None else changes.to_dict(orient="records")
            )
            change = self.methodology_changes.get(year)
            record["methodology_change"] = None if change is None else change.to_json()
            editions.append(missing_not_zero(record))
        return json_safe(
            {
                "institution": self.institution,
                "name": self.name,
                "system": self.system,
                "lineage": list(self.lineage),
                "system_first_edition": self.system_first_edition,
                "first_edition": self.first_edition,
                "participation": self.participation,
                "editions": editions,
            }
        )

    def movement(self, from_edition: int, to_edition: int) -> Movement:
        """The movement from one edition to a later one (or an earlier one: places keep the
        sign of ``from rank - to rank``)."""
        self.row(from_edition)
        self.row(to_edition)
        return _movement(
            self.institution, self.rows, self.methodology_changes, from_edition, to_edition
        )

    def movement_since(self, edition: int, back: int = 5) -> Movement:
        """The movement to ``edition`` from ``back`` editions earlier (the system's editions,
        not years), or from the institution's first ranked edition when that is later."""
        years = list(self.rows)
        self.row(edition)
        start = years[max(years.index(edition) - back, 0)]
        ranked = [y for y in self.ranked_editions if start <= y < edition]
        return self.movement(ranked[0] if ranked else start, edition)


def _movement(
    institution: str,
    rows: Mapping[int, Mapping[str, Any]],
    methodology_changes: Mapping[int, MethodologyChange],
    from_edition: int,
    to_edition: int,
) -> Movement:
    a, b = rows[from_edition], rows[to_edition]
    flags: list[str] = []
    low, high = sorted((from_edition, to_edition))
    changes = [c for y, c in methodology_changes.items() if low < y <= high]
    if any(c.changed for c in changes):
        flags.append("methodology")
    scale = any(c.scale_changed for c in changes)
    if scale:
        flags.append("scale")
    if a["source"] != b["source"]:
        flags.append("source")
    for row in (a, b):
        kind = row["lineage_kind"]
        if kind and kind not in flags:
            flags.append(kind)
    if not (a["ranked"] and b["ranked"]):
        flags.append("absent")
    exact_a = bool(a["ranked"]) and a["rank"] > 0
    exact_b = bool(b["ranked"]) and b["rank"] > 0
    if (a["ranked"] and not exact_a and a["band"]) or (b["ranked"] and not exact_b and b["band"]):
        flags.append("banded")
    places = a["rank"] - b["rank"] if exact_a and exact_b else None
    band_change = None
    if a["ranked"] and b["ranked"] and (a["band"] or b["band"]):
        # A better position starts lower; an exact rank counts as its own one-place band.
        same = a["band"] == b["band"]
        band_change = (
            "kept" if same else ("improved" if b["rank_lo"] < a["rank_lo"] else "declined")
        )
    score_a, score_b = a["score"], b["score"]
    comparable = not scale and "source" not in flags and "merger" not in flags
    score_change = (
        float(score_b - score_a) if comparable and _finite(score_a) and _finite(score_b) else None
    )
    return Movement(
        institution=institution,
        from_edition=from_edition,
        to_edition=to_edition,
        from_rank=int(a["rank"]) if exact_a else None,
        to_rank=int(b["rank"]) if exact_b else None,
        places=None if places is None else int(places),
        from_band=a["band"],
        to_band=b["band"],
        band_change=band_change,
        from_score=float(score_a) if _finite(score_a) else None,
        to_score=float(score_b) if _finite(score_b) else None,
        score_change=score_change,
        flags=tuple(flags),
    )


def _position(row: Mapping[str, Any]) -> str:
    return str(row["band"] or row["rank"])


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and math.isfinite(float(value))


def _lineage_kinds(dataset: Dataset, institution: str, lineage: Sequence[str]) -> dict[str, str]:
    """For each predecessor, how it became (part of) the institution: rename or merger."""
    table = dataset.lineage
    kinds: dict[str, str] = {}
    for pred in lineage[1:]:
        rows = table[table["predecessor"] == pred]
        kind = str(rows["kind"].iloc[0]) if len(rows) else "rename"
        # A predecessor merged into a school that was itself renamed is still a merger.
        kinds[pred] = "merger" if kind == "merger" else kind
    return kinds


def _empty_row(year: int) -> dict[str, Any]:
    return {
        "edition": year,
        "source": None,
        "ranked": False,
        "entity": None,
        "lineage_kind": None,
        "merged_from": [],
        "score": math.nan,
        "score_lo": math.nan,
        "score_hi": math.nan,
        "rank": 0,
        "tie_size": 0,
        "rank_display_en": "",
        "rank_display_fr": "",
        "rank_lo": 0,
        "rank_hi": 0,
        "band_lo": 0,
        "band_hi": 0,
        "band": None,
        "group": None,
        "group_rank": 0,
        "group_size": 0,
        "group_first_half": False,
        "top_percent": 0,
        "national_rank": 0,
        "national_rank_worst": 0,
        "national_tie_size": 0,
        "national_field_size": 0,
        "regional_rank": 0,
        "regional_rank_worst": 0,
        "regional_tie_size": 0,
        "regional_field_size": 0,
    }


def _pick(standings: pd.DataFrame, lineage: Sequence[str]) -> tuple[str | None, list[str]]:
    """The lineage member standing for the institution in one edition: itself if ranked, else
    its best-ranked predecessor; and every predecessor ranked that edition."""
    present = [i for i in lineage if i in standings.index]
    if not present:
        return None, []
    if present[0] == lineage[0]:
        return present[0], []
    starts = standings.loc[present, "rank_lo"].to_numpy(dtype=np.int64)
    best = present[int(np.argmin(starts))]
    return best, sorted(present)


def _network_ranks(
    series: EditionSeries, year: int, entity: str, standings: pd.DataFrame
) -> dict[str, dict[str, Any]]:
    """The institution's rank inside each network it belongs to that edition."""
    networks = series.dataset.networks
    if networks.empty:
        return {}
    # No overall rank published: no rank inside a network either (membership only).
    ordered = series.publishes_rank(year)
    out: dict[str, dict[str, Any]] = {}
    for net in sorted(set(networks.loc[networks["institution"] == entity, "network"].tolist())):
        members = set(series.dataset.network_members(net, year))
        if entity not in members:
            continue
        mask = standings.index.isin(list(members))
        ranks = subset_ranks(
            standings["rank_lo"].to_numpy(),
            standings["rank_hi"].to_numpy(),
            np.where(mask, 0, -1),
        )
        i = standings.index.get_loc(entity)
        out[net] = {
            "rank": int(ranks.best[i]) if ordered else None,
            "rank_worst": int(ranks.worst[i]) if ordered else None,
            "tie_size": int(ranks.tie[i]) if ordered else None,
            "field_size": int(ranks.field[i]),
        }
    return out


def _letter_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Institutions x letters A..E: how many of each grade (0 where none)."""
    counts = pd.crosstab(frame["institution"], frame["letter"])
    return counts.reindex(columns=list(GRADE_LETTERS), fill_value=0).astype(np.int64)


def _grade_counts(result: Result | None, entity: str) -> dict[str, dict[str, int]]:
    """A..E counts at the root and per dimension (children of the root), when graded."""
    if result is None or result.grade_counts is None:
        return {}
    i = result.position(entity)
    root = result.tree.roots[0]
    nodes = [root, *[n for n in result.tree.ids if result.tree.parent_of(n) == root]]
    return {
        node: {
            letter: int(result.grade_counts[i, result.tree.index(node), g])
            for g, letter in enumerate(GRADE_LETTERS)
        }
        for node in nodes
    }


def _grade_changes(
    before: Mapping[str, Mapping[str, int]], after: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, int]]:
    """Per node present in both editions: current minus previous count of each grade."""
    return {
        node: {letter: after[node][letter] - before[node][letter] for letter in after[node]}
        for node in after
        if node in before
    }


def _leaf_measure(result: Result) -> tuple[npt.NDArray[np.float64], str]:
    """What per-indicator progress compares: grades (A best), criterion points, normalised
    values, or raw values oriented so that higher is better."""
    types = {s.type for s in result.methodology.steps}
    if result.grades is not None:
        grades = result.grades.astype(float)
        return np.where(grades >= 0, -grades, np.nan), "grade"
    if "points" in types:
        return np.where(result.leaf_mask, result.leaf_values, np.nan), "points"
    if "normalise" in types:
        return np.where(result.leaf_mask, result.leaf_values, np.nan), "normalised"
    return result.raw * result.direction, "raw"


def _indicator_changes(
    before: Result, after: Result, entity_before: str, entity_after: str, comparable: bool
) -> pd.DataFrame:
    """Per leaf of the later edition: value before and after (on the measure the methodology
    scores), and up / down / same / new / not_comparable (scale change) / missing."""
    measure_a, kind_a = _leaf_measure(before)
    measure_b, kind = _leaf_measure(after)
    i, k = before.position(entity_before), after.position(entity_after)
    column_of = {leaf: j for j, leaf in enumerate(before.leaves)}
    rows: list[tuple[str, str, Any, Any, str]] = []
    for j, leaf in enumerate(after.leaves):
        now = float(measure_b[k, j])
        j0 = column_of.get(leaf)
        then = float(measure_a[i, j0]) if j0 is not None else math.nan
        if j0 is None:
            change = "new"
        elif not comparable or kind_a != kind:
            change = "not_comparable"
        elif math.isnan(now) or math.isnan(then):
            change = "missing"
        else:
            change = "up" if now > then else ("down" if now < then else "same")
        if kind == "grade":
            shown_now = GRADE_LETTERS[int(-now)] if not math.isnan(now) else None
            shown_then = GRADE_LETTERS[int(-then)] if not math.isnan(then) else None
            rows.append((leaf, kind, shown_then, shown_now, change))
        else:
            rows.append((leaf, kind, then, now, change))
    return pd.DataFrame(rows, columns=["indicator", "measure", "previous", "current", "change"])


def _build_history(series: EditionSeries, institution: str) -> History:
    dataset = series.dataset
    lineage = dataset.lineage_ids(institution)
    kinds = _lineage_kinds(dataset, institution, lineage)
    rows: dict[int, dict[str, Any]] = {}
    node_frames = []
    indicator_changes: dict[int, pd.DataFrame] = {}
    methodology_changes: dict[int, MethodologyChange] = {}
    participation = 0
    streak = 0
    previous: int | None = None
    for year in series.years:
        standings = series.standings(year)
        row = _empty_row(year)
        row["source"] = series.source_of(year)
        row["field_size"] = len(standings)
        row["field_known"] = series.field_known(year)
        row["countries"] = series.countries(year)
        row["submitters"] = series.submitters(year)
        entity, merged = _pick(standings, lineage)
        row["networks"] = {}
        row["grades"] = {}
        if entity is not None:
            facts = standings.loc[entity]
            for column in STANDING_COLUMNS:
                if column in row:
                    value = _native(facts[column])
                    row[column] = math.nan if value is None and column == "score" else value
            row["ranked"] = True
            row["entity"] = entity
            row["lineage_kind"] = kinds.get(entity)
            row["merged_from"] = merged if len(merged) > 1 else []
            if len(merged) > 1:
                row["lineage_kind"] = "merger"
            row["networks"] = _network_ranks(series, year, entity, standings)
            row["grades"] = series.grade_counts(year, entity)
            nodes = series.node_standings(year)
            mine = nodes[nodes["institution"] == entity].drop(columns=["institution"])
            node_frames.append(mine.assign(edition=year))
            # Coverage of the per-node tables (SDGs ranked out of those of the edition).
            row["nodes_ranked"] = len(mine)
            row["nodes_total"] = int(nodes["node"].nunique())
            participation += 1
            streak += 1
        else:
            streak = 0
        row.setdefault("nodes_ranked", 0)
        row.setdefault("nodes_total", 0)
        row["participation"] = participation
        row["streak"] = streak
        row["methodology_hash"] = None
        m = series.methodology(year) if row["source"] == "computed" else None
        if m is not None:
            row["methodology_hash"] = methodology_hash(m)
        row["methodology_changed"] = False
        row["scale_changed"] = False
        row["previous_edition"] = previous
        row["field_growth"] = None
        row["movement"] = None
        row["movement_flags"] = []
        row["score_change"] = None
        row["band_change"] = None
        row["group_change"] = None
        row["indicators_improved"] = []
        row["indicators_declined"] = []
        row["grade_changes"] = {}
        if previous is not None:
            change = series.methodology_change(previous, year)
            methodology_changes[year] = change
            row["methodology_changed"] = change.changed
            row["scale_changed"] = change.scale_changed
            row["field_growth"] = row["field_size"] - rows[previous]["field_size"]
        rows[year] = row
        if previous is not None:
            before = rows[previous]
            moved = _movement(institution, rows, methodology_changes, previous, year)
            row["movement"] = moved.places
            row["movement_flags"] = list(moved.flags)
            row["score_change"] = moved.score_change
            if row["ranked"] and before["ranked"]:
                if before["source"] == row["source"] and before["grades"] and row["grades"]:
                    # A counts of two computed or two imported editions (never one of each).
                    row["grade_changes"] = _grade_changes(before["grades"], row["grades"])
                if before["band"] != row["band"] and (before["band"] or row["band"]):
                    row["band_change"] = f"{_position(before)} -> {_position(row)}"
                if before["group"] != row["group"] and (before["group"] or row["group"]):
                    row["group_change"] = f"{before['group']} -> {row['group']}"
                ra, rb = series.result(previous), series.result(year)
                if (
                    row["source"] == "computed"
                    and before["source"] == "computed"
                    and ra is not None
                    and rb is not None
                ):
                    comparable = not row["scale_changed"]
                    changes = _indicator_changes(
                        ra, rb, before["entity"], row["entity"], comparable
                    )
                    indicator_changes[year] = changes
                    row["indicators_improved"] = changes.loc[
                        changes["change"] == "up", "indicator"
                    ].tolist()
                    row["indicators_declined"] = changes.loc[
                        changes["change"] == "down", "indicator"
                    ].tolist()
        previous = year
    names = series._institutions
    name = str(names.at[institution, "name"]) if institution in names.index else institution
    nodes = (
        pd.concat(node_frames, ignore_index=True)
        if node_frames
        else pd.DataFrame(columns=["node", "score", "rank", "edition"])
    )
    if len(nodes):
        nodes = nodes[["edition", *[c for c in nodes.columns if c != "edition"]]]
    return History(
        institution=institution,
        name=name,
        system=series.system,
        lineage=lineage,
        system_first_edition=series.first_edition(),
        rows=rows,
        nodes=nodes,
        indicator_changes=indicator_changes,
        methodology_changes=methodology_changes,
        series=series,
    )


def _native(value: Any) -> Any:
    """A plain Python value; missing labels (NaN, NA) become None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def history(
    dataset: Dataset,
    institution: str,
    system_or_method: MethodRef | Sequence[MethodRef],
    *,
    editions: Sequence[int] | None = None,
    source: Source = "auto",
    series: EditionSeries | None = None,
) -> History:
    """The history of ``institution`` (an id, or an exact case/accent-insensitive name or
    alias) in a system across its editions. ``system_or_method``: a preset id (each edition
    uses its range's file), a methodology file, a folder of them, or a list; ``series`` reuses
    an :class:`EditionSeries` (and its cached Results) for several institutions."""
    if series is None:
        series = EditionSeries(dataset, system_or_method, editions=editions, source=source)
    return series.history(institution)


def trajectories(series: EditionSeries, *, follow_lineage: bool = True) -> pd.DataFrame:
    """Every institution's ranks by edition at once, with movements against the previous
    edition (rank intervals; ``movement`` only between two exact ranks), long format.

    ``follow_lineage``: a successor's editions before it existed take its best-ranked
    predecessor's place (as in :func:`history`); ``via`` names that predecessor."""
    ids, lo, hi = series.rank_matrix()
    via = np.full(lo.shape, None, dtype=object)
    if follow_lineage and len(ids):
        position = {i: k for k, i in enumerate(ids)}
        lineage = series.dataset.lineage
        for successor in sorted(set(lineage["successor"].tolist()) & set(ids)):
            preds = [p for p in series.dataset.lineage_ids(successor)[1:] if p in position]
            if not preds:
                continue
            rows = np.array([position[p] for p in preds])
            # Per edition, the predecessor ranked best (unranked ones sort last).
            starts = np.where(lo[rows] > 0, lo[rows], np.iinfo(np.int64).max)
            best = rows[np.argmin(starts, axis=0)]
            cols = np.arange(lo.shape[1])
            fill = (lo[position[successor]] == 0) & (lo[best, cols] > 0)
            k = position[successor]
            lo[k, fill] = lo[best, cols][fill]
            hi[k, fill] = hi[best, cols][fill]
            via[k, fill] = np.asarray(ids, dtype=object)[best][fill]
    years = np.asarray(series.years, dtype=np.int64)
    exact = (lo > 0) & (lo == hi)
    prev_lo = np.zeros_like(lo)
    prev_lo[:, 1:] = lo[:, :-1]
    prev_exact = np.zeros_like(exact)
    prev_exact[:, 1:] = exact[:, :-1]
    movement = np.where(exact & prev_exact, prev_lo - lo, 0)
    ranked = lo > 0
    participation = np.cumsum(ranked, axis=1)
    # Streak: ranked editions since the last absence (a cumulative count reset at each gap).
    gaps = np.where(~ranked, participation, 0)
    streak: IntArray = participation - np.maximum.accumulate(gaps, axis=1)
    n, t = lo.shape
    return pd.DataFrame(
        {
            "institution": np.repeat(np.asarray(ids, dtype=object), t),
            "edition": np.tile(years, n),
            "rank_lo": lo.ravel(),
            "rank_hi": hi.ravel(),
            "ranked": ranked.ravel(),
            "via": via.ravel(),
            "movement": np.where((exact & prev_exact).ravel(), movement.ravel(), np.nan),
            "participation": participation.ravel(),
            "streak": streak.ravel(),
        }
    )
