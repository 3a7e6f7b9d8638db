"""Write a chart as PNG or SVG (vl-convert, no browser) or offline HTML (JavaScript inlined)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from palmares.io.atomic import atomic_path
from palmares.io.safe_text import script_json
from palmares.problems import UsageProblem

FORMATS: tuple[str, ...] = ("png", "svg", "html")


def chart_format(path: str | Path) -> str:
    """The output format from the file suffix (png, svg or html), else a usage problem."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "htm":
        suffix = "html"
    if suffix not in FORMATS:
        raise UsageProblem(f"{path}: expected a .png, .svg or .html output")
    return suffix


def render(chart: alt.TopLevelMixin | dict[str, Any], fmt: str, *, scale: float = 2.0) -> bytes:
    """The chart as bytes: PNG, SVG or a self-contained HTML page (no CDN)."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    if fmt == "png":
        return bytes(vlc.vegalite_to_png(spec, scale=scale))
    if fmt == "svg":
        return str(vlc.vegalite_to_svg(spec)).encode("utf-8")
    if fmt == "html":
        return _safe_spec(str(vlc.vegalite_to_html(spec, bundle=True)), spec).encode("utf-8")
    raise UsageProblem(f"unknown chart format {fmt!r}: expected one of {', '.join(FORMATS)}")


_SPEC_LINE = "const spec = "


def _safe_spec(page: str, spec: dict[str, Any]) -> str:
    """The page with its embedded spec re-serialised through :func:`script_json`: vl-convert
    writes names raw inside the <script> element, where ``</script>`` would end it."""
    start = page.rfind(_SPEC_LINE)
    if start < 0:
        raise RuntimeError("vl-convert page without its spec: cannot make it script-safe")
    start += len(_SPEC_LINE)
    end = page.index("\n", start)  # JSON holds no raw newline: the spec is this one line
    return page[:start] + script_json(spec, separators=(",", ":")) + ";" + page[end:]


def save_chart(
    chart: alt.TopLevelMixin | dict[str, Any],
    path: str | Path,
    *,
    force: bool = False,
    scale: float = 2.0,
) -> Path:
    """Write ``chart`` to ``path`` (format by suffix) atomically; refuse an existing file
    unless ``force``."""
    target = Path(path)
    payload = render(chart, chart_format(target), scale=scale)
    with atomic_path(target, force=force) as temporary:
        temporary.write_bytes(payload)
    return target
