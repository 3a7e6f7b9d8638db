"""The wide layout: exact bytes written, round trips, and located problems in malformed files."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from palmares.dataset import Dataset
from palmares.io import read_dataset, write_dataset
from palmares.io.options import ReadOptions
from palmares.io.wide import read_wide, read_wide_observations, wide_text, write_wide
from palmares.problems import Problems

INSTITUTIONS = pd.DataFrame(
    {
        "id": ["007", "NA", "b", "a"],
        "name": ["Bond U", "Namibia U", "Beta", "Alpha"],
        "country": ["GB", "NA", "FR", "FR"],
    }
)
INDICATORS = pd.DataFrame(
    {
        "id": ["s", "x", "y"],
        "label_en": ["S", "X", "Y"],
        "label_fr": ["S", "X", "Y"],
        "parent": [None, "s", "s"],
        "direction": [None, "higher", "lower"],
    }
)
EDITIONS = pd.DataFrame({"system": ["s", "s"], "year": [2020, 2021]})


def dataset(observations: pd.DataFrame) -> Dataset:
    return Dataset.from_frames(
        {
            "institutions": INSTITUTIONS,
            "indicators": INDICATORS,
            "editions": EDITIONS,
            "observations": observations,
        }
    )


def observations(rows: list[tuple[str, str, int, float, str]]) -> pd.DataFrame:
    inst, ind, year, value, status = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "institution": list(inst),
            "indicator": list(ind),
            "system": ["s"] * len(rows),
            "year": list(year),
            "value": list(value),
            "status": list(status),
        }
    )


NAN = float("nan")
SAMPLE = observations(
    [
        ("a", "x", 2020, 1.5, "reported"),
        ("a", "y", 2020, NAN, "missing"),
        ("b", "x", 2020, 0.1 + 0.2, "estimated"),
        ("b", "y", 2020, 2.0, "reported"),
        ("NA", "x", 2020, NAN, "not_applicable"),
        ("NA", "y", 2020, -0.0, "reported"),
        ("007", "x", 2021, 1e-300, "reported"),
        ("007", "y", 2021, 12345678901234567890.0, "reported"),
    ]
)


def sorted_obs(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["system", "year", "institution", "indicator"]
    columns = ["institution", "indicator", "system", "year", "value", "status"]
    return frame[columns].sort_values(keys).reset_index(drop=True)


def assert_same_observations(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got, expected = sorted_obs(got), sorted_obs(expected)
    for column in ("institution", "indicator", "system", "status"):
        assert got[column].tolist() == expected[column].tolist()
    assert [int(y) for y in got["year"]] == [int(y) for y in expected["year"]]
    # Bit for bit, so that -0.0 and 0.0 differ and NaN sits exactly where it should.
    a = got["value"].to_numpy(dtype=np.float64, na_value=np.nan)
    b = expected["value"].to_numpy(dtype=np.float64, na_value=np.nan)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert a[~np.isnan(a)].tobytes() == b[~np.isnan(b)].tobytes()


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "bundle"
    write_dataset(dataset(SAMPLE), path)
    return path


def located(problems: Problems) -> list[tuple[str, str | None, int | None, str | None, str]]:
    found = [(Path(p.file).name, p.sheet, p.row, p.column, p.code) for p in problems]
    return sorted(found, key=lambda t: (t[0], t[1] or "", t[2] or 0, t[3] or "", t[4]))


def test_write_gives_exact_sorted_bytes() -> None:
    text = wide_text(dataset(SAMPLE)).decode("utf-8")
    assert text == (
        "institution,system,year,x,y\n"
        "NA,s,2020,n/a,-0.0\n"
        "a,s,2020,1.5,\n"
        "b,s,2020,~0.30000000000000004,2\n"
        "007,s,2021,1e-300,1.2345678901234567e+19\n"
    )


def test_written_file_is_utf8_lf_without_bom(tmp_path: Path) -> None:
    write_wide(dataset(SAMPLE), tmp_path / "w.csv")
    data = (tmp_path / "w.csv").read_bytes()
    assert data == wide_text(dataset(SAMPLE))
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data


@pytest.mark.parametrize(
    ("format", "name"), [("csv", "w.csv"), ("xlsx", "w.xlsx"), ("parquet", "w.parquet")]
)
def test_round_trip_in_every_format(tmp_path: Path, bundle: Path, format: str, name: str) -> None:
    write_wide(dataset(SAMPLE), tmp_path / name, format=format)
    frames, problems = read_wide([tmp_path / name], ReadOptions(bundle=bundle))
    assert list(problems) == []
    assert_same_observations(frames["observations"], SAMPLE)
    # The other tables come from the bundle.
    assert sorted(frames["institutions"]["id"]) == ["007", "NA", "a", "b"]


def test_read_dataset_dispatches_to_wide(tmp_path: Path, bundle: Path) -> None:
    write_wide(dataset(SAMPLE), tmp_path / "w.csv")
    ds = read_dataset(tmp_path / "w.csv", bundle=bundle)
    assert_same_observations(ds.observations, SAMPLE)
    assert ds.matrix("s", 2020).status.shape == (3, 2)


def test_bom_crlf_and_nfd_are_accepted(tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_bytes(b"\xef\xbb\xbfinstitution,system,year,x\r\na,s,2020, 4 \r\n")
    frames, problems = read_wide([path], ReadOptions(bundle=bundle))
    assert list(problems) == []
    assert frames["observations"]["value"].tolist() == [4.0]


def test_decimal_comma_needs_the_option(tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text('institution,system,year,x\na,s,2020,"3,5"\n', encoding="utf-8")
    _, problems = read_wide([path], ReadOptions(bundle=bundle))
    assert located(problems) == [("w.csv", None, 2, "x", "not-a-number")]
    assert "'3,5'" in problems.items[0].message and "--decimal" in problems.items[0].message
    frames, problems = read_wide([path], ReadOptions(bundle=bundle, decimal=","))
    assert list(problems) == [] and frames["observations"]["value"].tolist() == [3.5]


def test_malformed_file_reports_every_problem_located(tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "institution,system,year,x,y,zz\n"
        "a,s,2020,abc,1,\n"  # row 2: not a number
        "ghost,s,2020,1,1,\n"  # row 3: unknown institution
        "b,s,1999,1,1,\n"  # row 4: unknown edition
        "a,s,2020,2,2,\n"  # row 5: a second row for a in s 2020
        "NA,s,2021,inf,#N/A,\n"  # row 6: non-finite, Excel error
        "007,s,20x1,1,~,\n"  # row 7: bad year (its cells are not parsed further)
        "b,s,2021,~,~abc,\n",  # row 8: estimate without a number, twice
        encoding="utf-8",
    )
    frames, problems = read_wide([path], ReadOptions(bundle=bundle))
    assert located(problems) == [
        ("bad.csv", None, 1, "zz", "unknown-indicator"),
        ("bad.csv", None, 2, "x", "not-a-number"),
        ("bad.csv", None, 3, "institution", "unknown-institution"),
        ("bad.csv", None, 4, "year", "unknown-edition"),
        ("bad.csv", None, 5, "institution", "duplicate-observation"),
        ("bad.csv", None, 6, "x", "non-finite"),
        ("bad.csv", None, 6, "y", "excel-error-cell"),
        ("bad.csv", None, 7, "y", "not-a-number"),
        ("bad.csv", None, 7, "year", "invalid-year"),
        ("bad.csv", None, 8, "x", "not-a-number"),
        ("bad.csv", None, 8, "y", "not-a-number"),
    ]
    messages = {(p.row, p.column): p.message for p in problems}
    assert "'abc'" in messages[(2, "x")]
    assert messages[(3, "institution")] == "'ghost' is not an institution of the bundle"
    assert "'~abc'" in messages[(8, "y")]
    assert "row 2" in messages[(5, "institution")]
    # Only clean cells of clean rows become observations: a's row 2 gives y=1 only.
    obs = sorted_obs(frames["observations"])
    assert obs[["institution", "indicator", "year", "value"]].values.tolist() == [
        ["a", "y", 2020, 1.0],
    ]


def test_missing_key_column_and_semicolons(tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("institution;system;year;x\na;s;2020;1\n", encoding="utf-8")
    _, problems = read_wide([path], ReadOptions(bundle=bundle))
    assert located(problems) == [
        ("semi.csv", None, 1, "institution", "missing-column"),
        ("semi.csv", None, 1, "system", "missing-column"),
        ("semi.csv", None, 1, "year", "missing-column"),
    ]
    assert all("--delimiter ';'" in p.message for p in problems)
    frames, problems = read_wide([path], ReadOptions(bundle=bundle, delimiter=";"))
    assert list(problems) == [] and frames["observations"]["value"].tolist() == [1.0]


def test_duplicate_header_and_rows_across_files(tmp_path: Path, bundle: Path) -> None:
    first, second = tmp_path / "one.csv", tmp_path / "two.csv"
    first.write_text("institution,system,year,x,x\na,s,2020,1,2\n", encoding="utf-8")
    second.write_text("institution,system,year,x\na,s,2020,3\n", encoding="utf-8")
    _, problems = read_wide([first, second], ReadOptions(bundle=bundle))
    assert located(problems) == [
        ("one.csv", None, 1, "x", "duplicate-column"),
        ("two.csv", None, 2, "institution", "duplicate-observation"),
    ]


def test_without_bundle_the_file_is_checked_but_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("institution,system,year,x\nanywhere,s,2020,x1\n", encoding="utf-8")
    frames, problems = read_wide([path], ReadOptions())
    assert located(problems) == [
        ("w.csv", None, None, None, "missing-table"),
        ("w.csv", None, 2, "x", "not-a-number"),
    ]
    assert "--bundle" in next(p for p in problems if p.code == "missing-table").message
    assert list(frames) == ["observations"]


def test_excel_date_and_error_cells_are_located_on_their_sheet(
    tmp_path: Path, bundle: Path
) -> None:
    path = tmp_path / "w.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "scores"
    sheet.append(["institution", "system", "year", "x", "y"])
    sheet.append(["a", "s", 2020, datetime(2020, 3, 5), 1.25])
    sheet.append(["b", "s", 2020, "#N/A", "~2"])
    book.save(path)
    frames, problems = read_wide([path], ReadOptions(bundle=bundle))
    assert located(problems) == [
        ("w.xlsx", "scores", 2, "x", "not-a-number"),
        ("w.xlsx", "scores", 3, "x", "excel-error-cell"),
    ]
    assert "2020-03-05" in problems.items[0].message
    obs = sorted_obs(frames["observations"])
    assert obs[["institution", "indicator", "value", "status"]].values.tolist() == [
        ["a", "y", 1.25, "reported"],
        ["b", "y", 2.0, "estimated"],
    ]


# -- property: read(write(x)) == x --------------------------------------------------------------

IDS = st.sampled_from(["a", "b", "NA", "007", "x.y", "Z-9"])
VALUES = st.floats(allow_nan=False, allow_infinity=False)
CELLS = st.one_of(
    st.tuples(st.just("reported"), VALUES),
    st.tuples(st.just("estimated"), VALUES),
    st.tuples(st.sampled_from(["missing", "not_applicable"]), st.just(NAN)),
)


@st.composite
def wide_datasets(draw: st.DrawFn) -> Dataset:
    """Datasets whose observations fill the (row x observed indicator) grid of a wide table."""
    institutions = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    leaves = draw(
        st.lists(st.sampled_from(["i1", "i2", "i3", "i4"]), min_size=1, max_size=4, unique=True)
    )
    years = draw(st.lists(st.sampled_from([2019, 2020, 2021]), min_size=1, max_size=3, unique=True))
    rows = draw(
        st.lists(
            st.tuples(st.sampled_from(institutions), st.sampled_from(years)),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    records = []
    for inst, year in rows:
        for leaf in leaves:
            status, value = draw(CELLS)
            records.append((inst, leaf, year, value, status))
    inst, ind, year, value, status = zip(*records, strict=True)
    return Dataset.from_frames(
        {
            "institutions": pd.DataFrame(
                {"id": institutions, "name": institutions, "country": ["FR"] * len(institutions)}
            ),
            "indicators": pd.DataFrame(
                {
                    "id": ["t", *leaves],
                    "label_en": ["t", *leaves],
                    "label_fr": ["t", *leaves],
                    "parent": [None, *["t"] * len(leaves)],
                    "direction": [None, *["higher"] * len(leaves)],
                }
            ),
            "editions": pd.DataFrame({"system": ["t"] * len(years), "year": years}),
            "observations": pd.DataFrame(
                {
                    "institution": list(inst),
                    "indicator": list(ind),
                    "system": ["t"] * len(records),
                    "year": list(year),
                    "value": list(value),
                    "status": list(status),
                }
            ),
        }
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wide_datasets(), st.sampled_from(["csv", "xlsx", "parquet"]))
def test_read_of_write_is_identity(ds: Dataset, format: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"w.{format}"
        write_wide(ds, path, format=format)
        problems = Problems()
        got = read_wide_observations([path], ReadOptions(), ds.to_frames(), problems)
        assert list(problems) == []
        assert_same_observations(got, ds.observations)
        # Writing what was read gives the same bytes again.
        again = Dataset({**ds.to_frames(), "observations": got})
        assert wide_text(again) == wide_text(ds)


def test_cp1252_file_is_refused_with_where_and_what(tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_bytes("institution,system,year,x\na,s,2020,1\nb,s,2020,é\n".encode("cp1252"))
    _, problems = read_wide([path], ReadOptions(bundle=bundle))
    assert located(problems) == [("w.csv", None, 3, None, "encoding")]
    assert problems.items[0].message == (
        "not valid UTF-8: first invalid byte 0xE9 at line 3, column 10; the file decodes as "
        "cp1252: convert it or pass --encoding cp1252"
    )
    _, problems = read_wide([path], ReadOptions(bundle=bundle, encoding="cp1252"))
    assert located(problems) == [("w.csv", None, 3, "x", "not-a-number")]


def test_header_only_file_is_a_warning(tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("institution,system,year,x\n", encoding="utf-8")
    frames, problems = read_wide([path], ReadOptions(bundle=bundle))
    assert problems.errors == []
    assert [(p.row, p.code, p.severity) for p in problems] == [(None, "header-only", "warning")]
    assert frames["observations"].empty
