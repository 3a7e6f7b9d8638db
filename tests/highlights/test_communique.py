"""The communiqué on the demo world (seed 0, ``fr-mines-rodez``): headline, lead, sections,
footer, charts, and the number rule checked by :func:`unaccounted_numbers`."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from palmares.dataset import Dataset
from palmares.demo import generate
from palmares.highlights import Fact
from palmares.highlights.communique import (
    Communique,
    Phrasing,
    communique,
    numbers_in,
    unaccounted_in,
    unaccounted_numbers,
)
from palmares.io.atomic import OutputExists

RODEZ = "fr-mines-rodez"
NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def world() -> Dataset:
    return generate(0)


@pytest.fixture(scope="module")
def fr2023(world: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Communique:
    folder = tmp_path_factory.mktemp("communique")
    return communique(world, RODEZ, 2023, lang="fr", charts_dir=folder)


@pytest.fixture(scope="module")
def en2023(world: Dataset) -> Communique:
    return communique(world, RODEZ, 2023, lang="en")


@pytest.fixture(scope="module")
def umr2022(world: Dataset) -> Communique:
    return communique(world, RODEZ, 2022, systems=["u-multirank"], lang="fr")


def fact(kind: str, values: dict[str, object], edition: int = 2023) -> Fact:
    return Fact(kind, "x", "École X", "letudiant", edition, values, 90)


# -- numbers in text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (f"1{NNBSP}115 établissements", "fr", [1115]),
        ("1,115 institutions", "en", [1115]),
        ("1,115 institutions", None, [1115]),
        ("16e ex aequo", "fr", [16]),
        ("1<sup>re</sup> école", "fr", [1]),
        ("joint 16th, =16th, 22nd, 1,524th", "en", [16, 16, 22, 1524]),
        ("la tranche 301–400", "fr", [301, 400]),
        (f"top 17{NBSP}%", "fr", [17]),
        ("top 10%", "en", [10]),
        ("84,3 points", "fr", [Decimal("84.3")]),
        ("84.3 points", "en", [Decimal("84.3")]),
        ("7e (2016), 16e (2017)", "fr", [7, 2016, 16, 2017]),
        (f"gagne 15 places (18e → 3e){NNBSP}; depuis 2018", "fr", [15, 18, 3, 2018]),
        ("perd 5 places", "fr", [5]),
    ],
)
def test_numbers_in(text: str, lang: str | None, expected: list[object]) -> None:
    assert numbers_in(text, lang) == expected


def test_unaccounted_in_checks_every_token_against_the_values_and_editions() -> None:
    rank = fact("rank", {"node": None, "rank": 16, "tie_size": 5, "field_size": 169})
    # 4 (the others of a tie) is derived, not a value: it is reported.
    text = "École X est 16e ex aequo des 169 écoles classées (2023), avec 4 autres."
    assert unaccounted_in(text, [rank], lang="fr") == ["4"]
    # A band's ends are digits inside a string value; a loss is stated unsigned.
    band = fact("band_change", {"previous_band": "201–300", "band": "301–400"})
    move = fact("movement", {"previous_rank": 10, "rank": 15, "places": -5})
    assert unaccounted_in("passe de 201–300 à 301–400 et perd 5 places", [band, move]) == []
    # A float value may be rounded to the decimals the text shows, not further.
    score = fact("score", {"score": 84.25})
    assert unaccounted_in("84,3 ou 84,4", [score], lang="fr") == ["84,4"]
    # Names, hashes and link targets are masked.
    named = "Université Paris 8, méthodologie `ab12cd`, ![Paris 8](paris-8-2031.png)"
    assert unaccounted_in(named, [rank], names=["Université Paris 8", "Paris 8"]) == [
        "12"
    ]  # the hash was not declared as one
    assert unaccounted_in(named, [rank], names=["Paris 8"], hashes=["ab12cd"]) == []
    assert unaccounted_in(f"1{NNBSP}115 et 1,115", [fact("f", {"count": 1115})]) == []


# -- the communiqué -----------------------------------------------------------------------------


def test_default_systems_are_those_ranking_the_institution_that_edition(
    fr2023: Communique, umr2022: Communique
) -> None:
    # U-Multirank has no 2023 edition in the demo world.
    assert [s.system for s in fr2023.sections] == ["letudiant", "the-impact"]
    assert [s.system for s in umr2022.sections] == ["u-multirank"]


def test_headline_is_the_most_newsworthy_fact(fr2023: Communique, en2023: Communique) -> None:
    for draft in (fr2023, en2023):
        top = max(f.priority for f in draft.facts)
        assert draft.headline.priority == top
        assert draft.markdown.splitlines()[0] == f"# {draft.headline_text}"
    # L'Étudiant 2023: joint 3rd of 169 (priority 90, above THE Impact's band at 88).
    assert fr2023.headline.kind == "rank" and fr2023.headline.system == "letudiant"
    assert dict(fr2023.headline.values) == {
        "node": None,
        "rank": 3,
        "tie_size": 2,
        "field_size": 169,
    }
    assert fr2023.headline_text == (
        f"Palmarès L'Étudiant des écoles d'ingénieurs 2023{NBSP}: École des mines de Rodez est "
        "3<sup>e</sup> ex aequo des 169 écoles classées, à égalité avec une autre école"
    )
    assert en2023.headline_text.startswith(
        "L'Étudiant ranking of engineering schools 2023: Rodez School of Mines is joint "
        "3<sup>rd</sup> of the 169 schools ranked"
    )


def test_lead_paragraph_gives_the_next_facts(fr2023: Communique) -> None:
    lead = fr2023.markdown.split("\n\n")[1]
    # Next by priority: L'Étudiant's move since 2018 (15 places), THE Impact's 401–600 band.
    assert lead.startswith("**Palmarès L'Étudiant des écoles d'ingénieurs 2023.** ")
    assert "gagne 15 places depuis l'édition 2018 (18<sup>e</sup> → 3<sup>e</sup>)" in lead
    assert "**Classement THE Impact 2023.** " in lead
    assert f"tranche 401–600 sur 1{NNBSP}591 établissements classés" in lead


KEY_NUMBERS = {
    "rank": ("rank", "field_size"),
    "national_rank": ("rank", "field_size"),
    "regional_rank": ("rank", "field_size"),
    "movement": ("previous_edition", "previous_rank", "rank", "places"),
    "percentile": ("rank", "field_size", "top_percent"),
}


@pytest.mark.parametrize("which", ["fr2023", "en2023", "umr2022"])
def test_every_rank_movement_percentile_and_regional_fact_with_its_numbers(
    which: str, request: pytest.FixtureRequest
) -> None:
    draft: Communique = request.getfixturevalue(which)
    assert draft.omitted == []
    seen = set()
    for section in draft.sections:
        for f, text in zip(section.facts, section.texts, strict=True):
            assert f"- {text}" in draft.markdown
            if f.kind in KEY_NUMBERS:
                seen.add(f.kind)
                # A movement of 0 places reads "holds the same rank" (no 0 to state).
                wanted = {abs(int(f.values[k])) for k in KEY_NUMBERS[f.kind]} - {0}
                assert wanted <= set(numbers_in(text, draft.lang)), (f.kind, text)
    # U-Multirank prints no overall rank: its release states no overall rank or movement.
    expected = {"rank", "regional_rank"} if which == "umr2022" else {"rank", "percentile"}
    assert expected <= seen


def test_known_sentences(fr2023: Communique, en2023: Communique) -> None:
    md = fr2023.markdown
    assert (
        "- École des mines de Rodez est 2<sup>e</sup> ex aequo des 19 écoles classées de sa "
        "région (Occitanie), à égalité avec une autre école."
    ) in md
    assert (
        f"- École des mines de Rodez est dans le top 2{NBSP}% des 169 écoles classées "
        "(3<sup>e</sup> sur 169)."
    ) in md
    assert "- Rodez School of Mines is in the top 2% of the 169 schools ranked" in en2023.markdown


def test_a_large_tie_is_stated_by_its_size(umr2022: Communique) -> None:
    # U-Multirank 2022: the computed joint 845th of 2,019 (122 at that rank) is no published
    # rank: neither it nor "121 others" is stated.
    md = umr2022.markdown
    assert "845" not in md and "121" not in md
    assert f"2{NNBSP}019" in md  # the field size is stated


def test_footer_names_editions_field_sizes_and_hashes(fr2023: Communique) -> None:
    footer = fr2023.markdown.split("\n---\n", 1)[1]
    hashes = {s.system: {f.methodology_hash for f in s.facts} for s in fr2023.sections}
    assert all(len(h) == 1 for h in hashes.values())
    (letudiant,) = hashes["letudiant"]
    (impact,) = hashes["the-impact"]
    assert (
        f"- Palmarès L'Étudiant des écoles d'ingénieurs, édition 2023{NBSP}: 169 écoles classées"
        f"{NNBSP}; méthodologie `{letudiant}`."
    ) in footer
    assert (
        f"- Classement THE Impact, édition 2023{NBSP}: 1{NNBSP}591 établissements classés"
        f"{NNBSP}; méthodologie `{impact}`."
    ) in footer
    assert fr2023.data_hash and f"- Données{NBSP}: `{fr2023.data_hash}`." in footer
    assert {f.data_hash for f in fr2023.facts} == {fr2023.data_hash}
    assert [s.field_size for s in fr2023.sections] == [169, 1591]


@pytest.mark.parametrize("which", ["fr2023", "en2023", "umr2022"])
def test_no_number_outside_the_facts(which: str, request: pytest.FixtureRequest) -> None:
    draft: Communique = request.getfixturevalue(which)
    assert unaccounted_numbers(draft) == []


def test_an_invented_number_is_caught(en2023: Communique) -> None:
    forged = replace(en2023, markdown=en2023.markdown + "\nIt is 987,654th in 2019 and 2051.\n")
    assert unaccounted_numbers(forged) == ["987,654", "2051"]


def test_2021_u_multirank_in_english(world: Dataset) -> None:
    draft = communique(world, RODEZ, 2021, systems=["u-multirank"], lang="en")
    assert unaccounted_numbers(draft) == [] and draft.omitted == []
    # 8 A grades: 3 in Regional engagement, 2 in International orientation, 2 in Research...
    (grades,) = [f for f in draft.facts if f.kind == "grade_count"]
    assert grades.values["total"] == 8
    assert "Rodez School of Mines earns 8 top grades (A): 3 in Regional engagement" in (
        draft.markdown
    )
    assert "- U-Multirank, 2021 edition: 1,782 institutions ranked; methodology `" in (
        draft.markdown
    )


def test_charts_are_written_and_embedded(fr2023: Communique) -> None:
    kinds = [(c.system, c.kind) for c in fr2023.charts]
    assert kinds == [
        ("letudiant", "trajectory"),
        ("the-impact", "trajectory"),
        ("the-impact", "sdg"),
    ]
    for chart in fr2023.charts:
        assert chart.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert chart.link == chart.path.name  # relative to the folder of the Markdown
        assert f"![{chart.alt}]({chart.link})" in fr2023.markdown
        assert "2023" in chart.alt
    (sdg,) = [c for c in fr2023.charts if c.kind == "sdg"]
    assert sdg.alt == (
        f"Score et tranche d'École des mines de Rodez pour chaque ODD, «{NBSP}Classement THE "
        f"Impact{NBSP}», édition 2023"
    )


def test_charts_are_not_overwritten_without_force(world: Dataset, tmp_path: Path) -> None:
    (tmp_path / "u-multirank-trajectory.png").write_bytes(b"old")
    with pytest.raises(OutputExists):
        communique(world, RODEZ, 2021, systems=["u-multirank"], charts_dir=tmp_path, force=False)
    assert (tmp_path / "u-multirank-trajectory.png").read_bytes() == b"old"
    assert not (tmp_path / "u-multirank-grades.png").exists()


def test_explicit_system_must_rank_the_institution_that_edition(world: Dataset) -> None:
    with pytest.raises(ValueError, match="no edition 2023"):
        communique(world, RODEZ, 2023, systems=["u-multirank"])
    with pytest.raises(ValueError, match="not ranked in any"):
        communique(world, RODEZ, 2015)


# -- phrasing within the rule -------------------------------------------------------------------


def umr_fact(kind: str, values: dict[str, object]) -> Fact:
    return Fact(
        kind, RODEZ, "École des mines de Rodez", "u-multirank", 2022, values, 50, None, None, "f"
    )


def test_derived_counts_are_rephrased(world: Dataset) -> None:
    fr, en = Phrasing(world, "fr"), Phrasing(world, "en")
    change = umr_fact(
        "grade_count_change",
        {"grade": "A", "dimension": "u-multirank", "previous": 8, "current": 9},
    )
    # The renderer says "1 note A de plus" (9 - 8 is no value): the communiqué states both ends.
    assert fr.sentence(change) == (
        "École des mines de Rodez passe de 8 à 9 notes A au total depuis l'édition précédente."
    )
    assert en.sentence(change) == (
        "Rodez School of Mines went from 8 to 9 A grades in total since the previous edition."
    )
    moves = umr_fact(
        "network_movement",
        {
            "network": "reseau-mines",
            "network_name": "Réseau Mines & Industrie",
            "previous_edition": 2021,
            "improved": ["fr-mines-auxerre", "fr-mines-niort"],
            "kept": ["fr-mines-rodez"],
            "declined": [],
        },
    )
    assert fr.sentence(moves) == (
        f"Réseau Mines & Industrie depuis 2021 — en progrès{NBSP}: École des mines d'Auxerre et "
        f"École des mines de Niort{NNBSP}; stable{NBSP}: École des mines de Rodez."
    )
    firsts = umr_fact("sdg_national_firsts", {"sdgs": [4, 9]})
    assert fr.sentence(firsts) == (
        "École des mines de Rodez est au premier rang national pour les ODD 4 et 9."
    )
    # A kind nobody phrases is left out rather than guessed.
    assert fr.sentence(umr_fact("made_up", {"x": 1})) is None


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("institution", ["fr-mines-auxerre", "fr-mines-valence"])
def test_the_rule_holds_for_other_schools_of_the_network(
    world: Dataset, institution: str, lang: str
) -> None:
    draft = communique(world, institution, 2021, lang=lang, data_hash="0" * 64)
    assert {"letudiant", "u-multirank"} <= {s.system for s in draft.sections}
    assert unaccounted_numbers(draft) == [] and draft.omitted == []
    assert draft.markdown.count(f"`{'0' * 64}`") == 1  # the data hash given, in the footer
