"""Computed tables kept in the store (palmares.result_store): the Result read back is the
engine's, field for field, and a command after another reads the kept tables instead of running
the engine (both backends)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from history_world import world, write_methods

import palmares
from palmares.io import write_dataset
from palmares.result import Result
from palmares.result_store import (
    FORMAT,
    NotStorable,
    _decode,
    _encode,
    resolved_methodology,
    result_document,
    result_from_document,
    run_or_reuse,
)
from palmares.store import open_store
from store.conftest import Cli


@pytest.fixture
def engine_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """Every engine run of the test, as (system, edition)."""
    import palmares.engine as engine

    runs: list[tuple[str, int]] = []
    real = engine.run

    def counted(dataset: Any, method: Any, edition: int, **options: Any) -> Result:
        result = real(dataset, method, edition, **options)
        runs.append((result.system, int(edition)))
        return result

    monkeypatch.setattr(engine, "run", counted)
    yield runs


def assert_same_result(a: Result, b: Result) -> None:
    """Field for field: arrays by dtype, shape and values (NaN equal to NaN)."""

    def same(x: Any, y: Any) -> bool:
        if isinstance(x, np.ndarray):
            nan = x.dtype.kind == "f"
            return (
                isinstance(y, np.ndarray)
                and x.dtype == y.dtype
                and x.shape == y.shape
                and bool(np.array_equal(x, y, equal_nan=nan))
            )
        return bool(x == y)

    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "attributes":
            assert x.keys() == y.keys()
            assert all(list(x[k]) == list(y[k]) or same(x[k], y[k]) for k in x), f.name
        elif f.name == "networks":
            assert x.equals(y)
        elif f.name == "ranking":
            assert all(same(getattr(x, g.name), getattr(y, g.name)) for g in fields(x))
        elif f.name == "tree":
            assert x.ids == y.ids
            assert [x.parent_of(n) for n in x.ids] == [y.parent_of(n) for n in y.ids]
        elif f.name == "records":
            assert repr(x) == repr(y)
        elif f.name == "methodology":
            assert x.model_dump() == y.model_dump()
        else:
            assert same(x, y), f.name


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": (1, 2.5, None), 3: [True, "x"], (1, "k"): {"n": float("inf")}},
        {"v": np.array([1.5, np.nan]), "i": np.int64(7), "g": np.array(["A", None], dtype=object)},
        (),
        [],
    ],
)
def test_facts_round_trip(value: Any) -> None:
    back = _decode(json.loads(json.dumps(_encode(value))))
    assert repr(back) == repr(value)


def test_what_the_format_does_not_hold_is_not_kept() -> None:
    with pytest.raises(NotStorable):
        _encode({"when": object()})
    with pytest.raises(NotStorable):
        _encode(np.array([object()], dtype=object))


def test_the_result_read_back_is_the_engines(tmp_path: Path) -> None:
    dataset = world()
    methods = write_methods(tmp_path / "methods")
    for method, year in ((methods[0], 2021), (methods[1], 2023)):
        computed = palmares.rank(dataset, method, year)
        document = json.loads(json.dumps(result_document(computed)))
        assert document["format"] == FORMAT and document["edition"] == year
        methodology, key = resolved_methodology(dataset, method, year)
        assert key == computed.methodology_hash
        assert_same_result(computed, result_from_document(document, dataset, methodology))


def test_arrays_equal_to_others_are_held_once(tmp_path: Path) -> None:
    """Leaf values are the node values' leaf columns, unscaled scores the node values when no
    step rescales: the document names the array they repeat, and reads back the same Result."""
    dataset = world()
    methods = write_methods(tmp_path / "methods")
    computed = palmares.rank(dataset, methods[0], 2021)
    document = json.loads(json.dumps(result_document(computed)))
    arrays = document["arrays"]
    assert arrays["leaf_values"] == {
        "__columns_of__": "node_values",
        "columns": [list(computed.tree.ids).index(leaf) for leaf in computed.leaves],
    }
    assert arrays["node_values"]["__array__"]  # the array itself, once
    repeated = [n for n, doc in arrays.items() if doc is not None and "__same_as__" in doc]
    for name in repeated:
        same = arrays[name]["__same_as__"]
        assert np.array_equal(getattr(computed, name), getattr(computed, same), equal_nan=True)
    methodology, _ = resolved_methodology(dataset, methods[0], 2021)
    assert_same_result(computed, result_from_document(document, dataset, methodology))


def test_incompressible_arrays_are_held_raw() -> None:
    from palmares.result_store import _array, _unarray

    noise = np.random.default_rng(15).random((600, 300))  # 1.4 MB of doubles
    steady = np.zeros((600, 300))
    assert _array(noise)["codec"] == "raw" and "codec" not in _array(steady)
    for a in (noise, steady):
        assert _unarray(json.loads(json.dumps(_array(a)))).tobytes() == a.tobytes()


def test_a_dataset_not_from_a_store_runs_the_engine(
    tmp_path: Path, engine_runs: list[tuple[str, int]]
) -> None:
    methods = write_methods(tmp_path / "methods")
    run_or_reuse(world(), methods[0], 2021)
    run_or_reuse(world(), methods[0], 2021)
    assert engine_runs == [("s", 2021), ("s", 2021)]


def test_commands_share_the_kept_tables(
    run: Cli, store_url: str, tmp_path: Path, engine_runs: list[tuple[str, int]]
) -> None:
    """The first command computes each edition once and keeps it; history, highlights,
    network and rank then read the kept tables (no engine run) and answer as from --data."""
    bundle, methods = tmp_path / "bundle", tmp_path / "methods"
    write_dataset(world(), bundle)
    write_methods(methods)
    assert run("db", "load", str(bundle), "--db", store_url)[0] == 0
    code, _, err = run("history", "x", "--system", str(methods), "--json", "--db", store_url)
    assert code == 0, err
    editions = sorted(engine_runs)
    assert editions and len(set(editions)) == len(editions)  # each edition computed once
    with open_store(store_url) as store:
        assert store.info()["cached_results"] == len(editions) + 1  # + the kept answer
    engine_runs.clear()
    year = str(editions[-1][1])
    others = [
        ("highlights", "x", "--edition", year, "--system", str(methods)),
        ("network", "net", "--edition", year, "--system", str(methods)),
        ("rank", "--edition", year, "--top", "3", "--system", str(methods / "b.toml")),
        ("history", "y", "--system", str(methods)),
    ]
    for args in others:
        code, from_store, err = run(*args, "--json", "--db", store_url)
        assert code == 0, err
        assert engine_runs == [], args  # read from the kept tables
        code, from_data, err = run(*args, "--json", "--data", str(bundle))
        assert code == 0, err
        engine_runs.clear()
        kept = json.loads(from_store)
        items = kept if isinstance(kept, list) else [kept]
        assert all(item.pop("cached") is False for item in items)
        assert kept == json.loads(from_data), args


def test_an_entry_of_another_version_is_computed_again(
    run: Cli, store_url: str, tmp_path: Path, engine_runs: list[tuple[str, int]]
) -> None:
    bundle, methods = tmp_path / "bundle", tmp_path / "methods"
    write_dataset(world(), bundle)
    write_methods(methods)
    assert run("db", "load", str(bundle), "--db", store_url)[0] == 0
    args = ("rank", "--edition", "2023", "--system", str(methods / "b.toml"), "--json")
    assert run(*args, "--db", store_url)[0] == 0
    assert engine_runs == [("s", 2023)]
    with open_store(store_url, write=True) as store:
        dataset = store.dataset()
        _, key = resolved_methodology(dataset, methods / "b.toml", 2023)
        document = store.get_result(key, "s", 2023)
        assert document is not None
        document["palmares_version"] = "0.0.0-other"
        store.put_result(key, "s", 2023, document)
    engine_runs.clear()
    assert run(*args, "--top", "2", "--db", store_url)[0] == 0  # a new answer, same table
    assert engine_runs == [("s", 2023)]  # the stale table was not used
    with open_store(store_url) as store:
        again = store.get_result(key, "s", 2023)
    assert again is not None and again["palmares_version"] == palmares.__version__


def test_an_edition_or_a_system_the_store_lacks_names_the_closest(
    run: Cli, store_url: str, tmp_path: Path
) -> None:
    bundle, methods = tmp_path / "bundle", tmp_path / "methods"
    write_dataset(world(), bundle)
    write_methods(methods)
    assert run("db", "load", str(bundle), "--db", store_url)[0] == 0
    with open_store(store_url) as store:
        store.check_edition("s", 2021)  # held: nothing said
        with pytest.raises(LookupError, match=r"no edition 2031 of s; closest: 2024, 2023 "):
            store.check_edition("s", 2031)
        with pytest.raises(LookupError, match=r"closest: 2020, 2021 \(editions: 2020, 2021"):
            store.check_edition("s", 2019)
        with pytest.raises(LookupError, match=r"system 'z'.*\(systems: s\)"):
            store.check_edition("z", 2020)
    method = str(methods / "b.toml")
    code, _, err = run("rank", "--edition", "2030", "--system", method, "--db", store_url)
    assert code == 2 and "no edition 2030 of s; closest: 2024, 2023" in err
    code, _, err = run("rank", "--edition", "2021", "--system", "ss", "--db", store_url)
    assert code == 2 and "no edition of system 'ss'; did you mean s?" in err
