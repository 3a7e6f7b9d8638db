"""Facts and sentences on the hand-made world of ``tests/history_world.py`` (its docstring
lists every value), plus typography checked character by character."""

from __future__ import annotations

from dataclasses import replace

import pytest
from history_world import world, write_methods

from palmares.highlights import KINDS, Fact, facts, render
from palmares.highlights.facts import approximation
from palmares.history import EditionSeries


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> EditionSeries:
    return EditionSeries(world(), list(write_methods(tmp_path_factory.mktemp("m"))))


def by_kind(found: list[Fact], kind: str) -> list[Fact]:
    return [f for f in found if f.kind == kind]


def test_a_movement_across_a_methodology_change_is_flagged(series: EditionSeries) -> None:
    found = facts(series, "x", 2023)
    # x: 3rd in 2022 (top 100, new 90, x 85), 2nd in 2023 (top 10, x 9) under methodology B.
    move, earlier = sorted(by_kind(found, "movement"), key=lambda f: -f.values["previous_edition"])
    # The second fact goes back to the first edition ranked (2020, 2nd): same rank.
    assert (earlier.values["previous_edition"], earlier.values["places"]) == (2020, 0)
    assert dict(move.values) == {
        "previous_edition": 2022,
        "previous_rank": 3,
        "rank": 2,
        "places": 1,
        "flags": ["methodology", "scale"],
    }
    assert render(move, series.dataset, "fr") == (
        "École X gagne 1 place depuis l'édition 2022 (3e → 2e)\u202f; "
        "la méthodologie a changé entre 2022 et 2023."
    )
    assert render(move, series.dataset, "en").endswith(
        "; the methodology changed between 2022 and 2023."
    )
    (change,) = by_kind(found, "methodology_change")
    assert change.values["previous_edition"] == 2022 and change.values["scale_changes"]
    assert move.methodology_hash == series.history("x").row(2023)["methodology_hash"]


def test_group_halves(series: EditionSeries) -> None:
    # 2023 group A (>= 7.5 of 10): top 10, x 9, new 8; half of 3 is 1.5.
    (top,) = by_kind(facts(series, "top", 2023), "group_position")
    assert dict(top.values) == {"group": "A", "half": "first", "rank_in_group": 1, "group_size": 3}
    (x,) = by_kind(facts(series, "x", 2023), "group_position")
    assert (x.values["half"], x.values["rank_in_group"]) == ("second", 2)
    assert render(top, series.dataset, "fr") == (
        "École TOP est dans la première moitié du groupe A (1er sur 3)."
    )
    assert render(x, series.dataset, "en") == "École X is in the second half of group A (2nd of 3)."


def test_a_band_is_stated_not_the_hidden_rank(series: EditionSeries) -> None:
    found = facts(series, "z", 2023)  # y and z joint 4th: printed band 4-5 of 10
    assert not [f for f in by_kind(found, "rank") if f.values["node"] is None]
    (band,) = by_kind(found, "band")
    assert (band.values["band_lo"], band.values["band_hi"], band.values["field_size"]) == (4, 5, 10)
    (pct,) = by_kind(found, "percentile")
    assert (pct.values["rank"], pct.values["top_percent"]) == (5, 50)  # the band's worse end
    assert not by_kind(found, "movement")  # banded in 2022 (6+) and 2023: compare bands


def test_published_tie_and_national_rank(series: EditionSeries) -> None:
    found = facts(series, "x", 2024)  # printed: top 1, x and new =2, ... 7 ranked
    (rank,) = [f for f in by_kind(found, "rank") if f.values["node"] is None]
    assert dict(rank.values) == {"node": None, "rank": 2, "tie_size": 2, "field_size": 7}
    assert render(rank, series.dataset, "fr") == (
        "École X est 2e ex aequo des 7 établissements classés, "
        "à égalité avec un autre établissement."
    )
    assert render(rank, series.dataset, "en") == (
        "École X is joint 2nd of the 7 institutions ranked, tied with one other institution."
    )
    # Without a gender the ordinal agrees with a noun.
    neutral = replace(rank, gender=None, values={**rank.values, "rank": 1})
    assert render(neutral, series.dataset, "fr") == (
        "École X est le 1er établissement ex aequo, sur 7 établissements classés, "
        "à égalité avec un autre établissement."
    )
    gendered = render(replace(rank, values={**rank.values, "rank": 1}), series.dataset, "fr")
    assert "École X est 1re ex aequo" in gendered
    first = replace(rank, values={**rank.values, "rank": 1})
    assert render(first, series.dataset, "fr", html=True).startswith(
        "École X est 1<sup>re</sup> ex aequo"
    )


def test_participation_trajectory_and_order(series: EditionSeries) -> None:
    found = facts(series, "x", 2023)
    (part,) = by_kind(found, "participation")
    # x: 2020, (absent 2021), 2022, 2023.
    assert dict(part.values) == {"count": 3, "streak": 2, "first_edition": 2020}
    (traj,) = by_kind(found, "trajectory")
    assert dict(traj.values["ranks"]) == {2020: 2, 2022: 3, 2023: 2}
    assert all(f.kind in KINDS for f in found)
    priorities = [f.priority for f in found]
    assert priorities == sorted(priorities, reverse=True)
    (first,) = by_kind(found, "system_first_edition")
    assert first.values["first_edition"] == 2020


def test_french_typography_exactly(series: EditionSeries) -> None:
    field = Fact(
        "field_size",
        "x",
        "École X",
        "s",
        2021,
        {
            "count": 1115,
            "countries": 96,
            "submitters": None,
            "approximately": {"word": "more-than", "n": 1100},
        },
        48,
        gender="f",
    )
    fr = render(field, series.dataset, "fr")
    assert (
        fr
        == "Plus de 1\u202f100 établissements (1\u202f115) de 96 pays classés dans l'édition 2021."
    )
    assert render(field, series.dataset, "en") == (
        "More than 1,100 institutions (1,115) from 96 countries ranked in the 2021 edition."
    )
    pct = Fact(
        "percentile",
        "x",
        "École X",
        "s",
        2021,
        {"rank": 16, "field_size": 169, "top_percent": 10, "band": None},
        80,
        gender="f",
    )
    text = render(pct, series.dataset, "fr")
    assert "top 10\u00a0% " in text and "%" not in text.replace("\u00a0%", "")
    assert render(pct, series.dataset, "fr", html=True).endswith("(16<sup>e</sup> sur 169).")


def test_near_and_more_than() -> None:
    assert approximation(1115) == ("more-than", 1100)
    assert approximation(1790) == ("near", 1800)
    assert approximation(1500) is None  # exactly N: neither
    assert approximation(168) == ("near", 170)
    assert approximation(1200) is None


def test_network_facts_by_hand(series: EditionSeries) -> None:
    # 2021: network members ranked are z (FR, since 2020) and w (DE, first ranked in 2021);
    # x (member) is absent that year. Germany has w and bottom ranked.
    found = facts(series, "w", 2021)
    (summary,) = by_kind(found, "network_summary")
    assert dict(summary.values) == {
        "network": "net",
        "network_name": "The Network",
        "members_ranked": 2,
        "country": "DE",
        "country_field": 2,
        "members_in_country": 1,
        "first_member": "z",
    }
    (entrant,) = by_kind(found, "network_entrant")
    assert (entrant.values["edition"], entrant.values["order"]) == (2021, 3)
    assert render(entrant, series.dataset, "fr") == (
        "École W entre au classement en 2021, 3e établissement du réseau The Network à y figurer."
    )
    assert render(entrant, series.dataset, "en") == (
        "École W entered the ranking in 2021, the 3rd institution of The Network to do so."
    )
    (moves,) = by_kind(found, "network_movement")
    assert (moves.values["improved"], moves.values["kept"], moves.values["declined"]) == (
        [],
        ["z"],
        [],
    )


def test_regional_rank_falls_back_to_the_region_code(series: EditionSeries) -> None:
    # 2020, FR-OCC: top (100) and x (80) before z (60): 3rd of 3, and a field under five.
    (regional,) = by_kind(facts(series, "z", 2020), "regional_rank")
    assert dict(regional.values) == {
        "node": None,
        "scope": "FR-OCC",
        "rank": 3,
        "tie_size": 1,
        "field_size": 3,
    }
    assert regional.priority == 82
