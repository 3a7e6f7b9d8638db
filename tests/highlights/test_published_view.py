"""The published view (contracts section 12) on the seed world (seed 0, built once per session):
no rank inside a THE Impact band and no U-Multirank overall rank in what people read; the
communiqué of IMT Mines Alès 2021 leads with its teaching-and-learning national first; a partial
import states no share, "of N" or first edition; ``check`` answers the value forms of section 6.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import palmares
from palmares.charts.trajectory import trajectory_chart
from palmares.cli import app
from palmares.highlights import check, facts, render_all
from palmares.highlights.communique import communique
from palmares.history import EditionSeries
from palmares.io import write_dataset
from palmares.networks import network_summary
from palmares.published_view import published_view
from tests.highlights.seed_worlds import seed_world

SCHOOL = "imt-mines-ales"


@pytest.fixture(scope="module")
def world() -> palmares.Dataset:
    return seed_world(0)


def _ranks_inside_bands(world: palmares.Dataset, system: str) -> dict[int, int]:
    """The producer's ranks of the school in the editions where it is in a band."""
    producer = EditionSeries(world, system, view="producer").history(SCHOOL)
    return {
        year: int(row["rank"])
        for year, row in producer.rows.items()
        if row["ranked"] and row["band"] and row["rank"] > 0
    }


def _mentions(text: str, rank: int) -> bool:
    """An ordinal or a joint display of ``rank`` ("381e", "381st", "=381")."""
    ordinal = rf"(?<![\d\u202f,]){rank}(?:e|er|re|st|nd|rd|th|<sup>)\b"
    return bool(re.search(rf"{ordinal}|={rank}\b|(?:rank|rang) {rank}\b", text))


def test_the_impact_never_states_a_rank_inside_a_band(world: palmares.Dataset) -> None:
    hidden = _ranks_inside_bands(world, "the-impact")
    assert hidden  # the school is in a band in several editions (381, 601, 249, 572)
    series = EditionSeries(world, "the-impact")
    hist = series.history(SCHOOL)
    for record in hist.to_json("fr")["editions"]:
        if record["edition"] in hidden:
            assert record["rank"] is None and record["rank_display"] == record["band"]
            assert record["movement"] is None
    for year in hidden:
        found = facts(series, SCHOOL, year)
        assert not [f for f in found if f.kind in ("rank", "movement") and not f.values.get("node")]
        texts = " ".join(render_all(found, world, "fr") + render_all(found, world, "en"))
        assert not _mentions(texts, hidden[year]), texts
    summary = network_summary(series, "imt", None, 2021)
    mine = next(m for m in summary.members_ranked if m.institution == SCHOOL)
    assert mine.rank == 0 and mine.rank_display == "301–400"
    draft = communique(world, SCHOOL, 2021, systems=["the-impact"], lang="fr")
    assert not _mentions(draft.markdown, hidden[2021])
    spec = json.dumps(trajectory_chart(series, [SCHOOL], lang="fr").to_dict())
    for year, rank in hidden.items():
        assert f'"rank": {rank}.0' not in spec and f'"rank": {rank},' not in spec, year
    result = series.result(2021)
    assert result is not None
    table = published_view(result.to_frame("fr", nodes=False), grade_counts=False)
    row = table[table["institution"] == SCHOOL].iloc[0]
    assert row["rank_display"] == "301–400" and row["rank"] is pytest.importorskip("pandas").NA


def test_u_multirank_states_no_overall_rank(world: palmares.Dataset) -> None:
    producer = EditionSeries(world, "u-multirank", view="producer").history(SCHOOL)
    overall = int(producer.row(2021)["rank"])
    assert overall > 0  # computed (661st), never published
    series = EditionSeries(world, "u-multirank")
    hist = series.history(SCHOOL)
    for record in hist.to_json("en")["editions"]:
        assert record["rank"] is None and record["national_rank"] is None
        assert record["top_percent"] is None and record["movement"] is None
    found = facts(series, SCHOOL, 2021)
    overall_kinds = ("rank", "movement", "percentile", "top_n", "national_rank", "regional_rank")
    assert not [f for f in found if f.kind in overall_kinds and not f.values.get("node")]
    assert any(f.kind == "grade_count" and f.values["total"] == 10 for f in found)
    draft = communique(world, SCHOOL, 2021, systems=["u-multirank"], lang="fr")
    assert not _mentions(draft.markdown, overall)
    assert "places" not in draft.markdown
    result = series.result(2021)
    assert result is not None
    table = published_view(result.to_frame("en", nodes=False), grade_counts=True)
    assert table["rank"].isna().all() and table["rank_display"].isna().all()


def test_the_communique_leads_with_the_teaching_national_first(world: palmares.Dataset) -> None:
    draft = communique(world, SCHOOL, 2021, lang="fr")
    head = draft.headline
    assert (head.system, head.kind, head.values["rank"]) == ("u-multirank", "national_rank", 1)
    assert head.values["node"].endswith("teaching") and head.values["tie_size"] == 5
    assert draft.markdown.splitlines()[0].startswith(
        "# U-Multirank 2021\u00a0: IMT Mines Alès est 1<sup>re</sup> ex aequo des 178 "
    )
    words = "«\u00a0Enseignement et apprentissage\u00a0» (nombre de notes A)"
    assert words in draft.markdown.splitlines()[0]


@pytest.mark.parametrize(
    ("system", "claim", "holds"),
    [
        ("u-multirank", "grade_count=10", True),
        ("u-multirank", "grades=10", True),
        ("u-multirank", "grades=11", False),
        ("u-multirank", "grade_count=teaching:4", True),
        ("u-multirank", "grade_count=teaching:5", False),
        ("u-multirank", "participation=2", True),
        ("u-multirank", "field_size=1767", True),
        ("u-multirank", "field_size=1800", False),
        ("the-impact", "band=301-400", True),
        ("the-impact", "band=400", True),
        ("the-impact", "band=201-300", False),
        ("the-impact", "sdg_coverage=16", True),
        ("the-impact", "sdg_coverage=17", False),
        ("the-impact", "sdg_bands=top-200:7", True),
        ("the-impact", "sdg_bands=top-200:8", False),
        ("the-impact", "top 36 %", True),
        ("the-impact", "percentile=30", False),
        ("the-impact", "top_n=400", True),
        ("the-impact", "top_n=300", False),
        ("the-impact", "national_rank=4", True),
        ("the-impact", "national_rank=6", False),
        ("letudiant", "rank=27", True),
        ("letudiant", "movement=6", True),
        ("letudiant", "movement=2016:35", True),
        ("letudiant", "movement=2016:30", False),
        ("letudiant", "group_position=A", True),
        ("letudiant", "group=A:first-half", True),
        ("letudiant", "group=B", False),
        ("letudiant", "top_n_change=40:30", True),
        ("letudiant", "top_n_change=40:20", False),
    ],
)
def test_check_every_value_form(
    world: palmares.Dataset, system: str, claim: str, holds: bool
) -> None:
    verdict = check(EditionSeries(world, system), SCHOOL, 2021, claim)
    assert verdict.holds is holds, verdict.proof
    assert verdict.correct_text_fr and verdict.correct_text_en


def test_check_band_change_and_a_rank_inside_a_band(world: palmares.Dataset) -> None:
    series = EditionSeries(world, "the-impact")
    assert check(series, SCHOOL, 2023, "band_change=601-800:201-300").holds
    assert not check(series, SCHOOL, 2023, "band_change=301-400:201-300").holds
    verdict = check(series, SCHOOL, 2023, "rank=249")
    assert not verdict.holds
    assert verdict.correct_text_en.startswith("not published: the band is 201–300")
    assert verdict.correct_text_fr.startswith("non publié\u00a0: la tranche est 201–300")


def test_a_partial_import_states_no_share_of_n_or_first_edition(
    world: palmares.Dataset, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    write_dataset(world, bundle)
    table = tmp_path / "wur.csv"
    table.write_text(
        "Rank,Name,Overall,Teaching,Research,Citations,Industry Income,International Outlook\n"
        "=250,IMT Mines Alès,50.1,40,40,60,50,70\n"
        "401–500,IMT Atlantique,45.0,30,30,50,40,60\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    args = ["--data", str(bundle), "--system", "the-wur", "--edition", "2023"]
    done = runner.invoke(app, ["import", str(table), *args])
    assert done.exit_code == 0, done.output
    for lang in ("fr", "en"):
        shown = runner.invoke(app, ["highlights", SCHOOL, *args, "--lang", lang])
        assert shown.exit_code == 0, shown.output
        text = shown.output
        assert "%" not in text and "top" not in text.lower()
        assert not re.search(r"\b(?:des|of the) 1\b|\b(?:sur|of) 2\b", text)
        assert "2023" not in text  # no "since 2023", no "first edition: 2023"
        assert ("250e" in text) if lang == "fr" else ("250th" in text)
    history = runner.invoke(app, ["history", SCHOOL, *args[:4], "--lang", "en"])
    assert history.exit_code == 0 and "field size unknown in 2023" in history.output


def test_the_national_top_n_states_the_published_national_rank(world: palmares.Dataset) -> None:
    # 2023: in the 201–300 band with three compatriots, after five in better bands: "6e ex aequo
    # en France" (contracts section 6); the tie spans the 6th to 9th places, all in the top 10.
    series = EditionSeries(world, "the-impact")
    found = facts(series, SCHOOL, 2023)
    national = next(f for f in found if f.kind == "national_rank" and f.values["node"] is None)
    assert (national.values["rank"], national.values["tie_size"]) == (6, 4)
    top = next(f for f in found if f.kind == "top_n" and f.values["scope"] == "FR")
    assert dict(top.values) == {"scope": "FR", "n": 10, "rank": 6, "tie_size": 4, "band": None}
    fr, en = (render_all([national, top], world, lang) for lang in ("fr", "en"))
    assert fr[0].startswith(
        "IMT Mines Alès est 6e ex aequo des 41 établissements classés en France"
    )
    assert fr[1] == "IMT Mines Alès est dans le top 10 en France (6e ex aequo)."
    assert en[0].startswith("IMT Mines Alès is joint 6th of the 41 institutions ranked in France")
    assert en[1] == "IMT Mines Alès is in the top 10 in France (joint 6th)."
    texts = " ".join(render_all(found, world, "fr") + render_all(found, world, "en"))
    assert not re.search(r"\b9(?:e|th)\b", texts), texts  # never the tie's last position
    draft = communique(world, SCHOOL, 2023, systems=["the-impact"], lang="en")
    assert "in the top 10 in France (joint 6<sup>th</sup>)." in draft.markdown
    assert not _mentions(draft.markdown, 9)
    verdict = check(series, SCHOOL, 2023, "national_rank=6")
    assert verdict.holds and verdict.correct_text_fr.startswith("IMT Mines Alès est 6e ex aequo")
