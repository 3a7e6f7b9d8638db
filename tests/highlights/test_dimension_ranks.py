"""National and regional ranks inside a dimension for a system ranked on grade counts (claim
C3: "1st in France in teaching & learning, tied with four other schools"), on the grades world
of ``fact_worlds.py`` (its docstring gives every A count)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from history_world import world, write_methods

from palmares.highlights import Fact, facts, render
from palmares.history import EditionSeries
from tests.highlights.fact_worlds import grades_world, write_grades_method


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> EditionSeries:
    return EditionSeries(grades_world(), write_grades_method(tmp_path_factory.mktemp("g")))


def scoped(found: list[Fact], kind: str) -> dict[str, Fact]:
    return {f.values["node"]: f for f in found if f.kind == kind and f.values["node"]}


def test_f1_in_france_and_in_its_region(series: EditionSeries) -> None:
    found = facts(series, "f1", 2021)
    national = scoped(found, "national_rank")
    # Teaching: f1, f2, f3 have 2 A (d1's 3 are German): joint 1st of 6, a tie of 3.
    assert dict(national["g.t"].values) == {
        "node": "g.t",
        "scope": "FR",
        "rank": 1,
        "tie_size": 3,
        "field_size": 6,
        "grade": "A",
    }
    # Research: f4 has 2 A; f1 and f6 1 each: joint 2nd.
    assert (national["g.r"].values["rank"], national["g.r"].values["tie_size"]) == (2, 2)
    # Priority: national 86, 20 below for a node; a national first among 5 or more is as
    # newsworthy as an overall one (+30, no node penalty): the release's headline.
    assert (national["g.t"].priority, national["g.r"].priority) == (116, 66)
    regional = scoped(found, "regional_rank")
    # Occitanie: f1 (2 A in teaching, 1 in research), f2 (2, 0), f5 (0, 0).
    assert dict(regional["g.t"].values) == {
        "node": "g.t",
        "scope": "Occitanie",
        "rank": 1,
        "tie_size": 2,
        "field_size": 3,
        "grade": "A",
    }
    assert (regional["g.r"].values["rank"], regional["g.r"].values["tie_size"]) == (1, 1)
    # A first place in a region of fewer than five: no bonus (82 - 20).
    assert regional["g.t"].priority == regional["g.r"].priority == 62
    # The overall national rank is unchanged: f1 and f4 have 3 A each.
    # No overall national rank in the published view (U-Multirank prints no overall rank) ...
    assert not [f for f in found if f.kind == "national_rank" and f.values["node"] is None]
    # ... in the producer view it is computed: f1 and f4 have 3 A each.
    producer = EditionSeries(series.dataset, list(series.methodologies), view="producer")
    found = facts(producer, "f1", 2021)
    (overall,) = [f for f in found if f.kind == "national_rank" and f.values["node"] is None]
    assert (overall.values["rank"], overall.values["tie_size"]) == (1, 2)


def test_only_dimensions_with_a_grades(series: EditionSeries) -> None:
    f4 = scoped(facts(series, "f4", 2021), "national_rank")
    # f4: 1 A in teaching (three compatriots have 2), 2 in research (first alone).
    assert {n: (f.values["rank"], f.values["tie_size"]) for n, f in f4.items()} == {
        "g.t": (4, 1),
        "g.r": (1, 1),
    }
    f3 = scoped(facts(series, "f3", 2021), "national_rank")
    assert list(f3) == ["g.t"]  # no A in research
    assert not scoped(facts(series, "f5", 2021), "national_rank")  # no A at all
    assert not scoped(facts(series, "f5", 2021), "regional_rank")


def test_sentences(series: EditionSeries) -> None:
    teaching = scoped(facts(series, "f1", 2021), "national_rank")["g.t"]
    assert render(teaching, series.dataset, "fr") == (
        "École F1 est 1re ex aequo des 6 établissements classés en France pour "
        "«\u00a0Enseignement et apprentissage\u00a0» (nombre de notes A), "
        "à égalité avec deux autres établissements."
    )
    assert render(teaching, series.dataset, "en") == (
        "École F1 is joint 1st of the 6 institutions ranked in France for "
        "“Teaching and learning” (number of A grades), tied with two other institutions."
    )
    # Without a gender the ordinal agrees with the noun.
    assert render(replace(teaching, gender=None), series.dataset, "fr") == (
        "École F1 est le 1er établissement ex aequo en France pour "
        "«\u00a0Enseignement et apprentissage\u00a0» (nombre de notes A), "
        "sur 6 établissements classés, à égalité avec deux autres établissements."
    )
    research = scoped(facts(series, "f1", 2021), "regional_rank")["g.r"]
    assert render(research, series.dataset, "fr") == (
        "École F1 est 1re des 3 établissements classés de sa région (Occitanie) pour "
        "«\u00a0Recherche\u00a0» (nombre de notes A)."
    )


def test_a_system_not_ranked_on_grades_has_none(tmp_path: Path) -> None:
    series = EditionSeries(world(), list(write_methods(tmp_path)))
    found = facts(series, "x", 2023)
    assert not [
        f for f in found if f.kind in ("national_rank", "regional_rank") and f.values["node"]
    ]


def test_no_region_code_no_regional_rank(tmp_path: Path) -> None:
    # f1 keeps its region name (Occitanie) but has no region code: no regional field.
    series = EditionSeries(grades_world(("f1",)), write_grades_method(tmp_path))
    found = facts(series, "f1", 2021)
    assert not [f for f in found if f.kind == "regional_rank"]
    assert set(scoped(found, "national_rank")) == {"g.t", "g.r"}
