"""The public read routes of ``/api/v1`` and ``POST /personalise`` (contracts section 10)."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from palmares.api import models as m
from palmares.api.context import Filters, ServiceContext, check_lang, check_view
from palmares.api.errors import PROBLEM_JSON, ApiError, ProblemDocument, bad_request
from palmares.translatable import tr

router = APIRouter(prefix="/api/v1")

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemDocument, "content": {PROBLEM_JSON: {}}} for code in (400, 404, 422)
}

SystemPath = Annotated[
    str,
    Path(max_length=200, description="A system id such as u-multirank.", examples=["letudiant"]),
]
Year = Annotated[
    str | None,
    Query(max_length=20, description="Edition year (default: latest).", examples=["2024"]),
]
Lang = Annotated[str | None, Query(max_length=5, description="fr or en (default en).")]
ViewQ = Annotated[str | None, Query(max_length=20, description="published (default) or producer.")]
Text = Annotated[str | None, Query(max_length=200)]
SystemQ = Annotated[
    str | None, Query(max_length=200, description="A system id.", examples=["letudiant"])
]


async def context(request: Request) -> ServiceContext:
    return request.app.state.context


Ctx = Annotated[ServiceContext, Depends(context)]


async def _answer(ctx: ServiceContext, call: Any, key: tuple[Any, ...]) -> Any:
    """A kept answer at once on the event loop (no thread hand-off: the server time is the
    work); anything still to compute on a worker thread, so the loop never waits on it."""
    if ctx.ready(*key):
        return call()
    return await run_in_threadpool(call)


def _year(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _where(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition(":")
        if not sep or not key or not value:
            raise bad_request("where", tr("{item!r}: expected KEY:VALUE", item=item), item)
        out[key] = value
    return out


@router.get("/systems", response_model=list[m.SystemInfo], responses=ERRORS)
def systems(ctx: Ctx) -> Any:
    """The systems with data and their editions."""
    return ctx.systems()


RANKING_FORMATS = ("json", "csv", "xlsx")


@router.get(
    "/systems/{system}/editions/{year}/ranking",
    response_model=m.RankingPage,
    responses=ERRORS,
)
async def ranking(
    ctx: Ctx,
    system: SystemPath,
    year: Annotated[str, Path(max_length=20, examples=["2024"])],
    lang: Lang = None,
    view: ViewQ = None,
    country: Text = None,
    region: Text = None,
    network: Text = None,
    where: Annotated[list[str] | None, Query(max_length=20)] = None,
    q: Text = None,
    sort: Text = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    """One page of an edition's table (published view by default). Append ``.csv``,
    ``.xlsx`` or ``.json`` to the path for the whole filtered table as a download."""
    language, shown = check_lang(lang), check_view(view)
    call = functools.partial(
        ctx.ranking,
        system,
        year,
        lang=language,
        view=shown,
        filters=Filters(country, region, network, _where(where)),
        q=q,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    return await _answer(ctx, call, ("ranked-rows", system, _year(year), language, shown))


@router.get(
    "/systems/{system}/editions/{year}/ranking.{fmt}",
    responses={
        **ERRORS,
        200: {
            "description": "The whole filtered table as a file.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
                "application/json": {"schema": {"$ref": "#/components/schemas/RankingPage"}},
            },
        },
    },
    response_class=Response,
)
def ranking_export(
    ctx: Ctx,
    system: SystemPath,
    year: Annotated[str, Path(max_length=20, examples=["2024"])],
    fmt: Annotated[str, Path(max_length=10, description="csv, xlsx or json")],
    lang: Lang = None,
    view: ViewQ = None,
    country: Text = None,
    region: Text = None,
    network: Text = None,
    where: Annotated[list[str] | None, Query(max_length=20)] = None,
    q: Text = None,
    sort: Text = None,
) -> Response:
    """The whole filtered table, formula-safe (text cells beginning with = + - @ tab CR are
    inert; numbers stay numbers)."""
    from palmares.api.exports import export_table

    if fmt not in RANKING_FORMATS:
        said = tr(
            "unknown format {format!r}: one of {formats}",
            format=fmt,
            formats=", ".join(RANKING_FORMATS),
        )
        raise ApiError(404, said)
    chosen = check_lang(lang)
    head, rows = ctx.ranking_table(
        system,
        year,
        lang=chosen,
        view=check_view(view),
        filters=Filters(country, region, network, _where(where)),
        q=q,
        sort=sort,
    )
    body, media = export_table(head, rows, fmt, chosen)
    name = f"{head['system']}-{head['edition']}-ranking.{fmt}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/personalise", response_model=m.PersonalisedPage, responses=ERRORS)
async def personalise(ctx: Ctx, body: m.PersonaliseRequest, request: Request) -> Any:
    """Re-rank an edition on chosen criteria and weights among filtered peers, from the
    cached leaf values (palmares' own computation: ranks shown, labelled as such)."""
    request.state.lang = body.lang  # its errors are said in the body's language
    f = body.filters
    call = functools.partial(
        ctx.personalise,
        body.system,
        body.edition,
        criteria=body.criteria,
        weights=body.weights,
        filters=Filters(f.country, f.region, f.network, f.where),
        lang=body.lang,
        page=body.page,
        per_page=body.per_page,
    )
    return await _answer(ctx, call, ("result", body.system, body.edition))


@router.get("/systems/{system}/methodology", response_model=m.MethodologyDocument, responses=ERRORS)
def methodology(ctx: Ctx, system: SystemPath, edition: Year = None) -> Any:
    """The methodology of an edition: hash, steps, and the tree with labels and weights."""
    return ctx.methodology(system, edition)


@router.get(
    "/systems/{system}/methodology/diff",
    response_model=m.MethodologyDiffDocument,
    response_model_by_alias=True,
    responses=ERRORS,
)
def methodology_diff(
    ctx: Ctx,
    system: SystemPath,
    from_: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: Year = None,
) -> Any:
    """What changed between the methodologies of two editions."""
    return ctx.methodology_diff(system, from_, to)


@router.get("/institutions", response_model=list[m.SearchHit], responses=ERRORS)
def institutions(
    ctx: Ctx,
    q: Annotated[str, Query(max_length=200, description="Id, name or alias (typos ok).")] = "",
    country: Text = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    """Search institutions by id, name or alias, best first."""
    return ctx.search(q, country=country, limit=limit)


Ident = Annotated[
    str,
    Path(max_length=300, description="Institution id, name or alias.", examples=["fr-mines-rodez"]),
]


@router.get("/institutions/{id}", response_model=m.InstitutionDocument, responses=ERRORS)
async def institution(ctx: Ctx, id: Ident) -> Any:
    """Identity, aliases, lineage, networks, systems and editions present."""
    return await _answer(ctx, functools.partial(ctx.institution, id), ("institution", id))


@router.get("/institutions/{id}/history", response_model=m.HistoryDocument, responses=ERRORS)
def history(ctx: Ctx, id: Ident, system: SystemQ = None, lang: Lang = None) -> Any:
    """The institution's editions in one system (published view)."""
    return ctx.history(id, system or "", check_lang(lang))


@router.get("/institutions/{id}/highlights", response_model=list[m.Fact], responses=ERRORS)
async def highlights(
    ctx: Ctx, id: Ident, system: SystemQ = None, edition: Year = None, lang: Lang = None
) -> Any:
    """The facts of one institution in one edition, most newsworthy first."""
    language = check_lang(lang)
    call = functools.partial(ctx.highlights, id, system or "", edition, language)
    return await _answer(ctx, call, ("highlights", id, system, _year(edition), language))


@router.get("/institutions/{id}/check", response_model=m.CheckDocument, responses=ERRORS)
def check(
    ctx: Ctx,
    id: Ident,
    system: SystemQ = None,
    edition: Year = None,
    claim: Annotated[
        str, Query(max_length=200, description="KIND=VALUE", examples=["rank=10"])
    ] = "",
    lang: Lang = None,
) -> Any:
    """Whether a claim holds, with the proof (in ``lang``) and the correct phrasing in French
    and English."""
    return ctx.check(id, system or "", edition, claim, check_lang(lang))


@router.get("/institutions/{id}/explain", response_model=m.ExplainDocument, responses=ERRORS)
def explain(
    ctx: Ctx, id: Ident, system: SystemQ = None, edition: Year = None, lang: Lang = None
) -> Any:
    """How the institution's score was built: each node's value, share and contribution."""
    return ctx.explain(id, system or "", edition, check_lang(lang))


@router.get(
    "/institutions/{id}/communique",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def communique(ctx: Ctx, id: Ident, edition: Year = None, lang: Lang = None) -> Response:
    """A press-release draft (Markdown) whose every number comes from the facts."""
    text = ctx.communique(id, edition, check_lang(lang or "fr"))
    return Response(text, media_type="text/markdown; charset=utf-8")


@router.get("/compare", response_model=m.CompareDocument, responses=ERRORS)
def compare(
    ctx: Ctx,
    institutions: Annotated[
        str,
        Query(
            max_length=1000, description="A,B[,C,D]", examples=["fr-mines-rodez,fr-mines-epinal"]
        ),
    ] = "",
    system: SystemQ = None,
    edition: Year = None,
    lang: Lang = None,
) -> Any:
    """Several institutions side by side in one edition (published view)."""
    return ctx.compare(institutions, system or "", edition, check_lang(lang))


@router.get(
    "/charts/{kind}",
    response_class=Response,
    responses={
        **ERRORS,
        200: {
            "content": {
                "image/svg+xml": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {"type": "object"}},
            }
        },
    },
)
def chart(
    ctx: Ctx,
    kind: Annotated[
        str,
        Path(
            max_length=20,
            description="trajectory, grades, sdg, compare or uncertainty",
            examples=["trajectory"],
        ),
    ],
    institutions: Annotated[str, Query(max_length=1000, examples=["fr-mines-rodez"])] = "",
    system: SystemQ = None,
    edition: Year = None,
    lang: Lang = None,
    format: Annotated[str, Query(max_length=10, description="svg, png or vega")] = "svg",
) -> Response:
    """A chart as SVG, PNG or its Vega-Lite spec."""
    body, media = ctx.chart(kind, institutions, system or "", edition, check_lang(lang), format)
    return Response(body, media_type=media)
