"""The one did-you-mean for an unknown institution (palmares.names.closest_names): the CLI, the
API and the web pages name the institution a typo meant, and nothing when nothing is close."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from palmares.names import closest_names, unknown_institution

#: (id, name, country, a name it is known by), as the Dataset and the store list them.
NAMES = [
    (ident, name, "FR", known)
    for ident, name in [
        ("imt-mines-ales", "IMT Mines Alès"),
        ("imt-mines-albi", "IMT Mines Albi"),
        ("lille", "Université de Lille"),
        ("nantes", "Université de Nantes"),
        ("rennes", "Université de Rennes"),
        ("tours", "Université de Tours"),
        ("caen", "Université de Caen"),
        ("brest", "Université de Brest"),
        *((f"paris-{k}", f"Université Paris {k}") for k in range(1, 7)),
    ]
    for known in (ident, name)
]


def _ids(text: str) -> list[str]:
    return [h.id for h in closest_names(text, NAMES)]


def test_a_typo_names_the_institution_it_meant() -> None:
    assert _ids("imt mines alse") == ["imt-mines-ales"]
    assert _ids("IMT-Mines-Alès") == ["imt-mines-ales"]  # case, accents and dashes folded
    assert _ids("Universite de Nante") == ["nantes"]


def test_nothing_close_is_no_answer_not_five_arbitrary_names() -> None:
    # A shared word ("université", "de") alone is not a match: a search would list them all.
    assert _ids("université de nulle part") == []
    assert _ids("zzqqxx") == []
    assert _ids("") == []


def test_a_crowd_of_equally_close_names_is_no_answer() -> None:
    # "Université Pari" is as close to six names: none is named rather than five at random.
    assert _ids("Université Pari") == []
    assert len(closest_names("Université Pari", NAMES, limit=6)) == 6


def test_the_message_points_to_search_when_nothing_is_close() -> None:
    assert unknown_institution("zz", []) == (
        "no institution with id, name or alias 'zz'; "
        "nothing close: search with palmares search 'zz'"
    )
    assert unknown_institution("imt mines alse", [("imt-mines-ales", "IMT Mines Alès")]) == (
        "no institution with id, name or alias 'imt mines alse'; "
        "closest: imt-mines-ales (IMT Mines Alès)"
    )


ASEM = Path(__file__).parent / "data" / "asem"
METHOD = Path(__file__).parent / "methodology" / "examples" / "asem.toml"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import palmares
    from palmares.io import write_dataset

    out = tmp_path_factory.mktemp("asem") / "bundle"
    write_dataset(palmares.load([ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"]), out)
    return out


def test_every_face_answers_an_unknown_institution_alike(cli: Any, bundle: Path) -> None:
    """CLI (exit 2), API (404 with the candidates) and web (the same message), one bundle."""
    from fastapi.testclient import TestClient

    import palmares
    from palmares.api.app import create_app
    from palmares.api.context import ServiceContext
    from palmares.web.data import WebData, WebError

    options = ("--data", str(bundle), "--method", str(METHOD), "--edition", "2018")
    code, _, err = cli("explain", "Université de nulle part", *options)
    assert code == 2
    assert "nothing close: search with palmares search 'Université de nulle part'" in err
    code, _, err = cli("explain", "Germny", *options)
    assert code == 2 and "closest: DEU (Germany)" in err
    dataset = palmares.load(bundle)
    with TestClient(create_app(ServiceContext.from_dataset(dataset))) as client:
        answer = client.get("/api/v1/institutions/Universit%C3%A9%20de%20nulle%20part")
        assert answer.status_code == 404 and answer.json()["candidates"] == []
        assert "palmares search" in answer.json()["detail"]
        assert client.get("/api/v1/institutions/Germny").json()["candidates"] == ["DEU"]
    with pytest.raises(WebError, match="nothing close: search with palmares search"):
        WebData(dataset).institution("Université de nulle part")
    with pytest.raises(WebError, match=r"closest: DEU \(Germany\)"):
        WebData(dataset).institution("Germny")
