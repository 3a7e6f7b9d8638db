"""What the pages read: one bundle's systems, tables, profiles and charts, through library calls.

The web layer computes nothing of its own: rankings come from :class:`EditionSeries`, personalised
tables from :func:`palmares.personalise.personalise`, facts and checks from
:mod:`palmares.highlights`, charts from :mod:`palmares.charts`. This module picks, filters and
caches what a page shows, in the published view (contracts section 12): a rank inside a printed
band is never shown, and U-Multirank has no overall rank, only A counts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from palmares.dataset import Dataset
from palmares.history import EditionSeries
from palmares.i18n import gettext
from palmares.names import fold_name, unknown_institution
from palmares.published_view import score_range_text
from palmares.translatable import joined, reason, tr

#: A ranking page shows this many rows unless asked (contracts section 11: at least 50).
PER_PAGE = 50
#: Filters a ranking page takes, by their API query names.
FILTERS = ("country", "region", "network", "where", "q")


@dataclass(frozen=True)
class Row:
    """One line of a table as a person reads it (published view)."""

    institution: str
    name: str
    country: str | None
    rank: int | None  # None inside a band, for U-Multirank, or unranked
    rank_display: str
    band: str | None
    score: float | None
    group: str | None
    a_count: int | None = None
    # A banded row's score as the publisher prints it (THE: the band's range), else None.
    score_lo: float | None = None
    score_hi: float | None = None
    score_range: str | None = None


@dataclass
class Table:
    """A page of rows with what the page says about them."""

    system: str
    edition: int
    field_size: int
    total: int
    page: int
    per_page: int
    rows: list[Row]
    by_grades: bool
    reranked_on: str | None = None
    moved: int | None = None  # personalised: institutions whose position differs


@dataclass
class Criterion:
    """A node the builder offers, with the publisher's own weight."""

    id: str
    label: str
    weight: float
    selected: bool = True
    children: list[Criterion] = field(default_factory=list)


class WebError(LookupError):
    """An unknown system, edition, institution or filter (a 404 or 400 page)."""

    def __init__(self, message: Any, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text if text and text != "<NA>" and text != "nan" else None


class WebData:
    """One dataset's pages data, with the slow parts (results, charts) cached per key."""

    def __init__(
        self, dataset: Dataset, *, series: Callable[[str], EditionSeries] | None = None
    ) -> None:
        self.dataset = dataset
        self._series_of = series
        self._series: dict[str, EditionSeries] = {}
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.RLock()

    # -- systems and editions ------------------------------------------------------------------

    @cached_property
    def systems(self) -> list[dict[str, Any]]:
        """``[{id, label_en, label_fr, editions}]`` for every system of the bundle with a preset."""
        from palmares.systems import preset_ids

        editions = self.dataset.editions
        presets = set(preset_ids())
        out = []
        for system in sorted(editions["system"].dropna().unique()):
            if system not in presets:
                continue
            rows = editions[editions["system"] == system].sort_values("year")
            indicators = self.dataset.indicators.set_index("id")
            label = indicators.loc[system] if system in indicators.index else None
            out.append(
                {
                    "id": str(system),
                    "label_en": _text(label["label_en"]) if label is not None else str(system),
                    "label_fr": _text(label["label_fr"]) if label is not None else str(system),
                    "editions": [int(y) for y in rows["year"]],
                }
            )
        return out

    def system(self, system: str) -> dict[str, Any]:
        for s in self.systems:
            if s["id"] == system:
                return s
        known = ", ".join(s["id"] for s in self.systems)
        raise WebError(tr("no system {system!r}; systems: {known}", system=system, known=known))

    def series(self, system: str) -> EditionSeries:
        self.system(system)
        with self._lock:
            if system not in self._series:
                make = self._series_of or (lambda s: EditionSeries(self.dataset, s))
                self._series[system] = make(system)
            return self._series[system]

    def check_edition(self, system: str, year: int) -> EditionSeries:
        series = self.series(system)
        if year not in series.years:
            years = ", ".join(map(str, series.years))
            raise WebError(
                tr(
                    "{system} has no edition {year}; editions: {years}",
                    system=system,
                    year=year,
                    years=years,
                )
            )
        return series

    def by_grades(self, system: str, year: int) -> bool:
        m = self.series(system).methodology(year)
        return m is not None and m.ranking.by == "grade_counts"

    def labels(self, lang: str) -> dict[str, str]:
        from palmares.charts.text import node_labels

        key = ("labels", lang)
        if key not in self._cache:
            self._cache[key] = node_labels(self.dataset.indicators, lang)
        labels: dict[str, str] = self._cache[key]
        return labels

    # -- search --------------------------------------------------------------------------------

    @cached_property
    def _search_index(self) -> tuple[list[str], list[str]]:
        inst = self.dataset.institutions
        pairs: dict[tuple[str, str], None] = {}  # (folded name, id), each once
        for column in ("id", "name", "name_en", "name_fr"):
            values = inst[column].fillna("").astype(str).tolist()
            for ident, value in zip(inst["id"].tolist(), values, strict=True):
                if value:
                    pairs[(fold_name(value), str(ident))] = None
        aliases = self.dataset.aliases
        for ident, value in zip(aliases["institution"], aliases["name"], strict=True):
            if _text(value):
                pairs[(fold_name(str(value)), str(ident))] = None
        return [k for k, _ in pairs], [i for _, i in pairs]

    @cached_property
    def _identity(self) -> dict[str, tuple[str, str | None]]:
        inst = self.dataset.institutions
        return {
            str(i): (str(n), _text(c))
            for i, n, c in zip(inst["id"], inst["name"], inst["country"], strict=True)
        }

    @cached_property
    def _institutions(self) -> pd.DataFrame:
        return self.dataset.institutions.set_index("id")

    def search(self, query: str, *, limit: int = 10, country: str | None = None) -> list[dict]:
        """Institutions by id, name or alias, accent-insensitive and typo-tolerant, best first."""
        from rapidfuzz import fuzz, process

        wanted = fold_name(query)
        if not wanted:
            return []
        keys, ids = self._search_index
        found = process.extract(wanted, keys, scorer=fuzz.WRatio, limit=limit * 8, score_cutoff=60)
        identity = self._identity
        best: dict[str, tuple[float, str]] = {}
        for key, score, position in found:
            ident = ids[position]
            # Exact and prefix matches first, then the fuzzy score.
            bonus = 20.0 if key == wanted else 10.0 if key.startswith(wanted) else 0.0
            total = float(score) + bonus
            if ident not in best or total > best[ident][0]:
                best[ident] = (total, key)
        out = []
        for ident, (score, key) in sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0])):
            name, code = identity[ident]
            if country and code != country.upper():
                continue
            out.append(
                {
                    "id": ident,
                    "name": name,
                    "country": code,
                    "matched": key,
                    "score": round(min(score, 100.0), 1),
                }
            )
        return out[:limit]

    def institution(self, ident: str) -> dict[str, Any]:
        inst = self._institutions
        if ident not in inst.index:
            closest = self.dataset.closest_institutions(ident)
            raise WebError(unknown_institution(ident, closest))
        row = inst.loc[ident]
        members = self.dataset.networks
        nets = members[members["institution"] == ident]
        return {
            "id": ident,
            "name": str(row["name"]),
            "country": _text(row["country"]),
            "region": _text(row.get("region")),
            "city": _text(row.get("city")),
            "type": _text(row.get("type")),
            "status": _text(row.get("status")),
            "networks": sorted({str(n) for n in nets["network_name"].dropna()}),
            "aliases": sorted(
                str(a)
                for a in self.dataset.aliases.loc[
                    self.dataset.aliases["institution"] == ident, "name"
                ]
            ),
        }

    # -- tables --------------------------------------------------------------------------------

    def filter_values(self, system: str, year: int) -> dict[str, list[str]]:
        """The values each filter can take in this edition (countries, regions, networks, ...)."""
        key = ("filters", system, year)
        if key not in self._cache:
            standings = self.series(system).standings(year)
            inst = self._institutions.reindex(standings.index)
            members = self.dataset.networks
            nets = members[members["institution"].isin(standings.index)]
            self._cache[key] = {
                "country": sorted(inst["country"].dropna().astype(str).unique()),
                "region": sorted(inst["region"].dropna().astype(str).unique()),
                "network": sorted(nets["network"].dropna().astype(str).unique()),
                "type": sorted(inst["type"].dropna().astype(str).unique()),
                "status": sorted(inst["status"].dropna().astype(str).unique()),
                "intake": sorted(inst["intake"].dropna().astype(str).unique()),
            }
        values: dict[str, list[str]] = self._cache[key]
        return values

    def _mask(self, ids: pd.Index, filters: dict[str, str]) -> np.ndarray:
        keep = np.ones(len(ids), dtype=bool)
        problems = []
        active = {k: v for k, v in filters.items() if v}
        inst = self._institutions.reindex(ids) if active else None
        for name, value in active.items():
            assert inst is not None
            if name == "country":
                keep &= (inst["country"].astype(str) == value.upper()).to_numpy()
            elif name == "region":
                keep &= (inst["region"].astype(str) == value).to_numpy()
            elif name == "network":
                members = self.dataset.networks
                ok = set(members.loc[members["network"] == value, "institution"])
                keep &= ids.isin(ok)
            elif name == "q":
                folded = inst["name"].fillna("").astype(str).map(fold_name)
                keep &= folded.str.contains(fold_name(value), regex=False).to_numpy()
            elif name == "where":
                attribute, _, wanted = value.partition(":")
                if attribute not in inst.columns or attribute in ("name", "id"):
                    said = tr(
                        "where={value}: no attribute {attribute!r}",
                        value=value,
                        attribute=attribute,
                    )
                    problems.append(said)
                    continue
                keep &= (inst[attribute].astype(str) == wanted).to_numpy()
            else:
                problems.append(
                    tr(
                        "{name}={value}: unknown filter; filters: {filters}",
                        name=name,
                        value=value,
                        filters=", ".join(FILTERS),
                    )
                )
        if problems:
            raise WebError(joined("; ", problems), status=400)
        return keep

    def _rows(self, frame: pd.DataFrame, lang: str, by_grades: bool) -> list[Row]:
        names = frame["name"].tolist()
        countries = frame["country"].tolist()
        ranks = frame["rank"].to_numpy(dtype=np.int64)
        bands = frame["band"].tolist()
        shown = frame[f"rank_display_{lang}"].tolist()
        scores = frame["score"].to_numpy(dtype=float)
        lows = frame["score_lo"].to_numpy(dtype=float)
        highs = frame["score_hi"].to_numpy(dtype=float)
        groups = frame["group"].tolist()
        rows = []
        for i, ident in enumerate(frame.index):
            band = _text(bands[i])
            score = None if np.isnan(scores[i]) else float(scores[i])
            ranged = not by_grades and bool(np.isfinite(lows[i]) and np.isfinite(highs[i]))
            if by_grades:
                rank, display = None, ""
            elif band:
                rank, display = None, band  # published view: the band only
            else:
                rank = int(ranks[i]) if ranks[i] > 0 else None
                display = str(shown[i]) if rank else ""
            rows.append(
                Row(
                    institution=str(ident),
                    name=str(names[i]),
                    country=_text(countries[i]),
                    rank=rank,
                    rank_display=display,
                    band=band,
                    score=None if by_grades else score,
                    group=_text(groups[i]),
                    a_count=int(score) if by_grades and score is not None else None,
                    score_lo=float(lows[i]) if ranged else None,
                    score_hi=float(highs[i]) if ranged else None,
                    score_range=score_range_text(lows[i], highs[i], lang) if ranged else None,
                )
            )
        return rows

    def ranking(
        self,
        system: str,
        year: int,
        *,
        lang: str = "en",
        filters: dict[str, str] | None = None,
        sort: str = "rank",
        page: int = 1,
        per_page: int = PER_PAGE,
    ) -> Table:
        """A page of the published table, filtered and sorted (rank, name, country, score)."""
        series = self.check_edition(system, year)
        by_grades = self.by_grades(system, year)
        standings = series.standings(year)
        keep = self._mask(standings.index, filters or {})
        frame = standings[keep]
        frame = self._sorted(frame, sort, by_grades)
        total = len(frame)
        page = max(page, 1)
        chunk = frame.iloc[(page - 1) * per_page : page * per_page]
        return Table(
            system=system,
            edition=year,
            field_size=len(standings),
            total=total,
            page=page,
            per_page=per_page,
            rows=self._rows(chunk, lang, by_grades),
            by_grades=by_grades,
        )

    @staticmethod
    def _sorted(frame: pd.DataFrame, sort: str, by_grades: bool) -> pd.DataFrame:
        descending = sort.startswith("-")
        column = sort.lstrip("-") or "rank"
        if column not in ("rank", "name", "country", "score"):
            said = tr("sort={sort}: expected rank, name, country or score", sort=sort)
            raise WebError(said, status=400)
        if column == "rank":
            # Bands sort by their lower end; U-Multirank by A count (most first).
            key = -frame["score"] if by_grades else frame["rank_lo"]
            order = np.lexsort((frame["name"].to_numpy(dtype=str), key.to_numpy()))
        elif column == "score":
            order = np.lexsort(
                (frame["name"].to_numpy(dtype=str), -frame["score"].fillna(-np.inf).to_numpy())
            )
        else:
            order = np.lexsort(
                (frame["name"].to_numpy(dtype=str), frame[column].fillna("").to_numpy(dtype=str))
            )
        if descending:
            order = order[::-1]
        return frame.iloc[order]

    def export_frame(
        self, system: str, year: int, lang: str, filters: dict[str, str]
    ) -> pd.DataFrame:
        """Every filtered row (not one page) for CSV and XLSX downloads: ids and raw values."""
        table = self.ranking(system, year, lang=lang, filters=filters, per_page=10**9)
        return pd.DataFrame(
            {
                "institution": [r.institution for r in table.rows],
                "name": [r.name for r in table.rows],
                "country": [r.country for r in table.rows],
                "rank": pd.array([r.rank for r in table.rows], dtype="Int64"),
                "rank_display": [r.rank_display or None for r in table.rows],
                "band": [r.band for r in table.rows],
                "score": [r.score for r in table.rows],
                "score_lo": [r.score_lo for r in table.rows],
                "score_hi": [r.score_hi for r in table.rows],
                "a_count": pd.array([r.a_count for r in table.rows], dtype="Int64"),
                "group": [r.group for r in table.rows],
            }
        )

    # -- personalised --------------------------------------------------------------------------

    def criteria(self, system: str, year: int, lang: str) -> list[Criterion]:
        """The first-level nodes of the edition's tree with the publisher's weights."""
        series = self.check_edition(system, year)
        result = series.result(year)
        if result is None:
            raise WebError(
                tr(
                    "{system} {year} is read from a published table: nothing to re-weight",
                    system=system,
                    year=year,
                )
            )
        m = result.methodology
        labels = self.labels(lang)
        root = result.tree.roots[0]
        out = []
        for node in result.tree.children(root):
            kids = [
                Criterion(c, labels.get(c, c), m.weight(c))
                for c in result.tree.children(node)
                if result.tree.is_leaf[result.tree.index(c)]
            ]
            out.append(Criterion(node, labels.get(node, node), m.weight(node), True, kids))
        return out

    def personalise(
        self,
        system: str,
        year: int,
        *,
        lang: str,
        criteria: list[str],
        weights: dict[str, float],
        filters: dict[str, str],
        per_page: int = PER_PAGE,
        page: int = 1,
    ) -> Table:
        """The table re-ranked on ``criteria`` and ``weights`` among the filtered peers."""
        from palmares.personalise import PersonalisationError, personalise

        series = self.check_edition(system, year)
        result = series.result(year)
        if result is None:
            said = tr("{system} {year}: no computed result to re-rank", system=system, year=year)
            raise WebError(said, status=400)
        where = {}
        if filters.get("country"):
            where["country"] = filters["country"].upper()
        if filters.get("where"):
            attribute, _, wanted = filters["where"].partition(":")
            where[attribute] = wanted
        try:
            mine = personalise(
                result,
                criteria=criteria or None,
                weights=weights,
                where=where,
                network=filters.get("network") or None,
            )
        except PersonalisationError as error:
            raise WebError(reason(error), status=400) from None
        by_grades = self.by_grades(system, year)
        table = mine.ranking
        ranked = np.flatnonzero(table.rank > 0)
        order = ranked[np.lexsort((np.asarray(mine.institutions)[ranked], table.rank[ranked]))]
        # The official order among the same peers, to say how the new order differs.
        official = series.standings(year)["rank_lo"]
        ids = np.asarray(mine.institutions, dtype=object)[order]
        before = official.reindex(ids).to_numpy(dtype=float)
        before_order = np.argsort(np.argsort(before, kind="stable"), kind="stable")
        moved = int(np.count_nonzero(before_order != np.arange(len(ids))))
        from palmares import ranking as rk

        genders = mine.attributes.get("gender")
        shown = rk.display_ranks(
            table.rank[order],
            table.tie_size[order],
            table.ties,
            lang,
            None if genders is None else np.asarray(genders)[order],
        )
        counts = None
        if by_grades and mine.grade_counts is not None:
            root = mine.tree.index(mine.tree.roots[0])
            counts = mine.grade_counts[order, root, 0]
        start = (max(page, 1) - 1) * per_page
        rows = []
        for k in range(start, min(start + per_page, len(order))):
            i = order[k]
            rows.append(
                Row(
                    institution=str(mine.institutions[i]),
                    name=str(mine.names[i]),
                    country=_text(mine.attributes["country"][i])
                    if "country" in mine.attributes
                    else None,
                    rank=int(table.rank[i]),
                    rank_display=str(shown[k]),
                    band=None,
                    score=None if np.isnan(mine.score[i]) else float(mine.score[i]),
                    group=None,
                    a_count=None if counts is None else int(counts[k]),
                )
            )
        return Table(
            system=system,
            edition=year,
            field_size=len(order),
            total=len(order),
            page=max(page, 1),
            per_page=per_page,
            rows=rows,
            by_grades=by_grades,
            reranked_on=self.describe(mine.personalisation, lang, system),
            # U-Multirank prints no overall table to differ from (published view).
            moved=None if by_grades else moved,
        )

    def describe(self, how: Any, lang: str, system: str) -> str:
        """What a personalised table was re-ranked on, in words of ``lang``."""
        from palmares.systems.readymade import readymade_label, readymade_sets

        labels = dict(self.labels(lang))
        labels.update({n: readymade_label(system, n) for n in readymade_sets(system)})
        parts = []
        if how.criteria:
            names = ", ".join(labels.get(c, c) for c in how.criteria)
            parts.append(gettext(lang, "criteria: {names}", names=names))
        if how.weights:
            weights = ", ".join(
                f"{labels.get(k, k)} {_number(v, lang)}" for k, v in how.weights.items()
            )
            parts.append(gettext(lang, "weights: {weights}", weights=weights))
        if how.where:
            shown = ", ".join(f"{k} = {v}" for k, v in how.where.items())
            parts.append(gettext(lang, "among: {filters}", filters=shown))
        if how.network:
            parts.append(gettext(lang, "network: {network}", network=how.network))
        if not parts:
            return gettext(lang, "Re-ranked on the publisher's own criteria and weights.")
        separator = "\u00a0; " if lang == "fr" else "; "  # French: a space before ';'
        return gettext(lang, "Re-ranked on {what}.", what=separator.join(parts))

    # -- profile -------------------------------------------------------------------------------

    def presence(self, ident: str, lang: str) -> list[dict[str, Any]]:
        """Every system and edition the institution appears in, with its standing as published."""
        key = ("presence", ident, lang)
        if key in self._cache:
            found: list[dict[str, Any]] = self._cache[key]
            return found
        out = []
        for s in self.systems:
            series = self.series(s["id"])
            editions = []
            for year in series.years:
                standings = series.standings(year)
                if ident not in standings.index:
                    continue
                rows = self._rows(standings.loc[[ident]], lang, self.by_grades(s["id"], year))
                editions.append({"year": year, "row": rows[0], "field_size": len(standings)})
            if editions:
                out.append({"system": s, "editions": editions})
        self._cache[key] = out
        return out

    def highlights(self, ident: str, system: str, year: int, lang: str) -> list[str]:
        from palmares.highlights import facts, render_all

        key = ("highlights", ident, system, year, lang)
        if key not in self._cache:
            series = self.check_edition(system, year)
            if ident not in series.standings(year).index:
                self._cache[key] = []
            else:
                found = facts(series, ident, year, data_hash=self.data_hash)
                self._cache[key] = render_all(found, self.dataset, lang, html=True)[:8]
        texts: list[str] = self._cache[key]
        return texts

    @cached_property
    def data_hash(self) -> str:
        from palmares.io import data_hash

        return str(self.dataset.memo("data_hash", lambda: data_hash(self.dataset)))

    def check(self, ident: str, system: str, year: int, claim: str, lang: str = "en") -> Any:
        """The verdict on a claim in KIND=VALUE form (see :mod:`palmares.web.claims`), its proof
        in ``lang``."""
        from palmares.highlights import check

        series = self.check_edition(system, year)
        try:
            return check(series, ident, year, claim, data_hash=self.data_hash, lang=lang)
        except ValueError as error:
            raise WebError(reason(error), status=400) from None

    def communique(self, ident: str, year: int, lang: str) -> str:
        from palmares.highlights.communique import communique

        draft = communique(self.dataset, ident, year, lang=lang, data_hash=self.data_hash)
        return str(draft.markdown) if hasattr(draft, "markdown") else str(draft)

    # -- methodology ---------------------------------------------------------------------------

    def methodology(self, system: str, year: int, diff: int | None, lang: str) -> dict[str, Any]:
        """The method of an edition (steps, weights, from the methodology files) and what
        changed from edition ``diff``."""
        from markdown_it import MarkdownIt

        from palmares.methodology import diff_methodologies
        from palmares.systems.pages import render_page

        key = ("methodology", system, year, diff, lang)
        if key in self._cache:
            page: dict[str, Any] = self._cache[key]
            return page
        series = self.check_edition(system, year)
        m = series.methodology(year)
        weights: list[Criterion] = []
        if series.result(year) is not None:
            weights = self.criteria(system, year, lang)
        changes: list[str] | None = None
        if diff is not None:
            self.check_edition(system, diff)
            before = series.methodology(diff)
            if m is not None and before is not None:
                changes = _diff_lines(
                    diff_methodologies(before, m), self.labels(lang), years={diff, year}
                )
        document = render_page(system).split("\n")
        # Drop the generator's HTML comment: the page is data, not markup.
        document = [line for line in document if not line.startswith("<!--")]
        html = MarkdownIt("commonmark", {"html": False}).enable("table").render("\n".join(document))
        for level in (3, 2, 1):  # under the page's own title
            html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(
                f"</h{level}>", f"</h{level + 1}>"
            )
        page = {
            "steps_html": html,
            "weights": weights,
            "changes": changes,
            "label": None if m is None else getattr(m.methodology, f"label_{lang}"),
            "editions": list(series.years),
        }
        self._cache[key] = page
        return page

    # -- charts --------------------------------------------------------------------------------

    def chart(self, kind: str, ids: list[str], system: str, year: int | None, lang: str) -> Any:
        """The Altair chart the library builds (cached), or None when it has nothing to show."""
        key = ("chart", kind, tuple(ids), system, year, lang)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        series = self.series(system)
        chart: Any = None
        try:
            if kind == "trajectory":
                from palmares.charts.trajectory import trajectory_chart

                chart = trajectory_chart(series, ids, lang=lang)
            else:
                result = series.result(year or max(series.years))
                if result is not None:
                    labels = self.labels(lang)
                    if kind == "sdg":
                        from palmares.charts.sdg import sdg_chart

                        chart = sdg_chart(result, ids[0], labels, lang=lang)
                    elif kind == "grades":
                        from palmares.charts.grades import grades_chart

                        chart = grades_chart(result, ids[0], labels, lang=lang)
                    elif kind == "compare":
                        from palmares.charts.compare import compare_chart

                        chart = compare_chart(result, ids, labels, lang=lang)
        except (ValueError, KeyError, LookupError):
            chart = None
        with self._lock:
            self._cache[key] = chart
        return chart

    def chart_spec(self, *args: Any) -> dict[str, Any] | None:
        key = ("spec", *_hashable(args))
        if key not in self._cache:
            chart = self.chart(*args)
            self._cache[key] = None if chart is None else chart.to_dict(validate=False)
        spec: dict[str, Any] | None = self._cache[key]
        return spec

    def chart_file(self, fmt: str, *args: Any) -> bytes | None:
        from palmares.charts.render import render

        key = ("file", fmt, *_hashable(args))
        if key not in self._cache:
            chart = self.chart(*args)
            self._cache[key] = None if chart is None else render(chart, fmt)
        data: bytes | None = self._cache[key]
        return data


def _short(value: Any, limit: int = 140) -> str:
    text = " ".join(str("-" if value is None else value).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _diff_lines(diff: Any, labels: dict[str, str], years: set[int] | None = None) -> list[str]:
    """One line per change between two methodologies (long texts cut, nodes by their label).
    With ``years``, a setting keyed by another edition (``ranking.groups.2018.A``: the file
    covers several editions) is left out: it changes neither of the two compared."""
    if diff.identical:
        return []

    def other_edition(key: str) -> bool:
        parts = [int(p) for p in key.split(".") if p.isdigit() and len(p) == 4]
        return years is not None and any(p not in years for p in parts)

    def change(c: Any) -> str:
        where = f"{c.key} [{labels.get(c.node, c.node)}]" if c.node else c.key
        return f"{where}: {_short(c.old)} \u2192 {_short(c.new)}"

    lines = [change(c) for c in diff.header]
    lines += [f"+ {labels.get(n.id, n.id)}" for n in diff.nodes_added]
    lines += [f"\u2212 {labels.get(n.id, n.id)}" for n in diff.nodes_removed]
    for part in (
        diff.directions,
        diff.weights,
        diff.scales,
        diff.thresholds,
        diff.steps,
        diff.ranking,
        diff.subsets,
    ):
        lines += [change(c) for c in part if not other_edition(str(c.key))]
    return lines


def _hashable(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(tuple(a) if isinstance(a, list) else a for a in args)


def _number(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "fr" else text
