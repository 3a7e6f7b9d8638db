"""The canonical bundle as a folder of Parquet tables."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from palmares.io import data_hash, read_dataset, write_dataset
from palmares.schema import TABLE_ORDER

BASE = Path(__file__).parents[1] / "malformed" / "base"


def test_round_trip_keeps_types(tmp_path: Path) -> None:
    ds = read_dataset(BASE)
    folder = write_dataset(ds, tmp_path / "pq", format="parquet")
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.parquet" for t in TABLE_ORDER)
    schema = pq.read_schema(folder / "observations.parquet")
    assert str(schema.field("year").type) == "int64"
    assert str(schema.field("value").type) == "double"
    assert str(schema.field("institution").type) == "string"
    back = read_dataset(folder)
    assert data_hash(back) == data_hash(ds)
    assert back.observations["year"].dtype == "Int64"


def test_rerun_gives_identical_bytes(tmp_path: Path) -> None:
    ds = read_dataset(BASE)
    write_dataset(ds, tmp_path / "a", format="parquet")
    write_dataset(ds, tmp_path / "b", format="parquet")
    for name in TABLE_ORDER:
        file = f"{name}.parquet"
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
