"""The canonical bundle as one .xlsx workbook: round trip and byte-identical reruns."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from palmares.io import data_hash, read_dataset, read_tables, write_dataset
from palmares.schema import TABLE_ORDER

BASE = Path(__file__).parents[1] / "malformed" / "base"


def test_round_trip_and_sheets(tmp_path: Path) -> None:
    ds = read_dataset(BASE)
    path = write_dataset(ds, tmp_path / "bundle.xlsx")
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == list(TABLE_ORDER)
    assert book.properties.creator == "palmares"
    book.close()
    back = read_dataset(path)
    assert data_hash(back) == data_hash(ds)
    assert back.institution_ids == ("007", "b", "nam")
    assert "NA" in set(back.institutions["country"])


def test_rerun_gives_identical_bytes(tmp_path: Path) -> None:
    ds = read_dataset(BASE)
    write_dataset(ds, tmp_path / "a.xlsx")
    write_dataset(ds, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_ids_stay_text_in_excel(tmp_path: Path) -> None:
    path = write_dataset(read_dataset(BASE), tmp_path / "bundle.xlsx")
    sheet = load_workbook(path)["institutions"]
    assert sheet["A2"].value == "007" and sheet["A2"].data_type == "s"


def test_unknown_sheet_is_a_warning(tmp_path: Path) -> None:
    path = write_dataset(read_dataset(BASE), tmp_path / "bundle.xlsx")
    book = load_workbook(path)
    book.create_sheet("notes")["A1"] = "hello"
    book.save(path)
    _, problems = read_tables(path)
    assert [(p.sheet, p.code, p.severity) for p in problems] == [
        ("notes", "unknown-table", "warning")
    ]


def test_every_double_and_formula_like_text_survive(tmp_path: Path) -> None:
    ds = read_dataset(BASE)
    obs = ds.observations
    obs["value"] = obs["value"].astype("float64")
    exact = [0.1 + 0.2, -0.0, 14182035512427542.0]
    rows = obs.index[obs["value"].notna()][:3]
    obs.loc[rows, "value"] = exact
    aliases = ds.aliases.assign(name=["=SUM(A1)"])
    tricky = ds.with_tables(observations=obs, aliases=aliases)
    back = read_dataset(write_dataset(tricky, tmp_path / "b.xlsx"))
    assert data_hash(back) == data_hash(tricky)
    assert back.aliases["name"].tolist() == ["=SUM(A1)"]
