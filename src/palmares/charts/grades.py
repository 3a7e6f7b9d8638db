"""Grade sunburst (U-Multirank): dimensions as sectors, one ray per indicator coloured A..E."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from palmares.charts.text import (
    colon,
    producer_note,
    system_name,
    with_locale,
    word,
    wrap,
)
from palmares.lang import check_lang
from palmares.result import Result

GRADE_LETTERS = ("A", "B", "C", "D", "E")
GRADE_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
EMPTY_COLOUR = "#ffffff"
DIMENSION_COLOUR = "#e8ecf2"
INNER, MIDDLE, OUTER = 40.0, 105.0, 200.0
SIZE = 560
#: Dimension names sit outside the rays, wrapped at this many characters a line.
NAME_RADIUS, NAME_WIDTH, NAME_SIZE, LINE_HEIGHT = OUTER + 14.0, 18, 11.0, 13.0


def sunburst_frame(
    result: Result, institution: str, labels: dict[str, str], lang: str = "en"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rays, dimensions): one ray per indicator with its grade (empty when none) and angles in
    radians; one sector per dimension with its A count and centre label."""
    if result.grades is None or result.grade_counts is None:
        raise ValueError(f"{result.system} grades nothing: the sunburst needs a graded system")
    i = result.position(institution)
    tree = result.tree
    dimensions = tree.children(tree.roots[0])
    leaf_index = {leaf: k for k, leaf in enumerate(result.leaves)}
    per_dimension = [
        [leaf for leaf in tree.leaves_under(d) if leaf in leaf_index] for d in dimensions
    ]
    total = sum(len(leaves) for leaves in per_dimension)
    step = 2 * math.pi / max(total, 1)
    no_grade = word("no_grade", lang)
    rays, sectors = [], []
    start = 0
    for dimension, leaves in zip(dimensions, per_dimension, strict=True):
        codes = result.grades[i, [leaf_index[leaf] for leaf in leaves]]
        for k, (leaf, code) in enumerate(zip(leaves, codes, strict=True)):
            rays.append(
                {
                    "indicator": leaf,
                    "label": labels.get(leaf, leaf),
                    "dimension": labels.get(dimension, dimension),
                    "grade": GRADE_LETTERS[code] if code >= 0 else no_grade,
                    "graded": bool(code >= 0),
                    "theta": (start + k) * step,
                    "theta2": (start + k + 1) * step,
                }
            )
        a_count = int(result.grade_counts[i, tree.index(dimension), 0])
        mid = (start + len(leaves) / 2) * step
        sectors.append(
            {
                "dimension": labels.get(dimension, dimension),
                "node": dimension,
                "a_count": a_count,
                "graded": int(np.sum(codes >= 0)),
                "indicators": len(leaves),
                "centre_label": f"{a_count} A",
                "name_label": wrap(labels.get(dimension, dimension), NAME_WIDTH),
                "theta": start * step,
                "theta2": (start + len(leaves)) * step,
                "mid": mid,
            }
        )
        start += len(leaves)
    return pd.DataFrame(rays), pd.DataFrame(sectors)


def name_positions(sectors: pd.DataFrame) -> pd.DataFrame:
    """Each dimension's full name outside the rays at its sector's middle angle: ``nx``, ``ny``
    the first line's baseline in pixels from the chart's top left, ``side`` its alignment
    (names on the right start there, names on the left end there); a block of lines above
    the centre grows upwards so that it never runs into the rays."""
    mid = sectors["mid"].to_numpy(dtype=float)
    sine, cosine = np.sin(mid), np.cos(mid)
    lines = sectors["name_label"].str.count("\n").to_numpy() + 1
    x = SIZE / 2 + NAME_RADIUS * sine
    y = SIZE / 2 - NAME_RADIUS * cosine
    side = np.where(sine > 0.2, "left", np.where(sine < -0.2, "right", "center"))
    # top half: the block's last line at the anchor; bottom half: its first line's top there
    first = np.where(cosine > 0, y - (lines - 1) * LINE_HEIGHT, y + 0.76 * NAME_SIZE)
    middle = np.abs(cosine) <= 0.5  # at the sides: the block centred on the anchor
    first = np.where(middle, y - (lines - 1) * LINE_HEIGHT / 2 + 0.3 * NAME_SIZE, first)
    return sectors.assign(nx=x, ny=first, side=side)


def grades_chart(
    result: Result,
    institution: str,
    labels: dict[str, str],
    *,
    lang: str = "en",
    view: str = "published",
) -> alt.LayerChart:
    """The sunburst of one institution in one graded edition. ``labels`` maps node ids to
    names (:func:`palmares.charts.text.node_labels`)."""
    check_lang(lang)
    rays, sectors = sunburst_frame(result, institution, labels, lang)
    no_grade = word("no_grade", lang)
    colour = alt.Color(
        "grade:N",
        title=word("grade", lang),
        scale=alt.Scale(domain=[*GRADE_LETTERS, no_grade], range=[*GRADE_COLOURS, EMPTY_COLOUR]),
        legend=alt.Legend(symbolStrokeColor="#666666", orient="bottom", direction="horizontal"),
    )
    theta = alt.Theta("theta:Q", scale=None)
    ray_tooltip = [
        alt.Tooltip("label:N", title=word("indicator", lang)),
        alt.Tooltip("dimension:N", title=word("dimension", lang)),
        alt.Tooltip("grade:N", title=word("grade", lang)),
    ]
    ray_layer = (
        alt.Chart(rays)
        .mark_arc(stroke="#ffffff", strokeWidth=1.5)
        .encode(
            theta=theta,
            theta2="theta2:Q",
            radius=alt.Radius("r0:Q", scale=None),
            radius2="r1:Q",
            color=colour,
            tooltip=ray_tooltip,
        )
        .transform_calculate(r0=f"{MIDDLE + 3}", r1=f"{OUTER}")
        .properties(name="rays")
    )
    # A missing grade stays visibly empty: a white ray with a dashed outline.
    empty = (
        alt.Chart(rays[~rays["graded"]])
        .mark_arc(fill=EMPTY_COLOUR, stroke="#777777", strokeDash=[3, 3], strokeWidth=1)
        .encode(
            theta=theta,
            theta2="theta2:Q",
            radius=alt.Radius("r0:Q", scale=None),
            radius2="r1:Q",
            tooltip=ray_tooltip,
        )
        .transform_calculate(r0=f"{MIDDLE + 3}", r1=f"{OUTER}")
        .properties(name="missing")
    )
    sector_layer = (
        alt.Chart(sectors)
        .mark_arc(fill=DIMENSION_COLOUR, stroke="#ffffff", strokeWidth=3)
        .encode(
            theta=theta,
            theta2="theta2:Q",
            radius=alt.Radius("r0:Q", scale=None),
            radius2="r1:Q",
            tooltip=[
                alt.Tooltip("dimension:N", title=word("dimension", lang)),
                alt.Tooltip("a_count:Q", title=word("a_grades", lang)),
                alt.Tooltip("graded:Q", title=word("grade", lang)),
            ],
        )
        .transform_calculate(r0=f"{INNER}", r1=f"{MIDDLE}")
        .properties(name="dimensions")
    )
    centre = (
        alt.Chart(sectors)
        .mark_text(fontSize=12, fontWeight="bold", color="#1a3d1a")
        .encode(
            theta=alt.Theta("mid:Q", scale=None),
            radius=alt.Radius("r:Q", scale=None),
            text="centre_label:N",
        )
        .transform_calculate(r=f"{(INNER + MIDDLE) / 2}")
        .properties(name="a_counts")
    )
    placed = name_positions(sectors)
    names = [
        alt.Chart(placed[placed["side"] == side])
        .mark_text(
            align=side,
            baseline="alphabetic",
            fontSize=NAME_SIZE,
            lineBreak="\n",
            lineHeight=LINE_HEIGHT,
            color="#222222",
        )
        .encode(
            x=alt.X("nx:Q", scale=None),
            y=alt.Y("ny:Q", scale=None),
            text="name_label:N",
            tooltip=[alt.Tooltip("dimension:N", title=word("dimension", lang))],
        )
        .properties(name=f"dimension_names_{side}")
        for side in ("left", "right", "center")
        if (placed["side"] == side).any()
    ]
    name = result.names[result.position(institution)]
    total_a = int(sectors["a_count"].sum())
    title = alt.TitleParams(
        text=f"{name}{colon(lang)}{word('grades_title', lang)} "
        + f"({system_name(result.methodology, lang)} {result.edition})"
        + producer_note(view, lang),
        subtitle=f"{total_a} {word('a_grades', lang)} · "
        + f"{int(rays['graded'].sum())}/{len(rays)} {word('indicator', lang).lower()}s",
        anchor="start",
    )
    chart = alt.LayerChart(
        layer=[sector_layer, ray_layer, empty, centre, *names],
        title=title,
        width=SIZE,
        height=SIZE,
    )
    # No frame around the plot: the x and y of the names are pixels, not axes.
    return with_locale(chart, lang).configure_view(stroke=None)
