"""Peer rankings and network summaries on the hand-made world of ``tests/history_world.py``."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_world import world, write_methods

from palmares.dataset import Dataset
from palmares.history import EditionSeries
from palmares.networks import network_summary, peers


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> EditionSeries:
    return EditionSeries(
        world(), list(write_methods(tmp_path_factory.mktemp("methods"))), view="producer"
    )


def test_peers_inside_a_country_rank_on_the_same_scores(series: EditionSeries) -> None:
    german = peers(series, None, 2023, country="DE")
    # w (5.0), u (3.0), bottom (0.0): 7th, 9th and 10th overall.
    assert german["institution"].tolist() == ["w", "u", "bottom"]
    assert german["peer_rank"].tolist() == [1, 2, 3]
    assert german["rank"].tolist() == [7, 9, 10]
    assert set(german["peer_field_size"]) == {3}


def test_peers_inside_a_region_keep_ties(series: EditionSeries) -> None:
    occitanie = peers(series, None, 2023, region="FR-OCC")
    assert occitanie["institution"].tolist() == ["top", "x", "z"]
    assert occitanie["peer_rank"].tolist() == [1, 2, 3]
    idf = peers(series, None, 2020, region="FR-IDF")
    assert idf.set_index("institution")["peer_rank"].to_dict() == {
        "old": 1,
        "y": 2,
        "m1": 3,
        "m2": 4,
    }
    both = peers(series, None, 2020, where={"country": "FR"})
    tied = both.set_index("institution").loc[["y", "z"]]
    assert tied["peer_rank"].tolist() == [4, 4] and tied["peer_tie_size"].tolist() == [2, 2]


def test_peers_inside_a_network_and_from_published_bands(series: EditionSeries) -> None:
    net = peers(series, None, 2022, network="net")
    assert net["institution"].tolist() == ["new", "x", "z", "w"]
    assert net["peer_rank"].tolist() == [1, 2, 3, 4]
    published = peers(series, None, 2024, country="FR").set_index("institution")
    assert published.loc["y", "peer_rank"] == 4 and published.loc["y", "peer_rank_worst"] == 5


def test_unknown_filters_are_refused(series: EditionSeries) -> None:
    with pytest.raises(LookupError, match="no network"):
        peers(series, None, 2022, network="nope")
    with pytest.raises(LookupError, match="attribute"):
        peers(series, None, 2022, where={"colour": "red"})
    with pytest.raises(LookupError, match="edition"):
        peers(series, None, 1999, country="FR")


def test_network_summary_2022(series: EditionSeries) -> None:
    summary = network_summary(series, "net", None, 2022)
    assert summary.network_name == "The Network"
    assert summary.members == ("new", "w", "x", "z")
    ranked = [(m.institution, m.rank, m.network_rank) for m in summary.members_ranked]
    assert ranked == [("new", 2, 1), ("x", 3, 2), ("z", 6, 3), ("w", 7, 4)]
    assert summary.first_member == "new"
    # Seven French institutions in the 2022 table (w and bottom are German).
    assert dict(summary.country_field) == {"DE": 2, "FR": 7}
    # new (through old), x and z entered in 2020, w in 2021: the fourth to do so.
    assert summary.join_order == (("new", 2020, 1), ("x", 2020, 1), ("z", 2020, 1), ("w", 2021, 4))
    assert summary.new_entrants == ()
    status = {m.institution: (m.status, m.basis) for m in summary.members_ranked}
    assert status == {
        "new": ("kept", "rank"),  # old 2nd in 2021, new 2nd in 2022 (a rename)
        "x": ("returned", "rank"),  # absent in 2021
        "z": ("declined", "band"),  # 4-5 then 6+
        "w": ("kept", "band"),  # 6+ both years
    }
    assert (summary.improved, summary.kept, summary.declined) == ((), ("new", "w"), ("z",))


def test_network_summary_2021_has_a_new_entrant(series: EditionSeries) -> None:
    summary = network_summary(series, "net", None, 2021)
    assert [m.institution for m in summary.members_ranked] == ["z", "w"]
    assert summary.new_entrants == ("w",)
    assert summary.join_order == (("x", 2020, 1), ("z", 2020, 1), ("w", 2021, 3))
    document = summary.to_json()
    assert document["members_ranked"][1]["status"] == "new"
    assert document["join_order"][2] == {"institution": "w", "first_edition": 2021, "order": 3}


def test_network_summary_from_a_dataset_and_unknown_network(tmp_path: Path) -> None:
    methods = list(write_methods(tmp_path))
    summary = network_summary(world(), "net", methods, 2023)
    assert [m.institution for m in summary.members_ranked] == ["x", "new", "z", "w"]
    with pytest.raises(LookupError, match="networks: net"):
        network_summary(world(), "other", methods, 2023)


@pytest.fixture(scope="module")
def demo() -> Dataset:
    from palmares.demo import generate

    return generate(seed=0)


def test_the_demo_network_in_the_impact_ranking(demo: Dataset) -> None:
    # Fixed by the demo world (docs/demo-world.md): Valence enters in 2019, Rodez and Epinal
    # in 2020, the business school in 2021, the fourth of the network.
    summary = network_summary(demo, "reseau-mines", "the-impact", 2021)
    assert summary.new_entrants == ("fr-mines-management",)
    assert summary.join_order[0] == ("fr-mines-valence", 2019, 1)
    assert summary.join_order[-1] == ("fr-mines-management", 2021, 4)
    assert len(summary.members_ranked) == 4
    assert summary.country_field["FR"] >= 4
    assert set(summary.improved + summary.kept + summary.declined) == {
        "fr-mines-valence",
        "fr-mines-rodez",
        "fr-mines-epinal",
    }


def test_demo_histories_through_lineage_and_streaks(demo: Dataset) -> None:
    umr = EditionSeries(demo, "u-multirank")
    rodez = umr.history("fr-mines-rodez")
    assert rodez.first_edition == 2020
    assert rodez.row(2021)["streak"] == 2  # second consecutive year
    assert rodez.row(2021)["grades"]["u-multirank"]["A"] == sum(
        counts["A"] for node, counts in rodez.row(2021)["grades"].items() if node != "u-multirank"
    )
    palmares = EditionSeries(demo, "letudiant")
    auxerre = palmares.history("École des mines d'Auxerre")
    assert auxerre.row(2016)["entity"] == "fr-eiy-auxerre"
    assert auxerre.row(2021)["field_size"] == 168
    perigueux = palmares.history("fr-mines-perigueux")
    assert perigueux.row(2016)["merged_from"] == ["fr-esid-perigueux", "fr-imp-perigueux"]
    assert perigueux.row(2023)["scale_changed"]  # criteria scored 0..10 instead of 0..5


def test_leaders_and_a_change_of_leader(series: EditionSeries) -> None:
    from palmares.networks import leader_change, leaders

    # Île-de-France: old leads in 2020 and 2021, new (its new name) in 2022: no change.
    assert leaders(series, None, 2020, region="FR-IDF") == ("old",)
    same = leader_change(series, None, 2022, region="FR-IDF")
    assert (same.previous_leaders, same.leaders, same.changed) == (("new",), ("new",), False)
    # Germany: bottom leads in 2020, w from 2021.
    german = leader_change(series, None, 2021, country="DE")
    assert (german.previous_leaders, german.leaders, german.changed) == (("bottom",), ("w",), True)
    assert german.to_json()["changed"] is True
    # The published 2024 table: top is first of France for sure.
    assert leaders(series, None, 2024, country="FR") == ("top",)
