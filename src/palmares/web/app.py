"""The pages (contracts section 11): Starlette routes rendering Jinja2 templates.

Every page is whole HTML, readable without JavaScript; htmx swaps the part that changes (search
results, a filtered or re-ranked table, a claim verdict) by asking the same URL and selecting
that part, so a link always reproduces the page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from palmares.i18n import country_name, gettext, ngettext
from palmares.translatable import joined, localise, reason, tr
from palmares.web.claims import claim_of
from palmares.web.data import PER_PAGE, WebData, WebError

HERE = Path(__file__).parent
LANGS = ("fr", "en")
CHART_KINDS = ("trajectory", "grades", "sdg", "compare")
NBSP = "\u00a0"


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_attr"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env


def number(value: float | int | None, lang: str, decimals: int = 1) -> str:
    """A number as a person reads it: French decimal comma and narrow space for thousands."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}" if isinstance(value, float) else f"{value:,}"
    if isinstance(value, float) and decimals and text.endswith("0" * decimals):
        text = text[: -decimals - 1]
    if lang == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


class Pages:
    """The web app over one :class:`WebData`."""

    def __init__(
        self,
        data: Callable[[], WebData],
        intervals: Callable[[str, str, int], dict[str, Any] | None] | None = None,
    ) -> None:
        """``intervals(institution, system, edition)``: a rank interval palmares computed (an
        uncertainty job of the API's service), or None."""
        self._data = data
        self._intervals = intervals
        self.env = _env()

    @property
    def data(self) -> WebData:
        """The current snapshot's data (a bundle loaded through the API is seen at once)."""
        return self._data()

    # -- helpers -------------------------------------------------------------------------------

    def lang_of(self, request: Request) -> str:
        lang = str(request.path_params.get("lang", "en"))
        if lang not in LANGS:
            raise WebError(tr("no language {lang!r}; languages: fr, en", lang=lang))
        return lang

    def render(self, request: Request, template: str, status: int = 200, **values: Any) -> Response:
        lang = values.pop("lang", None) or self.lang_of(request)
        other = "en" if lang == "fr" else "fr"
        path = request.url.path
        switch = f"/{other}{path[3:]}" + (f"?{request.url.query}" if request.url.query else "")

        def t(message: str, /, **kw: Any) -> str:
            return gettext(lang, message, **kw)

        def nt(singular: str, plural: str, n: int, /, **kw: Any) -> str:
            return ngettext(lang, singular, plural, n, **kw)

        def system_label(system: dict[str, Any]) -> str:
            return str(system.get(f"label_{lang}") or system["id"])

        started = time.perf_counter()
        html = self.env.get_template(template).render(
            t=t,
            nt=nt,
            lang=lang,
            other=other,
            switch_url=switch,
            path=path,
            request=request,
            systems=self.data.systems,
            system_label=system_label,
            country=lambda code: _country(code, lang) if code else "",
            number=lambda v, d=1: number(v, lang, d),
            nbsp=NBSP,
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["Server-Timing"] = (
            f"render;dur={1000 * (time.perf_counter() - started):.1f}"
        )
        response.headers["Content-Language"] = lang
        return response

    def error(self, request: Request, error: WebError) -> Response:
        lang = str(request.path_params.get("lang", "en"))
        lang = lang if lang in LANGS else "en"
        message = localise(reason(error), lang)
        return self.render(request, "error.html", error.status, lang=lang, message=message)

    @staticmethod
    def filters(request: Request) -> dict[str, str]:
        q = request.query_params
        return {k: q.get(k, "").strip() for k in ("country", "region", "network", "where", "q")}

    @staticmethod
    def year(request: Request, name: str = "year") -> int:
        raw = request.path_params.get(name) or request.query_params.get(name)
        try:
            return int(str(raw))
        except (TypeError, ValueError):
            said = tr("{name}={value!r}: expected a year such as 2024", name=name, value=raw)
            raise WebError(said, status=400) from None

    @staticmethod
    def int_param(request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            said = tr("{name}={value!r}: expected a whole number", name=name, value=raw)
            raise WebError(said, status=400) from None
        if value < 1:
            said = tr("{name}={value!r}: expected 1 or more", name=name, value=raw)
            raise WebError(said, status=400)
        return value

    # -- pages ---------------------------------------------------------------------------------

    async def root(self, request: Request) -> Response:
        accept = request.headers.get("accept-language", "")
        best = "en"
        for part in accept.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGS:
                best = code
                break
        return RedirectResponse(f"/{best}/", status_code=307)

    async def home(self, request: Request) -> Response:
        self.lang_of(request)
        q = request.query_params.get("q", "")
        results = self.data.search(q) if q.strip() else []
        return self.render(request, "home.html", q=q, results=results)

    async def search(self, request: Request) -> Response:
        lang = self.lang_of(request)
        q = request.query_params.get("q", "")
        results = self.data.search(q) if q.strip() else []
        if request.headers.get("hx-request"):
            return self.render(request, "_results.html", q=q, results=results)
        return RedirectResponse(f"/{lang}/?{urlencode({'q': q})}", status_code=303)

    async def ranking(self, request: Request) -> Response:
        lang = self.lang_of(request)
        system = str(request.path_params["system"])
        year = self.year(request)
        filters = self.filters(request)
        sort = request.query_params.get("sort", "rank")
        page = self.int_param(request, "page", 1)
        per_page = min(self.int_param(request, "per_page", PER_PAGE), 500)
        table = self.data.ranking(
            system, year, lang=lang, filters=filters, sort=sort, page=page, per_page=per_page
        )
        query = {k: v for k, v in filters.items() if v}
        return self.render(
            request,
            "ranking.html",
            system=self.data.system(system),
            year=year,
            table=table,
            filters=filters,
            choices=self.data.filter_values(system, year),
            sort=sort,
            query=query,
            export_query=urlencode(query),
            page_url=lambda n: "?" + urlencode({**query, "sort": sort, "page": n}),
            sort_url=lambda col: (
                "?" + urlencode({**query, "sort": ("-" + col) if sort == col else col})
            ),
        )

    async def export(self, request: Request) -> Response:
        lang = self.lang_of(request)
        system = str(request.path_params["system"])
        year = self.year(request)
        fmt = str(request.path_params["fmt"])
        frame = self.data.export_frame(system, year, lang, self.filters(request))
        name = f"{system}-{year}"
        if fmt == "csv":
            from palmares.result_io import frame_csv_bytes

            # Formula-safe text and quoted CR/LF for every column (palmares.io.safe_text).
            body = frame_csv_bytes(frame)
            return Response(
                body,
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        if fmt == "xlsx":
            from palmares.workbook import table_sheets, workbook_bytes

            # The workbook for people: headers in the page's language, frozen, widths; string
            # cells, never formulas; fixed document times (palmares.workbook).
            meta = {"system": system, "edition": year}
            book = workbook_bytes(table_sheets(frame, meta, lang))
            return Response(
                book,
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
            )
        raise WebError(tr("format {format!r}: expected csv or xlsx", format=fmt))

    async def personalise(self, request: Request) -> Response:
        lang = self.lang_of(request)
        system = str(request.path_params["system"])
        year = self.year(request)
        criteria = self.data.criteria(system, year, lang)
        q = request.query_params
        chosen = [c for c in q.getlist("criteria") if c]
        from palmares.systems.readymade import readymade_label, readymade_sets

        readymade = [
            {"id": name, "label": readymade_label(system, name)}
            for name in readymade_sets(system, year)
        ]
        submitted = "go" in q or bool(chosen) or any(k.startswith("w.") for k in q)
        weights: dict[str, float] = {}
        problems = []
        every = {c.id: c for c in criteria}
        for c in criteria:
            for leaf in c.children:
                every[leaf.id] = leaf
        for key, raw in q.items():
            if not key.startswith("w."):
                continue
            node = key[2:]
            if node not in every:
                problems.append(tr("{key}: no criterion {node!r}", key=key, node=node))
                continue
            try:
                value = float(raw.replace(",", "."))
            except ValueError:
                problems.append(tr("{key}={value!r}: not a number", key=key, value=raw))
                continue
            if value < 0 or value != value:
                problems.append(tr("{key}={value!r}: a weight is 0 or more", key=key, value=raw))
            elif abs(value - every[node].weight) > 1e-12:
                weights[node] = value
        if problems:
            raise WebError(joined("; ", problems), status=400)
        top = [c.id for c in criteria]
        # Nothing picked, or every family: the publisher's own criteria.
        selected = chosen if submitted and set(chosen) != set(top) else []
        shown = set(chosen) if chosen else set(top)
        for c in criteria:
            c.selected = c.id in shown
            if c.id in weights:
                c.weight = weights[c.id]
            for leaf in c.children:
                leaf.selected = leaf.id in shown
        filters = self.filters(request)
        table = self.data.personalise(
            system,
            year,
            lang=lang,
            criteria=selected,
            weights=weights,
            filters=filters,
            page=self.int_param(request, "page", 1),
        )
        return self.render(
            request,
            "personalise.html",
            system=self.data.system(system),
            year=year,
            table=table,
            criteria=criteria,
            readymade=readymade,
            chosen=chosen,
            filters=filters,
            choices=self.data.filter_values(system, year),
        )

    async def institution(self, request: Request) -> Response:
        lang = self.lang_of(request)
        ident = str(request.path_params["id"])
        info = self.data.institution(ident)
        presence = self.data.presence(ident, lang)
        system_id = request.query_params.get("system") or ""
        if system_id:
            year = self.year(request, "edition")
            self.data.check_edition(system_id, year)
        elif presence:
            system_id = presence[0]["system"]["id"]
            year = presence[0]["editions"][-1]["year"]
        else:
            year = 0
        in_view = next((p for p in presence if p["system"]["id"] == system_id), None)
        claim = request.query_params.get("claim", "").strip()
        verdict = None
        claim_error = None
        if claim and in_view:
            try:
                verdict = self.data.check(ident, system_id, year, claim_of(claim), lang)
            except (ValueError, WebError) as error:
                claim_error = localise(reason(error), lang)
        charts = self._profile_charts(ident, presence, system_id, year, lang)
        if request.headers.get("hx-target") == "claim-result":
            return self.render(
                request, "_verdict.html", verdict=verdict, claim=claim, claim_error=claim_error
            )
        return self.render(
            request,
            "institution.html",
            info=info,
            presence=presence,
            in_view=in_view,
            system_id=system_id,
            year=year,
            highlights=self.data.highlights(ident, system_id, year, lang) if in_view else [],
            interval=self._interval(ident, in_view, system_id, year, lang),
            claim=claim,
            verdict=verdict,
            claim_error=claim_error,
            charts=charts,
        )

    def _interval(
        self, ident: str, in_view: dict[str, Any] | None, system: str, year: int, lang: str
    ) -> dict[str, Any] | None:
        """The rank interval computed for the table in view, with the published position
        beside it (contracts section 12); none where the publisher prints no overall rank
        (a ranking by grade counts: an interval would state one)."""
        if self._intervals is None or in_view is None or self.data.by_grades(system, year):
            return None
        found = self._intervals(ident, system, year)
        edition = next((e for e in in_view["editions"] if e["year"] == year), None)
        if found is None or edition is None:
            return None
        low, high = found["quantiles"]
        return {
            **found,
            "median": number(found["median"], lang),
            "low": number(found["low"], lang),
            "high": number(found["high"], lang),
            "draws": number(found["draws"], lang),
            "q_low": f"q{low * 100:g}",
            "q_high": f"q{high * 100:g}",
            "coverage": number(round((high - low) * 100, 1), lang),
            "published": edition["row"].rank_display,
        }

    def _profile_charts(
        self, ident: str, presence: list[dict[str, Any]], system: str, year: int, lang: str
    ) -> list[dict[str, Any]]:
        charts = []
        if system:
            charts.append(self._chart("trajectory", [ident], system, None, lang))
        for p in presence:
            sid = p["system"]["id"]
            latest = year if sid == system else p["editions"][-1]["year"]
            if sid == "the-impact":
                charts.append(self._chart("sdg", [ident], sid, latest, lang))
            elif self.data.by_grades(sid, latest):
                charts.append(self._chart("grades", [ident], sid, latest, lang))
        return [c for c in charts if c["spec"] is not None]

    def _chart(
        self, kind: str, ids: list[str], system: str, year: int | None, lang: str
    ) -> dict[str, Any]:
        spec = self.data.chart_spec(kind, ids, system, year, lang)
        query = {"ids": ",".join(ids), "system": system}
        if year:
            query["edition"] = str(year)
        base = f"/{lang}/charts/{kind}"
        return {
            "kind": kind,
            "spec": None if spec is None else Markup(json.dumps(spec).replace("</", "<\\/")),
            "title": _title(spec),
            "svg": f"{base}.svg?{urlencode(query)}",
            "png": f"{base}.png?{urlencode(query)}",
        }

    async def chart(self, request: Request) -> Response:
        lang = self.lang_of(request)
        kind = str(request.path_params["kind"])
        fmt = str(request.path_params["fmt"])
        if kind not in CHART_KINDS or fmt not in ("svg", "png", "vega"):
            raise WebError(tr("no chart {kind}.{format}", kind=kind, format=fmt))
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        for ident in ids:
            self.data.institution(ident)
        system = request.query_params.get("system", "")
        edition = request.query_params.get("edition")
        year = self.year(request, "edition") if edition else None
        if fmt == "vega":
            spec = self.data.chart_spec(kind, ids, system, year, lang)
            if spec is None:
                raise WebError(tr("no chart for this institution and system"))
            return Response(json.dumps(spec), media_type="application/json")
        body = self.data.chart_file(fmt, kind, ids, system, year, lang)
        if body is None:
            raise WebError(tr("no chart for this institution and system"))
        media = "image/svg+xml" if fmt == "svg" else "image/png"
        return Response(body, media_type=media)

    async def communique(self, request: Request) -> Response:
        lang = self.lang_of(request)
        ident = str(request.path_params["id"])
        self.data.institution(ident)
        year = self.year(request, "edition")
        text = self.data.communique(ident, year, lang)
        return Response(
            text,
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{ident}-{year}-{lang}.md"'},
        )

    async def compare(self, request: Request) -> Response:
        lang = self.lang_of(request)
        ids = [i.strip() for i in request.query_params.get("ids", "").split(",") if i.strip()]
        if len(ids) > 4:
            raise WebError(tr("compare takes 2 to 4 institutions"), status=400)
        infos = [self.data.institution(i) for i in ids]
        presence = {i: self.data.presence(i, lang) for i in ids}
        shared: list[dict[str, Any]] = []
        for s in self.data.systems:
            cells = []
            years: set[int] = set()
            for i in ids:
                found = next((p for p in presence[i] if p["system"]["id"] == s["id"]), None)
                cells.append(found)
                if found:
                    years |= {e["year"] for e in found["editions"]}
            if any(cells):
                latest = max(years)
                row = []
                for found in cells:
                    edition = (
                        next((e for e in found["editions"] if e["year"] == latest), None)
                        if found
                        else None
                    )
                    row.append(edition)
                shared.append({"system": s, "year": latest, "cells": row})
        charts = []
        if len(ids) >= 2 and shared:
            first = shared[0]
            charts.append(self._chart("compare", ids, first["system"]["id"], first["year"], lang))
            charts = [c for c in charts if c["spec"] is not None]
        return self.render(
            request,
            "compare.html",
            ids=ids,
            infos=infos,
            shared=shared,
            charts=charts,
            q=request.query_params.get("q", ""),
            results=self.data.search(request.query_params["q"])
            if request.query_params.get("q")
            else [],
        )

    async def methodology(self, request: Request) -> Response:
        self.lang_of(request)
        system = str(request.path_params["system"])
        info = self.data.system(system)
        series = self.data.series(system)
        edition = request.query_params.get("edition")
        year = self.year(request, "edition") if edition else max(series.years)
        self.data.check_edition(system, year)
        diff_raw = request.query_params.get("diff")
        diff_year = self.year(request, "diff") if diff_raw else series.previous(year)
        page = self.data.methodology(system, year, diff_year, self.lang_of(request))
        return self.render(
            request, "methodology.html", system=info, year=year, diff_year=diff_year, page=page
        )


@cache
def _country(code: str, lang: str) -> str:
    return country_name(code, lang)


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with ' (contracts section 12)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _title(spec: dict[str, Any] | None) -> str:
    if not spec:
        return ""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title or spec.get("description") or "")


def create_web_app(context: Any) -> Starlette:
    """The web app over ``context``: the API's ServiceContext (its current snapshot), a
    :class:`WebData` or a Dataset."""
    from palmares.dataset import Dataset

    provider: Callable[[], WebData]
    if isinstance(context, WebData):
        fixed = context
        provider = lambda: fixed  # noqa: E731
    elif isinstance(context, Dataset):
        fixed = WebData(context)
        provider = lambda: fixed  # noqa: E731
    else:

        def provider() -> WebData:
            # One WebData per snapshot, sharing the context's EditionSeries (Results computed once).
            snap = context.snapshot
            found = snap.cache.get("web-data")
            if found is None:
                with snap.lock:
                    found = snap.cache.get("web-data")
                    if found is None:
                        found = WebData(snap.dataset, series=context.series)
                        snap.cache["web-data"] = found
            data: WebData = found
            return data

    pages = Pages(provider, getattr(context, "rank_interval", None))

    def guarded(handler: Any) -> Any:
        async def run(request: Request) -> Response:
            try:
                response: Response = await handler(request)
                return response
            except WebError as error:
                return pages.error(request, error)

        return run

    routes = [
        Route("/", guarded(pages.root)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        Route("/{lang}/", guarded(pages.home)),
        Route("/{lang}/search", guarded(pages.search)),
        Route("/{lang}/rankings/{system}/{year:int}.{fmt}", guarded(pages.export)),
        Route("/{lang}/rankings/{system}/{year:int}", guarded(pages.ranking)),
        Route("/{lang}/personalise/{system}/{year:int}", guarded(pages.personalise)),
        Route("/{lang}/institutions/{id}/communique.md", guarded(pages.communique)),
        Route("/{lang}/institutions/{id}", guarded(pages.institution)),
        Route("/{lang}/compare", guarded(pages.compare)),
        Route("/{lang}/methodology/{system}", guarded(pages.methodology)),
        Route("/{lang}/charts/{kind}.{fmt}", guarded(pages.chart)),
    ]
    app = Starlette(routes=routes)
    return app
