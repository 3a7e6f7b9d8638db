"""The real server: the schema fuzz of contracts section 10 against ``palmares serve`` on a
DuckDB store of the demo world, and two workers sharing a PostgreSQL store."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from palmares.dataset import Dataset
from palmares.store import open_store

from .conftest import TOKEN
from .served import served

API = "/api/v1"


@pytest.fixture(scope="session")
def duckdb_store(world: Dataset, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("store") / "demo.duckdb"
    with open_store(str(path), write=True) as store:
        store.load(world)
    return str(path)


@pytest.fixture(scope="module")
def duckdb_server(duckdb_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with served(duckdb_store, token=TOKEN, log=log) as url:
        yield url


def test_schema_fuzz_finds_no_server_error(duckdb_server: str, tmp_path: Path) -> None:
    """The contract's command, with the response checks too (no 5xx, every answer valid
    against its schema, declared status codes and media types), bounded in time."""
    schemathesis = Path(sys.executable).parent / "schemathesis"
    checks = (
        "not_a_server_error,response_schema_conformance,"
        "content_type_conformance,status_code_conformance"
    )
    run = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{duckdb_server}/openapi.json",
            "--checks",
            checks,
            "-n",
            "15",
            "--request-timeout",
            "20",
            "--seed",
            "0",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    tail = "\n".join(run.stdout.splitlines()[-40:])
    assert run.returncode == 0, tail
    assert " passed" in tail and "failed" not in tail.split("Test cases:")[-1], tail


def test_the_served_answers_equal_the_in_process_ones(
    duckdb_server: str, client: TestClient
) -> None:
    for path in (
        f"{API}/systems",
        f"{API}/systems/the-impact/editions/2024/ranking?country=FR&per_page=100",
        f"{API}/institutions/fr-mines-rodez",
        f"{API}/institutions/fr-mines-rodez/highlights?system=letudiant&edition=2024&lang=fr",
    ):
        served_answer = httpx.get(duckdb_server + path, timeout=60)
        assert served_answer.status_code == 200, path
        assert served_answer.json() == client.get(path).json(), path
    docs = httpx.get(f"{duckdb_server}/docs", timeout=10).text
    assert "/static-offline-docs/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert httpx.get(f"{duckdb_server}/static-offline-docs/swagger-ui-bundle.js").status_code == 200


def test_two_workers_share_a_postgresql_store(
    small_world: Dataset, small_client: TestClient
) -> None:
    """L'Étudiant's editions alone (a small store: the test is about sharing, not volume)."""
    from store.postgres import start_server  # tests/store: a PostgreSQL server of our own

    client = small_client
    server = start_server()
    try:
        with open_store(server.url, write=True) as store:
            store.load(small_world)
        with served(server.url, workers=2, token=TOKEN) as url:
            path = f"{API}/systems/letudiant/editions/2024/ranking?per_page=200"
            expected = client.get(path).json()
            with httpx.Client(base_url=url, timeout=60) as http:
                answers = [http.get(path).json() for _ in range(6)]
            assert all(a == expected for a in answers)
            body = {"system": "letudiant", "edition": 2024, "weights": {"letudiant.academic": 4}}
            with httpx.Client(base_url=url, timeout=60) as http:
                mine = http.post(f"{API}/personalise", json=body).json()
            assert mine == client.post(f"{API}/personalise", json=body).json()
    finally:
        server.stop()
