"""The pages without a browser: routes, published view, exports, words (HTTP to the session's
server on the seed world)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from palmares.i18n import gettext
from palmares.web.app import _inert, number

TEMPLATES = Path(__file__).parents[2] / "src/palmares/web/templates"
WEB = Path(__file__).parents[2] / "src/palmares/web"

# One worker for the web tests: one seed world, one server and one browser per session.
pytestmark = pytest.mark.xdist_group("web")


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=300) as client:
        yield client


def test_root_redirects_by_accept_language(client: httpx.Client) -> None:
    got = client.get("/", headers={"accept-language": "fr-FR,fr;q=0.9"}, follow_redirects=False)
    assert got.status_code == 307 and got.headers["location"] == "/fr/"
    got = client.get("/", headers={"accept-language": "de,en;q=0.5"}, follow_redirects=False)
    assert got.headers["location"] == "/en/"


def test_a_ranking_page_shows_50_rows_and_pages(client: httpx.Client) -> None:
    html = client.get("/en/rankings/letudiant/2021").text
    assert html.count('data-testid="ranking-row"') == 50
    assert "Page 1 of 4" in html  # 168 schools


def test_the_impact_bands_stand_alone(client: httpx.Client) -> None:
    """Published view: an institution inside a printed band shows the band, never a rank."""
    got = client.get("/en/rankings/the-impact/2024.csv?country=FR")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    banded = [r for r in rows if r["band"]]
    assert banded and all(r["rank"] == "" and r["rank_display"] == r["band"] for r in banded)


def test_u_multirank_has_no_overall_rank(client: httpx.Client) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/en/rankings/u-multirank/2022.csv").text)))
    assert all(r["rank"] == "" for r in rows)
    counts = [int(r["a_count"]) for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_an_unknown_system_is_a_404_naming_the_systems(client: httpx.Client) -> None:
    got = client.get("/fr/rankings/letudiantt/2021")
    assert got.status_code == 404 and "letudiant" in got.text


def test_a_bad_weight_is_a_400_listing_every_problem(client: httpx.Client) -> None:
    got = client.get("/en/personalise/letudiant/2021?w.letudiant.companies=-1&w.nope=2")
    assert got.status_code == 400
    assert "w.letudiant.companies" in got.text and "w.nope" in got.text


def test_spreadsheet_formulas_are_inert_and_numbers_kept() -> None:
    assert _inert("=HYPERLINK()") == "'=HYPERLINK()"
    assert _inert("-cmd") == "'-cmd"
    assert _inert("IMT") == "IMT"
    assert _inert(-31) == -31


def test_numbers_as_people_read_them() -> None:
    assert number(1234.5, "fr") == "1\u202f234,5"
    assert number(1234.5, "en") == "1,234.5"
    assert number(94.0, "fr") == "94"
    assert number(None, "fr") == ""


def test_every_word_of_the_pages_has_a_french_translation() -> None:
    found: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        found |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)+)"', text))
        found |= set(re.findall(r"\bt\('((?:[^'\\]|\\.)+)'", text))
    for module in WEB.glob("*.py"):
        found |= set(re.findall(r'gettext\(\s*lang,\s*"([^"]+)"', module.read_text()))
    assert len(found) > 60
    same_in_french = {"Pages", "Type", "Score"}
    missing = sorted(m for m in found if gettext("fr", m) == m and m not in same_in_french)
    assert missing == []


def test_the_communique_downloads_as_markdown(client: httpx.Client) -> None:
    got = client.get("/fr/institutions/imt-mines-ales/communique.md?edition=2024")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/markdown")
    assert got.text.startswith("# ") and "IMT Mines Alès" in got.text


def test_a_chart_is_served_as_svg_for_the_page_without_javascript(client: httpx.Client) -> None:
    got = client.get("/en/charts/sdg.svg?ids=imt-mines-ales&system=the-impact&edition=2024")
    assert got.status_code == 200 and got.headers["content-type"] == "image/svg+xml"
    assert got.text.lstrip().startswith("<svg") and "mark-rect" in got.text


def test_the_claim_box_answers_with_the_verdict_alone_for_htmx(client: httpx.Client) -> None:
    got = client.get(
        "/en/institutions/imt-mines-ales?system=letudiant&edition=2021&claim=16e+ex+aequo",
        headers={"hx-request": "true", "hx-target": "claim-result"},
    )
    assert got.text.lstrip().startswith('<div id="claim-result"')
    assert "<html" not in got.text


def test_what_changed_names_only_the_two_editions_compared(client: httpx.Client) -> None:
    """The 2018-2022 file sets groups for each of its editions: comparing 2019 with 2024 shows
    those of 2019 and 2024, never those of 2018 or 2020-2022."""
    html = client.get("/en/methodology/letudiant?edition=2024&diff=2019").text
    changes = html[html.index("What changed") :]
    assert "ranking.groups.2019.A" in changes and "ranking.groups.2024.A" in changes
    assert not re.search(r"ranking\.groups\.(2018|2020|2021|2022)\.", changes)
    assert "max_points: 5 \u2192 10" in changes


def test_the_proof_of_a_claim_speaks_the_page_language(client: httpx.Client) -> None:
    path = "/{lang}/institutions/imt-mines-ales?system=letudiant&edition=2021&claim=27e"
    htmx = {"hx-request": "true", "hx-target": "claim-result"}
    french = client.get(path.format(lang="fr"), headers=htmx).text
    english = client.get(path.format(lang="en"), headers=htmx).text
    assert "rang 27 sur 168 (1 établissement à ce rang)" in french
    assert "rank 27 of 168 (1 institution at this rank)" in english
