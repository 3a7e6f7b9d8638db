"""Every preset on every edition of the demo world, and the demo's side-by-side view."""

from __future__ import annotations

import numpy as np
import pytest

from palmares.dataset import Dataset
from palmares.demo import generate
from palmares.demo.showcase import latest_common_edition, side_by_side
from palmares.engine import run

#: THE Impact's overall table in the demo world (docs/demo-world.md).
IMPACT_TABLE = {2019: 462, 2020: 776, 2021: 1115, 2022: 1406, 2023: 1591, 2024: 1963}


@pytest.fixture(scope="module")
def world() -> Dataset:
    return generate(0)


def test_every_preset_runs_on_every_edition_of_its_system(world: Dataset) -> None:
    for preset in ("u-multirank", "letudiant", "the-impact"):
        for year in world.edition_years(preset):
            result = run(world, preset, year, data_hash="x")
            field = len(result.institutions)
            assert 0 < result.field_size <= field, (preset, year)
            if preset == "the-impact":
                assert result.field_size == IMPACT_TABLE[year]
                assert result.submitters == field
            if preset == "letudiant":
                assert result.field_size == field  # every school is ranked
                assert set(result.ranking.group[result.ranking.rank > 0]) <= {"A+", "A", "B", "C"}


def test_impact_per_sdg_tables_hold_submitters_outside_the_overall_table(world) -> None:
    result = run(world, "the-impact", 2021, data_hash="x")
    outside = ~result.eligible
    in_some_sdg = np.zeros(len(result.institutions), dtype=bool)
    for sdg in result.tree.children("the-impact"):
        in_some_sdg |= result.node_table(sdg).rank > 0
    assert (in_some_sdg & outside).sum() == result.submitters - result.field_size


def test_side_by_side_shows_the_three_systems_for_the_network_first(world) -> None:
    assert latest_common_edition(world) == 2022
    view = side_by_side(world, k=4)
    assert view["edition"] == 2022
    assert view["field_sizes"]["the-impact"] == 1406
    names = [row["institution"] for row in view["institutions"]]
    assert names[:3] == ["fr-mines-epinal", "fr-mines-rodez", "fr-mines-valence"]
    for row in view["institutions"]:
        umr = row["u-multirank"]
        assert umr["A_total"] == sum(umr["A"].values())
        assert set(umr["A"]) == {"teaching", "research", "transfer", "international", "regional"}
        assert row["letudiant"]["group"] in {"A+", "A", "B", "C"}
        assert 0 < row["the-impact"]["sdgs_ranked"] <= row["the-impact"]["sdgs"] == 17
