"""The ServiceContext: everything a face served over HTTP needs, in one object.

The API routes and the web pages (``palmares.web``) both call it: data access (a bundle now,
the store later: :mod:`palmares.api.source`), caches of computed Results, the language and
view rules, and thin calls into the library (ranking tables, personalise, profile and history,
highlights, check, charts, search, methodology). It never computes a ranking itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares.api.errors import MAX_CANDIDATES, ApiError, bad_request, not_found
from palmares.api.source import BundleSource, DataSource, Snapshot
from palmares.dataset import Dataset
from palmares.jsonsafe import json_safe
from palmares.names import fold_name
from palmares.translatable import reason, tr, tr_n

Lang = Literal["fr", "en"]
View = Literal["published", "producer"]
LANGS: tuple[str, ...] = ("fr", "en")
VIEWS: tuple[str, ...] = ("published", "producer")
MAX_PER_PAGE = 500
_EMPTY = pd.DataFrame()


def check_lang(lang: str | None) -> Lang:
    if lang is None or lang == "":
        return "en"
    if lang not in LANGS:
        raise bad_request("lang", tr("{lang!r}: expected fr or en", lang=lang), lang)
    return lang  # type: ignore[return-value]


def not_a_year(edition: Any) -> Any:
    return tr("{edition!r} is not a year", edition=edition)


def check_view(view: str | None) -> View:
    if view is None or view == "":
        return "published"
    if view not in VIEWS:
        raise bad_request("view", tr("{view!r}: expected published or producer", view=view), view)
    return view  # type: ignore[return-value]


@dataclass(frozen=True)
class Filters:
    """Peer filters of a ranking table or a personalised ranking."""

    country: str | None = None
    region: str | None = None
    network: str | None = None
    where: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.country or self.region or self.network or self.where)


def _none(value: Any) -> Any:
    """JSON-safe scalar: NaN and pandas NA become None, numpy scalars become Python ones."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


#: How long a profile trusts its last look at the store's kept uncertainty runs.
KEPT_UNCERTAINTY_SECONDS = 60.0


class ServiceContext:
    """Data access, caches and library calls shared by the API and the web pages."""

    def __init__(self, source: DataSource, *, token: str | None = None) -> None:
        self.source = source
        self.token = token
        self._lock = threading.RLock()
        self.jobs: Any = None  # set by create_app (palmares.api.jobs.JobQueue)
        #: (system, edition, methodology hash) -> (when looked up, the kept run's document)
        self._kept_intervals: dict[tuple[str, int, str], tuple[float, Any]] = {}

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_bundle(cls, path: str, *, token: str | None = None) -> ServiceContext:
        return cls(BundleSource(path), token=token)

    @classmethod
    def from_dataset(cls, dataset: Dataset, *, token: str | None = None) -> ServiceContext:
        return cls(BundleSource.from_dataset(dataset), token=token)

    @classmethod
    def from_url(cls, url: str, *, token: str | None = None) -> ServiceContext:
        """A store URL (``--db``) when the store is available, else a bundle path."""
        from palmares.api.source import open_source

        return cls(open_source(url), token=token)

    # -- data ------------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        return self.source.snapshot()

    @property
    def dataset(self) -> Dataset:
        return self.snapshot.dataset

    @property
    def data_hash(self) -> str:
        return self.snapshot.data_hash

    def _memo(self, snap: Snapshot, key: Any, compute: Any) -> Any:
        cached = snap.cache.get(key)
        if cached is None:
            with snap.lock:
                cached = snap.cache.get(key)
                if cached is None:
                    cached = compute()
                    snap.cache[key] = cached
        return cached

    # -- systems and editions --------------------------------------------------------------

    def systems(self) -> list[dict[str, Any]]:
        """``[{id, label_en, label_fr, editions}]`` for every system with data."""
        snap = self.snapshot
        return list(self._memo(snap, ("systems",), lambda: self._systems(snap.dataset)))

    @staticmethod
    def _systems(ds: Dataset) -> list[dict[str, Any]]:
        from palmares.systems.pages import describe_presets

        labels = {p["id"]: (p["label_en"], p["label_fr"]) for p in describe_presets()}
        published = ds.published
        out = []
        for system in ds.systems:
            years = set(ds.edition_years(system))
            years |= {int(y) for y in published.loc[published["system"] == system, "year"]}
            en, fr = labels.get(system, (system, system))
            out.append({"id": system, "label_en": en, "label_fr": fr, "editions": sorted(years)})
        return out

    def system_ids(self) -> list[str]:
        return [s["id"] for s in self.systems()]

    def check_system(self, system: str | None, parameter: str = "system") -> str:
        known = self.system_ids()
        if not system:
            raise bad_request(parameter, tr("give a system id: {ids}", ids=", ".join(known)))
        if system not in known:
            raise not_found(tr("unknown system"), system, closest(system, known))
        return system

    def editions(self, system: str) -> list[int]:
        for s in self.systems():
            if s["id"] == system:
                return list(s["editions"])
        return []

    def check_edition(
        self, system: str, edition: int | str | None, parameter: str = "edition"
    ) -> int:
        years = self.editions(system)
        if edition is None or edition == "":
            if not years:
                raise not_found(tr("unknown edition of"), system, [])
            return years[-1]
        try:
            year = int(edition)
        except (TypeError, ValueError):
            raise bad_request(parameter, not_a_year(edition), edition) from None
        if year not in years:
            near = sorted(years, key=lambda y: abs(y - year))[:5]
            unknown = tr("unknown {system} edition", system=system)
            raise not_found(unknown, str(year), [str(y) for y in near])
        return year

    # -- computed results ------------------------------------------------------------------

    def series(self, system: str) -> Any:
        """The :class:`~palmares.history.EditionSeries` of a system (Results computed once)."""
        from palmares.history import EditionSeries

        snap = self.snapshot
        series = snap.series.get(system)
        if series is None:
            with snap.lock:
                series = snap.series.get(system)
                if series is None:
                    try:
                        series = EditionSeries(snap.dataset, system)
                    except (ValueError, LookupError) as error:
                        raise ApiError(404, reason(error)) from None
                    snap.series[system] = series
        return series

    def result(self, system: str, edition: int) -> Any:
        """The computed Result of one edition (run once per data and methodology)."""
        snap = self.snapshot
        key = ("result", system, edition)
        result = snap.cache.get(key)
        if result is not None:  # no lock on the hot path: a kept Result is immutable
            return result
        series = self.series(system)
        with snap.lock:
            result = series.result(edition)
        if result is None:
            raise ApiError(
                404,
                tr(
                    "{system} {edition}: no computed table (no methodology or data)",
                    system=system,
                    edition=edition,
                ),
            )
        snap.cache[key] = result
        return result

    def warm(self) -> None:
        """Compute the latest edition of every system (a server calls it on a thread at start,
        so no request pays for the first run)."""
        for system in self.system_ids():
            years = self.editions(system)
            try:
                if years:
                    self.ranked_rows(system, years[-1], "en", "published")
            except ApiError:  # an edition that cannot be computed (published only)
                continue

    def ready(self, *key: Any) -> bool:
        """Whether an answer (``("result", system, year)``, ``("ranked-rows", ...)``, ...) is
        already computed: the routes answer those on the event loop, the rest on threads."""
        return key in self.snapshot.cache

    # -- institutions ----------------------------------------------------------------------

    def resolve(self, institution: str) -> str:
        """An institution id (exact id, name or alias), else 404 with the closest candidates."""
        ds = self.dataset
        try:
            return ds.resolve(institution)
        except LookupError as error:
            # The one did-you-mean (palmares.names.closest_names): none when nothing is close.
            near = [i for i, _ in ds.closest_institutions(institution, limit=MAX_CANDIDATES)]
            raise ApiError(404, reason(error), candidates=near) from None

    def resolve_many(self, text: str | None, parameter: str = "institutions") -> list[str]:
        items = [t.strip() for t in (text or "").split(",") if t.strip()]
        if not items:
            raise bad_request(parameter, tr("give institution ids separated by commas"))
        return [self.resolve(i) for i in items]

    def search(
        self, text: str, *, country: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Institutions by id, name or alias, typo-tolerant, best first (contracts section 9)."""
        from palmares.api.search import search_index

        snap = self.snapshot
        index = self._memo(snap, ("search-index",), lambda: search_index(snap.dataset))
        return list(index.search(text, country=country, limit=limit))

    def institution(self, institution: str) -> dict[str, Any]:
        """Identity, aliases, lineage, networks, systems and editions present."""
        ident = self.resolve(institution)
        snap = self.snapshot
        return dict(self._memo(snap, ("institution", ident), lambda: self._identity(snap, ident)))

    def _identity(self, snap: Snapshot, ident: str) -> dict[str, Any]:
        ds = snap.dataset
        inst = ds.institutions.set_index("id").loc[ident]
        fixed = ("name", "country", "region", "region_code", "city", "name_en", "name_fr")
        attributes = {
            str(k): (None if _none(v) is None else str(v))
            for k, v in inst.items()
            if k not in fixed
        }
        aliases = ds.aliases
        aliases = aliases[aliases["institution"] == ident]
        lineage = ds.lineage
        lineage = lineage[(lineage["predecessor"] == ident) | (lineage["successor"] == ident)]
        networks = ds.networks
        networks = networks[networks["institution"] == ident]
        obs = ds.observations
        mine = obs.loc[obs["institution"] == ident, ["system", "year"]].drop_duplicates()
        pub = ds.published
        mine_pub = pub.loc[pub["institution"] == ident, ["system", "year"]].drop_duplicates()
        both = pd.concat([mine, mine_pub]).drop_duplicates()
        systems = [
            {"system": str(s), "editions": sorted(int(y) for y in g["year"])}
            for s, g in both.groupby("system", sort=True)
        ]
        return {
            "id": ident,
            "name": str(inst["name"]),
            "name_en": _none(inst.get("name_en")),
            "name_fr": _none(inst.get("name_fr")),
            "country": _none(inst.get("country")),
            "region": _none(inst.get("region")),
            "region_code": _none(inst.get("region_code")),
            "city": _none(inst.get("city")),
            "attributes": attributes,
            "aliases": [
                {
                    "name": str(r["name"]),
                    "lang": _none(r.get("lang")),
                    "valid_from": _int_or_none(r.get("valid_from")),
                    "valid_to": _int_or_none(r.get("valid_to")),
                }
                for _, r in aliases.iterrows()
            ],
            "lineage": [
                {
                    "predecessor": str(r["predecessor"]),
                    "successor": str(r["successor"]),
                    "year": _int_or_none(r["year"]),
                    "kind": str(r["kind"]),
                }
                for _, r in lineage.iterrows()
            ],
            "networks": [
                {
                    "network": str(r["network"]),
                    "network_name": _none(r.get("network_name")),
                    "role": _none(r.get("role")),
                }
                for _, r in networks.iterrows()
            ],
            "systems": systems,
        }

    # -- ranking tables --------------------------------------------------------------------

    def ranking_frame(self, system: str, edition: int, lang: Lang, view: View) -> pd.DataFrame:
        """The edition's table as rows of the API's shape (cached per language and view)."""
        snap = self.snapshot
        key = ("ranking", system, edition, lang, view)

        def rows() -> pd.DataFrame:
            if self.published_source(system, edition):
                from palmares.published_view import published_rows

                with snap.lock:
                    standings = self.series(system).standings(edition)
                return published_rows(standings, lang)
            return self._ranking_rows(self.result(system, edition), lang, view)

        return self._memo(snap, key, rows)

    def published_source(self, system: str, edition: int) -> bool:
        """Whether the edition is read from an imported published table (contracts section 2:
        ``published.csv``), as history reads it, rather than computed."""
        key = ("source", system, edition)
        snap = self.snapshot
        return bool(
            self._memo(snap, key, lambda: self.series(system).source_of(edition) == "published")
        )

    def table_head(self, system: str, edition: int) -> Any:
        """What a table's page states (system, field size, hashes): the Result, or for an
        imported table its own count and the methodology that applies to the edition."""
        if not self.published_source(system, edition):
            return self.result(system, edition)
        from types import SimpleNamespace

        from palmares.methodology import methodology_hash

        series = self.series(system)
        m = series.methodology(edition)
        return SimpleNamespace(
            system=system,
            field_size=len(self.ranking_frame(system, edition, "en", "published")),
            methodology_hash=methodology_hash(m) if m is not None else "",
            data_hash=self.data_hash,
        )

    def _ranking_rows(self, result: Any, lang: Lang, view: View) -> pd.DataFrame:
        from palmares.published_view import ranking_rows

        return ranking_rows(result, lang, view)

    def ranked_rows(self, system: str, edition: int, lang: Lang, view: View) -> Any:
        """The table ready for pages (:class:`RankedRows`), cached."""
        snap = self.snapshot
        key = ("ranked-rows", system, edition, lang, view)
        return self._memo(
            snap, key, lambda: ranked_rows(self.ranking_frame(system, edition, lang, view))
        )

    def ranking(
        self,
        system: str,
        edition: int | str | None,
        *,
        lang: Lang = "en",
        view: View = "published",
        filters: Filters | None = None,
        q: str | None = None,
        sort: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> dict[str, Any]:
        """One page of an edition's ranking table, filtered (contracts section 10)."""
        system = self.check_system(system)
        year = self.check_edition(system, edition)
        result = self.table_head(system, year)
        table = self.ranked_rows(system, year, lang, view)
        chosen = _ordered(table, self._select(table, filters or Filters(), q), sort)
        if page < 1:
            raise bad_request("page", tr("pages start at 1"), page)
        if not 1 <= per_page <= MAX_PER_PAGE:
            between = tr("between 1 and {most}", most=MAX_PER_PAGE)
            raise bad_request("per_page", between, per_page)
        document = self._page(result, year, _EMPTY, page, per_page, lang, view)
        start = (page - 1) * per_page
        document["total"] = int(chosen.size)
        document["results"] = [table.records[i] for i in chosen[start : start + per_page]]
        return document

    def _select(self, table: Any, filters: Filters, q: str | None) -> npt.NDArray[np.intp]:
        """Positions of the rows that pass the filters, in table order."""
        keep = np.ones(len(table.ids), dtype=bool)
        if filters.country:
            if filters.country not in table.countries:
                known = sorted(table.countries)
                near = closest(filters.country, known)
                raise not_found(tr("unknown country"), filters.country, near)
            keep &= table.country == filters.country
        if filters.region:
            if filters.region not in table.regions:
                known = sorted(table.regions)
                near = closest(filters.region, known)
                raise not_found(tr("unknown region"), filters.region, near)
            keep &= table.region == filters.region
        if filters.network:
            members = self.network_members(filters.network)
            keep &= np.fromiter((i in members for i in table.ids), bool, len(table.ids))
        for key, value in filters.where.items():
            attributes = self.attribute_names()
            if key not in attributes:
                raise not_found(tr("unknown attribute"), key, closest(key, attributes))
            column = table.derived.get(("attribute", key))
            if column is None:
                values = self.attribute_column(key).reindex(list(table.ids))
                column = np.array([str(v) if isinstance(v, str) else None for v in values])
                table.derived[("attribute", key)] = column
            keep &= column == str(value)
        if q:
            folded = fold_name(q)
            keep &= np.fromiter(
                (folded in n or q in i for n, i in zip(table.folded, table.ids, strict=True)),
                bool,
                len(table.ids),
            )
        return np.flatnonzero(keep)

    def _page(
        self,
        result: Any,
        year: int,
        rows: pd.DataFrame,
        page: int,
        per_page: int,
        lang: Lang,
        view: View,
    ) -> dict[str, Any]:
        if page < 1:
            raise bad_request("page", tr("pages start at 1"), page)
        if not 1 <= per_page <= MAX_PER_PAGE:
            between = tr("between 1 and {most}", most=MAX_PER_PAGE)
            raise bad_request("per_page", between, per_page)
        start = (page - 1) * per_page
        chunk = rows.iloc[start : start + per_page]
        return {
            "system": result.system,
            "edition": year,
            "field_size": int(result.field_size),
            "methodology_hash": result.methodology_hash,
            "data_hash": result.data_hash,
            "lang": lang,
            "view": view,
            "total": len(rows),
            "page": page,
            "per_page": per_page,
            "results": records(chunk),
        }

    def ranking_table(
        self,
        system: str,
        edition: int | str | None,
        *,
        lang: Lang = "en",
        view: View = "published",
        filters: Filters | None = None,
        q: str | None = None,
        sort: str | None = None,
    ) -> tuple[dict[str, Any], pd.DataFrame]:
        """The whole filtered table (exports): the page head and every row."""
        system = self.check_system(system)
        year = self.check_edition(system, edition)
        result = self.table_head(system, year)
        table = self.ranked_rows(system, year, lang, view)
        chosen = _ordered(table, self._select(table, filters or Filters(), q), sort)
        rows = table.frame.iloc[chosen]
        head = self._page(result, year, _EMPTY, 1, 1, lang, view)
        head["total"] = len(rows)
        return head, rows

    # -- attributes and networks -------------------------------------------------------------

    def attribute_names(self) -> list[str]:
        inst = self.dataset.institutions
        return [c for c in inst.columns if c not in ("id", "name")]

    def attribute_column(self, key: str) -> pd.Series:
        snap = self.snapshot

        def column() -> pd.Series:
            inst = snap.dataset.institutions.set_index("id")
            return inst[key]

        return self._memo(snap, ("attribute", key), column)

    def network_members(self, network: str) -> set[str]:
        net = self.dataset.networks
        known = sorted(set(net["network"]))
        if network not in known:
            raise not_found(tr("unknown network"), network, closest(network, known))
        return set(net.loc[net["network"] == network, "institution"])

    # -- personalised rankings -------------------------------------------------------------

    def personalise(
        self,
        system: str,
        edition: int,
        *,
        criteria: Sequence[str] = (),
        weights: Mapping[str, float] | None = None,
        filters: Filters | None = None,
        lang: Lang = "en",
        page: int = 1,
        per_page: int = 50,
    ) -> dict[str, Any]:
        """The engine's personalised re-ranking from the cached leaf values (no engine rerun)."""
        from palmares.personalise import PersonalisationError
        from palmares.published_view import personalised_page

        system = self.check_system(system)
        year = self.check_edition(system, edition)
        result = self.result(system, year)
        filters = filters or Filters()
        where: dict[str, Any] = dict(filters.where)
        for key in where:
            if key not in result.attributes:
                near = closest(key, list(result.attributes))
                raise not_found(tr("unknown attribute"), key, near)
        if filters.country:
            where["country"] = filters.country
        if filters.region:
            where["region_code"] = filters.region
        if filters.network:
            self.network_members(filters.network)
        problems = [
            {
                "file": "body",
                "sheet": None,
                "row": None,
                "column": f"criteria[{i}]",
                "code": "invalid-value",
                "message": tr("unknown criterion {criterion!r}", criterion=c),
                "value": c,
            }
            for i, c in enumerate(criteria)
            if c not in result.tree and c not in self.readymade(system, year)
        ] + [
            {
                "file": "body",
                "sheet": None,
                "row": None,
                "column": f"weights.{k}",
                "code": "invalid-value",
                "message": tr("unknown node {node!r}", node=k)
                if k not in result.tree
                else tr("negative weight"),
                "value": v,
            }
            for k, v in (weights or {}).items()
            if k not in result.tree or v < 0 or not np.isfinite(v)
        ]
        if problems:
            raise ApiError(
                422,
                tr_n(
                    "{n} problem(s) in the personalisation",
                    "{n} problem(s) in the personalisation",
                    len(problems),
                ),
                problems=problems,
                candidates=closest(
                    next(iter(p["value"] for p in problems if isinstance(p["value"], str)), ""),
                    list(result.tree.ids),
                )
                if any(isinstance(p["value"], str) for p in problems)
                else [],
            )
        try:
            # A page of ranks and scores: no node's share of its parent is shown (a third of
            # the aggregation's time).
            mine = result.personalise(
                list(criteria) or None,
                dict(weights or {}),
                where,
                network=filters.network,
                working=False,
            )
        except PersonalisationError as error:
            raise ApiError(422, reason(error)) from None
        total, rows = personalised_page(mine, lang, page, per_page)
        document = self._page(mine, year, _EMPTY, page, per_page, lang, "producer")
        document.update(
            field_size=int(mine.field_size),
            total=total,
            results=rows,
            reranked_on=mine.personalisation.describe(),
        )
        return document

    def rank_interval(self, institution: str, system: str, edition: int) -> dict[str, Any] | None:
        """An institution's rank interval from the newest uncertainty result of an edition
        (a finished job): ``{median, low, high, quantiles, draws, seed}``, or None where none
        was computed. palmares' own computation: the pages label it so, beside the band."""
        jobs = self.jobs
        document = None if jobs is None else jobs.latest_document("uncertainty", system, edition)
        if not document:
            document = self._kept_uncertainty(system, edition)
        if not document:
            return None
        row = next(
            (r for r in document.get("results", []) if r.get("institution") == institution), None
        )
        if row is None or row.get("median_rank") is None:
            return None
        low, high = document.get("quantiles") or (0.05, 0.95)
        return {
            "median": row["median_rank"],
            "low": row.get("q05"),
            "high": row.get("q95"),
            "quantiles": (float(low), float(high)),
            "draws": document.get("draws"),
            "seed": document.get("seed"),
        }

    def _kept_uncertainty(self, system: str, edition: int) -> dict[str, Any] | None:
        """The newest run ``palmares uncertainty --db`` kept for the edition's methodology
        and data; looked up at most once a minute per edition (a store opened per profile
        view would cost more than the page)."""
        found = getattr(self.source, "kept_uncertainty", None)
        if found is None:
            return None
        try:
            wanted = self.result(system, edition).methodology_hash
        except Exception:  # no computed table for this edition: no interval
            return None
        key = (system, int(edition), wanted)
        now = time.monotonic()
        seen = self._kept_intervals.get(key)
        if seen is None or now - seen[0] > KEPT_UNCERTAINTY_SECONDS:
            seen = (now, found(system, int(edition), wanted))
            self._kept_intervals[key] = seen
        document: dict[str, Any] | None = seen[1]
        return document

    def readymade(self, system: str, edition: int) -> list[str]:
        from palmares.systems.readymade import readymade_sets

        return list(readymade_sets(system, edition))

    # -- methodology -----------------------------------------------------------------------

    def methodology(self, system: str, edition: int | str | None) -> dict[str, Any]:
        system = self.check_system(system)
        year = self.check_edition(system, edition)
        snap = self.snapshot
        return dict(
            self._memo(snap, ("methodology", system, year), lambda: self._methodology(system, year))
        )

    def _methodology(self, system: str, year: int) -> dict[str, Any]:
        from palmares.methodology import propagate

        series = self.series(system)
        m = series.methodology(year)
        if m is None:
            raise ApiError(
                404, tr("{system} {year}: no methodology applies", system=system, year=year)
            )
        result = series.result(year) if series._has_observations(year) else None
        tree = result.tree if result is not None else self.dataset.tree(system)
        labels = self.dataset.indicators.set_index("id")
        weights = dict(m.weights or {})
        nodes = []
        for node in tree.ids:
            row = labels.loc[node] if node in labels.index else None
            nodes.append(
                {
                    "id": node,
                    "parent": tree.parent_of(node),
                    "label_en": None if row is None else _none(row.get("label_en")),
                    "label_fr": None if row is None else _none(row.get("label_fr")),
                    "weight": _none(weights.get(node, weights.get(node.split(".")[-1]))),
                }
            )
        from palmares.methodology import methodology_hash

        return {
            "id": m.id,
            "system": system,
            "edition": year,
            "hash": methodology_hash(m),
            "label_en": m.methodology.label_en,
            "label_fr": m.methodology.label_fr,
            "steps": [json_safe(s.to_json()) for s in propagate(m).steps],
            "nodes": nodes,
        }

    def methodology_diff(
        self, system: str, before: int | str | None, after: int | str | None
    ) -> dict[str, Any]:
        from palmares.methodology import diff_methodologies

        system = self.check_system(system)
        a = self.check_edition(system, before, "from")
        b = self.check_edition(system, after, "to")
        series = self.series(system)
        ma, mb = series.methodology(a), series.methodology(b)
        if ma is None or mb is None:
            raise ApiError(
                404,
                tr(
                    "{system}: no methodology for {year}",
                    system=system,
                    year=a if ma is None else b,
                ),
            )
        document = diff_methodologies(ma, mb).to_json()
        return {"system": system, "from": a, "to": b, **document}

    # -- per institution -------------------------------------------------------------------

    def history(self, institution: str, system: str, lang: Lang = "en") -> dict[str, Any]:
        ident = self.resolve(institution)
        system = self.check_system(system)
        series = self.series(system)
        with self.snapshot.lock:
            found = series.history(ident)
        return json_safe(found.to_json(lang))

    def highlights(
        self, institution: str, system: str, edition: int | str | None, lang: Lang = "en"
    ) -> list[dict[str, Any]]:
        from palmares.highlights import facts, render_all

        ident = self.resolve(institution)
        system = self.check_system(system)
        year = self.check_edition(system, edition)
        snap = self.snapshot
        series = self.series(system)

        def compute() -> list[dict[str, Any]]:
            found = facts(series, ident, year, data_hash=snap.data_hash)
            texts = render_all(found, snap.dataset, lang)
            return [json_safe(f.to_json(lang, t)) for f, t in zip(found, texts, strict=True)]

        with snap.lock:
            return list(self._memo(snap, ("highlights", ident, system, year, lang), compute))

    def check(
        self,
        institution: str,
        system: str,
        edition: int | str | None,
        claim: str,
        lang: Lang = "en",
    ) -> dict[str, Any]:
        from palmares.highlights import check as check_claim
        from palmares.highlights import parse_claim

        if not claim:
            raise bad_request("claim", tr("give KIND=VALUE, e.g. percentile=15"))
        try:
            parse_claim(claim)
        except ValueError as error:
            raise bad_request("claim", reason(error), claim) from None
        ident = self.resolve(institution)
        system = self.check_system(system)
        year = self.check_edition(system, edition)
        series = self.series(system)
        try:
            with self.snapshot.lock:
                verdict = check_claim(
                    series, ident, year, claim, data_hash=self.data_hash, lang=lang
                )
        except (ValueError, LookupError) as error:
            raise bad_request("claim", reason(error), claim) from None
        return json_safe(verdict.to_json())

    def explain(
        self, institution: str, system: str, edition: int | str | None, lang: Lang = "en"
    ) -> dict[str, Any]:
        ident = self.resolve(institution)
        system = self.check_system(system)
        year = self.check_edition(system, edition)
        result = self.result(system, year)
        try:
            i = result.position(ident)
        except LookupError as error:
            raise ApiError(404, reason(error)) from None
        from palmares.published_view import published_position

        table = result.explain(ident)
        return json_safe(
            {
                "institution": ident,
                "name": result.names[i],
                # as the publisher prints it: a band beyond the cut-off, no U-Multirank rank
                **published_position(result, ident, lang),
                "eligible": bool(result.eligible[i]),
                **result.meta,
                "nodes": table.to_dict(orient="records"),
            }
        )

    def communique(self, institution: str, edition: int | str | None, lang: Lang = "fr") -> str:
        from palmares.highlights.communique import communique

        ident = self.resolve(institution)
        if edition is None or edition == "":
            raise bad_request("edition", tr("give an edition year"))
        try:
            year = int(edition)
        except (TypeError, ValueError):
            raise bad_request("edition", not_a_year(edition), edition) from None
        snap = self.snapshot

        def compute() -> str:
            try:
                draft = communique(
                    snap.dataset, ident, year, lang=lang, data_hash=snap.data_hash, html=False
                )
            except ValueError as error:
                raise ApiError(404, reason(error)) from None
            return str(draft.markdown)

        with snap.lock:
            return str(self._memo(snap, ("communique", ident, year, lang), compute))

    def compare(
        self, institutions: str | None, system: str, edition: int | str | None, lang: Lang = "en"
    ) -> dict[str, Any]:
        ids = self.resolve_many(institutions)
        system = self.check_system(system)
        year = self.check_edition(system, edition)
        frame = self.ranking_frame(system, year, lang, "published")
        rows = frame.set_index("institution")
        out = []
        for ident in ids:
            if ident in rows.index:
                out.append({"institution": ident, **records(rows.loc[[ident]].reset_index())[0]})
            else:
                out.append({"institution": ident, "name": self.institution(ident)["name"]})
        return {"system": system, "edition": year, "lang": lang, "institutions": out}

    # -- charts ----------------------------------------------------------------------------

    def chart(
        self,
        kind: str,
        institutions: str | None,
        system: str,
        edition: int | str | None,
        lang: Lang = "en",
        fmt: str = "svg",
    ) -> tuple[bytes, str]:
        """A chart as (bytes, media type): svg, png or the Vega-Lite spec (vega)."""
        from palmares.api.charts import chart_bytes

        return chart_bytes(self, kind, institutions, system, edition, lang, fmt)


def closest(text: str, choices: Sequence[str], limit: int = 5) -> list[str]:
    """The closest valid values to a mistyped one (rapidfuzz), best first."""
    from rapidfuzz import fuzz, process, utils

    if not choices:
        return []
    found = process.extract(
        str(text), list(choices), scorer=fuzz.WRatio, processor=utils.default_process, limit=limit
    )
    return [str(c) for c, _, _ in found]


def _int_or_none(value: Any) -> int | None:
    value = _none(value)
    return None if value is None else int(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts (NaN -> None)."""
    cols = list(frame.columns)
    return [
        {c: _none(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


@dataclass
class RankedRows:
    """A ranking table kept ready to answer pages: JSON-ready rows and the arrays filters
    read, so a request only selects and slices."""

    frame: pd.DataFrame
    records: list[dict[str, Any]]
    ids: npt.NDArray[np.object_]
    country: npt.NDArray[np.object_]
    region: npt.NDArray[np.object_]
    folded: npt.NDArray[np.object_]
    countries: frozenset[str]
    regions: frozenset[str]
    derived: dict[Any, Any] = field(default_factory=dict)


def ranked_rows(frame: pd.DataFrame) -> RankedRows:
    """The rows of :func:`palmares.published_view.ranking_rows` ready for pages."""
    columns = [c for c in frame.columns if c not in ("region_code", "band")]
    country = np.array([c if isinstance(c, str) else None for c in frame["country"]], object)
    region = np.array([r if isinstance(r, str) else None for r in frame["region_code"]], object)
    names = frame["name"].to_numpy(dtype=object)
    return RankedRows(
        frame=frame,
        records=records(frame[columns]),
        ids=frame["institution"].to_numpy(dtype=object),
        country=country,
        region=region,
        folded=np.array([fold_name(str(n)) for n in names], dtype=object),
        countries=frozenset(c for c in country if isinstance(c, str)),
        regions=frozenset(r for r in region if isinstance(r, str)),
    )


SORT_KEYS = ("rank", "-rank", "name", "-name", "score", "-score", "country", "-country")


def _ordered(table: Any, chosen: npt.NDArray[np.intp], sort: str | None) -> npt.NDArray[np.intp]:
    """The chosen rows in the order asked (the table's own order by default)."""
    if not sort or sort == "rank":
        return chosen
    if sort not in SORT_KEYS:
        expected = tr("{sort!r}: expected one of {keys}", sort=sort, keys=", ".join(SORT_KEYS))
        raise bad_request("sort", expected, sort)
    position = table.derived.get(("sort", sort))
    if position is None:
        frame = table.frame.reset_index(drop=True)
        column = sort.lstrip("-")
        order = frame.sort_values(
            column, ascending=not sort.startswith("-"), kind="stable", na_position="last"
        ).index.to_numpy()
        position = np.empty(len(order), dtype=np.intp)
        position[order] = np.arange(len(order))
        table.derived[("sort", sort)] = position
    return chosen[np.argsort(position[chosen], kind="stable")]
