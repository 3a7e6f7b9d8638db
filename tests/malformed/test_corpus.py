"""The malformed corpus: each case breaks the valid bundle in ``base/`` in one way.

Every case asserts the exact set of (file, sheet, row, column, code) located problems, and that
messages show the offending value (with repr) or the hint the user needs.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from palmares.io import read_dataset, read_tables, write_dataset
from palmares.io.options import ReadOptions

BASE = Path(__file__).parent / "base"
OBS = "observations.csv"
INST = "institutions.csv"
IND = "indicators.csv"
OBS_HEADER = "institution,indicator,system,year,value,status"


def base_text(name: str) -> str:
    return (BASE / name).read_text(encoding="utf-8")


def obs_with(*extra: str, replace: dict[int, str] | None = None) -> str:
    """observations.csv with rows replaced (by spreadsheet row) and rows appended."""
    lines = base_text(OBS).splitlines()
    for row, line in (replace or {}).items():
        lines[row - 1] = line
    return "\n".join([*lines, *extra]) + "\n"


def table_with(name: str, *extra: str, replace: dict[int, str] | None = None) -> str:
    lines = base_text(name).splitlines()
    for row, line in (replace or {}).items():
        lines[row - 1] = line
    return "\n".join([*lines, *extra]) + "\n"


Located = tuple[str, str | None, int | None, str | None, str]


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str | bytes | None]
    expected: set[Located]
    #: Text every problem message of the case must contain, per code.
    shows: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("empty-file", {OBS: ""}, {(OBS, None, None, None, "empty-file")}),
    Case(
        "header-only",
        {OBS: OBS_HEADER + "\n"},
        {(OBS, None, None, None, "header-only")},
    ),
    Case(
        "missing-column",
        {OBS: "\n".join(line.rsplit(",", 1)[0] for line in base_text(OBS).splitlines())},
        {(OBS, None, 1, "status", "missing-column")},
        {"missing-column": ["'status'"]},
    ),
    Case(
        "semicolon-separator",
        {OBS: base_text(OBS).replace(",", ";")},
        {
            (OBS, None, 1, column, "missing-column")
            for column in ("institution", "indicator", "system", "year", "value", "status")
        },
        {"missing-column": ["--delimiter ';'"]},
    ),
    Case(
        "unknown-column",
        {
            OBS: "\n".join(
                [OBS_HEADER + ",comment"]
                + [line + ",note" for line in base_text(OBS).splitlines()[1:]]
            )
        },
        {(OBS, None, 1, "comment", "unknown-column")},
        {"unknown-column": ["'comment'"]},
    ),
    Case(
        "duplicate-header",
        {
            OBS: "\n".join(
                [OBS_HEADER + ",value"] + [line + ",1" for line in base_text(OBS).splitlines()[1:]]
            )
        },
        {(OBS, None, 1, "value", "duplicate-column")},
        {"duplicate-column": ["'value'"]},
    ),
    Case(
        "encoding-cp1252",
        {INST: base_text(INST).encode("cp1252")},
        {(INST, None, 2, None, "encoding")},
        {"encoding": ["0xE9", "line 2, column 14", "--encoding cp1252"]},
    ),
    Case(
        "duplicate-id",
        {INST: table_with(INST, "b,Beta Again,DE,Berlin")},
        {(INST, None, 5, "id", "duplicate-id")},
        {"duplicate-id": ["'b'", "row 4"]},
    ),
    Case(
        "duplicate-indicator",
        {IND: table_with(IND, "t1,Again,Encore,sys,higher,,")},
        {(IND, None, 7, "id", "duplicate-id")},
        {"duplicate-id": ["'t1'", "row 4"]},
    ),
    Case(
        "unknown-institution",
        {OBS: obs_with("zzz,t1,sys,2021,1,reported")},
        {(OBS, None, 8, "institution", "unknown-institution")},
        {"unknown-institution": ["'zzz'"]},
    ),
    Case(
        "unknown-indicator",
        {OBS: obs_with("007,t9,sys,2022,1,reported")},
        {(OBS, None, 8, "indicator", "unknown-indicator")},
        {"unknown-indicator": ["'t9'"]},
    ),
    Case(
        "unknown-edition",
        {OBS: obs_with("007,t1,sys,2023,1,reported")},
        {(OBS, None, 8, "year", "unknown-edition")},
        {"unknown-edition": ["'sys 2023'"]},
    ),
    Case(
        "unknown-network-member",
        {"networks.csv": table_with("networks.csv", "udice,UDICE,zzz,member,2020,")},
        {("networks.csv", None, 3, "institution", "unknown-network-member")},
        {"unknown-network-member": ["'zzz'"]},
    ),
    Case(
        "duplicate-observation",
        {OBS: obs_with("007,t1,sys,2021,13,reported")},
        {(OBS, None, 8, "indicator", "duplicate-observation")},
        {"duplicate-observation": ["'007'", "'t1'", "row 2"]},
    ),
    Case(
        "not-a-number",
        {OBS: obs_with(replace={2: "007,t1,sys,2021,abc,reported"})},
        {(OBS, None, 2, "value", "not-a-number")},
        {"not-a-number": ["'abc'"]},
    ),
    Case(
        "decimal-comma",
        {OBS: obs_with(replace={2: '007,t1,sys,2021,"12,5",reported'})},
        {(OBS, None, 2, "value", "not-a-number")},
        {"not-a-number": ["'12,5'", "--decimal"]},
    ),
    Case(
        "non-finite",
        {
            OBS: obs_with(
                replace={2: "007,t1,sys,2021,inf,reported", 3: "007,t2,sys,2021,NaN,reported"}
            )
        },
        {(OBS, None, 2, "value", "non-finite"), (OBS, None, 3, "value", "non-finite")},
        {"non-finite": ["finite"]},
    ),
    Case(
        "unknown-status",
        {OBS: obs_with(replace={2: "007,t1,sys,2021,12.5,reportd"})},
        {(OBS, None, 2, "status", "unknown-status")},
        {"unknown-status": ["'reportd'"]},
    ),
    Case(
        "published-unknown-status",
        {
            "published.csv": table_with(
                "published.csv", replace={2: "007,sys,2021,sys,1,1,,,90.5,,,top"}
            )
        },
        {("published.csv", None, 2, "status", "unknown-status")},
        {"unknown-status": ["'top'"]},
    ),
    Case(
        "value-status-mismatch",
        {OBS: obs_with(replace={2: "007,t1,sys,2021,,reported", 4: "007,r1,sys,2021,3,missing"})},
        {
            (OBS, None, 2, "value", "value-status-mismatch"),
            (OBS, None, 4, "value", "value-status-mismatch"),
        },
        {"value-status-mismatch": ["status '"]},
    ),
    Case(
        "invalid-country",
        {
            INST: table_with(
                INST,
                replace={2: "007,Université de Nîmes,fr,Nîmes", 3: "nam,Namibia,XX,Windhoek"},
            )
        },
        {
            (INST, None, 2, "country", "invalid-country"),
            (INST, None, 3, "country", "invalid-country"),
        },
        {"invalid-country": ["ISO 3166-1"]},
    ),
    Case(
        "invalid-direction",
        {
            IND: table_with(
                IND,
                replace={
                    3: "sys.teaching,Teaching,Enseignement,sys,higher,,",
                    4: "t1,Staff ratio,Taux,sys.teaching,,ratio,1",
                    6: "r1,Citations,Citations,sys,up,,0",
                },
            )
        },
        {
            (IND, None, 3, "direction", "invalid-direction"),
            (IND, None, 4, "direction", "invalid-direction"),
            (IND, None, 6, "direction", "invalid-direction"),
        },
        {"invalid-direction": ["direction '"]},
    ),
    Case(
        "invalid-decimals",
        {
            IND: table_with(
                IND,
                replace={
                    4: "t1,Staff ratio,Taux,sys.teaching,lower,ratio,-1",
                    5: "t2,Reputation,Réputation,sys.teaching,higher,score,two",
                },
            )
        },
        {
            (IND, None, 4, "decimals", "invalid-decimals"),
            (IND, None, 5, "decimals", "invalid-decimals"),
        },
        {"invalid-decimals": ["decimals"]},
    ),
    Case(
        "invalid-year-two-year-name",
        {"editions.csv": table_with("editions.csv", replace={2: "sys,2021-22,Sys 2021"})},
        {("editions.csv", None, 2, "year", "invalid-year")},
        {"invalid-year": ["'2021-22'", "later year"]},
    ),
    Case(
        "invalid-year-out-of-range",
        {OBS: obs_with(replace={2: "007,t1,sys,21,12.5,reported"})},
        {(OBS, None, 2, "year", "invalid-year")},
        {"invalid-year": ["21"]},
    ),
    Case(
        "unknown-parent",
        {IND: table_with(IND, replace={5: "t2,Reputation,Réputation,nope,higher,score,2"})},
        {(IND, None, 5, "parent", "unknown-parent")},
        {"unknown-parent": ["'nope'"]},
    ),
    Case(
        "self-parent",
        {IND: table_with(IND, replace={6: "r1,Citations,Citations,r1,higher,,0"})},
        {(IND, None, 6, "parent", "cycle")},
        {"cycle": ["'r1'", "own parent"]},
    ),
    Case(
        "cycle",
        {IND: table_with(IND, "x1,X1,X1,x2,higher,,", "x2,X2,X2,x1,higher,,")},
        {(IND, None, 7, "parent", "cycle")},  # once, with its members and their rows
        {"cycle": ["'x1' -> 'x2' -> 'x1'", "rows 7, 8"]},
    ),
    Case(
        "invalid-id",
        {INST: table_with(INST, "a b,Spaced University,FR,Paris")},
        {(INST, None, 5, "id", "invalid-id")},
        {"invalid-id": ["'a b'"]},
    ),
    Case(
        "missing-value",
        {INST: table_with(INST, "c,,FR,Paris")},
        {(INST, None, 5, "name", "missing-value")},
        {"missing-value": ["name"]},
    ),
    Case("missing-table", {OBS: None}, {(OBS, None, None, None, "missing-table")}),
    Case(
        "unknown-table",
        {"notes.csv": "a,b\n1,2\n"},
        {("notes.csv", None, None, None, "unknown-table")},
        {"unknown-table": ["'notes.csv'"]},
    ),
    Case(
        "field-count",
        {OBS: obs_with("007,t1,sys,2022,1,reported,extra")},
        {(OBS, None, 8, None, "field-count")},
        {"field-count": ["7 fields", "extra"]},
    ),
    Case(
        "blank-line-keeps-rows",
        {OBS: obs_with(replace={4: ""}) + "zzz,t1,sys,2021,1,reported\n"},
        {(OBS, None, 8, "institution", "unknown-institution")},
        {"unknown-institution": ["'zzz'"]},
    ),
    Case(
        "trailing-blank-lines-are-ignored",
        {OBS: obs_with("zzz,t1,sys,2021,1,reported") + "\n\n"},
        {(OBS, None, 8, "institution", "unknown-institution")},
        {"unknown-institution": ["'zzz'"]},
    ),
    Case(
        "invalid-value",
        {"lineage.csv": table_with("lineage.csv", replace={2: "b,007,2017,acquisition"})},
        {("lineage.csv", None, 2, "kind", "invalid-value")},
        {"invalid-value": ["'acquisition'", "merger"]},
    ),
    Case(
        "tab-separator",
        {OBS: base_text(OBS).replace(",", "\t")},
        {
            (OBS, None, 1, column, "missing-column")
            for column in ("institution", "indicator", "system", "year", "value", "status")
        },
        {"missing-column": ["--delimiter '\\\\t'"]},
    ),
]


def make_bundle(root: Path, files: dict[str, str | bytes | None]) -> Path:
    bundle = root / "bundle"
    shutil.copytree(BASE, bundle)
    for name, content in files.items():
        path = bundle / name
        if content is None:
            path.unlink()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return bundle


def located(problems: Any) -> set[Located]:
    return {(Path(p.file).name, p.sheet, p.row, p.column, p.code) for p in problems}


def test_corpus_has_a_case_per_contract_code() -> None:
    contract = {
        "empty-file", "header-only", "missing-column", "unknown-column", "duplicate-column",
        "encoding", "duplicate-id", "unknown-institution", "unknown-indicator",
        "unknown-edition", "unknown-network-member", "duplicate-observation", "not-a-number",
        "non-finite", "unknown-status", "value-status-mismatch", "invalid-country",
        "invalid-direction", "invalid-decimals", "invalid-year", "unknown-parent", "cycle",
        "excel-error-cell",
    }  # fmt: skip
    covered = {loc[4] for case in CASES for loc in case.expected} | {"excel-error-cell"}
    assert contract <= covered
    assert len(CASES) + len(EXCEL_CASES) + 1 >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_csv_bundle(case: Case, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, case.files)
    _, problems = read_tables(bundle, ReadOptions(**case.options))
    assert located(problems) == case.expected
    for problem in problems:
        assert problem.file.startswith(str(bundle))
        for snippet in case.shows.get(problem.code, []):
            assert snippet in problem.message, (snippet, problem.message)
        if problem.code in ("encoding", "duplicate-observation", "field-count"):
            continue  # their value is not a single cell; the case's ``shows`` checks them
        if isinstance(problem.value, str) and problem.row not in (None, 1):
            assert repr(problem.value) in problem.message


# -- Excel -------------------------------------------------------------------------------------


def _workbook(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    write_dataset(read_dataset(BASE), path)
    return path


def _set_cells(path: Path, sheet: str, cells: dict[str, Any]) -> None:
    book = load_workbook(path)
    for ref, value in cells.items():
        book[sheet][ref] = value
    book.save(path)


EXCEL_CASES = [
    pytest.param(
        {"E2": "#N/A"},
        {("book.xlsx", "observations", 2, "value", "excel-error-cell")},
        ["'#N/A'"],
        id="error-cell-na",
    ),
    pytest.param(
        {"E3": "#DIV/0!"},
        {("book.xlsx", "observations", 3, "value", "excel-error-cell")},
        ["'#DIV/0!'"],
        id="error-cell-div0",
    ),
    pytest.param(
        {"E2": dt.datetime(2021, 3, 4)},
        {("book.xlsx", "observations", 2, "value", "not-a-number")},
        ["'2021-03-04'", "date"],
        id="date-coerced-cell",
    ),
    pytest.param(
        {"G1": "value"},
        {("book.xlsx", "observations", 1, "value", "duplicate-column")},
        ["'value'"],
        id="excel-duplicate-header",
    ),
    pytest.param(
        {"A2": "zzz"},
        {("book.xlsx", "observations", 2, "institution", "unknown-institution")},
        ["'zzz'"],
        id="excel-unknown-institution",
    ),
]


@pytest.mark.parametrize(("cells", "expected", "shows"), EXCEL_CASES)
def test_malformed_excel(
    cells: dict[str, Any], expected: set[Located], shows: list[str], tmp_path: Path
) -> None:
    path = _workbook(tmp_path)
    _set_cells(path, "observations", cells)
    _, problems = read_tables(path)
    assert located(problems) == expected
    for problem in problems:
        for snippet in shows:
            assert snippet in problem.message


def test_malformed_parquet_rows_are_record_index_plus_two(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    write_dataset(read_dataset(BASE), bundle, format="parquet")
    frame = pd.read_parquet(bundle / "observations.parquet")
    frame["value"] = frame["value"].astype("str")
    frame.loc[1, "value"] = "abc"
    frame.to_parquet(bundle / "observations.parquet", index=False)
    _, problems = read_tables(bundle)
    assert located(problems) == {("observations.parquet", None, 3, "value", "not-a-number")}
    assert "'abc'" in problems.items[0].message


# -- traps that must be accepted -----------------------------------------------------------------


def test_accepted_traps_bom_crlf_nfd_namibia_and_007(tmp_path: Path) -> None:
    nfd = "Universite\u0301 de Ni\u0302mes"
    institutions = (
        "id,name,country,city\r\n"
        f"007,{nfd},FR,Nîmes\r\n"
        "nam,University of Namibia,NA,Windhoek\r\n"
        "b,Beta University,DE,Berlin\r\n"
    )
    bundle = make_bundle(
        tmp_path,
        {
            INST: b"\xef\xbb\xbf" + institutions.encode("utf-8"),
            OBS: base_text(OBS).replace("\n", "\r"),
        },
    )
    typed, problems = read_tables(bundle)
    assert list(problems) == []
    inst = typed["institutions"].set_index("id")
    assert inst.loc["007", "name"] == "Université de Nîmes"  # NFC
    assert inst.loc["nam", "country"] == "NA"
    assert list(typed["institutions"].columns[:3]) == ["id", "name", "country"]
    assert "007" in set(typed["observations"]["institution"])


def test_decimal_and_delimiter_options_read_european_csv(tmp_path: Path) -> None:
    files: dict[str, str | bytes | None] = {
        path.name: path.read_text(encoding="utf-8").replace(",", ";") for path in BASE.iterdir()
    }
    files[OBS] = str(files[OBS]).replace("12.5", "12,5").replace("9.25", "9,25")
    bundle = make_bundle(tmp_path, files)
    typed, problems = read_tables(bundle, ReadOptions(delimiter=";", decimal=","))
    assert list(problems) == []
    values = typed["observations"].set_index(["institution", "indicator"])["value"]
    assert values.loc[("007", "t1")] == 12.5
    assert values.loc[("b", "t1")] == 9.25


def test_encoding_option_reads_cp1252(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, {INST: base_text(INST).encode("cp1252")})
    typed, problems = read_tables(bundle, ReadOptions(encoding="cp1252"))
    assert list(problems) == []
    assert "Université de Nîmes" in set(typed["institutions"]["name"])
