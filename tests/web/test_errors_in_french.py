"""Error pages and inline errors in the page's language: ``/fr/...`` says what is wrong in
French (status unchanged), ``/en/...`` in the same English as before. Pages asked of the app
in-process (Starlette's test client over the real app and the seed world)."""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

warnings.filterwarnings("ignore", message=".*httpx2.*")

NBSP, NNBSP = "\u00a0", "\u202f"
RANKING = "/{lang}/rankings/letudiant/2024"


def q(text: str) -> str:
    return f"«{NBSP}{text}{NBSP}»"


@pytest.fixture(scope="module")
def pages(seed_dataset: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from palmares.api.app import create_app
    from palmares.api.context import ServiceContext

    with TestClient(create_app(ServiceContext.from_dataset(seed_dataset))) as client:
        yield client


def problem_of(page: Any) -> str:
    """The sentence of the page's ``problem`` paragraph, as a reader sees it."""
    found = re.search(r'<p class="problem">(.*?)</p>', page.text, re.S)
    assert found, page.text[:500]
    return html.unescape(found.group(1)).strip()


#: (path with {lang}, status, English sentence, French sentence)
CASES = [
    pytest.param(
        "/{lang}/rankings/nope/2024",
        404,
        "no system 'nope'; systems: letudiant, the-impact, u-multirank",
        f"pas de classement {q('nope')}{NNBSP}; classements{NBSP}: letudiant, the-impact, "
        "u-multirank",
        id="unknown-system",
    ),
    pytest.param(
        "/{lang}/rankings/letudiant/1999",
        404,
        "letudiant has no edition 1999; editions: 2016, 2017",
        f"letudiant n'a pas d'édition 1999{NNBSP}; éditions{NBSP}: 2016, 2017",
        id="unknown-edition",
    ),
    pytest.param(
        RANKING + "?page=0",
        400,
        "page='0': expected 1 or more",
        f"page={q('0')}{NBSP}: 1 ou plus est attendu",
        id="page-zero",
    ),
    pytest.param(
        RANKING + "?page=x",
        400,
        "page='x': expected a whole number",
        f"page={q('x')}{NBSP}: un nombre entier est attendu",
        id="page-not-a-number",
    ),
    pytest.param(
        RANKING + "?where=zz:1",
        400,
        "where=zz:1: no attribute 'zz'",
        f"where=zz:1{NBSP}: aucun attribut {q('zz')}",
        id="unknown-attribute",
    ),
    pytest.param(
        "/{lang}/rankings/letudiant/2024.pdf",
        404,
        "format 'pdf': expected csv or xlsx",
        f"format {q('pdf')}{NBSP}: csv ou xlsx attendu",
        id="export-format",
    ),
    pytest.param(
        "/{lang}/institutions/Zqxwv",
        404,
        "no institution with id, name or alias 'Zqxwv'; nothing close: search with palmares "
        "search 'Zqxwv'",
        f"aucun établissement n'a pour identifiant, nom ou alias {q('Zqxwv')}{NNBSP}; "
        f"rien d'approchant{NBSP}: cherchez avec palmares search {q('Zqxwv')}",
        id="unknown-institution",
    ),
    pytest.param(
        "/{lang}/charts/pie.svg",
        404,
        "no chart pie.svg",
        "pas de graphique pie.svg",
        id="unknown-chart-kind",
    ),
    pytest.param(
        "/{lang}/compare?ids=a,b,c,d,e",
        400,
        "compare takes 2 to 4 institutions",
        "la comparaison porte sur 2 à 4 établissements",
        id="compare-too-many",
    ),
    pytest.param(
        "/{lang}/personalise/letudiant/2024?w.nope=1&w.other=-1",
        400,
        "w.nope: no criterion 'nope'; w.other: no criterion 'other'",
        f"w.nope{NBSP}: aucun critère {q('nope')}{NNBSP}; "
        f"w.other{NBSP}: aucun critère {q('other')}",
        id="builder-weights",
    ),
]


@pytest.mark.parametrize(("path", "status", "english", "french"), CASES)
def test_an_error_page_speaks_the_page_language(
    pages: Any, path: str, status: int, english: str, french: str
) -> None:
    in_english = pages.get(path.format(lang="en"))
    in_french = pages.get(path.format(lang="fr"))
    assert in_english.status_code == in_french.status_code == status
    assert problem_of(in_english).startswith(english)
    assert problem_of(in_french).startswith(french), problem_of(in_french)
    assert in_french.headers["content-language"] == "fr"
    assert "Cette page ne peut pas être affichée" in html.unescape(in_french.text)


def test_the_claim_box_answers_a_wording_it_cannot_read_in_french(
    pages: Any, seed_dataset: Any
) -> None:
    ident = str(seed_dataset.institutions["id"].iloc[0])
    english = pages.get(f"/en/institutions/{ident}?claim=blah+blah")
    french = pages.get(f"/fr/institutions/{ident}?claim=blah+blah")
    assert english.status_code == french.status_code == 200
    assert problem_of(english).startswith(
        "'blah blah': not a claim palmares can check; write it as the release does"
    )
    assert problem_of(french).startswith(
        f"{q('blah blah')}{NBSP}: palmares ne sait pas vérifier cette affirmation{NNBSP}; "
        "écrivez-la comme le communiqué"
    )
