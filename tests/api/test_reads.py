"""Contract tests of the read routes: the same facts, ranks and bands as the library."""

from __future__ import annotations

import unicodedata

import numpy as np
from fastapi.testclient import TestClient

from palmares.api import ServiceContext
from palmares.history import EditionSeries
from palmares.methodology import methodology_hash

API = "/api/v1"


def test_systems_lists_every_system_with_its_editions(client: TestClient, world) -> None:
    answer = client.get(f"{API}/systems").json()
    assert [s["id"] for s in answer] == ["letudiant", "the-impact", "u-multirank"]
    for s in answer:
        assert s["editions"] == list(world.edition_years(s["id"]))
    impact = next(s for s in answer if s["id"] == "the-impact")
    assert impact["label_en"] == "THE Impact Rankings"
    assert impact["label_fr"] == "Classement THE Impact"


def test_ranking_page_matches_the_engine(client: TestClient, context: ServiceContext) -> None:
    page = client.get(f"{API}/systems/letudiant/editions/2024/ranking?per_page=20&page=2").json()
    result = context.result("letudiant", 2024)
    frame = result.to_frame("en", nodes=False)
    ranked = frame[frame["rank"] > 0].reset_index(drop=True)
    assert page["total"] == len(ranked) == result.field_size == page["field_size"] == 170
    assert page["methodology_hash"] == result.methodology_hash
    assert page["data_hash"] == context.data_hash
    assert (page["page"], page["per_page"], len(page["results"])) == (2, 20, 20)
    expected = ranked.iloc[20:40]
    assert [r["institution"] for r in page["results"]] == expected["institution"].tolist()
    assert [r["rank"] for r in page["results"]] == expected["rank"].tolist()
    assert [r["rank_display"] for r in page["results"]] == expected["rank_display"].tolist()
    assert [r["group"] for r in page["results"]] == expected["group"].tolist()
    assert not any(r["rank_is_computed"] for r in page["results"])


def test_published_view_shows_only_the_band_past_the_cutoff(
    client: TestClient, context: ServiceContext
) -> None:
    url = f"{API}/systems/the-impact/editions/2024/ranking?per_page=500&page=1"
    published = client.get(url).json()["results"]
    producer = client.get(url + "&view=producer").json()["results"]
    result = context.result("the-impact", 2024)
    ranks = dict(zip(result.institutions, result.ranking.rank.tolist(), strict=True))
    individual = [r for r in published if r["rank"] is not None]
    banded = [r for r in published if r["rank"] is None]
    # THE Impact prints ranks up to 100, then bands (101-200, ...)
    assert individual and banded
    assert max(r["rank"] for r in individual) <= 100
    assert all(r["band_lo"] is None and r["band_hi"] is None for r in individual)
    tail = client.get(url.replace("page=1", "page=4")).json()["results"]
    open_band = [r for r in tail if r["band_lo"] == 1001]
    assert open_band and all(
        r["band_hi"] is None and r["rank"] is None and r["rank_display"] == "1001+"
        for r in open_band
    )
    assert all(
        r["band_lo"] >= 101 and r["rank_display"] == f"{r['band_lo']}–{r['band_hi']}"
        for r in banded
    )
    assert not any(r["rank_is_computed"] for r in published)
    # the producer view shows the computed rank inside the band, labelled as such; the
    # published one lists a band alphabetically (its order would state the hidden ranks)
    by_id = {r["institution"]: r for r in published}
    both = [r for r in producer if r["institution"] in by_id]  # a band may straddle pages
    assert len(both) > 400
    for prod in both:
        pub = by_id[prod["institution"]]
        assert prod["rank"] == ranks[prod["institution"]]
        assert prod["rank_is_computed"] == (pub["rank"] is None)
    band = [r["name"] for r in published if r["band_lo"] == 101]
    assert len(band) > 1 and band == sorted(
        band, key=lambda n: unicodedata.normalize("NFKD", n).casefold()
    )
    # THE prints a banded row's score as its band's range (docs/published-view.md)
    assert all(r["score"] is None and r["score_lo"] <= r["score_hi"] for r in banded)
    assert all(r["score"] is not None and r["score_lo"] is None for r in individual)
    assert {(r["score_lo"], r["score_hi"]) for r in banded if r["band_lo"] == 101} == {
        (
            min(p["score"] for p in producer if p["band_lo"] == 101),
            max(p["score"] for p in producer if p["band_lo"] == 101),
        )
    }


def test_u_multirank_has_no_overall_rank_in_the_published_view(client: TestClient) -> None:
    url = f"{API}/systems/u-multirank/editions/2022/ranking?per_page=50"
    published = client.get(url).json()
    assert published["total"] == 2019
    assert all(r["rank"] is None and r["rank_display"] is None for r in published["results"])
    producer = client.get(url + "&view=producer").json()["results"]
    assert producer[0]["rank"] == 1 and producer[0]["rank_is_computed"]


def test_filters_country_network_where_and_text(
    client: TestClient, context: ServiceContext
) -> None:
    base = f"{API}/systems/the-impact/editions/2024/ranking?per_page=500"
    result = context.result("the-impact", 2024)
    ranked = result.ranking.rank > 0
    fr = client.get(base + "&country=FR").json()
    assert fr["total"] == int((ranked & (result.attributes["country"] == "FR")).sum())
    assert {r["country"] for r in fr["results"]} == {"FR"}
    occ = client.get(base + "&region=FR-OCC").json()
    assert 0 < occ["total"] < fr["total"]
    public = client.get(base + "&country=FR&where=status:public").json()
    status = dict(zip(result.institutions, result.attributes["status"], strict=True))
    assert public["total"] > 0
    assert all(status[r["institution"]] == "public" for r in public["results"])
    q = client.get(base + "&q=mines").json()
    assert q["total"] > 0 and all("mines" in r["name"].lower() for r in q["results"])


def test_sort_by_name(client: TestClient) -> None:
    rows = client.get(
        f"{API}/systems/letudiant/editions/2024/ranking?sort=name&per_page=10"
    ).json()["results"]
    names = [r["name"] for r in rows]
    assert names == sorted(names)


def test_personalise_is_the_engines_reranking(client: TestClient, context: ServiceContext) -> None:
    body = {
        "system": "u-multirank",
        "edition": 2022,
        "criteria": ["u-multirank.research", "u-multirank.international"],
        "weights": {"u-multirank.research": 3},
        "filters": {"country": "FR"},
        "per_page": 500,
    }
    answer = client.post(f"{API}/personalise", json=body).json()
    mine = context.result("u-multirank", 2022).personalise(
        ["u-multirank.research", "u-multirank.international"],
        {"u-multirank.research": 3.0},
        {"country": "FR"},
    )
    frame = mine.to_frame("en", nodes=False)
    frame = frame[frame["rank"] > 0]
    assert answer["total"] == len(frame) == answer["field_size"]
    assert [r["institution"] for r in answer["results"]] == frame["institution"].tolist()
    assert [r["rank"] for r in answer["results"]] == frame["rank"].tolist()
    assert all(r["rank_is_computed"] and r["country"] == "FR" for r in answer["results"])
    assert answer["reranked_on"] == mine.personalisation.describe()
    assert "u-multirank.research=3" in answer["reranked_on"]


def test_personalise_with_no_filters_and_default_page(client: TestClient) -> None:
    body = {"system": "letudiant", "edition": 2024, "criteria": [], "weights": {}, "filters": {}}
    answer = client.post(f"{API}/personalise", json=body).json()
    assert (answer["per_page"], len(answer["results"]), answer["total"]) == (50, 50, 170)


def test_personalise_lists_every_problem_at_once(client: TestClient) -> None:
    body = {
        "system": "u-multirank",
        "edition": 2022,
        "criteria": ["u-multirank.resarch"],
        "weights": {"nope": 1, "u-multirank.research": -2},
        "filters": {},
    }
    answer = client.post(f"{API}/personalise", json=body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problems = answer.json()["problems"]
    assert [p["column"] for p in problems] == [
        "criteria[0]",
        "weights.nope",
        "weights.u-multirank.research",
    ]
    assert "u-multirank.research" in answer.json()["candidates"]


def test_methodology_tree_has_full_ids_labels_and_weights(
    client: TestClient, context: ServiceContext
) -> None:
    doc = client.get(f"{API}/systems/letudiant/methodology?edition=2024").json()
    m = context.series("letudiant").methodology(2024)
    assert doc["hash"] == methodology_hash(m)
    assert doc["system"] == "letudiant" and doc["edition"] == 2024
    ids = [n["id"] for n in doc["nodes"]]
    assert ids[0] == "letudiant" and all(i.startswith("letudiant.") for i in ids[1:])
    assert doc["nodes"][0]["parent"] is None
    assert all(n["label_en"] and n["label_fr"] for n in doc["nodes"])
    assert len(doc["steps"]) == len(m.steps) or doc["steps"]


def test_methodology_diff_names_what_changed(client: TestClient) -> None:
    doc = client.get(f"{API}/systems/letudiant/methodology/diff?from=2016&to=2024").json()
    assert (doc["from"], doc["to"], doc["identical"]) == (2016, 2024, False)
    same = client.get(f"{API}/systems/letudiant/methodology/diff?from=2023&to=2024").json()
    assert same["identical"] is True


def test_search_and_unknown_institution(client: TestClient) -> None:
    hits = client.get(f"{API}/institutions?q=ecole des mines de rodez").json()
    assert hits[0]["id"] == "fr-mines-rodez" and hits[0]["score"] == 100
    typo = client.get(f"{API}/institutions?q=Ecole des mnes de Rodes").json()
    assert typo[0]["id"] == "fr-mines-rodez"
    fr_only = client.get(f"{API}/institutions?q=university&country=DE&limit=5").json()
    assert len(fr_only) == 5 and {h["country"] for h in fr_only} == {"DE"}
    missing = client.get(f"{API}/institutions/fr-mines-rodz")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    # One clear best match (96 against 74 and below): it alone is the hint.
    assert missing.json()["candidates"] == ["fr-mines-rodez"]
    # Whole names compared (palmares.names.closest_names): the one it meant, not a crowd.
    vague = client.get(f"{API}/institutions/mines%20rodez").json()["candidates"]
    assert vague == ["fr-mines-rodez"]
    # Nothing close: no candidate, and where to search.
    nonsense = client.get(f"{API}/institutions/universite%20de%20nulle%20part").json()
    assert nonsense["candidates"] == [] and "palmares search" in nonsense["detail"]
    typo = client.get(f"{API}/systems/u-multirank/editions/2022/ranking?country=FX").json()
    assert len(typo["candidates"]) == 5 and "FR" in typo["candidates"]


def test_institution_identity(client: TestClient, world) -> None:
    doc = client.get(f"{API}/institutions/fr-mines-rodez").json()
    assert doc["name"] == "École des mines de Rodez"
    assert (doc["country"], doc["region_code"]) == ("FR", "FR-OCC")
    systems = {s["system"]: s["editions"] for s in doc["systems"]}
    assert systems["letudiant"] == list(range(2016, 2025))
    aliases = world.aliases
    assert {a["name"] for a in doc["aliases"]} == set(
        aliases.loc[aliases["institution"] == "fr-mines-rodez", "name"]
    )
    by_name = client.get(f"{API}/institutions/École des mines de Rodez").json()
    assert by_name["id"] == "fr-mines-rodez"


def test_history_is_the_librarys(client: TestClient, world) -> None:
    doc = client.get(f"{API}/institutions/fr-mines-rodez/history?system=letudiant").json()
    expected = EditionSeries(world, "letudiant").history("fr-mines-rodez").to_json("en")
    assert doc["participation"] == expected["participation"] == 9
    assert [e["rank"] for e in doc["editions"]] == [e["rank"] for e in expected["editions"]]
    assert [e["rank_display"] for e in doc["editions"]] == [
        e["rank_display"] for e in expected["editions"]
    ]


def test_highlights_and_check(client: TestClient) -> None:
    facts = client.get(
        f"{API}/institutions/fr-mines-rodez/highlights?system=letudiant&edition=2024&lang=fr"
    ).json()
    rank = next(f for f in facts if f["kind"] == "rank" and f["values"]["node"] is None)
    assert rank["values"]["rank"] == 10 and rank["values"]["field_size"] == 170
    assert rank["lang"] == "fr" and "10e" in rank["text"]
    wrong = client.get(
        f"{API}/institutions/fr-mines-rodez/check?system=letudiant&edition=2024&claim=rank=11"
    ).json()
    assert wrong["holds"] is False and "10th" in wrong["correct_text_en"]
    right = client.get(
        f"{API}/institutions/fr-mines-rodez/check?system=letudiant&edition=2024&claim=rank=10"
    ).json()
    assert right["holds"] is True
    assert right["proof"] == "rank 10 of 170 (1 institution at this rank)"  # English by default
    french = client.get(
        f"{API}/institutions/fr-mines-rodez/check?system=letudiant&edition=2024&claim=rank=10"
        "&lang=fr"
    ).json()
    assert french["proof"] == "rang 10 sur 170 (1 établissement à ce rang)"
    assert (french["holds"], french["correct_text_fr"]) == (True, right["correct_text_fr"])
    bad = client.get(
        f"{API}/institutions/fr-mines-rodez/check?system=letudiant&edition=2024&claim=nonsense"
    )
    assert bad.status_code == 400 and bad.json()["problems"][0]["column"] == "claim"


def test_explain_contributions(client: TestClient, context: ServiceContext) -> None:
    doc = client.get(
        f"{API}/institutions/fr-mines-rodez/explain?system=letudiant&edition=2024"
    ).json()
    table = context.result("letudiant", 2024).explain("fr-mines-rodez")
    assert doc["rank"] == 10 and doc["score"] == 87.0
    assert [n["node"] for n in doc["nodes"]] == table["node"].tolist()
    assert np.allclose(
        [n["contribution"] or 0 for n in doc["nodes"]], table["contribution"].fillna(0)
    )


def test_communique_is_markdown(client: TestClient) -> None:
    answer = client.get(f"{API}/institutions/fr-mines-rodez/communique?edition=2024&lang=en")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/markdown")
    assert answer.text.startswith("# ") and "Rodez" in answer.text


def test_compare_side_by_side(client: TestClient) -> None:
    doc = client.get(
        f"{API}/compare?institutions=fr-mines-rodez,fr-mines-epinal&system=the-impact&edition=2024"
    ).json()
    rows = {r["institution"]: r for r in doc["institutions"]}
    assert set(rows) == {"fr-mines-rodez", "fr-mines-epinal"}
    assert rows["fr-mines-rodez"]["rank"] is None  # inside a band in the published view
    assert rows["fr-mines-rodez"]["band_lo"] == 401


def test_charts_in_three_formats(client: TestClient) -> None:
    base = f"{API}/charts/trajectory?institutions=fr-mines-rodez&system=letudiant"
    svg = client.get(base + "&format=svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    vega = client.get(base + "&format=vega&lang=fr").json()
    assert "$schema" in vega
    png = client.get(
        f"{API}/charts/grades?institutions=fr-mines-rodez&system=u-multirank&edition=2022"
        "&format=png"
    )
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(base + "&format=gif").status_code == 400
    assert client.get(f"{API}/charts/pie?institutions=fr-mines-rodez").status_code == 404


def test_etag_and_server_timing(client: TestClient) -> None:
    url = f"{API}/systems/letudiant/editions/2024/ranking?per_page=5"
    first = client.get(url)
    etag = first.headers["etag"]
    assert first.headers["server-timing"].startswith("app;dur=")
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other_lang = client.get(url + "&lang=fr")
    other_view = client.get(url + "&view=producer")
    other_format = client.get(url.replace("ranking?", "ranking.csv?"))
    assert (
        len(
            {
                etag,
                other_lang.headers["etag"],
                other_view.headers["etag"],
                other_format.headers["etag"],
            }
        )
        == 4
    )


def test_bad_input_is_a_located_4xx(client: TestClient) -> None:
    cases = {
        f"{API}/systems/letudiant/editions/2024/ranking?lang=de": (400, "lang"),
        f"{API}/systems/letudiant/editions/2024/ranking?view=secret": (400, "view"),
        f"{API}/systems/letudiant/editions/2024/ranking?per_page=0": (422, "per_page"),
        f"{API}/systems/letudiant/editions/2024/ranking?sort=height": (400, "sort"),
        f"{API}/systems/letudiant/editions/2024/ranking?where=status": (400, "where"),
        f"{API}/systems/letudiant/editions/1999/ranking": (404, None),
        f"{API}/systems/letudiantt/editions/2024/ranking": (404, None),
        f"{API}/systems/letudiant/editions/twenty/ranking": (400, "edition"),
    }
    for url, (status, column) in cases.items():
        answer = client.get(url)
        assert answer.status_code == status, url
        assert answer.headers["content-type"] == "application/problem+json"
        doc = answer.json()
        assert doc["status"] == status and doc["detail"]
        if column:
            assert doc["problems"][0]["column"] == column, url
    typo = client.get(f"{API}/systems/letudiantt/editions/2024/ranking").json()
    assert typo["candidates"][0] == "letudiant"
