"""The web app (contracts section 11): server-rendered pages over the same data as the API.

``create_web_app(context)`` returns the ASGI app the API mounts last at ``/``; ``serve_bundle``
runs it alone on a bundle (``make demo``, the browser tests).
"""

from __future__ import annotations

from palmares.web.app import create_web_app
from palmares.web.data import WebData

__all__ = ["WebData", "create_web_app"]
