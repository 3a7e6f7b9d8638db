"""``palmares uncertainty --db`` (both backends): it reads its editions from the store, keeps
its run in ``uncertainty_results`` and reuses it on an identical call (``cached``), answers
as ``--data`` key for key, and highlights (``--uncertainty kept``) and the profile's interval
read the kept run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from history_world import world, write_methods

from palmares.io import write_dataset
from palmares.store import open_store
from store.conftest import Cli


@pytest.fixture
def world_store(run: Cli, store_url: str, tmp_path: Path) -> tuple[str, str, str]:
    write_dataset(world(), tmp_path / "bundle")
    write_methods(tmp_path / "methods")
    assert run("db", "load", str(tmp_path / "bundle"), "--db", store_url)[0] == 0
    return str(tmp_path / "bundle"), str(tmp_path / "methods"), store_url


@pytest.fixture
def monte_carlo_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int]]]:
    """Every Monte Carlo run of the test, as (edition, draws)."""
    import palmares.uncertainty as package

    runs: list[tuple[int, int]] = []
    real = package.uncertainty

    def counted(dataset: Any, method: Any, edition: int, draws: int, **options: Any) -> Any:
        runs.append((int(edition), int(draws)))
        return real(dataset, method, edition, draws, **options)

    monkeypatch.setattr(package, "uncertainty", counted)
    yield runs


def _kept_runs(url: str) -> int:
    with open_store(url) as store:
        return int(store._con.rows("SELECT count(*) FROM uncertainty_results")[0][0])


def test_a_run_is_kept_reused_and_equal_to_the_bundles(
    run: Cli,
    world_store: tuple[str, str, str],
    monte_carlo_runs: list[tuple[int, int]],
    tmp_path: Path,
) -> None:
    bundle, methods, url = world_store
    args = (
        "uncertainty",
        "--system",
        f"{methods}/a.toml",
        "--edition",
        "2022",
        "--previous-edition",
        "2021",
        "--draws",
        "40",
        "--seed",
        "7",
        "--json",
    )
    code, from_data, err = run(*args, "--data", bundle, "--out", str(tmp_path / "data.parquet"))
    assert code == 0, err
    monte_carlo_runs.clear()
    code, first, err = run(*args, "--db", url)
    assert code == 0, err
    assert monte_carlo_runs == [(2022, 40)] and _kept_runs(url) == 1
    code, second, err = run(*args, "--db", url, "--out", str(tmp_path / "kept.parquet"))
    assert code == 0, err
    assert monte_carlo_runs == [(2022, 40)]  # the kept run: no draws
    fresh, kept, expected = json.loads(first), json.loads(second), json.loads(from_data)
    assert fresh.pop("cached") is False and kept.pop("cached") is True
    assert "cached" not in expected
    assert fresh == kept == expected  # key for key, same seed: identical
    assert expected["previous_edition"] == 2021 and len(expected["results"]) > 3
    # the kept run's --out is the file the bundle's run wrote, byte for byte
    assert (tmp_path / "kept.parquet").read_bytes() == (tmp_path / "data.parquet").read_bytes()
    # another seed, other draws or another spec: another run, kept beside the first
    code, other, err = run(*(a if a != "7" else "8" for a in args), "--db", url)
    assert code == 0, err
    assert json.loads(other)["cached"] is False and _kept_runs(url) == 2
    code, other, err = run(*args, "--top-k", "3", "--db", url)
    assert code == 0, err
    assert json.loads(other)["cached"] is False and _kept_runs(url) == 3
    assert len(monte_carlo_runs) == 3


def test_uncertainty_reads_its_editions_only(
    run: Cli, world_store: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from palmares.store.store import Store

    _, methods, url = world_store
    asked: list[tuple[object, object]] = []
    real = Store.dataset

    def spied(self: Store, system: object = None, years: object = None) -> object:
        asked.append((system, None if years is None else tuple(years)))  # type: ignore[arg-type]
        return real(self, system, years)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "dataset", spied)
    base = ("uncertainty", "--system", f"{methods}/a.toml", "--draws", "5", "--json")
    assert run(*base, "--edition", "2022", "--db", url)[0] == 0
    assert asked[-1] == ("s", (2022,))
    assert run(*base, "--edition", "2022", "--previous-edition", "2021", "--db", url)[0] == 0
    assert asked[-1] == ("s", (2022, 2021))


def test_highlights_and_the_profile_read_the_kept_run(
    run: Cli, world_store: tuple[str, str, str], tmp_path: Path
) -> None:
    from palmares.api.source import StoreSource

    bundle, methods, url = world_store
    highlights = ("highlights", "x", "--system", methods, "--edition", "2022", "--json")
    code, _, err = run(*highlights, "--uncertainty", "kept", "--db", url)
    assert code == 2 and "keeps no uncertainty run of s 2022" in err
    code, _, err = run(*highlights, "--uncertainty", "kept", "--data", bundle)
    assert code == 2 and "--uncertainty kept reads a store" in err
    out = tmp_path / "run.parquet"
    uncertainty = ("uncertainty", "--system", f"{methods}/a.toml", "--edition", "2022")
    code, _, err = run(*uncertainty, "--draws", "30", "--seed", "2", "--out", str(out), "--db", url)
    assert code == 0, err
    code, from_store, err = run(*highlights, "--uncertainty", "kept", "--db", url)
    assert code == 0, err
    code, from_file, err = run(*highlights, "--uncertainty", str(out), "--data", bundle)
    assert code == 0, err
    facts = [{k: v for k, v in f.items() if k != "cached"} for f in json.loads(from_store)]
    assert facts == json.loads(from_file)
    assert any(f["kind"] == "rank_interval" for f in facts)
    # the profile's interval (API and web pages): the kept run of the edition's methodology
    source = StoreSource(url)
    with open_store(url) as store:
        dataset = store.dataset()
    from palmares.result_store import resolved_methodology

    _, key = resolved_methodology(dataset, f"{methods}/a.toml", 2022)
    document = source.kept_uncertainty("s", 2022, key)
    assert document is not None and document["draws"] == 30 and document["seed"] == 2
    assert source.kept_uncertainty("s", 2022, "another-methodology") is None
    assert source.kept_uncertainty("s", 2021, key) is None
