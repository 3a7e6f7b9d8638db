"""``field_composition``: the edition's field counted by the attributes its subsets filter on
(claim C19), on the points world of ``fact_worlds.py`` (its docstring gives every count)."""

from __future__ import annotations

import pytest

from palmares.highlights import Fact, facts, render
from palmares.history import EditionSeries
from tests.highlights.fact_worlds import points_world, write_points_methods


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> EditionSeries:
    return EditionSeries(points_world(), list(write_points_methods(tmp_path_factory.mktemp("e"))))


def composition(found: list[Fact]) -> Fact:
    (fact,) = [f for f in found if f.kind == "field_composition"]
    return fact


def test_counts_follow_the_subsets(series: EditionSeries) -> None:
    # 2023 field: s1..s7 and s9 (s8 absent); s9 has no intake and is not counted there.
    fact = composition(facts(series, "s1", 2023))
    assert dict(fact.values) == {
        "by_attribute": {
            # The subsets' order (post-prepa before post-bac), then other values by count.
            "intake": {"post-prepa": 2, "post-bac": 4, "apprenticeship": 1},
            "status": {"public": 5, "private": 3},
        },
        "field_size": 8,
    }
    assert fact.priority == 45


def test_the_2022_field_counts_s8(series: EditionSeries) -> None:
    fact = composition(facts(series, "s1", 2022))
    assert fact.values["by_attribute"]["intake"] == {
        "post-prepa": 3,
        "post-bac": 4,
        "apprenticeship": 1,
    }
    assert fact.values["by_attribute"]["status"] == {"public": 5, "private": 4}
    assert fact.values["field_size"] == 9


def test_attributes_are_configurable(series: EditionSeries) -> None:
    only_status = composition(facts(series, "s1", 2023, attributes=["status"]))
    assert dict(only_status.values["by_attribute"]) == {"status": {"public": 5, "private": 3}}
    # A place is left out by default (the country subset) but can be asked for.
    country = composition(facts(series, "s1", 2023, attributes=["country"]))
    assert dict(country.values["by_attribute"]) == {"country": {"FR": 8}}
    assert not [
        f for f in facts(series, "s1", 2023, attributes=[]) if f.kind == "field_composition"
    ]
    assert not [
        f
        for f in facts(series, "s1", 2023, attributes=["nothing"])
        if f.kind == "field_composition"
    ]


def test_sentences(series: EditionSeries) -> None:
    fact = composition(facts(series, "s1", 2023))
    assert render(fact, series.dataset, "fr") == (
        "L'édition 2023 classe 8 établissements\u00a0: 2 recrutant après une classe préparatoire "
        "(cursus en trois ans), 4 après le bac (cursus en cinq ans) et 1 apprenticeship\u202f; "
        "5 publics et 3 privés."
    )
    assert render(fact, series.dataset, "en") == (
        "The 2023 edition ranks 8 institutions: 2 recruiting after preparatory classes "
        "(three-year programme), 4 after the baccalauréat (five-year programme) and "
        "1 apprenticeship; 5 public and 3 private."
    )


def test_letudiant_wording_agrees_with_schools(series: EditionSeries) -> None:
    # L'Étudiant's palmarès counts schools (feminine): "publiques", "privées"; one is singular.
    fact = Fact(
        "field_composition",
        "s1",
        "École S1",
        "letudiant",
        2023,
        {
            "by_attribute": {
                "intake": {"post-bac": 98, "post-prepa": 71},
                "status": {"public": 168, "private": 1},
            },
            "field_size": 169,
        },
        45,
    )
    assert render(fact, series.dataset, "fr") == (
        "Le palmarès 2023 classe 169 écoles\u00a0: 98 recrutant après le bac (cursus en cinq ans) "
        "et 71 après une classe préparatoire (cursus en trois ans)\u202f; 168 publiques et "
        "1 privée."
    )
    assert render(fact, series.dataset, "en") == (
        "The 2023 palmarès ranks 169 schools: 98 recruiting after the baccalauréat (five-year "
        "programme) and 71 after preparatory classes (three-year programme); 168 public and "
        "1 private."
    )
