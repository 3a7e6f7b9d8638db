"""Charts (Altair / Vega-Lite): rank trajectory, grade sunburst, SDG profile, compare; written
as PNG or SVG without a browser and as offline HTML (:mod:`palmares.charts.render`)."""

from __future__ import annotations

from palmares.charts.compare import compare_chart, compare_frame
from palmares.charts.grades import grades_chart, sunburst_frame
from palmares.charts.render import chart_format, render, save_chart
from palmares.charts.sdg import sdg_chart, sdg_frame
from palmares.charts.text import node_labels
from palmares.charts.trajectory import trajectory_chart, trajectory_frame

__all__ = [
    "chart_format",
    "compare_chart",
    "compare_frame",
    "grades_chart",
    "node_labels",
    "render",
    "save_chart",
    "sdg_chart",
    "sdg_frame",
    "sunburst_frame",
    "trajectory_chart",
    "trajectory_frame",
]
