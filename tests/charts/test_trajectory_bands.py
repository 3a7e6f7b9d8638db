"""The trajectory of editions known only by a printed band, and spread rank labels, on the
hand-built world of ``tests/charts/band_world.py`` (its docstring lists every rank and band)."""

from __future__ import annotations

import pytest

from palmares.charts.render import render
from palmares.charts.trajectory import (
    BAND_SPREAD,
    HEIGHT,
    LABEL_SIZE,
    WIDTH,
    label_positions,
    trajectory_chart,
    trajectory_frame,
)
from palmares.history import EditionSeries
from palmares.lang import NBSP
from tests.charts.band_world import band_series
from tests.charts.spec import external_urls, layers, mark, rows, texts

#: Six schools on 340 px: one rank is 68 px.
RANK_PX = HEIGHT / 5


@pytest.fixture(scope="module")
def series() -> EditionSeries:
    return band_series()


@pytest.fixture(scope="module")
def spec_fr(series: EditionSeries) -> dict:
    return trajectory_chart(series, ["a", "b", "c", "f"], lang="fr").to_dict()


def test_band_only_edition_is_a_rule_from_band_start_to_band_end(spec_fr: dict) -> None:
    rule = layers(spec_fr)["band_only"]
    assert mark(rule) == "rule"
    assert rule["mark"]["strokeDash"] == [5, 3]
    assert rule["encoding"]["y"]["field"] == "band_lo"
    assert rule["encoding"]["y2"]["field"] == "band_hi"
    assert rule["encoding"]["y"]["scale"]["reverse"] is True
    got = {
        (r["institution"], r["edition"]): (r["band_lo"], r["band_hi"], r["band"])
        for r in rows(spec_fr, rule)
    }
    # The open band 6+ stops at the bottom of the table (6 schools).
    assert got == {
        ("a", 2022): (1, 2, "1–2"),
        ("b", 2022): (1, 2, "1–2"),
        ("c", 2022): (3, 5, "3–5"),
        ("f", 2022): (6, 6, "6+"),
    }


def test_band_only_rule_says_so_in_its_tooltip(spec_fr: dict, series: EditionSeries) -> None:
    rule = layers(spec_fr)["band_only"]
    assert "note" in [t["field"] for t in rule["encoding"]["tooltip"]]
    assert {r["note"] for r in rows(spec_fr, rule)} == {f"tranche seule{NBSP}: aucun rang publié"}
    spec_en = trajectory_chart(series, ["c"], lang="en").to_dict()
    assert {r["note"] for r in rows(spec_en, layers(spec_en)["band_only"])} == {
        "band only: no rank published"
    }
    assert "dashed rule: band only (no rank published)" in texts(spec_en)
    assert f"trait pointillé{NBSP}: tranche seule" in texts(spec_fr)


def test_band_ends_are_ticks_at_both_ends(spec_fr: dict) -> None:
    ends = layers(spec_fr)["band_only_ends"]
    assert mark(ends) == "tick"
    got = sorted((r["name"], r["end"]) for r in rows(spec_fr, ends))
    assert got == [
        ("École A", 1),
        ("École A", 2),
        ("École B", 1),
        ("École B", 2),
        ("École C", 3),
        ("École C", 5),
        ("École F", 6),
        ("École F", 6),
    ]


def test_same_band_rules_are_spread_around_the_edition(spec_fr: dict) -> None:
    rule = layers(spec_fr)["band_only"]
    assert rule["encoding"]["xOffset"] == {"field": "offset", "scale": None, "type": "quantitative"}
    # Offsets count from the band's start: half a band (0.9 of a step of 560 / 4) to its centre.
    centre = 0.9 * (WIDTH / 4) / 2
    offsets = {r["institution"]: r["offset"] for r in rows(spec_fr, rule)}
    assert offsets["a"] == pytest.approx(centre - BAND_SPREAD / 2)
    assert offsets["b"] == pytest.approx(centre + BAND_SPREAD / 2)
    assert offsets["c"] == pytest.approx(centre)
    assert offsets["f"] == pytest.approx(centre)


def test_no_point_and_no_line_through_a_band_only_edition(spec_fr: dict) -> None:
    ranks = layers(spec_fr)["ranks"]
    assert ranks["encoding"]["detail"]["field"] == "segment"
    points = {(r["institution"], r["edition"]): r["segment"] for r in rows(spec_fr, ranks)}
    assert ("c", 2022) not in points
    # 2020-2021 is one run of exact ranks, 2023 starts another: the line breaks at 2022.
    assert points[("c", 2020)] == points[("c", 2021)] != points[("c", 2023)]
    # The shaded band bars are for exact ranks inside a printed band only.
    assert rows(spec_fr, layers(spec_fr)["bands"]) == []


def test_band_only_rows_of_the_frame(series: EditionSeries) -> None:
    frame = trajectory_frame([series.history("c")], "en").set_index("edition")
    assert frame["band_only"].tolist() == [False, False, True, False]
    assert frame.loc[2022, "rank_display"] == "3–5"
    assert frame["rank"].isna().tolist() == [False, False, True, False]


def test_tied_labels_never_overlap_and_stay_beside_their_point(spec_fr: dict) -> None:
    from palmares.charts.layout import TextBox, rectangle, text_width

    labels = rows(spec_fr, layers(spec_fr)["rank_labels"])
    boxes = {
        (r["institution"], r["edition"]): rectangle(
            r["lx"], r["ly"], text_width(r["rank_display"], LABEL_SIZE), LABEL_SIZE
        )
        for r in labels
    }
    keys = list(boxes)
    for k, first in enumerate(keys):
        for second in keys[k + 1 :]:
            assert not boxes[first].overlaps(boxes[second], 0.0), (first, second)
    # 2020: a 1st at the top, b and c joint 2nd one rank (68 px) lower: c's label is not on
    # b's; every label within two lines of its point.
    got = {(r["institution"], r["edition"]): r for r in labels}
    for (school, year), r in got.items():
        if year == 2020:
            rank = {"a": 1, "b": 2, "c": 2, "f": 6}[school]
            assert abs(r["ly"] - (rank - 1) * RANK_PX) <= 2 * 13 + LABEL_SIZE
    assert isinstance(next(iter(boxes.values())), TextBox)
    assert layers(spec_fr)["rank_labels"]["encoding"]["x"]["scale"] is None


def test_label_positions_place_a_cluster_apart_in_pixels() -> None:
    import pandas as pd

    data = pd.DataFrame(
        {
            "edition": [2020] * 4 + [2021],
            "name": ["p", "q", "r", "s", "t"],
            "rank": [10.0, 11.0, 11.0, 40.0, 10.0],
            "rank_display": ["10", "=11", "=11", "40", "10"],
            "band_only": False,
            "band_lo": 0,
            "band_hi": 0,
        }
    )
    # Axis from 1 to 341 on 340 px: one pixel is one rank.
    got = label_positions(data, [2020, 2021], 341).set_index(["edition", "name"])
    # p's label right of its point (x + 8), its baseline 0.3 font size below the point
    step = WIDTH / (2 - 0.1 + 2 * 0.05)
    centre = 0.05 * step + 0.9 * step / 2
    assert got.loc[(2020, "p"), "lx"] == pytest.approx(centre + 8)
    assert got.loc[(2020, "p"), "ly"] == pytest.approx(9 + 0.3 * LABEL_SIZE)
    assert got.loc[(2021, "t"), "lx"] == pytest.approx(centre + step + 8)
    # q and r share rank 11: r's label goes elsewhere (not on q's)
    q, r = got.loc[(2020, "q")], got.loc[(2020, "r")]
    assert (q["lx"], q["ly"]) != (r["lx"], r["ly"])
    assert got.loc[(2020, "s"), "ly"] == pytest.approx(39 + 0.3 * LABEL_SIZE)


def test_band_only_chart_renders_offline(spec_fr: dict) -> None:
    assert render(spec_fr, "png", scale=1).startswith(b"\x89PNG")
    assert b"<svg" in render(spec_fr, "svg")
    html = render(spec_fr, "html").decode("utf-8")
    assert external_urls(html) == [] and "vegaEmbed" in html
