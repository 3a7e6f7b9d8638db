"""Screenshots of every page (desktop 1280 px and phone 375 px) on the seed world.

``make screenshots`` runs it: ``python tests/web/screenshots.py docs/screenshots``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))

from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

ALES = "imt-mines-ales"
PAGES = {
    "home": "/fr/?q=mines",
    "ranking": "/fr/rankings/letudiant/2024",
    "ranking-the-impact": "/en/rankings/the-impact/2024?country=FR",
    "ranking-u-multirank": "/en/rankings/u-multirank/2022?country=FR",
    "personalise": "/fr/personalise/letudiant/2024?go=1&w.letudiant.companies=3",
    "profile": f"/fr/institutions/{ALES}",
    "profile-claim": f"/en/institutions/{ALES}?system=letudiant&edition=2021&claim=top+15+%25",
    # After an uncertainty job of THE Impact 2024: the rank interval beside the band.
    "profile-interval": f"/en/institutions/{ALES}?system=the-impact&edition=2024",
    "compare": f"/fr/compare?ids={ALES},imt-atlantique,mines-saint-etienne",
    "methodology": "/en/methodology/letudiant?edition=2024&diff=2019",
}
SIZES = {"desktop": (1280, 900), "375": (375, 800)}


def main(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from palmares.api.app import create_app
    from palmares.api.context import ServiceContext
    from palmares.demo.seeds import generate_seeds
    from palmares.web.serve import running

    out.mkdir(parents=True, exist_ok=True)
    written = []
    app = create_app(ServiceContext.from_dataset(generate_seeds(0)))
    with running(app) as url, sync_playwright() as p:
        _uncertainty_job(url, "the-impact", 2024)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(120_000)
            for name, path in PAGES.items():
                page.goto(url + path)
                page.wait_for_load_state("networkidle")
                for i in range(page.locator(".vega").count()):
                    page.locator(".vega[data-ready='1']").nth(i).wait_for()
                target = out / f"{name}-{size}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
            page.close()
        browser.close()
    return written


def _uncertainty_job(url: str, system: str, edition: int) -> None:
    import time

    import httpx

    with httpx.Client(base_url=url, timeout=300) as http:
        body = {"system": system, "edition": edition, "draws": 200, "seed": 0}
        job = http.post("/api/v1/jobs/uncertainty", json=body).json()["id"]
        while http.get(f"/api/v1/jobs/{job}").json()["status"] not in ("done", "failed"):
            time.sleep(0.2)


if __name__ == "__main__":
    for path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")):
        print(path)
