"""Problem documents in the request's language (``lang=fr``, or the ``lang`` of a personalise
body): ``title``, ``detail`` and palmares' own problem messages in French; the status, the
problem codes and the candidates unchanged; without ``lang`` the English stays word for word."""

from __future__ import annotations

from typing import Any

import pytest

NBSP, NNBSP = "\u00a0", "\u202f"
RANKING = "/api/v1/systems/letudiant/editions/2024/ranking"


def q(text: str) -> str:
    """French quotes, as the catalogue writes them."""
    return f"«{NBSP}{text}{NBSP}»"


#: (path and query without lang, status, English title, English detail, French title, French
#: detail); a detail may be given by its start when candidates follow.
CASES = [
    pytest.param(
        "/api/v1/systems/nope/editions/2024/ranking",
        404,
        ("Not found", "unknown system 'nope'; closest: "),
        ("Introuvable", f"classement inconnu {q('nope')}{NNBSP}; les plus proches{NBSP}: "),
        id="unknown-system",
    ),
    pytest.param(
        "/api/v1/systems/letudiant/editions/1999/ranking",
        404,
        ("Not found", "unknown letudiant edition '1999'; closest: "),
        ("Introuvable", f"édition de letudiant inconnue {q('1999')}{NNBSP}; les plus proches"),
        id="unknown-edition",
    ),
    pytest.param(
        f"{RANKING}?country=ZZ",
        404,
        ("Not found", "unknown country 'ZZ'"),
        ("Introuvable", f"pays inconnu {q('ZZ')}"),
        id="unknown-country",
    ),
    pytest.param(
        f"{RANKING}?where=bad",
        400,
        ("Bad request", "where: 'bad': expected KEY:VALUE"),
        ("Requête incorrecte", f"where{NBSP}: {q('bad')}{NBSP}: CLÉ:VALEUR attendu"),
        id="bad-where",
    ),
    pytest.param(
        f"{RANKING}?sort=height",
        400,
        ("Bad request", "sort: 'height': expected one of rank, -rank"),
        ("Requête incorrecte", f"sort{NBSP}: {q('height')}{NBSP}: l'un de rank, -rank"),
        id="bad-sort",
    ),
    pytest.param(
        "/api/v1/institutions/Zqxwv/history",
        404,
        (
            "Not found",
            "no institution with id, name or alias 'Zqxwv'; nothing close: search with "
            "palmares search 'Zqxwv'",
        ),
        (
            "Introuvable",
            f"aucun établissement n'a pour identifiant, nom ou alias {q('Zqxwv')}{NNBSP}; "
            f"rien d'approchant{NBSP}: cherchez avec palmares search {q('Zqxwv')}",
        ),
        id="unknown-institution",
    ),
    pytest.param(
        "/api/v1/charts/pie?institutions=x",
        404,
        ("Not found", "unknown chart 'pie': one of trajectory, grades"),
        ("Introuvable", f"graphique inconnu {q('pie')}{NBSP}: l'un de trajectory, grades"),
        id="unknown-chart-kind",
    ),
    pytest.param(
        "/api/v1/institutions/x/communique?edition=soon",
        404,
        ("Not found", "no institution with id, name or alias 'x'"),
        ("Introuvable", f"aucun établissement n'a pour identifiant, nom ou alias {q('x')}"),
        id="communique-unknown-institution",
    ),
]


def _with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


@pytest.mark.parametrize(("path", "status", "english", "french"), CASES)
def test_a_problem_is_said_in_the_request_language(
    client: Any, path: str, status: int, english: tuple[str, str], french: tuple[str, str]
) -> None:
    plain = client.get(path)
    said = client.get(_with_lang(path, "fr"))
    assert plain.status_code == said.status_code == status
    assert said.headers["content-type"].startswith("application/problem+json")
    doc_en, doc_fr = plain.json(), said.json()
    assert doc_en["title"] == english[0] and doc_en["detail"].startswith(english[1])
    assert doc_fr["title"] == french[0] and doc_fr["detail"].startswith(french[1]), doc_fr
    assert client.get(_with_lang(path, "en")).json() == doc_en
    # what a program reads does not move with the language
    assert doc_fr["candidates"] == doc_en["candidates"]
    assert [p["code"] for p in doc_fr["problems"]] == [p["code"] for p in doc_en["problems"]]
    assert [p["column"] for p in doc_fr["problems"]] == [p["column"] for p in doc_en["problems"]]


def test_personalise_speaks_the_body_language(client: Any) -> None:
    body = {
        "system": "letudiant",
        "edition": 2024,
        "criteria": ["nope"],
        "weights": {},
        "filters": {},
    }
    english = client.post("/api/v1/personalise", json=body)
    french = client.post("/api/v1/personalise", json={**body, "lang": "fr"})
    assert english.status_code == french.status_code == 422
    en, fr = english.json(), french.json()
    assert en["detail"] == "1 problem(s) in the personalisation"
    assert fr["detail"] == "1 problème dans la personnalisation"
    assert fr["title"] == "Contenu impossible à traiter"
    assert [p["code"] for p in fr["problems"]] == [p["code"] for p in en["problems"]]
    assert en["problems"][0]["message"] == "unknown criterion 'nope'"
    assert fr["problems"][0]["message"] == f"critère inconnu {q('nope')}"


def test_a_write_refused_before_the_body_is_read_speaks_french(client: Any) -> None:
    english = client.post("/api/v1/bundles")
    french = client.post("/api/v1/bundles?lang=fr")
    assert english.status_code == french.status_code == 401
    assert english.json()["detail"] == (
        "this route changes data: send Authorization: Bearer $PALMARES_TOKEN"
    )
    assert french.json()["title"] == "Non authentifié"
    assert french.json()["detail"] == (
        f"cette route modifie les données{NBSP}: envoyez Authorization: Bearer $PALMARES_TOKEN"
    )
    assert french.headers["www-authenticate"] == english.headers["www-authenticate"]


def test_an_unknown_language_is_refused_in_english(client: Any) -> None:
    answer = client.get(f"{RANKING}?lang=xx")
    assert answer.status_code == 400
    assert answer.json()["detail"] == "lang: 'xx': expected fr or en"
