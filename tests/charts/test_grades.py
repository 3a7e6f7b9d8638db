"""The grade sunburst's Vega-Lite spec, on the demo world's U-Multirank 2022."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from palmares.charts.grades import EMPTY_COLOUR, GRADE_COLOURS, grades_chart, sunburst_frame
from palmares.charts.text import node_labels
from palmares.dataset import Dataset
from palmares.history import EditionSeries
from palmares.result import Result
from tests.charts.spec import SCHOOL, layers, mark, rows, texts


@pytest.fixture(scope="module")
def result(umr: EditionSeries) -> Result:
    r = umr.result(2022)
    assert r is not None
    return r


@pytest.fixture(scope="module")
def spec_fr(result: Result, world: Dataset) -> dict:
    return grades_chart(result, SCHOOL, node_labels(world.indicators, "fr"), lang="fr").to_dict()


def test_five_dimensions_as_sectors_covering_the_circle(spec_fr: dict, result: Result) -> None:
    sectors = rows(spec_fr, layers(spec_fr)["dimensions"])
    assert len(sectors) == 5
    assert mark(layers(spec_fr)["dimensions"]) == "arc"
    assert sectors[0]["theta"] == 0
    assert sectors[-1]["theta2"] == pytest.approx(2 * math.pi)
    for before, after in itertools.pairwise(sectors):
        assert before["theta2"] == pytest.approx(after["theta"])
    assert sum(s["indicators"] for s in sectors) == len(result.leaves)


def test_one_ray_per_indicator_coloured_by_grade(spec_fr: dict, result: Result) -> None:
    ray_layer = layers(spec_fr)["rays"]
    colour = ray_layer["encoding"]["color"]
    assert colour["field"] == "grade"
    assert colour["scale"]["domain"] == ["A", "B", "C", "D", "E", "sans groupe"]
    assert colour["scale"]["range"] == [*GRADE_COLOURS, EMPTY_COLOUR]
    rays = rows(spec_fr, ray_layer)
    assert len(rays) == len(result.leaves)
    assert result.grades is not None
    i = result.position(SCHOOL)
    by_leaf = {r["indicator"]: r["grade"] for r in rays}
    codes = result.grades[i]
    for leaf, code in zip(result.leaves, codes, strict=True):
        assert by_leaf[leaf] == ("ABCDE"[code] if code >= 0 else "sans groupe")


def test_missing_grades_are_visibly_empty(spec_fr: dict, result: Result) -> None:
    missing = layers(spec_fr)["missing"]
    assert missing["mark"]["fill"] == EMPTY_COLOUR
    assert missing["mark"]["strokeDash"]
    i = result.position(SCHOOL)
    empty = int(np.sum(result.grades[i] < 0))  # type: ignore[index]
    assert empty > 0
    assert len(rows(spec_fr, missing)) == empty


def test_centre_labels_carry_the_a_count_per_dimension(spec_fr: dict, result: Result) -> None:
    labels = rows(spec_fr, layers(spec_fr)["a_counts"])
    i = result.position(SCHOOL)
    tree = result.tree
    for sector, dimension in zip(labels, tree.children(tree.roots[0]), strict=True):
        count = int(result.grade_counts[i, tree.index(dimension), 0])  # type: ignore[index]
        assert sector["a_count"] == count
        assert sector["centre_label"] == f"{count} A"
        # the full name, wrapped into lines, never cut
        assert sector["name_label"].replace("\n", " ") == sector["dimension"]
        assert all(len(line) <= 18 for line in sector["name_label"].split("\n"))
    assert layers(spec_fr)["a_counts"]["encoding"]["text"]["field"] == "centre_label"
    assert "Recherche" in {s["dimension"] for s in labels}
    names = [
        n
        for key, layer in layers(spec_fr).items()
        if key.startswith("dimension_names_")
        for n in rows(spec_fr, layer)
    ]
    assert sorted(n["dimension"] for n in names) == sorted(s["dimension"] for s in labels)
    assert "Enseignement et\napprentissage" in {n["name_label"] for n in names}


def test_labels_follow_the_language(spec_fr: dict, result: Result, world: Dataset) -> None:
    spec_en = grades_chart(result, SCHOOL, node_labels(world.indicators, "en")).to_dict()
    assert "Groupes de performance" in texts(spec_fr)
    assert "Performance groups" in texts(spec_en)
    dims = {s["dimension"] for s in rows(spec_en, layers(spec_en)["dimensions"])}
    assert "Research" in dims
    assert "no grade" in layers(spec_en)["rays"]["encoding"]["color"]["scale"]["domain"]


def test_an_ungraded_system_is_refused(impact: EditionSeries, world: Dataset) -> None:
    r = impact.result(2023)
    assert r is not None
    with pytest.raises(ValueError, match="graded"):
        sunburst_frame(r, SCHOOL, node_labels(world.indicators, "en"))
