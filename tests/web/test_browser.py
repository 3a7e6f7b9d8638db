"""The scenarios of issue 17 in Chromium on the seed world (contracts section 11 hooks)."""

from __future__ import annotations

import csv
import io
import re
import time

import httpx
import pytest

from tests.web.conftest import axe_violations

ALES = "imt-mines-ales"

# One worker for the web tests: one seed world, one server and one browser per session.
pytestmark = pytest.mark.xdist_group("web")


def _marks(page, testid: str) -> int:  # type: ignore[no-untyped-def]
    chart = page.get_by_test_id(testid).first
    chart.locator(".vega[data-ready='1'] svg").wait_for(state="visible")
    return int(chart.locator("svg g.role-mark > *").count())


def _order(page) -> list[str]:  # type: ignore[no-untyped-def]
    rows = page.get_by_test_id("ranking-row")
    return [str(v) for v in rows.evaluate_all("rs => rs.map(r => r.dataset.institution)")]


def test_search_with_a_typo_finds_ales_and_opens_its_profile(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/fr/")
    page.get_by_test_id("search-input").press_sequentially("imt mine alez", delay=20)
    hit = page.get_by_test_id("search-result").filter(has_text="IMT Mines Alès")
    hit.first.wait_for()
    hit.first.click()
    page.wait_for_url(re.compile(rf"/fr/institutions/{ALES}$"))
    assert page.locator("h1").inner_text() == "IMT Mines Alès"


def test_pasting_into_the_search_updates_the_results(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/en/")
    page.get_by_test_id("search-input").fill("Mines Ales")  # fill fires one input event
    page.get_by_test_id("search-result").filter(has_text="IMT Mines Alès").first.wait_for()


def test_profile_shows_every_system_and_charts_as_svg_with_marks(page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/fr/institutions/{ALES}")
    systems = page.locator("table.presence tbody tr")
    assert systems.count() == 3  # L'Étudiant, THE Impact, U-Multirank
    assert _marks(page, "trajectory-chart") > 0
    assert _marks(page, "sdg-chart") > 0
    assert _marks(page, "grades-chart") > 0
    assert page.get_by_test_id("trajectory-chart").is_visible()
    assert page.get_by_test_id("sdg-chart").is_visible()
    assert page.get_by_test_id("highlights").locator("li").count() >= 3


def test_switching_language_keeps_the_page_and_translates_it(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/fr/rankings/letudiant/2021?country=FR&sort=name")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Rang" in page.get_by_test_id("ranking-table").locator("thead").inner_text()
    page.get_by_test_id("lang-switch").click()
    page.wait_for_url(re.compile(r"/en/rankings/letudiant/2021\?country=FR&sort=name$"))
    assert page.locator("html").get_attribute("lang") == "en"
    head = page.get_by_test_id("ranking-table").locator("thead").inner_text()
    assert "Rank" in head and "Rang" not in head
    assert "Download CSV" in page.get_by_test_id("export-csv").inner_text()


def test_raising_a_weight_reorders_and_says_what_it_reranked_on(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/en/personalise/letudiant/2021")
    picker = page.get_by_test_id("criteria-picker")
    boxes = picker.locator("input[type=checkbox][name=criteria]:checked")
    assert boxes.count() == 4  # the publisher's four families, all selected
    weights = page.get_by_test_id("weight-input")
    assert [weights.nth(i).input_value() for i in range(4)] == ["1", "1", "1", "1"]
    before = _order(page)
    assert len(before) >= 50
    companies = page.locator("[data-testid=weight-input][data-node='letudiant.companies']")
    companies.fill("5")
    companies.dispatch_event("change")
    said = page.get_by_test_id("reranked-on")
    said.filter(has_text="Companies").wait_for()
    assert "weights" in said.inner_text()
    assert _order(page) != before
    assert "w.letudiant.companies=5" in page.url  # the state is in the URL


def test_a_country_filter_narrows_the_table(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/en/rankings/the-impact/2024")
    total = page.locator(".counts").inner_text()
    page.locator("select[name=country]").select_option("FR")
    page.wait_for_url(re.compile(r"country=FR"))
    page.locator(".counts").filter(has_not_text=total).wait_for()
    countries = page.get_by_test_id("ranking-row").locator("td:nth-child(3)").all_inner_texts()
    assert countries and set(countries) == {"France"}
    shown, field = map(int, re.findall(r"\d[\d,]*", page.locator(".counts").inner_text())[:2])
    assert shown < field


def test_the_csv_export_reads_back_with_the_same_rows(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/en/rankings/the-impact/2024?country=FR&per_page=500")
    shown = _order(page)
    with page.expect_download() as caught:
        page.get_by_test_id("export-csv").click()
    text = caught.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["institution"] for r in rows] == shown
    assert all(r["country"] == "FR" for r in rows)
    # published view: THE Impact's bands stand alone, no rank inside them
    assert all(r["rank"] == "" for r in rows if r["band"])


def test_the_xlsx_export_downloads(page) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    page.goto("/en/rankings/letudiant/2021?country=FR")
    with page.expect_download() as caught:
        page.get_by_test_id("export-xlsx").click()
    with caught.value.path().open("rb") as handle:
        sheet = load_workbook(handle).active
    assert sheet is not None
    assert sheet.max_row - 1 == int(re.findall(r"\d+", page.locator(".counts").inner_text())[0])


def test_claiming_top_15_percent_in_2021_shows_the_verdict_and_top_17(page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/fr/institutions/{ALES}?system=letudiant&edition=2021")
    page.get_by_test_id("claim-input").fill("top 15 %")
    page.get_by_test_id("claim-input").press("Enter")
    verdict = page.get_by_test_id("claim-verdict")
    verdict.filter(has_text="top").wait_for()
    text = " ".join(verdict.inner_text().split())
    assert "ne tient pas" in text
    assert re.search(r"top 17\s%", text.replace("\u202f", " ").replace("\u00a0", " "))


def test_every_page_is_readable_without_javascript(no_js) -> None:  # type: ignore[no-untyped-def]
    no_js.goto("/fr/?q=imt+mines+alez")
    assert no_js.get_by_test_id("search-result").filter(has_text="IMT Mines Alès").count() == 1
    no_js.goto("/fr/rankings/letudiant/2021")
    assert no_js.get_by_test_id("ranking-row").count() >= 50
    no_js.goto("/en/personalise/letudiant/2021?go=1&w.letudiant.companies=5")
    assert "companies 5" in no_js.get_by_test_id("reranked-on").inner_text()
    no_js.goto(f"/fr/institutions/{ALES}?system=letudiant&edition=2021&claim=top+15+%25")
    assert "top 17" in no_js.get_by_test_id("claim-verdict").inner_text()


PAGES = [
    "/fr/",
    "/en/?q=mines",
    "/fr/rankings/letudiant/2021",
    "/en/rankings/the-impact/2024?country=FR",
    "/en/rankings/u-multirank/2022",
    "/fr/personalise/letudiant/2021",
    "/en/personalise/u-multirank/2022",
    f"/fr/institutions/{ALES}",
    f"/en/institutions/{ALES}?system=letudiant&edition=2021&claim=top+15+%25",
    f"/fr/compare?ids={ALES},imt-atlantique",
    "/en/methodology/letudiant?edition=2024&diff=2019",
]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation(page, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(path)
    page.wait_for_load_state("networkidle")
    charts = page.locator(".vega")
    for i in range(charts.count()):  # axe checks the charts as drawn, not before
        page.locator(".vega[data-ready='1']").nth(i).wait_for()
    assert axe_violations(page) == []


@pytest.mark.parametrize("path", [*PAGES[2:9:2], PAGES[9], PAGES[10]])
def test_usable_at_375_px(phone, path: str) -> None:  # type: ignore[no-untyped-def]
    phone.goto(path)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # the page itself never scrolls sideways; tables scroll in their box


def test_filters_fold_on_a_phone_unless_in_use(phone) -> None:  # type: ignore[no-untyped-def]
    phone.goto("/en/rankings/letudiant/2021")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("details.filters").get_attribute("open") is None
    phone.goto("/en/rankings/the-impact/2024?country=FR")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("details.filters").get_attribute("open") is not None


def _run_uncertainty(server: str, system: str, edition: int) -> None:
    """An uncertainty job through the API, waited for (200 draws: a few seconds)."""
    with httpx.Client(base_url=server, timeout=300) as http:
        body = {"system": system, "edition": edition, "draws": 200, "seed": 0}
        job = http.post("/api/v1/jobs/uncertainty", json=body).json()["id"]
        deadline = time.monotonic() + 240
        while (status := http.get(f"/api/v1/jobs/{job}").json()["status"]) not in (
            "done",
            "failed",
        ):
            assert time.monotonic() < deadline, "the uncertainty job did not finish"
            time.sleep(0.2)
        assert status == "done"


def test_the_profile_shows_the_rank_interval_once_computed(page, phone, server) -> None:  # type: ignore[no-untyped-def]
    """Issue 17: the rank interval where computed, labelled as palmares' computation, with
    the published rank or band beside it (contracts section 12)."""
    ranked = f"/fr/institutions/{ALES}?system=letudiant&edition=2023"
    banded = f"/en/institutions/{ALES}?system=the-impact&edition=2024"
    page.goto(ranked)
    assert page.get_by_test_id("rank-interval").count() == 0  # nothing computed yet
    _run_uncertainty(server, "letudiant", 2023)
    _run_uncertainty(server, "the-impact", 2024)

    page.goto(ranked)
    interval = page.get_by_test_id("rank-interval")
    text = " ".join(interval.inner_text().split())
    assert "calculé par palmares" in page.locator("#interval-title").inner_text()
    assert "200" in text and "graine 0" in text
    low, high = (int(x) for x in interval.get_by_test_id("interval-range").inner_text().split("–"))
    median = float(interval.get_by_test_id("interval-median").inner_text().replace(",", "."))
    assert low <= median <= high
    published = interval.get_by_test_id("interval-published").inner_text()
    assert re.fullmatch(r"\d+e( ex aequo)?", published.strip())
    assert axe_violations(page) == []

    page.goto(banded)
    interval = page.get_by_test_id("rank-interval")
    assert "computed by palmares" in page.locator("#interval-title").inner_text()
    # Beyond the band cut-off the publisher prints a band: it stands beside the interval.
    assert re.fullmatch(r"\d+–\d+", interval.get_by_test_id("interval-published").inner_text())
    assert "90% of draws" in interval.inner_text()
    assert axe_violations(page) == []

    phone.goto(banded)
    phone.get_by_test_id("rank-interval").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
