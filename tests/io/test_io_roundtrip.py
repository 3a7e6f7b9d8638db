"""Property: reading what was written gives the data back, in every format."""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palmares.dataset import Dataset
from palmares.io import data_hash, read_dataset, write_dataset
from palmares.io.csv_bundle import sorted_table

ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
ids = st.text(alphabet=ID_CHARS, min_size=1, max_size=6)
names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), min_size=1, max_size=12
).filter(lambda s: unicodedata.normalize("NFC", s) == s and s.strip() != "")
values = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)
statuses = st.sampled_from(["reported", "missing", "not_applicable", "estimated"])


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    inst_ids = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    leaf_ids = draw(st.lists(ids.map(lambda s: "L" + s), min_size=1, max_size=4, unique=True))
    countries = st.sampled_from(["NA", "FR", "DE", "JP", None])
    institutions = pd.DataFrame(
        {
            "id": inst_ids,
            "name": [draw(names) for _ in inst_ids],
            "country": [draw(countries) for _ in inst_ids],
        }
    )
    indicators = pd.DataFrame(
        {
            "id": ["S", *leaf_ids],
            "label_en": [draw(names) for _ in range(len(leaf_ids) + 1)],
            "label_fr": [draw(names) for _ in range(len(leaf_ids) + 1)],
            "parent": [None, *(["S"] * len(leaf_ids))],
            "direction": [None, *[draw(st.sampled_from(["higher", "lower"])) for _ in leaf_ids]],
            "decimals": [None, *[draw(st.none() | st.integers(0, 6)) for _ in leaf_ids]],
        }
    )
    years = draw(st.lists(st.integers(1990, 2030), min_size=1, max_size=2, unique=True))
    rows = []
    for year in years:
        for inst in inst_ids:
            for leaf in leaf_ids:
                if draw(st.booleans()):
                    status = draw(statuses)
                    valued = status in ("reported", "estimated")
                    rows.append((inst, leaf, "S", year, draw(values) if valued else np.nan, status))
    observations = pd.DataFrame(
        rows, columns=["institution", "indicator", "system", "year", "value", "status"]
    )
    editions = pd.DataFrame({"system": ["S"] * len(years), "year": years})
    return Dataset.from_frames(
        {
            "institutions": institutions,
            "indicators": indicators,
            "editions": editions,
            "observations": observations,
        }
    )


def assert_same(back: Dataset, ds: Dataset) -> None:
    for name, frame in ds.to_frames().items():
        expected = sorted_table(name, frame)
        got = sorted_table(name, back.table(name))
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert data_hash(back) == data_hash(ds)


SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(datasets())
def test_csv_round_trip(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert_same(read_dataset(write_dataset(ds, Path(tmp) / "b")), ds)


@SETTINGS
@given(datasets())
def test_parquet_round_trip(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert_same(read_dataset(write_dataset(ds, Path(tmp) / "b", format="parquet")), ds)


@SETTINGS
@given(datasets())
def test_excel_round_trip(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert_same(read_dataset(write_dataset(ds, Path(tmp) / "b.xlsx")), ds)
