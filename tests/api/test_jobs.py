"""Jobs: queued off the request path, one at a time, progress, results stored and reused."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from palmares.uncertainty import uncertainty

API = "/api/v1"


def _wait(client: TestClient, url: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(url).json()
        assert 0 <= status["progress"] <= 1
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {url} still running after {timeout} s")


def test_uncertainty_job_answers_as_the_library(small_client: TestClient, small_world) -> None:
    body = {"system": "letudiant", "edition": 2024, "draws": 200, "seed": 3}
    accepted = small_client.post(f"{API}/jobs/uncertainty", json=body)
    assert accepted.status_code == 202
    job = accepted.json()
    assert job["status_url"] == f"{API}/jobs/{job['id']}"
    status = _wait(small_client, job["status_url"])
    assert status["status"] == "done", status["error"]
    assert status["progress"] == 1 and status["result_url"]
    result = small_client.get(status["result_url"]).json()
    expected = uncertainty(small_world, "letudiant", 2024, 200, seed=3).to_json()
    assert (result["draws"], result["seed"]) == (200, 3)
    assert result["results"][:5] == expected["results"][:5]
    # the same question again: the stored result, no new run
    again = small_client.post(f"{API}/jobs/uncertainty", json=body).json()
    assert again["id"] == job["id"]
    assert small_client.get(again["status_url"]).json()["reused"] is True
    chart = small_client.get(
        f"{API}/charts/uncertainty?institutions=fr-mines-rodez&system=letudiant&edition=2024"
    )
    assert chart.status_code == 200 and "<svg" in chart.text


def test_jobs_queue_one_at_a_time(small_client: TestClient) -> None:
    ids = [
        small_client.post(
            f"{API}/jobs/uncertainty",
            json={"system": "letudiant", "edition": 2023, "draws": 100, "seed": s},
        ).json()["id"]
        for s in (10, 11, 12)
    ]
    # Read newest first: with one worker taking jobs in order, a later job seen running means
    # every earlier one has finished, so two "running" can only be seen if two jobs run at once.
    statuses = [small_client.get(f"{API}/jobs/{i}").json()["status"] for i in reversed(ids)]
    assert statuses.count("running") <= 1
    assert statuses[0] in ("queued", "running", "done")
    for i in ids:
        assert _wait(small_client, f"{API}/jobs/{i}")["status"] == "done"


def test_job_limits_and_unknown_jobs(small_client: TestClient) -> None:
    too_many = small_client.post(
        f"{API}/jobs/uncertainty", json={"system": "letudiant", "edition": 2024, "draws": 100_001}
    )
    assert too_many.status_code == 422
    assert too_many.json()["problems"][0]["column"] == "draws"
    unknown = small_client.post(
        f"{API}/jobs/uncertainty", json={"system": "nope", "edition": 2024, "draws": 10}
    )
    assert unknown.status_code == 404
    bad_spec = small_client.post(
        f"{API}/jobs/uncertainty",
        json={"system": "letudiant", "edition": 2024, "draws": 10, "spec": "[weights\n"},
    )
    assert bad_spec.status_code == 422 and bad_spec.json()["problems"]
    assert small_client.get(f"{API}/jobs/0123abc").status_code == 404
    assert small_client.get(f"{API}/jobs/0123abc/result").status_code == 404


def test_job_results_are_kept_in_the_store(small_world, tmp_path) -> None:
    from palmares.api import ServiceContext, create_app
    from palmares.store import open_store

    db = str(tmp_path / "small.duckdb")
    with open_store(db, write=True) as store:
        store.load(small_world)
    body = {"system": "letudiant", "edition": 2024, "draws": 50, "seed": 7}
    with TestClient(create_app(ServiceContext.from_url(db))) as first:
        job = first.post(f"{API}/jobs/uncertainty", json=body).json()
        done = _wait(first, job["status_url"])
        assert done["status"] == "done" and not done["reused"]
        result = first.get(done["result_url"]).json()
    with TestClient(create_app(ServiceContext.from_url(db))) as second:  # a restart
        again = second.post(f"{API}/jobs/uncertainty", json=body).json()
        status = second.get(again["status_url"]).json()
        assert status["status"] == "done" and status["reused"] is True
        assert second.get(status["result_url"]).json() == result
