"""Mutation test (issue 7): IMT Mines Alès loses points in the 2021 palmarès and one place.

The seed world puts it 27th of 168 in 2021 (33rd in 2020). Lowering one of its criteria until it
is 28th alone, the highlights must follow the data: 28th, up 5 places, and the group fact of
the new table (first or second half of its group, by the rule rank in group <= size / 2).
"""

from __future__ import annotations

import numpy as np

import palmares
from palmares.demo.seeds import ALES
from palmares.demo.seeds.edition import World
from palmares.demo.seeds.letudiant import max_points
from palmares.demo.seeds.placing import attainable, value_for_points
from palmares.highlights import facts, render
from palmares.history import EditionSeries

from .seed_worlds import seed_world

YEAR = 2021


def _lose_one_place(world: World) -> tuple[str, float]:
    """The first criterion and lower value that leave IMT Mines Alès 28th (the seed world puts
    exactly one school one point behind it)."""
    edition = world.edition("letudiant", YEAR)
    before = palmares.rank(world.dataset("letudiant", YEAR), "letudiant", YEAR).to_frame()
    row = before.set_index("institution").loc[ALES]
    for leaf in edition.leaves:
        i, j = edition.row(ALES), edition.col(leaf)
        others = np.delete(edition.values[:, j], i)
        others = others[~np.isnan(others)]
        top = max_points(YEAR, leaf)
        for points in sorted(p for p in attainable(others, top) if p < row[f"score:{leaf}"])[::-1]:
            kept = edition.values[i, j]
            edition.set(ALES, leaf, value_for_points(others, points, top, 1))
            frame = palmares.rank(world.dataset("letudiant", YEAR), "letudiant", YEAR).to_frame()
            mine = frame.set_index("institution").loc[ALES]
            if int(mine["rank"]) == 28:
                return leaf, float(edition.values[i, j])
            edition.set(ALES, leaf, kept)
    raise AssertionError("no lower value of one criterion makes IMT Mines Alès 28th")


def test_losing_one_place_in_2021_changes_the_highlights() -> None:
    world = World(seed_world(0).to_frames())
    leaf, value = _lose_one_place(world)
    mutated = world.finish()
    series = EditionSeries(mutated, "letudiant")
    found = facts(series, ALES, YEAR)
    by_kind: dict[str, list[dict]] = {}
    for fact in found:
        by_kind.setdefault(fact.kind, []).append(fact.values)

    overall = next(v for v in by_kind["rank"] if v["node"] is None)
    assert (overall["rank"], overall["field_size"]) == (28, 168)
    movement = next(v for v in by_kind["movement"] if v["previous_edition"] == 2020)
    assert (movement["previous_rank"], movement["rank"], movement["places"]) == (33, 28, 5)
    assert by_kind["trajectory"][0]["ranks"][YEAR] == 28

    table = palmares.rank(mutated, "letudiant", YEAR).to_frame().set_index("institution")
    mine = table.loc[ALES]
    group = by_kind["group_position"][0]
    assert group["group"] == mine["group"]
    in_group = table[table["group"] == mine["group"]]
    rank_in_group = 1 + int((in_group["score"] > mine["score"]).sum())
    assert (group["rank_in_group"], group["group_size"]) == (rank_in_group, len(in_group))
    assert group["half"] == ("first" if rank_in_group <= len(in_group) / 2 else "second")

    sentences = {lang: [render(f, mutated, lang) for f in found] for lang in ("fr", "en")}
    assert any("28e" in s and "168" in s for s in sentences["fr"])
    assert any("gagne 5 places" in s for s in sentences["fr"])
    assert any("up 5 places" in s for s in sentences["en"])
    assert leaf.startswith("letudiant.") and value >= 0
