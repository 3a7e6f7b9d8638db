"""``check`` answers every value form of contracts section 6, each alias too, holding and not,
with the correct phrasing in French and English and its proof in either language (the seed
world, seed 0, IMT Mines Alès)."""

from __future__ import annotations

from functools import cache

import pytest

from palmares.highlights import check
from palmares.highlights.check import ALIASES, CHECKABLE
from palmares.history import EditionSeries
from tests.highlights.seed_worlds import seed_world

SCHOOL = "imt-mines-ales"
BAND_FR, BAND_EN = "non publié : la tranche est 301–400", "not published: the band is 301–400"
UMR_FR = "non publié : U-Multirank ne publie pas de rang global"
UMR_EN = "not published: U-Multirank prints no overall rank"
TOP36 = ("top 36 % des 1 115 établissements classés", "top 36% of the 1,115 institutions ranked")
TOP400 = ("top 400 du classement (400e au plus, tranche 301–400)", "top 400 of the ranking")
BAND = ("tranche 301–400 sur 1 115 établissements", "in the 301–400 band of the 1,115")
FR4 = ("4e ex aequo des 18 établissements classés en France", "joint 4th of the 18 institutions")
FR6 = ("6e ex aequo des 41 établissements classés en France", "joint 6th of the 41 institutions")
BAND_CHANGE = ("passe de la tranche 601–800 (2022) à la tranche 201–300", "moved from the 601–800")
TOP_CHANGE = ("passe du top 800 (2022) au top 300 (2023)", "from the top 800 (2022) to the top 300")
RANK27 = ("27e des 168 écoles classées", "27th of the 168 schools ranked")
MOVE6 = ("gagne 6 places depuis l'édition 2020 (33e → 27e)", "up 6 places since the 2020 edition")
MOVE35 = ("gagne 35 places depuis l'édition 2016 (62e → 27e)", "up 35 places since the 2016")
REGION = ("3e des 21 écoles classées de sa région (Occitanie)", "3rd of the 21 schools ranked")
SIX = ("pour la 6e fois (première édition : 2016", "ranked for the 6th time (first in 2016")
FIELD = ("Près de 170 écoles (168) classées dans l'édition 2021", "Nearly 170 schools (168)")
GROUP = ("première moitié du groupe A (11e sur 24)", "first half of group A (11th of 24)")
GROUP_CHANGE = ("passe du top 40 (2020) au top 30 (2021)", "from the top 40 (2020) to the top 30")
GRADES = ("obtient 10 notes A (la meilleure) : 4 en Enseignement", "earns 10 top grades (A): 4 in")
TEACHING = (
    "1re ex aequo des 178 établissements classés en France pour « Enseignement et apprentissage "
    "» (nombre de notes A)",
    "joint 1st of the 178 institutions ranked in France for “Teaching and learning” (number of A",
)
TWICE = ("pour la 2e fois (première édition : 2020", "ranked for the 2nd time (first in 2020")
SDG16 = ("figure dans 16 des 17 classements par ODD", "ranked in 16 of the 17 SDG tables")
SDG_BANDS = ("top 200 pour", "top 200 in")

#: (system, edition, claim, kind, holds, (French, English) expected in the correct phrasing).
CASES: list[tuple[str, int, str, str, bool, tuple[str, str]]] = [
    ("the-impact", 2021, "percentile=36", "percentile", True, TOP36),
    ("the-impact", 2021, "percentile=35", "percentile", False, TOP36),
    ("the-impact", 2021, "top-percent=36", "percentile", True, TOP36),
    ("the-impact", 2021, "top_percent=30", "percentile", False, TOP36),
    ("the-impact", 2021, "top 36 %", "percentile", True, TOP36),
    ("the-impact", 2021, "top 35%", "percentile", False, TOP36),
    ("the-impact", 2021, "top_n=400", "top_n", True, TOP400),
    ("the-impact", 2021, "top-n=300", "top_n", False, TOP400),
    ("the-impact", 2021, "band=301-400", "band", True, BAND),
    ("the-impact", 2021, "band=301–400", "band", True, BAND),
    ("the-impact", 2021, "band=400", "band", True, BAND),
    ("the-impact", 2021, "band=201-300", "band", False, BAND),
    ("the-impact", 2021, "band=300", "band", False, BAND),
    ("the-impact", 2021, "national_rank=4", "national_rank", True, FR4),
    ("the-impact", 2021, "national_rank=4e", "national_rank", True, FR4),
    ("the-impact", 2021, "national_rank=6", "national_rank", False, FR4),
    # a region of one school: no highlight, but the claim is answered from the published rank
    ("the-impact", 2021, "regional_rank=1", "regional_rank", True, BAND),
    ("the-impact", 2021, "regional_rank=2", "regional_rank", False, BAND),
    # a rank or a movement inside a printed band is not published
    ("the-impact", 2021, "rank=381", "rank", False, (BAND_FR, BAND_EN)),
    ("the-impact", 2021, "movement=7", "movement", False, (BAND_FR, BAND_EN)),
    ("the-impact", 2021, "sdg_coverage=16", "sdg_coverage", True, SDG16),
    ("the-impact", 2021, "sdg_coverage=17", "sdg_coverage", False, SDG16),
    ("the-impact", 2021, "sdg_bands=top-200:7", "sdg_bands", True, SDG_BANDS),
    ("the-impact", 2021, "sdg_bands=200:8", "sdg_bands", False, SDG_BANDS),
    ("the-impact", 2023, "national_rank=6", "national_rank", True, FR6),
    ("the-impact", 2023, "national_rank=9", "national_rank", False, FR6),
    ("the-impact", 2023, "band_change=601-800:201-300", "band_change", True, BAND_CHANGE),
    ("the-impact", 2023, "band-change=601–800:201–300", "band_change", True, BAND_CHANGE),
    ("the-impact", 2023, "band_change=301-400:201-300", "band_change", False, BAND_CHANGE),
    ("the-impact", 2023, "top_n_change=800:300", "top_n_change", True, TOP_CHANGE),
    ("the-impact", 2023, "top-n-change=800:200", "top_n_change", False, TOP_CHANGE),
    ("letudiant", 2021, "rank=27", "rank", True, RANK27),
    ("letudiant", 2021, "rank==27", "rank", True, RANK27),
    ("letudiant", 2021, "rank=28th", "rank", False, RANK27),
    ("letudiant", 2021, "movement=6", "movement", True, MOVE6),
    ("letudiant", 2021, "movement=7", "movement", False, MOVE6),
    ("letudiant", 2021, "movement=6@2020", "movement", True, MOVE6),
    ("letudiant", 2021, "movement=2016:35", "movement", True, MOVE35),
    ("letudiant", 2021, "movement=35@2016", "movement", True, MOVE35),
    ("letudiant", 2021, "movement=2016:30", "movement", False, MOVE35),
    # the whole field is in France: the national rank is the rank
    ("letudiant", 2021, "national_rank=27", "national_rank", True, RANK27),
    ("letudiant", 2021, "national_rank=1", "national_rank", False, RANK27),
    ("letudiant", 2021, "regional_rank=3", "regional_rank", True, REGION),
    ("letudiant", 2021, "regional_rank=1", "regional_rank", False, REGION),
    ("letudiant", 2021, "participation=6", "participation", True, SIX),
    ("letudiant", 2021, "participation=5", "participation", False, SIX),
    ("letudiant", 2021, "field_size=168", "field_size", True, FIELD),
    ("letudiant", 2021, "field_size=169", "field_size", False, FIELD),
    ("letudiant", 2021, "group_position=A", "group_position", True, GROUP),
    ("letudiant", 2021, "group=A:first-half", "group_position", True, GROUP),
    ("letudiant", 2021, "group=A:second-half", "group_position", False, GROUP),
    ("letudiant", 2021, "group=B", "group_position", False, GROUP),
    ("letudiant", 2021, "top_n_change=40:30", "top_n_change", True, GROUP_CHANGE),
    ("letudiant", 2021, "top_n_change=40:20", "top_n_change", False, GROUP_CHANGE),
    ("u-multirank", 2021, "grade_count=10", "grade_count", True, GRADES),
    ("u-multirank", 2021, "grades=10", "grade_count", True, GRADES),
    ("u-multirank", 2021, "grades=11", "grade_count", False, GRADES),
    ("u-multirank", 2021, "grade_count=teaching:4", "grade_count", True, GRADES),
    ("u-multirank", 2021, "grades=teaching:5", "grade_count", False, GRADES),
    ("u-multirank", 2021, "national_rank=teaching:1", "national_rank", True, TEACHING),
    ("u-multirank", 2021, "national_rank=teaching:2", "national_rank", False, TEACHING),
    ("u-multirank", 2021, "participation=2", "participation", True, TWICE),
    ("u-multirank", 2021, "participation=3", "participation", False, TWICE),
    # U-Multirank prints no overall rank: none is published, the national first is said
    ("u-multirank", 2021, "rank=661", "rank", False, (UMR_FR, UMR_EN)),
    ("u-multirank", 2021, "national_rank=1", "national_rank", False, (UMR_FR, TEACHING[1])),
    ("u-multirank", 2021, "top_n=700", "top_n", False, (UMR_FR, UMR_EN)),
    ("u-multirank", 2021, "movement=371", "movement", False, (UMR_FR, UMR_EN)),
]


@cache
def _series(system: str) -> EditionSeries:
    """One series per system for the module (its results are computed once)."""
    return EditionSeries(seed_world(0), system)


def _plain_spaces(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    ("system", "edition", "claim", "kind", "holds", "words"),
    CASES,
    ids=[f"{s}-{e}-{c}" for s, e, c, *_ in CASES],
)
def test_check_answers_the_value_form(
    system: str, edition: int, claim: str, kind: str, holds: bool, words: tuple[str, str]
) -> None:
    verdict = check(_series(system), SCHOOL, edition, claim)
    assert (verdict.kind, verdict.holds) == (kind, holds), verdict.proof
    assert verdict.proof
    fr, en = (_plain_spaces(t) for t in (verdict.correct_text_fr, verdict.correct_text_en))
    assert words[0] in fr, fr
    assert words[1] in en, en
    if kind in ("rank", "movement") and not holds and system == "the-impact":
        assert fr.startswith(BAND_FR) and en.startswith(BAND_EN)


def test_every_checkable_kind_and_alias_is_exercised() -> None:
    claims = [claim for _, _, claim, *_ in CASES]
    kinds = {kind for _, _, _, kind, *_ in CASES}
    assert kinds == set(CHECKABLE)
    for alias in ALIASES:
        assert any(c.startswith(f"{alias}=") for c in claims), alias
    for kind in CHECKABLE:  # holding and not holding
        assert {h for _, _, _, k, h, _ in CASES if k == kind} == {True, False}, kind


PERCENT_36 = (
    "rang 400 sur 1 115 : 100 × 400 / 1 115 = 35,87, top 36 % (arrondi à l'entier supérieur) ; "
    "le top 36 % demande un rang ≤ 401,40",
    "rank 400 of 1,115: 100 × 400 / 1,115 = 35.87, top 36% (rounded up); top 36% needs rank "
    "≤ 401.40",
)
PERCENT_35 = ("le top 35 % demande un rang ≤ 390,25", "top 35% needs rank ≤ 390.25")
BAND_PRINTED = (
    "tranche publiée 301–400, sur 1 115 établissements classés",
    "band 301–400 as printed, of 1,115 institutions ranked",
)
NATIONAL_4 = (
    "France : rang 4 sur 18 (3 établissements à ce rang) ; l'établissement est dans la tranche "
    "301–400",
    "France: rank 4 of 18 (3 institutions at this rank); the institution is in the band 301–400",
)
NATIONAL_6 = (
    "France : rang 6 sur 41 (4 établissements à ce rang) ; l'établissement est dans la tranche "
    "201–300",
    "France: rank 6 of 41 (4 institutions at this rank); the institution is in the band 201–300",
)
REGION_OF_ONE = (
    "rang régional 1 sur 1 (aucun point fort pour un effectif si petit)",
    "regional rank 1 of 1 (no highlight for so small a field)",
)
IN_BAND = ("non publié : la tranche est 301–400", "not published: the band is 301–400")
SDG_16 = ("dans 16 des 17 classements par ODD", "in 16 of the 17 SDG tables")
SDG_TOP_200 = (
    "7 classements par ODD dans le top 200 (borne basse de chaque tranche)",
    "7 SDG tables in the top 200 (worse end of each band)",
)
BANDS_2022_2023 = (
    "2022 : tranche 601–800, 2023 : tranche 201–300",
    "2022: band 601–800, 2023: band 201–300",
)
TOPS_2022_2023 = ("top 800 en 2022, top 300 en 2023", "top 800 in 2022, top 300 in 2023")
RANK_27 = (
    "rang 27 sur 168 (1 établissement à ce rang)",
    "rank 27 of 168 (1 institution at this rank)",
)
MOVE_6 = (
    "2020 : rang 33, 2021 : rang 27 ; places = 33 − 27 = 6",
    "2020: rank 33, 2021: rank 27; places = 33 − 27 = 6",
)
MOVE_35 = (
    "2016 : rang 62, 2021 : rang 27 ; places = 62 − 27 = 35 (signalements : méthodologie, barème)",
    "2016: rank 62, 2021: rank 27; places = 62 − 27 = 35 (flags: methodology, scale)",
)
WHOLE_FIELD = (
    "tout le classement est dans un seul pays : le rang national est le rang, 27 sur 168",
    "the whole field is in one country: the national rank is the rank, 27 of 168",
)
REGION_3 = (
    "Occitanie : rang 3 sur 21 (1 établissement à ce rang)",
    "Occitanie: rank 3 of 21 (1 institution at this rank)",
)
GROUP_A = ("groupe A, 11 sur 24 (première moitié)", "group A, 11 of 24 (first half)")
TOPS_2020_2021 = ("top 40 en 2020, top 30 en 2021", "top 40 in 2020, top 30 in 2021")
GRADES_10 = (
    "10 notes A au total (Orientation internationale : 1, Recherche : 2, Enseignement et "
    "apprentissage : 4, Transfert de connaissances : 3)",
    "10 A grades in total (International orientation: 1, Research: 2, Teaching and learning: 4, "
    "Knowledge transfer: 3)",
)
GRADES_TEACHING = (
    "4 notes A en « Enseignement et apprentissage »",
    "4 A grades in “Teaching and learning”",
)
TEACHING_FIRST = (
    "France : rang 1 sur 178 (5 établissements à ce rang) pour « Enseignement et apprentissage »",
    "France: rank 1 of 178 (5 institutions at this rank) for “Teaching and learning”",
)
NO_OVERALL = (
    "non publié : U-Multirank ne publie pas de rang global",
    "not published: U-Multirank prints no overall rank",
)

#: The proof of each case, (French, English), a part of it where the case's own number shows.
PROOFS: dict[tuple[str, int, str], tuple[str, str]] = {
    ("the-impact", 2021, "percentile=36"): PERCENT_36,
    ("the-impact", 2021, "percentile=35"): PERCENT_35,
    ("the-impact", 2021, "top-percent=36"): PERCENT_36,
    ("the-impact", 2021, "top_percent=30"): (
        "le top 30 % demande un rang ≤ 334,50",
        "top 30% needs rank ≤ 334.50",
    ),
    ("the-impact", 2021, "top 36 %"): PERCENT_36,
    ("the-impact", 2021, "top 35%"): PERCENT_35,
    ("the-impact", 2021, "top_n=400"): (
        "rang 400 (borne basse) ≤ 400 ; plus petit palier atteint : top 400",
        "rank 400 (worse end) ≤ 400; smallest rung: top 400",
    ),
    ("the-impact", 2021, "top-n=300"): (
        "rang 400 (borne basse) > 300 ; plus petit palier atteint : top 400",
        "rank 400 (worse end) > 300; smallest rung: top 400",
    ),
    ("the-impact", 2021, "band=301-400"): BAND_PRINTED,
    ("the-impact", 2021, "band=301–400"): BAND_PRINTED,
    ("the-impact", 2021, "band=400"): BAND_PRINTED,
    ("the-impact", 2021, "band=201-300"): BAND_PRINTED,
    ("the-impact", 2021, "band=300"): BAND_PRINTED,
    ("the-impact", 2021, "national_rank=4"): NATIONAL_4,
    ("the-impact", 2021, "national_rank=4e"): NATIONAL_4,
    ("the-impact", 2021, "national_rank=6"): NATIONAL_4,
    ("the-impact", 2021, "regional_rank=1"): REGION_OF_ONE,
    ("the-impact", 2021, "regional_rank=2"): REGION_OF_ONE,
    ("the-impact", 2021, "rank=381"): IN_BAND,
    ("the-impact", 2021, "movement=7"): IN_BAND,
    ("the-impact", 2021, "sdg_coverage=16"): SDG_16,
    ("the-impact", 2021, "sdg_coverage=17"): SDG_16,
    ("the-impact", 2021, "sdg_bands=top-200:7"): SDG_TOP_200,
    ("the-impact", 2021, "sdg_bands=200:8"): SDG_TOP_200,
    ("the-impact", 2023, "national_rank=6"): NATIONAL_6,
    ("the-impact", 2023, "national_rank=9"): NATIONAL_6,
    ("the-impact", 2023, "band_change=601-800:201-300"): BANDS_2022_2023,
    ("the-impact", 2023, "band-change=601–800:201–300"): BANDS_2022_2023,
    ("the-impact", 2023, "band_change=301-400:201-300"): BANDS_2022_2023,
    ("the-impact", 2023, "top_n_change=800:300"): TOPS_2022_2023,
    ("the-impact", 2023, "top-n-change=800:200"): TOPS_2022_2023,
    ("letudiant", 2021, "rank=27"): RANK_27,
    ("letudiant", 2021, "rank==27"): RANK_27,
    ("letudiant", 2021, "rank=28th"): RANK_27,
    ("letudiant", 2021, "movement=6"): MOVE_6,
    ("letudiant", 2021, "movement=7"): MOVE_6,
    ("letudiant", 2021, "movement=6@2020"): MOVE_6,
    ("letudiant", 2021, "movement=2016:35"): MOVE_35,
    ("letudiant", 2021, "movement=35@2016"): MOVE_35,
    ("letudiant", 2021, "movement=2016:30"): MOVE_35,
    ("letudiant", 2021, "national_rank=27"): WHOLE_FIELD,
    ("letudiant", 2021, "national_rank=1"): WHOLE_FIELD,
    ("letudiant", 2021, "regional_rank=3"): REGION_3,
    ("letudiant", 2021, "regional_rank=1"): REGION_3,
    ("letudiant", 2021, "participation=6"): ("6 participations", "ranked in 6 editions"),
    ("letudiant", 2021, "participation=5"): ("6 participations", "ranked in 6 editions"),
    ("letudiant", 2021, "field_size=168"): (
        "168 établissements classés",
        "168 institutions ranked",
    ),
    ("letudiant", 2021, "field_size=169"): (
        "168 établissements classés",
        "168 institutions ranked",
    ),
    ("letudiant", 2021, "group_position=A"): GROUP_A,
    ("letudiant", 2021, "group=A:first-half"): GROUP_A,
    ("letudiant", 2021, "group=A:second-half"): GROUP_A,
    ("letudiant", 2021, "group=B"): GROUP_A,
    ("letudiant", 2021, "top_n_change=40:30"): TOPS_2020_2021,
    ("letudiant", 2021, "top_n_change=40:20"): TOPS_2020_2021,
    ("u-multirank", 2021, "grade_count=10"): GRADES_10,
    ("u-multirank", 2021, "grades=10"): GRADES_10,
    ("u-multirank", 2021, "grades=11"): GRADES_10,
    ("u-multirank", 2021, "grade_count=teaching:4"): GRADES_TEACHING,
    ("u-multirank", 2021, "grades=teaching:5"): GRADES_TEACHING,
    ("u-multirank", 2021, "national_rank=teaching:1"): TEACHING_FIRST,
    ("u-multirank", 2021, "national_rank=teaching:2"): TEACHING_FIRST,
    ("u-multirank", 2021, "participation=2"): ("2 participations", "ranked in 2 editions"),
    ("u-multirank", 2021, "participation=3"): ("2 participations", "ranked in 2 editions"),
    ("u-multirank", 2021, "rank=661"): NO_OVERALL,
    ("u-multirank", 2021, "national_rank=1"): NO_OVERALL,
    ("u-multirank", 2021, "top_n=700"): NO_OVERALL,
    ("u-multirank", 2021, "movement=371"): NO_OVERALL,
}


def test_every_case_has_its_proof() -> None:
    assert set(PROOFS) == {(s, e, c) for s, e, c, *_ in CASES}


@pytest.mark.parametrize(
    ("system", "edition", "claim"), list(PROOFS), ids=[f"{s}-{e}-{c}" for s, e, c in PROOFS]
)
def test_the_proof_speaks_french_and_english(system: str, edition: int, claim: str) -> None:
    fr_verdict = check(_series(system), SCHOOL, edition, claim, lang="fr")
    en_verdict = check(_series(system), SCHOOL, edition, claim, lang="en")
    fr, en = PROOFS[(system, edition, claim)]
    # French groups thousands with U+202F and puts U+00A0 before "%" and ":" stays spaced
    assert fr in _plain_spaces(fr_verdict.proof), fr_verdict.proof
    assert en == en_verdict.proof or en in en_verdict.proof, en_verdict.proof
    if "%" in fr:
        assert "\u00a0%" in fr_verdict.proof
    if "1 115" in fr:
        assert "1\u202f115" in fr_verdict.proof
    # the verdict and the phrasing do not depend on the language of the proof
    assert (fr_verdict.holds, fr_verdict.correct_text_fr, fr_verdict.correct_text_en) == (
        en_verdict.holds,
        en_verdict.correct_text_fr,
        en_verdict.correct_text_en,
    )
