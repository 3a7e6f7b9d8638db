"""Helpers to read a layered Vega-Lite spec (``chart.to_dict()``) by layer name."""

from __future__ import annotations

import re
from typing import Any


def layers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {layer["name"]: layer for layer in spec["layer"]}


def mark(layer: dict[str, Any]) -> str:
    value = layer["mark"]
    return str(value["type"] if isinstance(value, dict) else value)


def rows(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    """The inline data rows of one layer (Altair moves them to top-level ``datasets``)."""
    data = layer.get("data", spec.get("data", {}))
    if "values" in data:
        return list(data["values"])
    return list(spec["datasets"][data["name"]])


def texts(spec: dict[str, Any]) -> str:
    """Every title, subtitle and axis / legend title of the spec, as one string."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("title", "subtitle", "text") and isinstance(value, (str, list)):
                    out.extend([value] if isinstance(value, str) else [str(v) for v in value])
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: v for k, v in spec.items() if k != "datasets"})
    return "\n".join(out)


def external_urls(html: str) -> list[str]:
    """Scripts and stylesheets an HTML page would fetch from the network."""
    scripts = re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']([^\"']*)", html, flags=re.I)
    links = re.findall(r"<link[^>]*href\s*=\s*[\"']([^\"']*)", html, flags=re.I)
    return [u for u in scripts + links if u.startswith(("http://", "https://", "//"))]


#: A demo-world school of the network reseau-mines (docs/demo-world.md).
SCHOOL = "fr-mines-rodez"
