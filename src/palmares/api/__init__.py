"""The HTTP API (contracts section 10): FastAPI routes over a :class:`ServiceContext`.

``create_app(context)`` builds the application; ``palmares serve`` runs it on uvicorn.
"""

from __future__ import annotations

from palmares.api.app import create_app
from palmares.api.context import ServiceContext

__all__ = ["ServiceContext", "create_app"]
