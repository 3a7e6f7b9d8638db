"""``create_app(context)``: the FastAPI application (API routes, OpenAPI, offline docs, and the
web app mounted last at ``/`` when ``palmares.web`` provides it)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from palmares.api.context import ServiceContext
from palmares.api.errors import PROBLEM_JSON, ApiError, query_problem
from palmares.api.middleware import CacheMiddleware, GuardMiddleware
from palmares.translatable import tr

log = logging.getLogger("palmares.api")


def request_lang(request: Request) -> str | None:
    """The language a request chose for its messages: ``?lang=``, else the ``lang`` of a JSON
    body a route read (``request.state.lang``); None (English) otherwise."""
    lang = request.query_params.get("lang") or getattr(request.state, "lang", None)
    return lang if lang in ("fr", "en") else None


def _problem(error: ApiError, request: Request) -> JSONResponse:
    return JSONResponse(
        error.document(request.url.path, request_lang(request)),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=error.headers,
    )


def _validation_problems(errors: Any) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        where = loc[0] if loc else "request"
        column = ".".join(loc[1:]) or where
        value = e.get("input")
        if not isinstance(value, (str, int, float, bool)) or value is None:
            value = None if value is None else str(value)[:200]
        out.append({**query_problem(column, str(e.get("msg", "invalid")), value), "file": where})
    return out


def methodology_fingerprint() -> str:
    """One hash over every preset's methodology hash (and the palmares version)."""
    from palmares import __version__
    from palmares.systems.pages import describe_presets

    digest = hashlib.sha256(__version__.encode())
    for preset in describe_presets():
        for m in preset["methodologies"]:
            digest.update(str(m["methodology_hash"]).encode())
    return digest.hexdigest()


def create_app(context: ServiceContext) -> FastAPI:
    """The application serving ``context``: ``/api/v1``, ``/openapi.json``, ``/docs``."""
    from fastapi_offline import FastAPIOffline

    from palmares import __version__
    from palmares.api.jobs import JobQueue
    from palmares.api.routes import router
    from palmares.api.writes import router as write_router

    app = FastAPIOffline(
        title="palmares",
        version=__version__,
        summary="Rankings of higher-education institutions: build, explain, explore.",
        description="Every question palmares answers, over HTTP (docs/api.md).",
        redoc_url=None,
    )
    app.state.context = context
    if context.jobs is None:
        context.jobs = JobQueue(context)
    app.include_router(router)
    from palmares.api.jobs import router as job_router

    app.include_router(job_router)
    app.include_router(write_router)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return _problem(error, request)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = _validation_problems(error.errors())
        detail = "; ".join(f"{p['column']}: {p['message']}" for p in problems[:5])
        return _problem(ApiError(422, detail or tr("invalid request"), problems=problems), request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _problem(ApiError(error.status_code, str(error.detail)), request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Bad input never gets here; anything that does is logged and answered as a problem.
        log.exception("unexpected error on %s", request.url.path)
        said = tr("internal error: {kind}", kind=type(error).__name__)
        return _problem(ApiError(500, said), request)

    web = _web_app(context)
    if web is not None:
        app.mount("/", web)

    fingerprint = methodology_fingerprint()
    app.add_middleware(
        CacheMiddleware,
        fingerprint=lambda: context.data_hash + fingerprint,
    )
    app.add_middleware(GuardMiddleware, token=lambda: context.token)
    return app


def _web_app(context: ServiceContext) -> Any:
    try:
        from palmares.web import create_web_app
    except ImportError:
        return None
    return create_web_app(context)
