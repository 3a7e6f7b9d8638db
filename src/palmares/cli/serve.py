"""``palmares serve``: the HTTP API (and the web app) on uvicorn (contracts section 10)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from palmares.cli.app import app, err
from palmares.problems import UsageProblem
from palmares.translatable import tr


def _data_url(db: str | None, data: Path | None) -> str:
    """``--db``, else ``--data``, else $PALMARES_DB, $PALMARES_DATA, ./palmares.duckdb."""
    if db:
        return db
    if data is not None:
        return str(data)
    for name in ("PALMARES_DB", "PALMARES_DATA"):
        if os.environ.get(name):
            return os.environ[name]
    if Path("palmares.duckdb").exists():
        return "palmares.duckdb"
    raise UsageProblem(
        tr("no data to serve: pass --db URL or --data DIR (make one with: palmares demo --out DIR)")
    )


@app.command()
def serve(
    db: Annotated[
        str | None, typer.Option("--db", help="Store URL (DuckDB file or postgresql://...).")
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="A bundle, loaded once at start.")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (share a PostgreSQL store).")
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler (tcp://HOST:PORT) for uncertainty jobs."),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (/api/v1, /openapi.json, /docs) and the web pages."""
    import uvicorn

    if workers < 1:
        raise UsageProblem(tr("--workers must be >= 1"))
    url = _data_url(db, data)
    os.environ["PALMARES_SERVE_URL"] = url
    if scheduler:
        os.environ["PALMARES_SCHEDULER"] = scheduler
    err(f"palmares serve: {url} on http://{host}:{port} ({workers} worker(s))")
    uvicorn.run(
        "palmares.api.server:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )
