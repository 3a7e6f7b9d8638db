"""The SDG profile's Vega-Lite spec, on the demo world's THE Impact 2023."""

from __future__ import annotations

import numpy as np
import pytest

from palmares.charts.sdg import sdg_chart, sdg_frame
from palmares.charts.text import node_labels
from palmares.dataset import Dataset
from palmares.history import EditionSeries
from palmares.lang import NBSP
from palmares.result import Result
from tests.charts.spec import SCHOOL, layers, mark, rows, texts


@pytest.fixture(scope="module")
def result(impact: EditionSeries) -> Result:
    r = impact.result(2023)
    assert r is not None
    return r


@pytest.fixture(scope="module")
def spec_fr(result: Result, world: Dataset) -> dict:
    return sdg_chart(result, SCHOOL, node_labels(world.indicators, "fr"), lang="fr").to_dict()


def test_one_bar_per_sdg_with_its_score_and_band(spec_fr: dict, result: Result) -> None:
    bars = layers(spec_fr)["scores"]
    assert mark(bars) == "bar"
    assert bars["encoding"]["x"]["field"] == "score"
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 100]
    data = {r["node"]: r for r in rows(spec_fr, bars)}
    i = result.position(SCHOOL)
    for node in result.tree.children("the-impact"):
        table = result.node_table(node)
        if table.rank[i] > 0:
            assert data[node]["score"] == pytest.approx(float(table.key[i]))
            assert data[node]["band"] == table.bands()[i]
        else:
            assert node not in data
    assert data["the-impact.sdg09"]["band"] == "101–200"
    assert layers(spec_fr)["bands"]["encoding"]["text"]["field"] == "band_text"


def test_the_three_best_sdgs_and_sdg17_are_highlighted(spec_fr: dict, result: Result) -> None:
    data = rows(spec_fr, layers(spec_fr)["scores"])
    counted = [r["node"] for r in data if r["counted"] and r["node"] != "the-impact.sdg17"]
    assert len(counted) == 3
    others = [r for r in data if not r["counted"]]
    # The best three are chosen on the scaled scores: each counted SDG has a weight, no other.
    i = result.position(SCHOOL)
    for node in counted:
        assert result.node_weights[i, result.tree.index(node)] == pytest.approx(0.26)
    assert {r["role"] for r in others} == {"non compté"}
    sdg17 = next(r for r in data if r["node"] == "the-impact.sdg17")
    assert sdg17["counted"] and sdg17["role"] == "ODD 17 (obligatoire)"
    colour = layers(spec_fr)["scores"]["encoding"]["color"]
    assert colour["field"] == "role"
    assert colour["scale"]["domain"][0] == "compte dans le score global"


def test_overall_band_in_the_subtitle(spec_fr: dict, result: Result) -> None:
    """Inside a printed band the subtitle states the band, never the rank (477th here)."""
    i = result.position(SCHOOL)
    band = result.ranking.bands()[i]
    assert band == "401–600" and result.ranking.rank[i] == 477
    assert spec_fr["title"]["subtitle"] == f"Classement général{NBSP}: tranche {band}"


def test_labels_follow_the_language(result: Result, world: Dataset) -> None:
    en = sdg_frame(result, SCHOOL, node_labels(world.indicators, "en"), "en")
    fr = sdg_frame(result, SCHOOL, node_labels(world.indicators, "fr"), "fr")
    assert en["sdg"].iloc[0].startswith("SDG 1:")
    assert fr["sdg"].iloc[0].startswith("ODD 1 :")
    assert "," in fr["score_text"].iloc[0] and "." in en["score_text"].iloc[0]
    spec_en = sdg_chart(result, SCHOOL, node_labels(world.indicators, "en")).to_dict()
    assert "Score by SDG" in texts(spec_en) and "Overall: band 401–600" in texts(spec_en)


def test_a_system_printing_no_rank_states_none_in_the_published_view(
    umr: EditionSeries, world: Dataset
) -> None:
    # U-Multirank prints no overall rank and no dimension rank: the profile states scores only
    result = umr.result(max(umr.years))
    assert result is not None
    who = result.institutions[int(np.flatnonzero(result.ranking.rank > 0)[0])]
    labels = node_labels(world.indicators, "en")
    spec = sdg_chart(result, who, labels, lang="en").to_dict()
    data = rows(spec, layers(spec)["scores"])
    assert data and all(r["rank_display"] == "" for r in data)
    assert spec["title"]["subtitle"] == "Overall: no rank published"
    assert "rank_display" not in layers(spec)["bands"]["transform"][0]["calculate"]
    producer = sdg_chart(result, who, labels, lang="en", view="producer").to_dict()
    assert all(r["rank_display"] for r in rows(producer, layers(producer)["scores"]))
    assert (
        producer["title"]["subtitle"].startswith("Overall: ")
        and "no rank" not in producer["title"]["subtitle"]
    )
