"""The uvicorn factory ``palmares.api.server:app``: each worker process builds its context from
``$PALMARES_SERVE_URL`` (set by ``palmares serve``) and ``$PALMARES_TOKEN``."""

from __future__ import annotations

import os

from fastapi import FastAPI

from palmares.api.app import create_app
from palmares.api.context import ServiceContext


def app() -> FastAPI:
    url = os.environ.get("PALMARES_SERVE_URL") or os.environ.get("PALMARES_DATA") or ""
    token = os.environ.get("PALMARES_TOKEN") or None
    return create_app(ServiceContext.from_url(url, token=token))
