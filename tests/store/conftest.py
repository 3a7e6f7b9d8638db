"""Store tests run on both backends: DuckDB (a file per test) and a real PostgreSQL server
started once for the session (a clean schema per test). Never skipped."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.postgres import Server, start_server

BACKENDS = ("duckdb", "postgresql")
_outcomes: collections.Counter[tuple[str, str]] = collections.Counter()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    try:
        server = start_server()
    except Exception as error:  # never skip: say what is missing
        pytest.fail(f"cannot start PostgreSQL for the store tests: {error}", pytrace=False)
    yield server
    server.stop()


def _wipe(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP SCHEMA public CASCADE")
        con.execute("CREATE SCHEMA public")


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store on each backend."""
    if request.param == "duckdb":
        return str(tmp_path / "store.duckdb")
    server: Server = request.getfixturevalue("postgres_server")
    _wipe(server.url)
    return server.url


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    for backend in BACKENDS:
        if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
            _outcomes[(backend, report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _outcomes:
        return
    terminalreporter.write_sep("-", "store backends")
    for backend in BACKENDS:
        counts = ", ".join(
            f"{n} {outcome}" for (b, outcome), n in sorted(_outcomes.items()) if b == backend
        )
        terminalreporter.write_line(f"{backend}: {counts or 'no tests'}")
