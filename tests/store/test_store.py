"""The store on both backends: load, read back, search, versions (contracts section 9)."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

import palmares
from palmares.io import data_hash, write_dataset
from palmares.store import SCHEMA_VERSION, StoreError, open_store
from store.bundles import write_bundle


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return write_bundle(tmp_path / "bundle")


def _load(url: str, folder: Path, replace: bool = False) -> dict[str, object]:
    with open_store(url, write=True) as store:
        return store.load(palmares.load(folder), replace=replace)


def _same_tree(a: Path, b: Path) -> bool:
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    _match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
    return not mismatch and not errors


def test_load_summary_and_info(store_url: str, bundle: Path) -> None:
    expected_hash = data_hash(palmares.load(bundle))
    summary = _load(store_url, bundle)
    assert summary == {
        "backend": "postgresql" if store_url.startswith("postgresql") else "duckdb",
        "institutions": 4,
        "observations": 9,
        "published": 2,
        "editions": 2,
        "data_hash": expected_hash,
    }
    with open_store(store_url) as store:
        info = store.info()
    assert info["schema_version"] == SCHEMA_VERSION
    assert info["data_hash"] == expected_hash
    assert info["counts"] == {
        "institutions": 4,
        "aliases": 3,
        "lineage": 1,
        "networks": 2,
        "indicators": 3,
        "editions": 2,
        "observations": 9,
        "published": 2,
    }
    assert info["cached_results"] == 0


def test_round_trip_is_byte_identical(store_url: str, bundle: Path, tmp_path: Path) -> None:
    original = palmares.load(bundle)
    _load(store_url, bundle)
    with open_store(store_url) as store:
        back = store.dataset()
    assert back == original  # same tables, same dtypes, same row order
    write_dataset(original, tmp_path / "converted")
    write_dataset(back, tmp_path / "exported")
    assert _same_tree(tmp_path / "converted", tmp_path / "exported")
    # The traps survive: Namibia, 007, a quoted name, attributes.
    inst = back.institutions.set_index("id")
    assert inst.loc["nam", "country"] == "NA"
    assert inst.loc["q1", "name"] == 'Université "Quote", Paris'
    assert inst.loc["007", "founded"] == "1843"
    assert inst.loc["q1", "share"] == "1.5"  # extras are kept as the bundle typed them
    assert back.observations["value"].isna().sum() == 2  # missing is never 0


def test_dataset_of_one_edition(store_url: str, bundle: Path) -> None:
    _load(store_url, bundle)
    with open_store(store_url) as store:
        part = store.dataset("s", [2024])
        whole_hash = store.data_hash
    assert sorted(part.observations["institution"]) == ["007", "q1", "zz"]
    assert set(part.observations["year"]) == {2024}
    assert part.published.empty  # the published rows are of 2023
    assert len(part.institutions) == 4  # metadata whole
    assert part.memo("data_hash", lambda: "recomputed") == whole_hash
    m = part.matrix("s", 2024)
    assert m.institutions == ("007", "q1", "zz")
    assert m.values[:, 0].tolist() == [73.0, 65.125, 1e-07]


def test_refuses_second_load_without_replace(store_url: str, bundle: Path, tmp_path: Path) -> None:
    _load(store_url, bundle)
    other = write_bundle(tmp_path / "other")
    (other / "observations.csv").write_text(
        "institution,indicator,system,year,value,status,source\n007,s.a,s,2023,1,reported,\n"
    )
    with pytest.raises(StoreError, match="--replace"):
        _load(store_url, other)
    summary = _load(store_url, other, replace=True)
    assert summary["observations"] == 1
    with open_store(store_url) as store:
        assert store.data_hash == data_hash(palmares.load(other))
        assert store.counts()["observations"] == 1


def test_systems_and_institution(store_url: str, bundle: Path) -> None:
    _load(store_url, bundle)
    with open_store(store_url) as store:
        assert store.systems() == [
            {"id": "s", "label_en": "System S", "label_fr": "Système S", "editions": [2023, 2024]}
        ]
        assert store.edition_years("s") == (2023, 2024)
        record = store.institution("007")
        assert store.institution("nope") is None
    assert record is not None
    assert record["name"] == "École des Mines d'Alès"
    assert [a["name"] for a in record["aliases"]] == ["Mines Alès", "EMA"]
    assert record["networks"][0]["network"] == "imt"
    assert record["systems"] == {"s": [2023, 2024]}


def test_search_is_typo_and_accent_tolerant(store_url: str, bundle: Path) -> None:
    _load(store_url, bundle)
    with open_store(store_url) as store:
        hits = store.search("ecole des mines d ales")
        assert hits[0].id == "007" and hits[0].score == 100.0
        typo = store.search("Univresity of Namibia")
        assert typo[0].id == "nam" and typo[0].matched == "University of Namibia"
        assert store.search("quote universty")[0].id == "q1"
        assert store.search("zeta", country="FR") == []
        assert [h.id for h in store.search("zeta", country="de")] == ["zz"]
        assert store.search("mines", limit=1)[0].to_json().keys() == {
            "id",
            "name",
            "country",
            "matched",
            "score",
        }


def test_resolve_exact_never_fuzzy(store_url: str, bundle: Path) -> None:
    _load(store_url, bundle)
    with open_store(store_url) as store:
        assert store.resolve("007") == "007"
        assert store.resolve("MINES ALES") == "007"  # alias, case and accents folded
        with pytest.raises(LookupError, match=r"closest: nam \(University of Namibia\)"):
            store.resolve("University of Namibai")


def test_results_and_answers_are_kept_per_data(
    store_url: str, bundle: Path, tmp_path: Path
) -> None:
    _load(store_url, bundle)
    with open_store(store_url, write=True) as store:
        assert store.get_result("m1", "s", 2023) is None
        store.put_result("m1", "s", 2023, {"ranks": [1, 2]}, methodology_text="[methodology]")
        store.put_answer("k", "rank", "answer text")
        assert store.get_result("m1", "s", 2023) == {"ranks": [1, 2]}
        assert store.get_answer("k") == "answer text"
        payload = bytes(range(256))  # any bytes, NUL included
        store.put_uncertainty("m1", "s", 2023, payload, spec_hash="sp", draws=100, seed=0)
        assert store.get_uncertainty("m1", "s", 2023, spec_hash="sp", draws=100, seed=0) == payload
        assert store.get_uncertainty("m1", "s", 2023, spec_hash="sp", draws=100, seed=1) is None
        assert store.info()["cached_results"] == 3
    other = write_bundle(tmp_path / "other")
    (other / "published.csv").unlink()
    _load(store_url, other, replace=True)
    with open_store(store_url) as store:  # new data: never a stale answer
        assert store.get_result("m1", "s", 2023) is None
        assert store.get_answer("k") is None
        assert store.get_uncertainty("m1", "s", 2023, spec_hash="sp", draws=100, seed=0) is None


def test_newer_schema_is_refused_naming_both(store_url: str, bundle: Path) -> None:
    _load(store_url, bundle)
    with open_store(store_url, write=True) as store:
        store._con.execute("INSERT INTO palmares_schema VALUES (?, ?, ?)", [99, "9.9.9", "now"])
    for write in (False, True):
        with pytest.raises(StoreError) as refused:
            open_store(store_url, write=write).close()
        message = str(refused.value)
        assert "schema version 99" in message and f"schema version {SCHEMA_VERSION}" in message
        assert "9.9.9" in message


def test_empty_or_absent_store_says_how_to_fill_it(store_url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="palmares db load"):
        open_store(store_url).close()


def test_cli_demo_constants_match_the_generator() -> None:
    """cli/demo.py keeps copies (so `palmares --help` imports no generator): the same values."""
    from palmares.cli import demo as cli_demo
    from palmares.demo import DEFAULT_OUT, WORLDS

    assert cli_demo.WORLDS == WORLDS
    assert cli_demo.DEFAULT_OUT == DEFAULT_OUT


def test_help_imports_no_pandas() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.argv = ['palmares', '--help']\n"
        "from palmares.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'pyarrow', 'altair', 'dask', 'SALib')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout


def test_data_hash_in_chunks_equals_the_whole_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data hash fed chunk by chunk is the SHA-256 of the canonical CSV bytes."""
    import hashlib

    import palmares.io as pio
    import palmares.io.fingerprint as fingerprint
    from store.bundles import big_bundle

    ds = palmares.load(big_bundle(tmp_path / "b", institutions=50, years=3))
    monkeypatch.setattr(fingerprint, "CHUNK_ROWS", 7)  # chunks that cut the tables anywhere
    whole = hashlib.sha256()
    for name, data in pio.canonical_csv(ds).items():
        whole.update(name.encode("utf-8") + b"\n" + data)
    assert pio._computed_data_hash(ds) == whole.hexdigest()
    assert (
        pio._computed_data_hash(palmares.load(write_bundle(tmp_path / "s")))
        == hashlib.sha256(
            b"".join(
                n.encode() + b"\n" + d
                for n, d in pio.canonical_csv(palmares.load(tmp_path / "s")).items()
            )
        ).hexdigest()
    )


def test_dataset_resolve_names_the_closest(bundle: Path) -> None:
    """Did-you-mean from a bundle too (contracts section 9), never a fuzzy pick."""
    ds = palmares.load(bundle)
    with pytest.raises(LookupError, match=r"closest: nam \(University of Namibia\)"):
        ds.resolve("Universty of Namibia")
    assert ds.closest_institutions("mines ales")[0] == ("007", "École des Mines d'Alès")
    assert ds.closest_institutions("!!!") == []  # nothing alike
