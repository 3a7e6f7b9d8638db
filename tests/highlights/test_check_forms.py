"""``check`` answers every value form of contracts section 6, each alias too, holding and not,
with the correct phrasing in French and English (the seed world, seed 0, IMT Mines Alès)."""

from __future__ import annotations

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
    verdict = check(EditionSeries(seed_world(0), system), SCHOOL, edition, claim)
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
