"""The canonical CSV bundle: byte-deterministic writing and faithful reading."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from palmares.dataset import Dataset
from palmares.io import canonical_csv, data_hash, read_dataset, write_dataset
from palmares.io.csv_bundle import table_csv_bytes
from palmares.schema import TABLE_ORDER

BASE = Path(__file__).parents[1] / "malformed" / "base"


def test_written_bytes_follow_the_contract(tmp_path: Path) -> None:
    write_dataset(read_dataset(BASE), tmp_path / "out")
    observations = (tmp_path / "out" / "observations.csv").read_bytes()
    assert observations == (
        b"institution,indicator,system,year,value,status,source\n"
        b"007,r1,sys,2021,,missing,\n"
        b"007,t1,sys,2021,12.5,reported,\n"
        b"007,t2,sys,2021,80.0,reported,\n"
        b"nam,t1,sys,2021,15.0,estimated,\n"
        b"nam,t2,sys,2021,,not_applicable,\n"
        b"b,t1,sys,2022,9.25,reported,\n"
    )
    institutions = (tmp_path / "out" / "institutions.csv").read_text(encoding="utf-8")
    assert institutions.splitlines()[1] == "007,Université de Nîmes,FR,,,Nîmes,,,"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{t}.csv" for t in TABLE_ORDER
    )


def test_rfc4180_quoting_floats_and_ints() -> None:
    frame = pd.DataFrame(
        {
            "institution": ["a", "b", "c", "d"],
            "indicator": ["x"] * 4,
            "system": ["s"] * 4,
            "year": pd.array([2021, 2021, 2021, 2021], dtype="Int64"),
            "value": [0.1, 1e16, 1e-07, -2.5],
            "status": ["reported"] * 4,
            "source": ['say "hi"', "a,b", "two\nlines", None],
        }
    )
    text = table_csv_bytes("observations", frame).decode("utf-8")
    assert text.split("\n")[1:4] == [
        'a,x,s,2021,0.1,reported,"say ""hi"""',
        'b,x,s,2021,1e+16,reported,"a,b"',
        'c,x,s,2021,1e-07,reported,"two',
    ]
    assert "\r" not in text and text.endswith("d,x,s,2021,-2.5,reported,\n")


def test_rewriting_gives_identical_bytes_and_hash(tmp_path: Path) -> None:
    ds = read_dataset(BASE)
    write_dataset(ds, tmp_path / "one")
    again = read_dataset(tmp_path / "one")
    write_dataset(again, tmp_path / "two")
    for name in TABLE_ORDER:
        one = (tmp_path / "one" / f"{name}.csv").read_bytes()
        assert one == (tmp_path / "two" / f"{name}.csv").read_bytes()
    assert data_hash(ds) == data_hash(again)


def test_data_hash_is_sha256_of_named_tables() -> None:
    ds = read_dataset(BASE)
    digest = hashlib.sha256()
    for name, data in canonical_csv(ds).items():
        digest.update(name.encode() + b"\n" + data)
    assert data_hash(ds) == digest.hexdigest()
    obs = ds.observations
    obs.loc[0, "value"] = 12.6
    assert data_hash(ds.with_tables(observations=obs)) != data_hash(ds)


def test_row_order_does_not_change_the_bytes() -> None:
    ds = read_dataset(BASE)
    frames = ds.to_frames()
    frames["observations"] = frames["observations"].iloc[::-1].reset_index(drop=True)
    assert data_hash(Dataset.from_frames(frames)) == data_hash(ds)


def test_special_text_survives_a_round_trip(tmp_path: Path) -> None:
    frames = read_dataset(BASE).to_frames()
    names = ['Quote "Q", comma', "Line\nbreak", "  padded  ", "NA"]
    frames["aliases"] = pd.DataFrame({"institution": ["007"] * 4, "name": names})
    ds = Dataset.from_frames(frames)
    write_dataset(ds, tmp_path / "out")
    back = read_dataset(tmp_path / "out")
    assert sorted(back.aliases["name"]) == sorted(names)
    assert np.isnan(back.observations["value"]).sum() == 2
