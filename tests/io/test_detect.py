"""Layout detection for validate and convert."""

from __future__ import annotations

from pathlib import Path

import pytest

from palmares.io import detect_layout, read_dataset, write_dataset
from palmares.problems import InvalidInput

BASE = Path(__file__).parents[1] / "malformed" / "base"


def test_canonical_folders_and_workbooks(tmp_path: Path) -> None:
    assert detect_layout(BASE) == "canonical"
    ds = read_dataset(BASE)
    assert detect_layout(write_dataset(ds, tmp_path / "b.xlsx")) == "canonical"
    assert detect_layout(write_dataset(ds, tmp_path / "pq", format="parquet")) == "canonical"


def test_wide_and_coinr_headers(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text("\ufeffinstitution,system,year,t1,t2\n007,sys,2021,1,2\n", encoding="utf-8")
    assert detect_layout(wide) == "wide"
    idata = tmp_path / "idata.csv"
    idata.write_text("uCode,uName,x\nFRA,France,1\n")
    imeta = tmp_path / "imeta.csv"
    imeta.write_text("Level,iCode,iName,Direction,Weight,Parent,Type\n")
    assert detect_layout([idata, imeta]) == "coinr"


def test_unknown_or_absent_inputs(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(InvalidInput, match="--layout"):
        detect_layout(other)
    with pytest.raises(InvalidInput, match="no such file"):
        detect_layout(tmp_path / "absent")
