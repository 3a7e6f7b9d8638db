"""The COINr layout on the ASEM index: valid, lossless, and located problems in malformed tables."""

from __future__ import annotations

import csv
import struct
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palmares.dataset import Dataset
from palmares.io import read_dataset, write_dataset
from palmares.io.coinr import ALPHA3_TO_ALPHA2, coinr_tables, read_coinr, write_coinr
from palmares.io.options import ReadOptions
from palmares.problems import InvalidInput, Problems
from palmares.validation import validate_tables

ASEM = Path(__file__).resolve().parents[1] / "data" / "asem"
IDATA = ASEM / "asem_idata.csv"
IMETA = ASEM / "asem_imeta.csv"


def cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def same_cell(original: str, written: str) -> bool:
    """Equal strings, or numbers equal bit for bit (the text may be a shorter repr)."""
    if original == written:
        return True
    try:
        return struct.pack("<d", float(original)) == struct.pack("<d", float(written))
    except ValueError:
        return False


def assert_cells_equal(original: Path, written: Path) -> None:
    a, b = cells(original), cells(written)
    assert len(a) == len(b)
    assert a[0] == b[0]  # the header, in its order
    for i, (row_a, row_b) in enumerate(zip(a, b, strict=True)):
        assert len(row_a) == len(row_b), f"row {i + 1}"
        for j, (x, y) in enumerate(zip(row_a, row_b, strict=True)):
            assert same_cell(x, y), f"{written.name} row {i + 1} column {a[0][j]}: {x!r} != {y!r}"


def located(problems: Problems) -> list[tuple[str, str | None, int | None, str | None, str]]:
    found = [(Path(p.file).name, p.sheet, p.row, p.column, p.code) for p in problems]
    return sorted(found, key=lambda t: (t[0], t[1] or "", t[2] or 0, t[3] or "", t[4]))


# -- ASEM ---------------------------------------------------------------------------------------


def test_asem_reads_with_no_problem_and_validates() -> None:
    frames, problems = read_coinr([IDATA, IMETA], ReadOptions())
    assert list(problems) == []
    typed, found = validate_tables(frames, origin=str(IDATA))
    assert found.errors == [] and found.warnings == []
    ds = Dataset(typed)
    assert ds.systems == ("Index",)
    assert ds.edition_years("Index") == (2018,)
    inst = ds.institutions.set_index("id")
    assert len(inst) == 51
    assert inst.loc["AUT", "name"] == "Austria" and inst.loc["AUT", "country"] == "AT"
    assert inst.loc["KOR", "country"] == "KR" and inst.loc["GBR", "country"] == "GB"
    assert inst.loc["AUT", "GDP_group"] == "L" and inst.loc["AUT", "EurAsia_group"] == "Europe"
    ind = ds.indicators.set_index("id")
    assert len(ind) == 68
    leaves = ds.tree("Index").leaves
    assert len(leaves) == 49
    assert (ind.loc[list(leaves), "direction"] == "lower").sum() == 14
    assert ind.loc["CO2", "direction"] == "lower" and ind.loc["LPI", "direction"] == "higher"
    assert ind.loc["Physical", "parent"] == "Conn" and pd.isna(ind.loc["Index", "parent"])
    assert pd.isna(ind.loc["Area", "parent"]) and ind.loc["Area", "coinr_Type"] == "Denominator"
    assert ind.loc["LPI", "unit"] == "Score 1-5" and ind.loc["LPI", "coinr_Target"] == "4.11803135"
    obs = ds.observations
    assert len(obs) == 51 * (49 + 4)
    missing = obs[obs["status"] == "missing"]
    assert len(missing) == 64
    assert (missing["indicator"] == "Energy").sum() == 1
    aut = obs[(obs["institution"] == "AUT") & (obs["indicator"] == "Elec")]
    assert aut["value"].tolist() == [35.369729833333331]
    matrix = ds.matrix("Index", 2018)
    assert matrix.shape == (51, 49) and int((~matrix.mask).sum()) == 63


def test_asem_read_through_the_cli_dispatch() -> None:
    ds = read_dataset([IMETA, IDATA])  # any order: the tables are told apart by their headers
    assert len(ds.institution_ids) == 51


@pytest.mark.parametrize("bundle_format", ["csv", "parquet"])
def test_asem_round_trip_through_the_canonical_bundle_is_lossless(
    tmp_path: Path, bundle_format: str
) -> None:
    ds = read_dataset([IDATA, IMETA])
    bundle = tmp_path / "bundle"
    write_dataset(ds, bundle, format=bundle_format)  # type: ignore[arg-type]
    back = read_dataset(bundle)
    write_coinr(back, tmp_path / "coinr")
    assert sorted(p.name for p in (tmp_path / "coinr").iterdir()) == ["idata.csv", "imeta.csv"]
    assert_cells_equal(IDATA, tmp_path / "coinr" / "idata.csv")
    assert_cells_equal(IMETA, tmp_path / "coinr" / "imeta.csv")


@pytest.mark.parametrize(("format", "name"), [("xlsx", "asem.xlsx"), ("parquet", "asem")])
def test_asem_coinr_workbook_and_parquet_read_back_identical(
    tmp_path: Path, format: str, name: str
) -> None:
    ds = read_dataset([IDATA, IMETA])
    write_coinr(ds, tmp_path / name, format=format)
    back = read_dataset(tmp_path / name, layout="coinr")
    assert back == ds
    write_coinr(back, tmp_path / "again")
    assert_cells_equal(IDATA, tmp_path / "again" / "idata.csv")
    assert_cells_equal(IMETA, tmp_path / "again" / "imeta.csv")


def test_coinr_csv_is_byte_deterministic(tmp_path: Path) -> None:
    ds = read_dataset([IDATA, IMETA])
    write_coinr(ds, tmp_path / "one")
    write_coinr(read_dataset(tmp_path / "one", layout="coinr"), tmp_path / "two")
    for name in ("idata.csv", "imeta.csv"):
        data = (tmp_path / "one" / name).read_bytes()
        assert data == (tmp_path / "two" / name).read_bytes()
        assert b"\r" not in data and not data.startswith(b"\xef\xbb\xbf")


def test_alpha3_table_is_complete_and_one_to_one() -> None:
    assert len(ALPHA3_TO_ALPHA2) == 249
    assert len(set(ALPHA3_TO_ALPHA2.values())) == 249
    assert ALPHA3_TO_ALPHA2["NAM"] == "NA" and ALPHA3_TO_ALPHA2["FRA"] == "FR"


# -- small hand-made tables ---------------------------------------------------------------------

IMETA_TEXT = (
    "Level,iCode,iName,Direction,Weight,Unit,Target,Denominator,Parent,Type\n"
    "1,x1,Ex one,1,1,pct,,,P,Indicator\n"
    "1,x2,Ex two,-1,0.5,,,Pop,P,Indicator\n"
    "2,P,Pillar,1,1,,,,Idx,Aggregate\n"
    "3,Idx,The index,1,1,,,,,Aggregate\n"
    ",Grp,A group,,,,,,,Group\n"
    ",Pop,Population,,,,,,,Denominator\n"
)
IDATA_TEXT = (
    "uCode,uName,Grp,Time,Pop,x1,x2\n"
    "FRA,France,big,2020,67.5,1.25,\n"
    "NAM,Namibia,small,2020,2.5,NA,3\n"
    "U007,Univ 007,,2020,,0,-0.0\n"
)


def write_pair(folder: Path, idata: str = IDATA_TEXT, imeta: str = IMETA_TEXT) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "iData.csv").write_text(idata, encoding="utf-8")
    (folder / "iMeta.csv").write_text(imeta, encoding="utf-8")
    return [folder / "iData.csv", folder / "iMeta.csv"]


def test_small_index_maps_every_rule(tmp_path: Path) -> None:
    frames, problems = read_coinr(write_pair(tmp_path), ReadOptions())
    assert list(problems) == []
    inst = frames["institutions"].set_index("id")
    # Namibia is NA; a uCode that is no alpha-3 code gives no country.
    assert inst["country"].tolist()[:2] == ["FR", "NA"] and pd.isna(inst.loc["U007", "country"])
    assert pd.isna(inst.loc["U007", "Grp"])
    obs = frames["observations"].set_index(["institution", "indicator"])
    assert obs.loc[("NAM", "x1"), "status"] == "missing"  # R's NA
    assert obs.loc[("FRA", "x2"), "status"] == "missing"
    assert obs.loc[("FRA", "Pop"), "value"] == 67.5 and obs.loc[("FRA", "Pop"), "system"] == "Idx"
    assert str(obs.loc[("U007", "x2"), "value"]) == "-0.0"
    ind = frames["indicators"].set_index("id")
    assert ind["direction"].tolist()[:2] == ["higher", "lower"]
    assert ind.loc["x2", "coinr_Weight"] == "0.5" and ind.loc["x2", "coinr_Denominator"] == "Pop"
    _, found = validate_tables(frames, origin="iData.csv")
    assert found.errors == []


def test_small_index_round_trip_restores_every_cell(tmp_path: Path) -> None:
    paths = write_pair(tmp_path / "in")
    write_coinr(read_dataset(paths), tmp_path / "out")
    assert (tmp_path / "out" / "imeta.csv").read_text(encoding="utf-8") == IMETA_TEXT
    # R's NA comes back as an empty cell (COINr reads both as missing).
    assert (tmp_path / "out" / "idata.csv").read_text(encoding="utf-8") == IDATA_TEXT.replace(
        ",NA,", ",,"
    )


def test_missing_time_needs_an_edition(tmp_path: Path) -> None:
    idata = "uCode,uName,Grp,Pop,x1,x2\nFRA,France,big,67.5,1.25,\n"
    paths = write_pair(tmp_path / "in", idata=idata)
    _, problems = read_coinr(paths, ReadOptions())
    assert located(problems) == [("iData.csv", None, 1, "Time", "missing-column")]
    assert "--edition" in problems.items[0].message
    ds = read_dataset(paths, edition=2019)
    assert ds.edition_years("Idx") == (2019,)
    write_coinr(ds, tmp_path / "out")
    assert (tmp_path / "out" / "idata.csv").read_text(encoding="utf-8") == idata


def test_malformed_imeta_and_idata_are_located(tmp_path: Path) -> None:
    imeta = (
        "Level,iCode,iName,Direction,Weight,Unit,Target,Denominator,Parent,Type\n"
        "1,x1,Ex one,1,1,pct,,,Pillar9,Indicator\n"  # row 2: Parent not in iCode
        "1,x2,Ex two,2,1,,,,P,Indicator\n"  # row 3: Direction 2
        "1,x3,Ex three,1,heavy,,,Area,P,Indicator\n"  # row 4: Weight text, unknown Denominator
        "2,P,Pillar,1,1,,,,Idx,Aggregate\n"
        "2,Q,Loop,1,1,,,,Q,Aggregate\n"  # row 6: its own parent
        "3,Idx,The index,1,1,,,,,Aggregate\n"
        ",Pop,Population,,,,,,,Denominator\n"  # row 8: absent from iData
        ",x1,Again,,,,,,,Widget\n"  # row 9: duplicate iCode, unknown Type
    )
    idata = (
        "uCode,uName,Time,x1,x2,x3,extra\n"  # extra: not in iMeta
        "FRA,France,2020,1,2,abc\n"  # row 2: x3 not a number (short row padded, reported)
        "FRA,France again,2020,1,2,3,\n"  # row 3: same uCode and Time
        "D E,Bad code,20.5,1,2,3,\n"  # row 4: bad uCode, bad Time
    )
    _, problems = read_coinr(write_pair(tmp_path, idata, imeta), ReadOptions())
    assert located(problems) == [
        ("iData.csv", None, 1, "Pop", "missing-column"),
        ("iData.csv", None, 1, "extra", "unknown-indicator"),
        ("iData.csv", None, 2, None, "field-count"),
        ("iData.csv", None, 2, "x3", "not-a-number"),
        ("iData.csv", None, 3, "uCode", "duplicate-id"),
        ("iData.csv", None, 4, "Time", "invalid-year"),
        ("iData.csv", None, 4, "uCode", "invalid-id"),
        ("iMeta.csv", None, 2, "Parent", "unknown-parent"),
        ("iMeta.csv", None, 3, "Direction", "invalid-direction"),
        ("iMeta.csv", None, 4, "Denominator", "unknown-indicator"),
        ("iMeta.csv", None, 4, "Weight", "not-a-number"),
        ("iMeta.csv", None, 6, "Parent", "cycle"),
        ("iMeta.csv", None, 9, "Type", "invalid-value"),
        ("iMeta.csv", None, 9, "iCode", "duplicate-id"),
    ]
    messages = {(Path(p.file).name, p.row, p.column): p.message for p in problems}
    assert "'Pillar9'" in messages[("iMeta.csv", 2, "Parent")]
    assert "'2'" in messages[("iMeta.csv", 3, "Direction")]
    assert "'extra'" in messages[("iData.csv", 1, "extra")]
    assert "'abc'" in messages[("iData.csv", 2, "x3")]
    assert "'20.5'" in messages[("iData.csv", 4, "Time")]


def test_workbook_with_both_sheets_and_located_sheet_problems(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    data = book.active
    assert data is not None
    data.title = "Data"
    for line in IDATA_TEXT.splitlines():
        data.append(line.split(","))
    data["F3"] = "#N/A"
    meta = book.create_sheet("Meta")
    for line in IMETA_TEXT.splitlines():
        meta.append([c if c else None for c in line.split(",")])
    book.save(tmp_path / "index.xlsx")
    _, problems = read_coinr([tmp_path / "index.xlsx"], ReadOptions())
    assert located(problems) == [("index.xlsx", "Data", 3, "x1", "excel-error-cell")]


def test_multi_system_dataset_is_refused(tmp_path: Path) -> None:
    ds = read_dataset(write_pair(tmp_path / "in"))
    frames = ds.to_frames()
    frames["editions"] = pd.concat(
        [frames["editions"], pd.DataFrame({"system": ["other"], "year": [2020]})]
    )
    frames["indicators"] = pd.concat(
        [
            frames["indicators"],
            pd.DataFrame(
                {"id": ["other"], "label_en": ["O"], "label_fr": ["O"], "direction": ["higher"]}
            ),
        ]
    )
    two = Dataset.from_frames(frames)
    with pytest.raises(InvalidInput) as raised:
        write_coinr(two, tmp_path / "out")
    assert raised.value.problems[0].code == "invalid-value"
    assert not (tmp_path / "out").exists()


def test_a_bundle_that_never_was_coinr_gets_coinr_conventions() -> None:
    frames = {
        "institutions": pd.DataFrame(
            {"id": ["u2", "u1"], "name": ["Two", "One"], "country": ["FR", "DE"]}
        ),
        "indicators": pd.DataFrame(
            {
                "id": ["sys", "fam", "a", "b", "c"],
                "label_en": ["System", "Family", "A", "B", "C"],
                "label_fr": ["Système", "Famille", "A", "B", "C"],
                "parent": [None, "sys", "fam", "fam", "sys"],
                "direction": [None, None, "higher", "lower", "higher"],
                "unit": [None, None, "%", None, None],
            }
        ),
        "editions": pd.DataFrame({"system": ["sys"], "year": [2024]}),
        "observations": pd.DataFrame(
            {
                "institution": ["u1", "u1", "u2", "u2", "u1"],
                "indicator": ["a", "b", "a", "c", "fam"],
                "system": ["sys"] * 5,
                "year": [2024] * 5,
                "value": [1.0, 2.5, 3.0, float("nan"), 9.0],
                "status": ["reported", "estimated", "reported", "not_applicable", "reported"],
            }
        ),
    }
    tables = coinr_tables(Dataset.from_frames(frames))
    assert tables.imeta_header == [
        "Level", "iCode", "iName", "Direction", "Weight", "Unit", "Target", "Denominator",
        "Parent", "Type",
    ]  # fmt: skip
    assert tables.imeta_rows == [
        ["1", "a", "A", "1", "1", "%", "", "", "fam", "Indicator"],
        ["1", "b", "B", "-1", "1", "", "", "", "fam", "Indicator"],
        ["1", "c", "C", "1", "1", "", "", "", "sys", "Indicator"],
        ["2", "fam", "Family", "1", "1", "", "", "", "sys", "Aggregate"],
        ["3", "sys", "System", "1", "1", "", "", "", "", "Aggregate"],
    ]
    # Rows by (year, uCode); scores on inner nodes have no iData column in COINr.
    assert tables.idata_header == ["uCode", "uName", "Time", "a", "b", "c"]
    assert tables.idata_rows == [
        ["u1", "One", "2024", "1", "2.5", ""],
        ["u2", "Two", "2024", "3", "", ""],
    ]


# -- property: a COINr trip keeps the data and is a fixed point -------------------------------

UCODES = st.sampled_from(["FRA", "NAM", "U007", "x.y", "Z-9", "DEU"])
NAMES = st.text(alphabet="abcAé ,\"'-", min_size=1, max_size=8).map(str.strip).filter(bool)
VALUES = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def coinr_datasets(draw: st.DrawFn) -> Dataset:
    codes = draw(st.lists(UCODES, min_size=1, max_size=4, unique=True))
    names = [draw(NAMES) for _ in codes]
    leaves = draw(
        st.lists(st.sampled_from(["i1", "i2", "i3"]), min_size=1, max_size=3, unique=True)
    )
    parents = [draw(st.sampled_from(["root", "pil"])) for _ in leaves]
    nodes = ["root", *(["pil"] if "pil" in parents else []), *leaves]
    parent_of = {"root": None, "pil": "root", **dict(zip(leaves, parents, strict=True))}
    directions = {leaf: draw(st.sampled_from(["higher", "lower"])) for leaf in leaves}
    records = []
    for code in codes:
        for leaf in leaves:
            missing = draw(st.booleans())
            value = float("nan") if missing else draw(VALUES)
            records.append((code, leaf, value, "missing" if missing else "reported"))
    inst, ind, value, status = zip(*records, strict=True)
    return Dataset.from_frames(
        {
            "institutions": pd.DataFrame(
                {"id": codes, "name": names, "country": [ALPHA3_TO_ALPHA2.get(c) for c in codes]}
            ),
            "indicators": pd.DataFrame(
                {
                    "id": nodes,
                    "label_en": [n.upper() for n in nodes],
                    "label_fr": [n.upper() for n in nodes],
                    "parent": [parent_of[n] for n in nodes],
                    "direction": [directions.get(n) for n in nodes],
                }
            ),
            "editions": pd.DataFrame({"system": ["root"], "year": [2022]}),
            "observations": pd.DataFrame(
                {
                    "institution": list(inst),
                    "indicator": list(ind),
                    "system": ["root"] * len(records),
                    "year": [2022] * len(records),
                    "value": list(value),
                    "status": list(status),
                }
            ),
        }
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coinr_datasets(), st.sampled_from(["csv", "xlsx", "parquet"]))
def test_coinr_write_read_keeps_data_and_is_a_fixed_point(ds: Dataset, format: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("c.xlsx" if format == "xlsx" else "c")
        write_coinr(ds, path, format=format)
        back = read_dataset(path, layout="coinr")
    assert coinr_tables(back) == coinr_tables(ds)
    keys = ["institution", "indicator"]
    a = ds.observations.sort_values(keys).reset_index(drop=True)
    b = back.observations.sort_values(keys).reset_index(drop=True)
    assert a[["institution", "indicator", "status"]].equals(
        b[["institution", "indicator", "status"]]
    )
    assert a["value"].to_numpy().tobytes() == b["value"].to_numpy().tobytes()
    assert back.institutions.set_index("id")["name"].to_dict() == dict(
        zip(ds.institutions["id"], ds.institutions["name"], strict=True)
    )


def test_imeta_tree_shape_problems_are_located(tmp_path: Path) -> None:
    imeta = (
        "Level,iCode,iName,Direction,Weight,Parent,Type\n"
        "1,x1,One,1,1,P,Indicator\n"
        "1,x2,Two,1,1,x1,Indicator\n"  # row 3: a parent that is an indicator
        "2,P,Pillar,1,1,Idx,Aggregate\n"
        "2,E,Empty,1,1,Idx,Aggregate\n"  # row 5: an aggregate without children
        "3,Idx,Index,1,1,,Aggregate\n"  # rows 6 and 7: two roots
        "3,Idx2,Other index,1,1,,Aggregate\n"
    )
    idata = "uCode,Time,x1,x2\nFRA,2020,1,2\n"
    _, problems = read_coinr(write_pair(tmp_path, idata, imeta), ReadOptions())
    assert located(problems) == [
        ("iMeta.csv", None, 3, "Parent", "unknown-parent"),
        ("iMeta.csv", None, 5, "iCode", "invalid-value"),
        ("iMeta.csv", None, 6, "Parent", "missing-value"),
        ("iMeta.csv", None, 7, "Parent", "missing-value"),
        ("iMeta.csv", None, 7, "iCode", "invalid-value"),
    ]
    messages = [p.message for p in problems]
    assert "Parent 'x1' is not an Aggregate (its Type is 'Indicator')" in messages


def test_a_folder_stands_for_its_tables_and_a_lone_idata_is_refused() -> None:
    frames, problems = read_coinr([ASEM], ReadOptions())
    assert list(problems) == [] and len(frames["institutions"]) == 51
    _, problems = read_coinr([IDATA], ReadOptions())
    assert located(problems) == [("asem_idata.csv", None, None, None, "missing-table")]
    assert problems.items[0].message == "no iMeta table given (a table whose header has 'iCode')"


def test_imeta_without_type_column_is_reported_once(tmp_path: Path) -> None:
    imeta = "iCode,iName,Direction,Parent\nx1,One,1,Idx\nIdx,Index,1,\n"
    _, problems = read_coinr(
        write_pair(tmp_path, "uCode,Time,x1\nFRA,2020,1\n", imeta), ReadOptions()
    )
    assert located(problems) == [("iMeta.csv", None, 1, "Type", "missing-column")]
