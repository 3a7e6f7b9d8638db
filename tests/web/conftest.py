"""One server on the seed world and one Chromium per session (contracts section 11).

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make chromium``), driven by
Playwright's Python package; no browser is ever downloaded. Every page a test opens records the
hosts it asks for: anything but the server fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parents[2] / "src/palmares/web/static/vendor/axe-core/axe.min.js"


@pytest.fixture(scope="session")
def seed_dataset():  # type: ignore[no-untyped-def]
    from palmares.demo.seeds import generate_seeds

    return generate_seeds(0)


@pytest.fixture(scope="session")
def server(seed_dataset) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The API app (with the web app mounted last at /) on the seed world."""
    from palmares.api.app import create_app
    from palmares.api.context import ServiceContext
    from palmares.web.serve import running

    with running(create_app(ServiceContext.from_dataset(seed_dataset))) as url:
        yield url


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `make chromium` (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Hosts:
    """Hosts the pages asked for; requests elsewhere are aborted and kept for the assertion."""

    def __init__(self, server: str) -> None:
        self.server = urlsplit(server).netloc
        self.foreign: list[str] = []

    def route(self, route, request) -> None:  # type: ignore[no-untyped-def]
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc == self.server:
            route.continue_()
        else:
            self.foreign.append(request.url)
            route.abort()


def _context(browser, server: str, **options):  # type: ignore[no-untyped-def]
    hosts = Hosts(server)
    context = browser.new_context(base_url=server, accept_downloads=True, **options)
    context.route("**/*", hosts.route)
    return context, hosts


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context, hosts = _context(browser, server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
    assert hosts.foreign == [], f"pages asked other hosts: {hosts.foreign}"


@pytest.fixture
def phone(browser, server):  # type: ignore[no-untyped-def]
    context, hosts = _context(browser, server, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
    assert hosts.foreign == [], f"pages asked other hosts: {hosts.foreign}"


@pytest.fixture
def no_js(browser, server):  # type: ignore[no-untyped-def]
    context, hosts = _context(browser, server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
    assert hosts.foreign == [], f"pages asked other hosts: {hosts.foreign}"


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """Serious and critical axe-core violations of the page as it stands."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return list(found)
