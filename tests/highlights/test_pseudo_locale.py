"""A language added as a catalogue alone: a pseudo-locale whose every message is the English one
between ``⟦`` and ``⟧`` renders every fact kind (contracts section 6), every phrasing of the
communiqué and a whole communiqué; outside the markers only names, numbers and punctuation
remain, so every word came from the catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from palmares import i18n
from palmares.demo import generate
from palmares.highlights import KINDS, Fact, Renderer
from palmares.highlights.communique import Phrasing, communique

OPEN, CLOSE = "⟦", "⟧"
PSEUDO = "xx"
#: Names in Greek letters: any Latin letter left outside the markers is an untranslated word.
INSTITUTIONS = {"i1": "Ωμέγα", "i2": "Δέλτα", "i3": "Ψι"}
NODES = {"s": "Σίγμα", "letudiant": "Λάμδα", "n1": "Νι", "n2": "Ξι", "n3": "Ταυ"}


def pseudo_catalogue(folder: Path) -> None:
    """Every message of the French catalogue, its msgstr the msgid between markers."""
    with (i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "palmares.po").open("rb") as po:
        french = read_po(po)
    pseudo = Catalog(locale=None, domain="palmares")
    for message in french:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            text: Any = tuple(f"{OPEN}{form}{CLOSE}" for form in message.id)
        else:
            text = f"{OPEN}{message.id}{CLOSE}"
        pseudo.add(message.id, text, context=message.context)
    target = folder / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "palmares.po").open("wb") as po:
        write_po(po, pseudo)


@pytest.fixture(scope="module")
def pseudo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("locale")
    pseudo_catalogue(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(i18n.LOCALE_PATH_ENV, str(folder))
        i18n.reload()
        yield PSEUDO
    i18n.reload()


def outside_markers(text: str) -> str:
    """The characters of ``text`` at depth 0 of the ``⟦ ⟧`` markers."""
    depth, out = 0, []
    for char in text:
        if char == OPEN:
            depth += 1
        elif char == CLOSE:
            depth -= 1
            assert depth >= 0, text
        elif depth == 0:
            out.append(char)
    assert depth == 0, text
    return "".join(out)


def assert_all_from_catalogue(text: str, names: tuple[str, ...] = ()) -> None:
    assert OPEN in text, text
    rest = outside_markers(text)
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(name, "")
    assert not re.search(r"[A-Za-z]", rest), f"{rest!r} in {text!r}"


def dataset() -> Any:
    """The two tables the renderer reads: node labels and institution names."""
    indicators = pd.DataFrame(
        {"id": list(NODES), "label_en": list(NODES.values()), "label_fr": list(NODES.values())}
    )
    institutions = pd.DataFrame({"id": list(INSTITUTIONS), "name": list(INSTITUTIONS.values())})
    return SimpleNamespace(indicators=indicators, institutions=institutions)


NET = {"network": "net", "network_name": "Ρο"}
SCALE = {"criteria:max_points": {"parameter": "max_points", "from": 5, "to": 10}}
#: Values of every fact kind (one or more variants), as palmares.highlights.facts builds them.
VALUES: dict[str, list[dict[str, Any]]] = {
    "rank": [
        {"rank": 3, "tie_size": 2, "field_size": 169, "node": None},
        {"rank": 1, "tie_size": 1, "field_size": 169, "node": "n1"},
        {"rank": 4, "tie_size": 3, "field_size": None, "node": None},
    ],
    "band": [{"band": "401–600", "field_size": 1000}, {"band": "401–600", "field_size": None}],
    "national_rank": [
        {"rank": 1, "tie_size": 5, "field_size": 30, "scope": "FR", "node": "n1", "grade": "Α"},
        {"rank": 2, "tie_size": 1, "field_size": 30, "scope": "US"},
    ],
    "movement": [
        {"previous_edition": 2022, "previous_rank": 3, "rank": 2, "places": 1, "flags": []},
        {
            "previous_edition": 2022,
            "previous_rank": 2,
            "rank": 5,
            "places": -3,
            "flags": ["methodology"],
        },
        {"previous_edition": 2022, "previous_rank": 2, "rank": 2, "places": 0, "flags": []},
    ],
    "national_leader_change": [
        {"scope": "DE", "previous_edition": 2022, "previous_leader": ["i2", "i3"]}
    ],
    "regional_rank": [{"rank": 2, "tie_size": 2, "field_size": 12, "scope": "Ωκ"}],
    "percentile": [
        {"top_percent": 9.5, "field_size": 1000, "rank": 95, "band": "91–100"},
        {"top_percent": 5, "field_size": 100, "rank": 5},
    ],
    "top_n": [
        {"scope": "world", "n": 100, "rank": 80, "band": "71–80"},
        {"scope": "FR", "n": 10, "rank": 8},
    ],
    "top_n_change": [{"previous_n": 100, "n": 50, "previous_edition": 2022}],
    "band_change": [{"previous_band": "601–800", "band": "401–600", "previous_edition": 2022}],
    "group_position": [
        {"half": "first", "rank_in_group": 3, "group_size": 20, "group": "Β"},
        {"half": "second", "rank_in_group": 15, "group_size": 20, "group": "Β"},
    ],
    "grade_count": [{"total": 5, "grade": "Α", "by_dimension": {"n1": 3, "n2": 2}}],
    "grade_count_change": [
        {"current": 5, "previous": 3, "dimension": "n1", "grade": "Α"},
        {"current": 2, "previous": 3, "dimension": "s", "grade": "Α"},
    ],
    "sdg_bands": [
        {"counts_by_band": {"100": 2, "200": 1}, "sdgs": {"3": 100, "4": 100, "11": 200}}
    ],
    "sdg_national_firsts": [{"sdgs": [3, 4]}, {"sdgs": [5]}],
    "sdg_coverage": [{"ranked": 5, "total": 17}],
    "band_stability": [
        {"previous_field": 800, "current_field": 1000, "band": "401–600", "previous_edition": 2022}
    ],
    "strongest_families": [{"families": ["n1", "n2"]}],
    "indicator_changes": [{"improved": ["n1", "n2"], "declined": ["n3"]}],
    "network_summary": [
        {
            **NET,
            "members_in_country": 3,
            "members_ranked": 4,
            "first_member": "i2",
            "country": "FR",
            "country_field": 169,
        },
        {**NET, "members_ranked": 1, "country": "FR", "country_field": 169},
    ],
    "network_movement": [
        {**NET, "improved": ["i1"], "kept": ["i2"], "declined": ["i3"], "previous_edition": 2022}
    ],
    "network_entrant": [{**NET, "order": 2, "edition": 2023}, {**NET, "edition": 2023}],
    "participation": [
        {"count": 3, "streak": 2, "first_edition": 2020},
        {"count": 1, "streak": 1, "first_edition": 2023},
    ],
    "field_size": [
        {"count": 1115, "countries": 96, "approximately": {"word": "near", "n": 1100}},
        {"count": 1115, "countries": 96, "approximately": {"word": "more-than", "n": 1100}},
        {"count": 169, "countries": 1},
    ],
    "field_growth": [
        {"previous": 800, "current": 1000, "previous_edition": 2022},
        {"previous": 800, "current": 800, "previous_edition": 2022},
    ],
    "field_composition": [
        {
            "field_size": 8,
            "by_attribute": {
                "intake": {"post-bac": 4, "post-prepa": 2},
                "status": {"public": 5, "private": 3},
            },
        }
    ],
    "trajectory": [{"ranks": {2020: 2, 2022: 3}}],
    "methodology_change": [
        {
            "added": ["n1"],
            "removed": ["n2", "n3"],
            "previous_edition": 2022,
            "scale_changes": SCALE,
            "scores_comparable": False,
        },
        {"added": [], "removed": [], "previous_edition": 2022},
    ],
    "methodology_structure": [{"names": ["n1", "n2"]}, {"names": ["sdg3", "sdg4"]}],
    "system_first_edition": [{"first_edition": 2020}],
    "rank_interval": [
        {"draws": 1000, "level": 90, "rank": 16, "q05": 14, "q95": 19, "tie_size": 2},
        {"draws": 1000, "level": 90, "rank": 16, "q05": 16, "q95": 16},
        {"draws": 1000, "level": 90, "band": "401–600", "p_same_band_percent": 80},
        {"draws": 1000, "level": 90, "band": "401–600"},
    ],
    "movement_robustness": [
        {
            "places": 3,
            "previous_edition": 2022,
            "previous_rank": 5,
            "rank": 2,
            "draws": 1000,
            "p_move_real_percent": 85,
            "threshold_percent": 80,
            "robust": robust,
            "flags": flags,
        }
        for robust in (True, False)
        for flags in ([], ["methodology"])
    ]
    + [
        {
            "places": 0,
            "previous_edition": 2022,
            "previous_rank": 2,
            "rank": 2,
            "draws": 1000,
            "p_move_real_percent": 60,
            "threshold_percent": 80,
            "robust": robust,
            "flags": [],
        }
        for robust in (True, False)
    ],
}


def every_fact() -> list[Fact]:
    """Each variant for a system of institutions and one of schools, with and without a
    grammatical gender for the institution."""
    out = []
    for kind in KINDS:
        for values in VALUES[kind]:
            for system, gender in (("s", None), ("letudiant", "f"), ("letudiant", None)):
                out.append(Fact(kind, "i1", "Ωμέγα", system, 2023, values, 50, gender=gender))
    return out


def test_every_kind_has_a_variant() -> None:
    assert set(VALUES) == set(KINDS)


def test_every_fact_kind_speaks_the_pseudo_language(pseudo: str) -> None:
    renderer = Renderer(dataset(), pseudo)
    for fact in every_fact():
        assert_all_from_catalogue(renderer.render(fact), ("Ρο", "Ωκ", "Α", "Β"))


def test_the_ordinal_and_the_tie_come_from_the_catalogue(pseudo: str) -> None:
    renderer = Renderer(dataset(), pseudo)
    fact = Fact("rank", "i1", "Ωμέγα", "s", 2023, VALUES["rank"][0], 90)
    assert renderer.render(fact) == (
        "⟦Ωμέγα is ⟦joint ⟦3th⟧⟧ of the ⟦169 ⟦institutions⟧ ranked⟧, "
        "⟦tied with 1 other ⟦institution⟧⟧.⟧"
    )


def test_every_communique_phrasing_speaks_the_pseudo_language(pseudo: str) -> None:
    phrasing = Phrasing(dataset(), pseudo)
    owns = [name for name in dir(phrasing) if name.startswith("own_")]
    assert len(owns) >= 10
    for fact in every_fact():
        own = getattr(phrasing, f"own_{fact.kind}", None)
        if own is None or fact.values.get("field_size", 0) is None:
            continue  # own_rank needs a field size: the communiqué states a known field only
        assert_all_from_catalogue(own(fact), ("Ρο", "Ωκ", "Α", "Β"))


def test_a_whole_communique_speaks_the_pseudo_language(pseudo: str) -> None:
    world = generate(0)
    draft = communique(world, "fr-mines-rodez", 2023, lang=pseudo)
    names = (
        *world.institutions["name"].dropna().astype(str),
        *world.indicators["label_en"].dropna().astype(str),
        *world.indicators["id"].astype(str),
    )
    for line in draft.markdown.splitlines():
        line = re.sub(r"`[^`]*`", "", line)  # hashes
        line = re.sub(r"^#+ |^- |\*\*|^\*|\*$", "", line)  # Markdown marks
        if line in ("", "---"):
            continue
        assert_all_from_catalogue(line, names)


#: One claim per shape of check's proof (contracts section 6): each value form, a rank inside a
#: band, no overall rank (U-Multirank), a scoped rank without a highlight, nothing stated.
CHECK_CLAIMS = [
    ("the-impact", 2021, "percentile=35"),
    ("the-impact", 2021, "top_n=400"),
    ("the-impact", 2021, "top-n=300"),
    ("the-impact", 2021, "band=301-400"),
    ("the-impact", 2021, "national_rank=4"),
    ("the-impact", 2021, "regional_rank=1"),
    ("the-impact", 2021, "rank=381"),
    ("the-impact", 2021, "sdg_coverage=16"),
    ("the-impact", 2021, "sdg_bands=top-200:7"),
    ("the-impact", 2023, "band_change=601-800:201-300"),
    ("the-impact", 2023, "top_n_change=800:300"),
    ("letudiant", 2021, "rank=27"),
    ("letudiant", 2021, "movement=2016:35"),
    ("letudiant", 2021, "national_rank=27"),
    ("letudiant", 2021, "regional_rank=3"),
    ("letudiant", 2021, "participation=6"),
    ("letudiant", 2021, "field_size=168"),
    ("letudiant", 2021, "group=A:second-half"),
    ("letudiant", 2021, "sdg_bands=top-200:3"),
    ("u-multirank", 2021, "grades=10"),
    ("u-multirank", 2021, "grades=teaching:4"),
    ("u-multirank", 2021, "national_rank=teaching:1"),
    ("u-multirank", 2021, "rank=661"),
]


def test_every_proof_of_check_speaks_the_pseudo_language(pseudo: str) -> None:
    from palmares.highlights import check
    from tests.highlights.test_check_forms import SCHOOL, _series

    world = _series("letudiant").dataset
    names = (
        *world.indicators["label_en"].dropna().astype(str),
        *world.institutions["name"].dropna().astype(str),
        *world.institutions["region"].dropna().astype(str),
        "France",
    )
    for system, edition, claim in CHECK_CLAIMS:
        verdict = check(_series(system), SCHOOL, edition, claim, lang=pseudo)
        assert_all_from_catalogue(verdict.proof, (*names, "A"))


def test_the_words_around_a_verdict_speak_the_pseudo_language(pseudo: str) -> None:
    said = i18n.gettext(
        pseudo, "{claim}: {verdict}", claim="", verdict=i18n.gettext(pseudo, "true")
    )
    assert said == "⟦: ⟦true⟧⟧"
    for message in ("proof: {proof}", "in French: {text}", "in English: {text}"):
        assert_all_from_catalogue(i18n.gettext(pseudo, message, proof="", text=""))


def test_the_history_table_speaks_the_pseudo_language(pseudo: str, tmp_path: Path) -> None:
    import sys

    from palmares.cli.history import history_table
    from palmares.history import EditionSeries

    sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/: the hand-made history world
    from history_world import world as history_world
    from history_world import write_methods

    write_methods(tmp_path)
    series = EditionSeries(history_world(), str(tmp_path), view="producer")
    hist = series.history("z")
    table, title, caption = history_table(series, hist, pseudo, hist.to_frame("en", missing=True))
    assert_all_from_catalogue(title, ("École Z", "test", "z"))
    assert_all_from_catalogue(caption, ("test",))
    for header in table.columns:
        assert_all_from_catalogue(str(header))
    flags = table[i18n.gettext(pseudo, "Flags")].dropna()
    assert any(flags.str.contains("⟦methodology⟧"))
    for cell in flags:
        if cell:
            assert_all_from_catalogue(str(cell))
