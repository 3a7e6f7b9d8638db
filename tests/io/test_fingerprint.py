"""The data hash over Arrow buffers gives the SHA-256 of the canonical CSV bytes, exactly."""

from __future__ import annotations

import hashlib
import math
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palmares.dataset import Dataset
from palmares.io import data_hash, read_dataset
from palmares.io.csv_bundle import sorted_table, table_csv_bytes
from palmares.io.fingerprint import bundle_hash, canonical_order, float_texts
from palmares.schema import TABLE_ORDER

BASE = Path(__file__).parents[1] / "malformed" / "base"


def reference_hash(ds: Dataset) -> str:
    """The definition: for each table in schema order, its name, a newline, its CSV bytes."""
    digest = hashlib.sha256()
    for name in TABLE_ORDER:
        digest.update(name.encode("utf-8") + b"\n" + table_csv_bytes(name, ds.table(name)))
    return digest.hexdigest()


EDGE_FLOATS = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    100.0,
    12.6,
    0.1,
    1 / 3,
    1e-4,
    -1e-4,
    9.999999999999999e-05,
    0.00012345,
    1e-5,
    5e-324,
    2.2250738585072014e-308,
    1e15,
    9999999999999998.0,
    1e16,
    -1e16,
    1.2345678901234567e16,
    2.0**53,
    2.0**53 + 2,
    1e21,
    1e22,
    1.7976931348623157e308,
    123456789.125,
    math.inf,
    -math.inf,
    math.nan,
]


def expected_texts(values: list[float]) -> list[str]:
    return ["" if v != v else repr(v) for v in values]


def test_floats_are_written_as_repr() -> None:
    got = float_texts(np.array(EDGE_FLOATS, dtype=np.float64)).to_pylist()
    assert got == expected_texts(EDGE_FLOATS)
    assert got[:3] == ["0.0", "-0.0", "1.0"]
    assert got[EDGE_FLOATS.index(1e16)] == "1e+16"
    assert got[EDGE_FLOATS.index(1e-5)] == "1e-05"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(width=64), min_size=1, max_size=400))
def test_any_floats_are_written_as_repr(values: list[float]) -> None:
    assert float_texts(np.array(values, dtype=np.float64)).to_pylist() == expected_texts(values)


def test_random_bit_patterns_are_written_as_repr() -> None:
    rng = np.random.default_rng(15)
    raw = np.frombuffer(rng.bytes(8 * 20_000), dtype=np.float64)
    uniform = rng.uniform(-1e6, 1e6, 20_000)
    for values in (raw, uniform, uniform.round(2), uniform.round(5) * 1e-9, uniform * 1e9):
        assert float_texts(values).to_pylist() == expected_texts(values.tolist())


def test_the_hash_is_the_sha256_of_the_canonical_csv() -> None:
    ds = read_dataset(BASE)
    assert bundle_hash(ds.table) == reference_hash(ds)
    assert data_hash(ds) == reference_hash(ds)


def test_the_demo_world_hashes_as_its_csv() -> None:
    from palmares.demo import generate

    world = generate(0)
    assert bundle_hash(world.table) == reference_hash(world)


ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
ids = st.text(alphabet=ID_CHARS, min_size=1, max_size=6)
# Quotes, commas, line breaks and non-ASCII: quoting and byte order both matter.
texts = st.text(alphabet=st.sampled_from(list('aZé"\n,\r ;ß€𝔘0')), min_size=1, max_size=8).filter(
    lambda s: unicodedata.normalize("NFC", s) == s and s.strip() != ""
)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    inst_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    leaves = draw(st.lists(ids.map(lambda s: "L" + s), min_size=1, max_size=4, unique=True))
    n = len(inst_ids)
    institutions = pd.DataFrame(
        {
            "id": inst_ids,
            "name": [draw(texts) for _ in inst_ids],
            "country": [draw(st.sampled_from(["NA", "FR", None])) for _ in inst_ids],
            "size": [draw(st.none() | st.integers(-5, 10**12)) for _ in inst_ids],
            "share": [draw(st.none() | st.floats(allow_nan=False)) for _ in inst_ids],
            "public": [draw(st.booleans()) for _ in inst_ids],
            "note": [draw(st.none() | texts) for _ in inst_ids],
        }
    )
    indicators = pd.DataFrame(
        {
            "id": ["S", *leaves],
            "label_en": [draw(texts) for _ in range(len(leaves) + 1)],
            "label_fr": [draw(texts) for _ in range(len(leaves) + 1)],
            "parent": [None, *(["S"] * len(leaves))],
            "direction": [None, *(["higher"] * len(leaves))],
        }
    )
    years = draw(st.lists(st.integers(1990, 2030), min_size=1, max_size=3, unique=True))
    rows = []
    for year in years:
        for inst in inst_ids:
            for leaf in leaves:
                if draw(st.booleans()):
                    status = draw(st.sampled_from(["reported", "missing", "estimated"]))
                    value = (
                        draw(st.floats(allow_nan=False, allow_infinity=False))
                        if status != "missing"
                        else np.nan
                    )
                    source = draw(st.none() | texts)
                    rows.append((inst, leaf, "S", year, value, status, source))
    observations = pd.DataFrame(
        rows, columns=["institution", "indicator", "system", "year", "value", "status", "source"]
    )
    aliases = pd.DataFrame(
        {
            "institution": [draw(st.sampled_from(inst_ids)) for _ in range(n)],
            "name": [draw(texts) for _ in range(n)],
        }
    )
    editions = pd.DataFrame({"system": ["S"] * len(years), "year": years})
    return Dataset.from_frames(
        {
            "institutions": institutions,
            "aliases": aliases,
            "indicators": indicators,
            "editions": editions,
            "observations": observations,
        }
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_any_bundle_hashes_as_its_csv(ds: Dataset) -> None:
    assert bundle_hash(ds.table) == reference_hash(ds)


def test_rows_tied_on_the_key_are_ordered_by_the_other_columns() -> None:
    """Unvalidated frames may repeat a key: the other columns then decide, missing first."""
    frame = pd.DataFrame(
        {
            "institution": pd.Series(["b", "a", "b", "a", "b", None], dtype="str"),
            "indicator": pd.Series(["x"] * 6, dtype="str"),
            "system": pd.Series(["S"] * 6, dtype="str"),
            "year": pd.array([2020, 2020, 2020, 2020, 2020, 2020], dtype="Int64"),
            "value": [3.0, 2.0, np.nan, -0.0, 1.0, 5.0],
            "status": pd.Series(["reported"] * 6, dtype="str"),
            "source": pd.Series([None] * 6, dtype="str"),
        }
    )
    order = canonical_order("observations", frame)
    expected = sorted_table("observations", frame)
    pd.testing.assert_frame_equal(frame.iloc[order].reset_index(drop=True), expected)
    assert frame["value"].iloc[order].tolist()[:3] == [5.0, -0.0, 2.0]


@pytest.mark.parametrize("rows", [0, 1, 7])
def test_small_and_empty_tables(rows: int) -> None:
    frame = pd.DataFrame(
        {
            "network": pd.Series(["n"] * rows, dtype="str"),
            "network_name": pd.Series(['a "b"'] * rows, dtype="str"),
            "institution": pd.Series([f"i{k}" for k in range(rows)][::-1], dtype="str"),
            "role": pd.Series([None] * rows, dtype="str"),
            "since": pd.array([2000 + k for k in range(rows)], dtype="Int64"),
            "until": pd.array([None] * rows, dtype="Int64"),
        }
    )
    from palmares.io.fingerprint import table_csv_parts

    assert b"".join(bytes(p) for p in table_csv_parts("networks", frame)) == table_csv_bytes(
        "networks", frame
    )
