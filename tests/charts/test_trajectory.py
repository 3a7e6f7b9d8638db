"""The rank trajectory's Vega-Lite spec, on the demo world's THE Impact editions."""

from __future__ import annotations

import pytest

from palmares.charts.trajectory import trajectory_chart, trajectory_frame
from palmares.history import EditionSeries
from palmares.lang import NARROW_NBSP, NBSP
from tests.charts.spec import SCHOOL, layers, mark, rows, texts


@pytest.fixture(scope="module")
def spec_fr(impact: EditionSeries) -> dict:
    return trajectory_chart(impact, [SCHOOL], lang="fr").to_dict()


def test_rank_axis_is_reversed_from_first_to_the_largest_field(
    spec_fr: dict, impact: EditionSeries
) -> None:
    deepest = max(impact.field_size(y) for y in impact.years)
    for name in ("ranks", "bands", "ties", "field"):
        scale = layers(spec_fr)[name]["encoding"]["y"]["scale"]
        assert scale["reverse"] is True
        assert scale["domain"] == [1, deepest]


def test_bands_are_shaded_bars_from_band_start_to_band_end(
    spec_fr: dict, impact: EditionSeries
) -> None:
    band = layers(spec_fr)["bands"]
    assert mark(band) == "bar"
    assert band["mark"]["opacity"] < 0.5
    assert band["encoding"]["y"]["field"] == "band_lo"
    assert band["encoding"]["y2"]["field"] == "band_hi"
    frame = impact.history(SCHOOL).to_frame("fr")
    printed = frame[frame["ranked"] & (frame["band"].fillna("") != "")]
    got = {r["edition"]: (r["band_lo"], r["band_hi"], r["band"]) for r in rows(spec_fr, band)}
    want = {
        int(r.edition): (int(r.band_lo), min(int(r.band_hi), int(r.field_size)), r.band)
        for r in printed.itertuples()
    }
    assert got == want
    assert got[2022] == (601, 800, "601–800")


def test_ties_are_marked_with_a_diamond_on_tied_editions_only(
    spec_fr: dict, impact: EditionSeries
) -> None:
    ties = layers(spec_fr)["ties"]
    assert ties["mark"]["shape"] == "diamond"
    tied = {r["edition"] for r in rows(spec_fr, ties)}
    frame = impact.history(SCHOOL).to_frame("fr")
    # a tie inside a printed band is not stated: the band is
    exact = frame["ranked"] & (frame["band"].fillna("") == "")
    assert tied == set(frame.loc[exact & (frame["tie_size"] > 1), "edition"].tolist())
    assert all(r["tie_size"] > 1 for r in rows(spec_fr, ties))


def test_a_rank_inside_a_printed_band_is_labelled_with_the_band(
    spec_fr: dict, impact: EditionSeries
) -> None:
    frame = impact.history(SCHOOL).to_frame("fr")
    banded = frame[frame["ranked"] & (frame["band"].fillna("") != "")]
    assert len(banded) > 0
    labels = {
        r["edition"]: r["rank_display"] for r in rows(spec_fr, layers(spec_fr)["rank_labels"])
    }
    for r in banded.itertuples():
        assert labels[int(r.edition)] == r.band


def test_field_size_is_in_tooltip_and_subtitle(spec_fr: dict, impact: EditionSeries) -> None:
    ranks = layers(spec_fr)["ranks"]
    assert "field_size" in [t["field"] for t in ranks["encoding"]["tooltip"]]
    subtitle = spec_fr["title"]["subtitle"][0]
    assert subtitle.startswith(f"Classés 2019{NBSP}: 462")
    assert f"2021{NBSP}: 1{NARROW_NBSP}115" in subtitle
    assert len(rows(spec_fr, layers(spec_fr)["field"])) == len(impact.years)


def test_methodology_changes_are_rules_on_the_edition_axis(
    spec_fr: dict, impact: EditionSeries
) -> None:
    rules = layers(spec_fr)["methodology"]
    assert mark(rules) == "rule"
    assert rules["encoding"]["x"]["field"] == "edition"
    changed = {r["edition"] for r in rows(spec_fr, rules)}
    # 2020 and 2022 start new methodology files of the-impact preset.
    assert changed == {2020, 2022}
    assert {r["label"] for r in rows(spec_fr, rules)} == {"méthodologie modifiée"}


def test_unranked_edition_has_no_point(spec_fr: dict) -> None:
    editions = {r["edition"] for r in rows(spec_fr, layers(spec_fr)["ranks"])}
    assert 2019 not in editions
    assert editions == {2020, 2021, 2022, 2023, 2024}


def test_labels_follow_the_language(impact: EditionSeries, spec_fr: dict) -> None:
    spec_en = trajectory_chart(impact, [SCHOOL], lang="en").to_dict()
    fr, en = texts(spec_fr), texts(spec_en)
    assert "Rang" in fr and "Édition" in fr and "Rank" not in fr
    assert "Rank" in en and "Edition" in en and "Field 2019: 462" in en
    assert "1,115" in en
    assert spec_fr["config"]["locale"]["number"]["thousands"] == NARROW_NBSP
    assert spec_en["config"]["locale"]["number"]["thousands"] == ","


def test_several_institutions_share_one_chart(impact: EditionSeries) -> None:
    frame = trajectory_frame([impact.history(SCHOOL), impact.history("us-isros-houston")])
    assert set(frame["institution"]) == {SCHOOL, "us-isros-houston"}
    assert len(frame) == 2 * len(impact.years)
    spec = trajectory_chart(impact, [SCHOOL, "us-isros-houston"]).to_dict()
    assert layers(spec)["ranks"]["encoding"]["color"]["field"] == "name"


def test_no_institution_is_refused(impact: EditionSeries) -> None:
    with pytest.raises(ValueError, match="at least one"):
        trajectory_chart(impact, [])
