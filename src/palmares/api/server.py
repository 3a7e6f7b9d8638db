"""The uvicorn factory ``palmares.api.server:app``: each worker process builds its context from
``$PALMARES_SERVE_URL`` (set by ``palmares serve``) and ``$PALMARES_TOKEN``."""

from __future__ import annotations

import os
import threading

from fastapi import FastAPI

from palmares.api.app import create_app
from palmares.api.context import ServiceContext


def app() -> FastAPI:
    url = os.environ.get("PALMARES_SERVE_URL") or os.environ.get("PALMARES_DATA") or ""
    token = os.environ.get("PALMARES_TOKEN") or None
    context = ServiceContext.from_url(url, token=token)
    threading.Thread(target=context.warm, name="palmares-warm", daemon=True).start()
    return create_app(context)
