"""The trajectory of editions known only by a printed band, and spread rank labels, on the
hand-built world of ``tests/charts/band_world.py`` (its docstring lists every rank and band)."""

from __future__ import annotations

import pytest

from palmares.charts.render import render
from palmares.charts.trajectory import (
    BAND_SPREAD,
    HEIGHT,
    LABEL_GAP,
    WIDTH,
    label_positions,
    trajectory_chart,
    trajectory_frame,
)
from palmares.history import EditionSeries
from palmares.lang import NBSP
from tests.charts.band_world import band_series
from tests.charts.spec import external_urls, layers, mark, rows, texts

#: Six schools: one rank is 13 / 340 x 5 rank units apart on the axis from 1 to 6.
GAP = LABEL_GAP * 5 / HEIGHT


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


def test_tied_labels_are_pushed_one_gap_apart(spec_fr: dict) -> None:
    labels = rows(spec_fr, layers(spec_fr)["rank_labels"])
    got = {(r["institution"], r["edition"]): r["label_y"] for r in labels}
    # 2020: a 1st, b and c joint 2nd (same place: c goes one gap lower), f 6th.
    assert got[("a", 2020)] == 1
    assert got[("b", 2020)] == 2
    assert got[("c", 2020)] == pytest.approx(2 + GAP)
    assert got[("f", 2020)] == 6
    # 2022: bands labelled at their middle; a and b share 1-2.
    assert got[("a", 2022)] == 1.5
    assert got[("b", 2022)] == pytest.approx(1.5 + GAP)
    assert got[("c", 2022)] == 4
    assert layers(spec_fr)["rank_labels"]["encoding"]["y"]["field"] == "label_y"


def test_label_positions_push_a_cluster_down_by_whole_gaps() -> None:
    import pandas as pd

    data = pd.DataFrame(
        {
            "edition": [2020] * 4 + [2021],
            "name": ["p", "q", "r", "s", "p"],
            "rank": [10.0, 11.0, 11.0, 40.0, 10.0],
            "band_only": False,
            "band_lo": 0,
            "band_hi": 0,
        }
    )
    # Axis from 1 to 341 on 340 px: one pixel is one rank, so the gap is 13 ranks.
    got = label_positions(data, 341).set_index(["edition", "name"])["label_y"]
    assert got[(2020, "p")] == 10
    assert got[(2020, "q")] == 23
    assert got[(2020, "r")] == 36
    assert got[(2020, "s")] == 49  # 40 is within a gap of 36: pushed too
    assert got[(2021, "p")] == 10


def test_band_only_chart_renders_offline(spec_fr: dict) -> None:
    assert render(spec_fr, "png", scale=1).startswith(b"\x89PNG")
    assert b"<svg" in render(spec_fr, "svg")
    html = render(spec_fr, "html").decode("utf-8")
    assert external_urls(html) == [] and "vegaEmbed" in html
