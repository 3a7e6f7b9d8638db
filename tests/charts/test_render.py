"""Every chart renders to PNG and SVG without a browser and to HTML with no external URL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from palmares.charts import compare_chart, grades_chart, sdg_chart, trajectory_chart
from palmares.charts.render import chart_format, render, save_chart
from palmares.charts.text import node_labels
from palmares.dataset import Dataset
from palmares.history import EditionSeries
from palmares.io.atomic import OutputExists
from palmares.problems import UsageProblem
from tests.charts.spec import SCHOOL

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def charts(world: Dataset, impact: EditionSeries, umr: EditionSeries) -> dict[str, Any]:
    labels = node_labels(world.indicators, "fr")
    the, graded = impact.result(2023), umr.result(2022)
    assert the is not None and graded is not None
    return {
        "trajectory": trajectory_chart(impact, [SCHOOL], lang="fr"),
        "grades": grades_chart(graded, SCHOOL, labels, lang="fr"),
        "sdg": sdg_chart(the, SCHOOL, labels, lang="fr"),
        "compare": compare_chart(the, [SCHOOL, "us-isros-houston"], labels, lang="fr"),
    }


@pytest.mark.parametrize("kind", ["trajectory", "grades", "sdg", "compare"])
def test_png_svg_and_offline_html(charts: dict[str, Any], kind: str) -> None:
    chart = charts[kind]
    png = render(chart, "png", scale=1)
    assert png.startswith(PNG_MAGIC)
    svg = render(chart, "svg").decode("utf-8")
    assert svg.lstrip().startswith("<svg") and "</svg>" in svg
    html = render(chart, "html").decode("utf-8")
    sources = re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']([^\"']*)", html, flags=re.I)
    assert not [s for s in sources if s.startswith(("http://", "https://", "//"))]
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']https?://", html, flags=re.I)
    # The Vega runtime itself is inlined.
    assert "vegaEmbed" in html and len(html) > 500_000


def test_save_refuses_an_existing_file_without_force(
    charts: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "chart.svg"
    save_chart(charts["sdg"], target)
    first = target.read_bytes()
    assert b"<svg" in first
    with pytest.raises(OutputExists):
        save_chart(charts["trajectory"], target)
    assert target.read_bytes() == first
    save_chart(charts["trajectory"], target, force=True)
    assert target.read_bytes() != first
    assert [p.name for p in tmp_path.iterdir()] == ["chart.svg"]


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.png", "png"), ("a.SVG", "svg"), ("a.html", "html"), ("a.htm", "html")]
)
def test_format_from_suffix(name: str, fmt: str) -> None:
    assert chart_format(name) == fmt


def test_unknown_suffix_is_a_usage_problem() -> None:
    with pytest.raises(UsageProblem, match=r"\.png, \.svg or \.html"):
        chart_format("chart.pdf")
