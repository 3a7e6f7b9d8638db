"""``methodology_change.scale_changes``: the points maxima from the methodology diff (claim
C17: "criteria now scored out of 10 instead of 5"), and the flag that scores are not
comparable; on the points world of ``fact_worlds.py`` and the ranges of ``history_world``."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_world import world, write_methods

from palmares.highlights import Fact, facts, render
from palmares.history import EditionSeries
from tests.highlights.fact_worlds import points_world, write_points_methods


def change(found: list[Fact]) -> Fact:
    (fact,) = [f for f in found if f.kind == "methodology_change"]
    return fact


@pytest.fixture(scope="module")
def points(tmp_path_factory: pytest.TempPathFactory) -> EditionSeries:
    return EditionSeries(points_world(), list(write_points_methods(tmp_path_factory.mktemp("e"))))


def test_points_maxima(points: EditionSeries) -> None:
    fact = change(facts(points, "s1", 2023))
    assert dict(fact.values) == {
        "previous_edition": 2022,
        "added": [],
        "removed": [],
        "scale_changes": {
            "criteria": {"from": 5, "to": 10, "parameter": "max_points"},
            "e.div": {"from": 3, "to": 10, "parameter": "max_points"},
        },
        "scores_comparable": False,
    }
    assert render(fact, points.dataset, "fr") == (
        "Édition 2023\u00a0: un barème modifié (critères notés sur 10 points au lieu de 5, "
        "Diversité sur 10 points au lieu de 3\u202f; scores non comparables avec 2022)."
    )
    assert render(fact, points.dataset, "en") == (
        "2023 edition: a changed scale (criteria scored out of 10 points instead of 5, "
        "Diversity out of 10 points instead of 3; scores not comparable with 2022)."
    )
    # The movement across it keeps its flags.
    (move,) = [f for f in facts(points, "s9", 2023) if f.kind == "movement"]
    assert move.values["flags"] == ["methodology", "scale"]


def test_no_change_no_fact(points: EditionSeries) -> None:
    assert not [f for f in facts(points, "s1", 2022) if f.kind == "methodology_change"]


def test_a_range(tmp_path: Path) -> None:
    # history_world: min-max to [0, 100] until 2022, to [0, 10] in 2023.
    series = EditionSeries(world(), list(write_methods(tmp_path)))
    fact = change(facts(series, "x", 2023))
    assert fact.values["scale_changes"] == {
        "criteria": {"from": [0.0, 100.0], "to": [0.0, 10.0], "parameter": "range"}
    }
    assert render(fact, series.dataset, "fr") == (
        "Édition 2023\u00a0: un barème modifié (échelle 0–10 au lieu de 0–100\u202f; "
        "scores non comparables avec 2022)."
    )
    assert render(fact, series.dataset, "en") == (
        "2023 edition: a changed scale (scale 0–10 instead of 0–100; "
        "scores not comparable with 2022)."
    )
    # 2024 is a published table: no methodology to diff, the source changed.
    published = change(facts(series, "x", 2024))
    assert published.values["scale_changes"] == {}
    assert published.values["scores_comparable"] is False
    assert render(published, series.dataset, "en") == (
        "2024 edition: a changed scale (scores not comparable with 2023)."
    )
