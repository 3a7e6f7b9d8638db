"""The store on the command line, on both backends: db load|export|info, search, and every
data command answering from --db key for key as from --data, plus ``cached``."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
from history_world import world, write_methods

from palmares.io import write_dataset
from store.bundles import TABLES, write_bundle
from store.conftest import Cli


def test_load_info_export(run: Cli, store_url: str, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "bundle")
    code, out, err = run("db", "load", str(bundle), "--db", store_url, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert set(summary) == {
        "backend",
        "institutions",
        "observations",
        "published",
        "editions",
        "data_hash",
        "seconds",
    }
    assert (summary["institutions"], summary["observations"]) == (4, 9)
    code, out, err = run("db", "info", "--db", store_url, "--json")
    info = json.loads(out)
    assert set(info) == {
        "backend",
        "schema_version",
        "palmares_version",
        "data_hash",
        "counts",
        "cached_results",
    }
    assert info["data_hash"] == summary["data_hash"]
    assert run("convert", str(bundle), str(tmp_path / "converted"))[0] == 0
    code, out, err = run("db", "export", str(tmp_path / "exported"), "--db", store_url)
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "converted").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "exported").iterdir())
    _, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "converted", tmp_path / "exported", names, shallow=False
    )
    assert mismatch == [] and errors == []
    # A second load without --replace is refused; an existing output too.
    assert run("db", "load", str(bundle), "--db", store_url)[0] == 2
    assert run("db", "export", str(tmp_path / "exported"), "--db", store_url)[0] == 2


def test_invalid_bundle_writes_nothing(run: Cli, store_url: str, tmp_path: Path) -> None:
    tables = dict(TABLES)
    tables["observations.csv"] += "007,s.zz,s,2023,abc,reported,\n"
    bad = write_bundle(tmp_path / "bad", tables)
    validated = run("validate", str(bad), "--json")
    loaded = run("db", "load", str(bad), "--db", store_url, "--json")
    assert validated[0] == loaded[0] == 2
    expected = sorted(e["code"] for e in json.loads(validated[1])["errors"])
    assert expected == ["not-a-number", "unknown-indicator"]
    assert all(f": {code}: " in loaded[2] for code in expected)
    code, _, err = run("db", "info", "--db", store_url)
    assert code == 2 and "palmares db load BUNDLE" in err  # no data (no DuckDB file at all)


def test_search_command(run: Cli, store_url: str, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "bundle")
    run("db", "load", str(bundle), "--db", store_url)
    code, out, _ = run("search", "univrsity namibia", "--db", store_url, "--json")
    assert code == 0
    hits = json.loads(out)
    assert hits[0]["id"] == "nam" and set(hits[0]) == {"id", "name", "country", "matched", "score"}
    from_bundle = run("search", "univrsity namibia", "--data", str(bundle), "--json")
    assert json.loads(from_bundle[1]) == hits


@pytest.fixture
def history_store(run: Cli, store_url: str, tmp_path: Path) -> tuple[str, str, str]:
    write_dataset(world(), tmp_path / "bundle")
    write_methods(tmp_path / "methods")
    assert run("db", "load", str(tmp_path / "bundle"), "--db", store_url)[0] == 0
    return str(tmp_path / "bundle"), str(tmp_path / "methods"), store_url


def _without_cached(document: object) -> object:
    if isinstance(document, dict):
        return {k: v for k, v in document.items() if k != "cached"}
    if isinstance(document, list):
        return [_without_cached(item) for item in document]
    return document


@pytest.mark.parametrize(
    "command",
    [
        ("history", "x"),
        ("highlights", "École X", "--edition", "2023"),
        ("network", "net", "--edition", "2023"),
        ("rank", "--edition", "2022", "--top", "3"),
    ],
    ids=lambda c: c[0],
)
def test_answers_from_the_store_equal_the_bundle(
    run: Cli, history_store: tuple[str, str, str], command: tuple[str, ...]
) -> None:
    bundle, methods, url = history_store
    method = f"{methods}/a.toml" if command[0] == "rank" else methods
    args = (*command, "--system", method, "--json")
    code, expected, err = run(*args, "--data", bundle)
    assert code == 0, err
    first = run(*args, "--db", url)
    second = run(*args, "--db", url)
    assert first[0] == second[0] == 0, first[2]
    fresh, kept = json.loads(first[1]), json.loads(second[1])
    assert _without_cached(fresh) == _without_cached(kept) == json.loads(expected)
    items = fresh if isinstance(fresh, list) else [fresh]
    assert items and all(item["cached"] is False for item in items)
    items = kept if isinstance(kept, list) else [kept]
    assert all(item["cached"] is True for item in items)


def test_store_precedence(
    run: Cli, history_store: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle, methods, url = history_store
    args = ("history", "x", "--system", methods, "--json")
    monkeypatch.setenv("PALMARES_DB", url)
    monkeypatch.setenv("PALMARES_DATA", "/nonexistent")  # PALMARES_DB comes first
    code, out, err = run(*args)
    assert code == 0, err
    assert "cached" in json.loads(out)
    monkeypatch.delenv("PALMARES_DB")
    monkeypatch.setenv("PALMARES_DATA", bundle)
    code, out, err = run(*args)
    assert code == 0 and "cached" not in json.loads(out)


def test_system_hint_reads_one_system(store_url: str, tmp_path: Path) -> None:
    """A preset id names the system whose rows are read; a file, a folder or an unknown
    system reads everything; the data hash is always the stored bundle's."""
    import palmares
    from palmares.cli.db import _system_hint
    from palmares.cli.source import SYSTEM_HINT, store_location
    from palmares.io import data_hash
    from palmares.store import open_store, parse_url

    assert _system_hint({"system": "the-wur@2023"}) == "the-wur"
    assert _system_hint({"method": "letudiant", "system": None}) == "letudiant"
    assert _system_hint({"system": str(tmp_path)}) is None  # a folder without methodologies
    (tmp_path / "m.toml").write_text('[methodology]\nsystem = "s"\n', encoding="utf-8")
    assert _system_hint({"method": str(tmp_path / "m.toml")}) == "s"
    assert _system_hint({"system": str(tmp_path)}) == "s"  # the folder's one system
    (tmp_path / "n.toml").write_text('[methodology]\nsystem = "t"\n', encoding="utf-8")
    assert _system_hint({"system": str(tmp_path)}) is None  # two systems: read everything
    assert _system_hint({"system": ["a", "b"]}) is None
    assert _system_hint({"system": ["the-wur", "the-wur@2023"]}) == "the-wur"  # communique
    assert _system_hint({"system": []}) is None
    bundle = write_bundle(tmp_path / "bundle")
    full = palmares.load(bundle)
    with open_store(store_url, write=True) as store:
        store.load(full)
    for hint, rows in (("s", 9), ("absent", 9), (None, 9)):
        token = SYSTEM_HINT.set(hint)
        try:
            ds = palmares.load(store_location(parse_url(store_url)))
        finally:
            SYSTEM_HINT.reset(token)
        assert len(ds.observations) == rows
        assert data_hash(ds) == data_hash(full)


def test_rank_and_explain_read_their_edition_only(
    run: Cli, history_store: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a store, rank and explain read the observations of their --edition only (and
    answer as from --data); other commands read every edition of the system."""
    from palmares.store.store import Store

    bundle, methods, url = history_store
    asked: list[tuple[object, object]] = []
    real = Store.dataset

    def spied(self: Store, system: object = None, years: object = None) -> object:
        asked.append((system, None if years is None else tuple(years)))  # type: ignore[arg-type]
        return real(self, system, years)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "dataset", spied)
    method = f"{methods}/b.toml"
    for command in (("rank", "--top", "3"), ("explain", "x")):
        args = (*command, "--edition", "2023", "--system", method, "--json")
        code, from_store, err = run(*args, "--db", url)
        assert code == 0, err
        assert asked[-1] == ("s", (2023,))
        code, from_data, err = run(*args, "--data", bundle)
        assert code == 0, err
        kept = json.loads(from_store)
        assert kept.pop("cached") is False and kept == json.loads(from_data)
    code, _, err = run("network", "net", "--edition", "2023", "--system", methods, "--db", url)
    assert code == 0, err
    assert asked[-1] == ("s", None)
