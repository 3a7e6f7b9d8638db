"""History across editions, against hand-computed answers on the small world of
``tests/history_world.py`` (its docstring lists every value)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from history_world import world, write_methods
from hypothesis import given, settings
from hypothesis import strategies as st

from palmares.history import EditionSeries, history, subset_ranks, trajectories


@pytest.fixture(scope="module")
def methods(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_methods(tmp_path_factory.mktemp("methods"))


@pytest.fixture(scope="module")
def series(methods: tuple[Path, Path]) -> EditionSeries:
    return EditionSeries(world(), list(methods), view="producer")


def test_each_edition_uses_its_methodology_and_the_published_table(series: EditionSeries) -> None:
    assert series.system == "s"
    assert series.years == (2020, 2021, 2022, 2023, 2024)
    assert [series.methodology(y).methodology.version for y in (2020, 2022, 2023)] == [
        "A",
        "A",
        "B",
    ]
    assert [series.source_of(y) for y in series.years] == ["computed"] * 4 + ["published"]
    # A folder of methodology files is the same series.
    folder = EditionSeries(
        world(), series.methodologies[0].origin.rsplit("/", 1)[0], view="producer"
    )
    assert folder.years == series.years
    assert folder.standings(2023)["rank"].to_dict() == series.standings(2023)["rank"].to_dict()


def test_ties_with_their_size_percentile_group_and_band(series: EditionSeries) -> None:
    z = series.history("z").to_frame()
    first = z.iloc[0]
    # 2020: y and z both score 60, behind top, x and old: joint 4th of 8.
    assert (first["rank"], first["tie_size"], first["rank_display"]) == (4, 2, "=4th")
    assert first["field_size"] == 8
    assert first["top_percent"] == 50  # ceil(100 x 4 / 8)
    assert (first["band"], first["band_lo"], first["band_hi"]) == ("4–5", 4, 5)
    assert (first["group"], first["group_rank"], first["group_size"]) == ("B", 2, 6)
    # Both are French: the tie holds in the national ranking too (7 French schools ranked).
    assert (first["national_rank"], first["national_tie_size"]) == (4, 2)
    assert first["national_field_size"] == 7
    # Occitanie: top (100) and x (80) before z.
    assert (first["regional_rank"], first["regional_field_size"]) == (3, 3)
    fr = series.history("z").to_frame("fr")
    assert fr.iloc[0]["rank_display"] == "4e ex aequo"


def test_absent_one_year_breaks_the_streak(series: EditionSeries) -> None:
    x = series.history("x")
    frame = x.to_frame().set_index("edition")
    assert frame["ranked"].tolist() == [True, False, True, True, True]
    assert frame["streak"].tolist() == [1, 0, 1, 2, 3]
    assert frame["participation"].tolist() == [1, 1, 2, 3, 4]
    assert x.first_edition == 2020 and x.system_first_edition == 2020
    assert x.participation == 4
    # No movement against an edition it missed; an explicit earlier one still works.
    assert math.isnan(frame.loc[2022, "movement"])
    assert "absent" in frame.loc[2022, "movement_flags"]
    moved = x.movement(2020, 2022)
    assert (moved.from_rank, moved.to_rank, moved.places) == (2, 3, -1)
    assert moved.score_change == pytest.approx(5.0)
    assert moved.flags == ()


def test_band_change_and_group_change(series: EditionSeries) -> None:
    z = series.history("z").to_frame().set_index("edition")
    assert z.loc[2022, "band_change"] == "4–5 -> 6+"
    assert z.loc[2022, "movement"] == -2
    assert series.history("z").movement(2021, 2022).band_change == "declined"
    old = series.history("new").to_frame().set_index("edition")
    assert old.loc[2021, "group_change"] == "B -> A"  # 70 then 75: group A from 75 points


def test_a_growing_field(series: EditionSeries) -> None:
    frame = series.history("top").to_frame().set_index("edition")
    assert frame["field_size"].tolist() == [8, 8, 9, 10, 7]
    assert frame.loc[2022, "field_growth"] == 1
    assert frame.loc[2021, "field_growth"] == 0
    assert frame["countries"].tolist() == [2, 2, 2, 2, 2]
    assert frame["top_percent"].tolist() == [13, 13, 12, 10, 15]


def test_a_methodology_change_is_flagged_and_scores_are_not_compared_across_a_scale(
    series: EditionSeries,
) -> None:
    y = series.history("y")
    frame = y.to_frame().set_index("edition")
    assert not frame.loc[2022, "methodology_changed"]
    assert frame.loc[2023, "methodology_changed"] and frame.loc[2023, "scale_changed"]
    change = y.methodology_changes[2023]
    assert change.scale_changes and all("range" in key for key in change.scale_changes)
    assert change.previous_hash != change.hash
    # 2022: 70 (4th); 2023: 7.0 on a 0-10 scale (joint 4th): same place, no score comparison.
    moved = y.movement(2022, 2023)
    assert moved.places == 0
    assert moved.flags == ("methodology", "scale")
    assert moved.score_change is None
    assert frame.loc[2023, "movement_flags"] == "methodology,scale"
    assert math.isnan(frame.loc[2023, "score_change"])
    assert frame.loc[2021, "score_change"] == pytest.approx(5.0)
    # The same comparison over a range that crosses the change is flagged too.
    assert y.movement(2020, 2023).flags == ("methodology", "scale")
    assert y.movement(2020, 2022).score_change == pytest.approx(10.0)


def test_per_indicator_changes_since_the_previous_edition(series: EditionSeries) -> None:
    y = series.history("y")
    changes = y.indicator_changes[2021].set_index("indicator")
    # y: a 60 -> 70, b 60 -> 60, c 60 -> 65 (min-max to 0..100 keeps values).
    assert changes["change"].to_dict() == {"s.a": "up", "s.b": "same", "s.c": "up"}
    assert changes.loc["s.a", "previous"] == pytest.approx(60.0)
    assert y.row(2021)["indicators_improved"] == ["s.a", "s.c"]
    # Across the scale change nothing is compared.
    assert set(y.indicator_changes[2023]["change"]) == {"not_comparable"}


def test_a_rename_followed_through_lineage(series: EditionSeries) -> None:
    new = series.history("new")
    assert new.lineage == ("new", "old")
    frame = new.to_frame().set_index("edition")
    assert frame["entity"].tolist() == ["old", "old", "new", "new", "new"]
    assert frame.loc[2020, "lineage_kind"] == "rename"
    assert frame["rank"].tolist() == [3, 2, 2, 3, 2]
    assert new.first_edition == 2020 and new.participation == 5
    moved = new.movement(2021, 2022)
    assert moved.places == 0 and "rename" in moved.flags
    assert moved.score_change == pytest.approx(15.0)  # 75 then 90, same methodology


def test_a_merger_followed_through_lineage(series: EditionSeries) -> None:
    mm = series.history("mm")
    assert set(mm.lineage) == {"mm", "m1", "m2"}
    frame = mm.to_frame().set_index("edition")
    # Before the merger the better-ranked predecessor stands for it, and both are named.
    assert frame.loc[2020, "entity"] == "m1"
    assert frame.loc[2020, "merged_from"] == "m1,m2"
    assert frame.loc[2020, "lineage_kind"] == "merger"
    moved = mm.movement(2021, 2022)
    assert (moved.from_rank, moved.to_rank, moved.places) == (5, 5, 0)
    assert "merger" in moved.flags and moved.score_change is None


def test_published_bands_give_national_rank_ranges(series: EditionSeries) -> None:
    y = series.history("y").to_frame().set_index("edition")
    row = y.loc[2024]
    assert row["source"] == "published"
    # 4-5 band: top, x and new (2, 2) are surely ahead; z (same band) may be.
    assert (row["national_rank"], row["national_rank_worst"]) == (4, 5)
    assert row["top_percent"] == 72  # the worse end: ceil(100 x 5 / 7)
    assert row["band"] == "4–5" and row["rank"] == 0
    x = series.history("x")
    xr = x.row(2024)
    assert (xr["rank"], xr["tie_size"], xr["national_tie_size"]) == (2, 2, 2)
    moved = x.movement(2023, 2024)
    assert moved.places == 0 and "source" in moved.flags and moved.score_change is None
    mm = series.history("mm").row(2024)
    assert (mm["national_rank"], mm["national_rank_worst"], mm["top_percent"]) == (6, 6, 100)


def test_network_rank_in_history(series: EditionSeries) -> None:
    z = series.history("z").row(2022)
    # Network 2022: new (2), x (3), z (6), w (7).
    assert z["networks"]["net"] == {"rank": 3, "rank_worst": 3, "tie_size": 1, "field_size": 4}


def test_to_json_is_one_plain_document(series: EditionSeries) -> None:
    document = series.history("École Y").to_json("fr")
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text)["institution"] == "y"
    assert [e["edition"] for e in document["editions"]] == [2020, 2021, 2022, 2023, 2024]
    assert document["editions"][0]["rank_display"] == "4e ex aequo"
    assert document["editions"][3]["methodology_change"]["scale_changed"] is True
    assert {n["node"] for n in document["editions"][0]["nodes"]} == {"s.p", "s.q"}


def test_the_history_function_and_unknown_names(methods: tuple[Path, Path]) -> None:
    ds = world()
    h = history(ds, "ecole z", list(methods), editions=[2020, 2021])
    assert h.institution == "z" and h.editions == (2020, 2021)
    with pytest.raises(LookupError):
        history(ds, "nobody", list(methods))


def test_trajectories_of_every_institution_at_once(series: EditionSeries) -> None:
    frame = trajectories(series).set_index(["institution", "edition"])
    assert frame.loc[("x", 2021), "ranked"] == np.False_
    assert frame.loc[("x", 2022), "streak"] == 1
    assert frame.loc[("x", 2023), "movement"] == 1  # 3rd then 2nd
    assert frame.loc[("z", 2022), "movement"] == -2
    assert frame.loc[("y", 2024), "rank_hi"] == 5


def test_subset_ranks_by_hand() -> None:
    # Overall: exact 1, 2, 2; a band 4-5 twice; an open band 6-7; two groups.
    ranks = subset_ranks([1, 2, 2, 4, 4, 6, 3], [1, 2, 2, 5, 5, 7, 3], [0, 0, 0, 0, 0, 0, 1])
    assert ranks.best.tolist() == [1, 2, 2, 4, 4, 6, 1]
    assert ranks.worst.tolist() == [1, 2, 2, 5, 5, 6, 1]
    # Inside a band: ex aequo with the compatriots of the same band (contracts section 6).
    assert ranks.tie.tolist() == [1, 2, 2, 2, 2, 1, 1]
    assert ranks.field.tolist() == [6, 6, 6, 6, 6, 6, 1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(-1, 2)), min_size=1, max_size=40))
def test_subset_ranks_of_exact_ranks_are_competition_ranks(rows: list[tuple[int, int]]) -> None:
    rank = np.array([r for r, _ in rows])
    group = np.array([g for _, g in rows])
    got = subset_ranks(rank, rank, group)
    for i, (r, g) in enumerate(rows):
        if r == 0 or g < 0:
            assert got.best[i] == got.field[i] == 0
            continue
        same = (group == g) & (rank > 0)
        assert got.best[i] == got.worst[i] == 1 + int((same & (rank < r)).sum())
        assert got.tie[i] == int((same & (rank == r)).sum())
        assert got.field[i] == int(same.sum())


def test_movement_since_an_earlier_edition(series: EditionSeries) -> None:
    y = series.history("y")
    # Two editions back from 2023 is 2021 (3rd), then joint 4th across the scale change.
    since = y.movement_since(2023, back=2)
    assert (since.from_edition, since.from_rank, since.to_rank, since.places) == (2021, 3, 4, -1)
    assert since.flags == ("methodology", "scale")
    # Five back reaches before the first edition: the first one is used.
    assert y.movement_since(2023).from_edition == 2020
    # x was absent in 2021: from its first ranked edition on or after the start.
    assert series.history("x").movement_since(2022, back=1).from_edition == 2021


def test_per_node_tables_and_their_coverage(series: EditionSeries) -> None:
    y = series.history("y")
    assert (y.row(2020)["nodes_ranked"], y.row(2020)["nodes_total"]) == (2, 2)
    assert (y.row(2024)["nodes_ranked"], y.row(2024)["nodes_total"]) == (0, 0)
    nodes = y.nodes.set_index(["edition", "node"])
    # 2021: y's family p = mean(70, 60) = 65, third behind top (100) and old (75).
    assert nodes.loc[(2021, "s.p"), "score"] == pytest.approx(65.0)
    assert nodes.loc[(2021, "s.p"), "rank"] == 3
    assert y.to_frame().set_index("edition").loc[2021, "rank:s.p"] == 3


def test_trajectories_follow_lineage(series: EditionSeries) -> None:
    frame = trajectories(series).set_index(["institution", "edition"])
    assert frame.loc[("new", 2020), "via"] == "old"
    assert frame.loc[("new", 2020), "rank_lo"] == 3
    assert frame.loc[("mm", 2021), "via"] == "m1"
    assert frame.loc[("mm", 2022), "movement"] == 0  # m1 5th in 2021, mm 5th in 2022
    assert frame.loc[("new", 2022), "streak"] == 3
    plain = trajectories(series, follow_lineage=False).set_index(["institution", "edition"])
    assert plain.loc[("new", 2022), "streak"] == 1
