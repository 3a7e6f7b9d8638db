"""The compare chart's Vega-Lite spec, on the demo world."""

from __future__ import annotations

import pytest

from palmares.charts.compare import compare_chart, compare_frame
from palmares.charts.text import node_labels
from palmares.dataset import Dataset
from palmares.history import EditionSeries
from palmares.result import Result
from tests.charts.spec import SCHOOL, layers, mark, rows, texts

OTHERS = ("us-isros-houston", "it-nedal-palermo")


@pytest.fixture(scope="module")
def result(impact: EditionSeries) -> Result:
    r = impact.result(2023)
    assert r is not None
    return r


def test_grouped_bars_one_per_institution_and_sdg(result: Result, world: Dataset) -> None:
    spec = compare_chart(
        result, [SCHOOL, *OTHERS], node_labels(world.indicators, "en"), lang="en"
    ).to_dict()
    bars = layers(spec)["values"]
    assert mark(bars) == "bar"
    assert bars["encoding"]["xOffset"]["field"] == "name"
    assert bars["encoding"]["color"]["field"] == "name"
    assert bars["encoding"]["y"]["field"] == "value"
    data = rows(spec, bars)
    assert len(data) == 3 * len(result.tree.children("the-impact"))
    sdg4 = {r["institution"]: r["value"] for r in data if r["node"] == "the-impact.sdg04"}
    assert sdg4[SCHOOL] == pytest.approx(84.3)
    assert "Isros University of Houston: =56" in spec["title"]["subtitle"]
    assert "Score" in texts(spec)


def test_graded_system_compares_a_counts(umr: EditionSeries, world: Dataset) -> None:
    r = umr.result(2022)
    assert r is not None
    frame = compare_frame(
        r, [SCHOOL, "us-isros-houston"], node_labels(world.indicators, "fr"), "fr"
    )
    research = frame[(frame["node"] == "u-multirank.research") & (frame["institution"] == SCHOOL)]
    i = r.position(SCHOOL)
    a = int(r.grade_counts[i, r.tree.index("u-multirank.research"), 0])  # type: ignore[index]
    assert research["value"].iloc[0] == a
    assert research["value_text"].iloc[0] == str(a)
    spec = compare_chart(
        r, [SCHOOL, "us-isros-houston"], node_labels(world.indicators, "fr"), lang="fr"
    ).to_dict()
    assert "notes A" in texts(spec) and "Côte à côte" in texts(spec)


@pytest.mark.parametrize("count", [1, 5])
def test_two_to_four_institutions(result: Result, world: Dataset, count: int) -> None:
    ids = list(result.institutions[:count])
    with pytest.raises(ValueError, match="2 to 4"):
        compare_frame(result, ids, node_labels(world.indicators, "en"))
