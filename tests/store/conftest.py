"""Store tests run on both backends: DuckDB (a file per test) and a real PostgreSQL server
started once for the session (a clean schema per test). Never skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from palmares.cli import main
from store.postgres import Server, start_server

BACKENDS = ("duckdb", "postgresql")


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


#: ``run(*args)`` runs the command line in-process: (exit code, stdout, stderr).
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """The palmares command line in-process, with no store or bundle from the environment."""
    monkeypatch.delenv("PALMARES_DB", raising=False)
    monkeypatch.delenv("PALMARES_DATA", raising=False)

    def call(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.argv", ["palmares", *args])
        with pytest.raises(SystemExit) as stopped:
            main()
        out, err = capsys.readouterr()
        return int(stopped.value.code or 0), out, err

    return call
