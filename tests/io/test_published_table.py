"""Reading published tables (encodings, headers, --map, editions, names) and ``palmares import``.

The tables are short hand-written excerpts in the shape of the public copies named in the
presets' ``headers.toml`` (THE's timesData.csv, ARWU's shanghaiData.csv, CWUR's cwurData.csv);
their values come from the worked rows of methodologies.md, the rest is invented.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from published_tables import THE_PILLARS, THE_PRINTED_HEADER, cli, read_table, run_import

import palmares
from palmares.io.published_table import (
    component_ids,
    match_institutions,
    normalise_header,
    published_format,
    read_published_table,
)
from palmares.methodology import resolve_methodology
from palmares.problems import InvalidInput, UsageProblem
from palmares.ranking import BAND_OPEN

THE_HEADER = (
    "world_rank,university_name,country,teaching,international,research,citations,income,"
    "total_score,num_students,year"
)
THE_ROWS = [
    '1,Harvard University,USA,99.7,72.4,98.7,98.8,34.5,96.1,"20,152",2011',
    '2,California Institute of Technology,USA,97.7,54.6,98,99.9,83.7,96,"2,243",2011',
    "=39,Université Paris-Saclay,France,60,50,70,95,40.2,72.3,n/a,2011",
    "201-250,Beta University,Germany,40,50,30,50,-,-,???,2011",
    '1,California Institute of Technology,USA,95.6,64,97.6,99.8,97.8,95.2,"2,240",2016',
]


def _the(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def the_table(tmp_path: Path, **kwargs: str) -> Path:
    return _the(tmp_path / "the.csv", "\n".join([THE_HEADER, *THE_ROWS]) + "\n", **kwargs)


def test_reads_aliases_filters_the_edition_and_ignores_unmapped_columns(tmp_path: Path) -> None:
    table = read_table(the_table(tmp_path))
    assert len(table) == 4  # the 2016 row is filtered out by the mapped year
    assert table.rows.tolist() == [2, 3, 4, 5]
    assert table.columns["rank"] == "world_rank" and table.columns["total"] == "total_score"
    assert table.institution[2] == "Université Paris-Saclay"
    assert table.rank.rank.tolist() == [1, 2, 39, 0]
    assert table.rank.tied.tolist() == [False, False, True, False]
    assert (table.rank.band_lo[3], table.rank.band_hi[3]) == (201, 250)
    np.testing.assert_array_equal(table.total.value, [96.1, 96.0, 72.3, np.nan])
    np.testing.assert_array_equal(table.components["income"].value, [34.5, 83.7, 40.2, np.nan])
    # num_students holds "???" but is mapped to no field: never parsed.
    assert "num_students" not in table.columns.values()


@pytest.mark.parametrize(
    ("encoding", "newline", "bom"),
    [
        ("utf-8", "\n", False),
        ("utf-8", "\r\n", True),
        ("utf-8", "\r", False),
        ("latin-1", "\r", False),
        ("cp1252", "\r\n", False),
    ],
)
def test_encoding_traps(tmp_path: Path, encoding: str, newline: str, bom: bool) -> None:
    text = ("\ufeff" if bom else "") + "\n".join([THE_HEADER, *THE_ROWS]) + "\n"
    path = _the(tmp_path / "t.csv", text, encoding=encoding, newline=newline)
    table = read_table(path)
    assert table.institution[2] == "Université Paris-Saclay"
    assert table.columns["rank"] == "world_rank"
    assert table.rows.tolist() == [2, 3, 4, 5]
    assert table.encoding == ("utf-8" if encoding == "utf-8" else "cp1252")
    assert bool(table.notes) == (encoding != "utf-8")


def test_a_second_header_row_and_title_rows_are_skipped(tmp_path: Path) -> None:
    text = (
        "Academic Ranking of World Universities 2005,,,,,,,,,\n"
        "World Rank,Institution,Country,National Rank,Total Score,Alumni,Award,HiCi,N&S,PUB,PCP\n"
        "WR,INST,CTRY,NR,TOT,ALU,AWA,HICI,NS,PUB,PCP\n"
        "1,Harvard Univ,USA,1,100,100,100,100,100,100,72.4\n"
        "2,Univ Cambridge,UK,1,73.6,99.8,93.4,53.3,56.6,70.9,66.9\n"
        "101-152,London Sch Economics,UK,10-13,,20.1,15.2,10.1,,30.3,25.1\n"
    )
    path = _the(tmp_path / "arwu.csv", text)
    table = read_table(path, "arwu", 2005)
    assert table.rows.tolist() == [4, 5, 6]
    assert any("second header row" in note for note in table.notes)
    # Neither import nor reproduce uses the national rank: it is never parsed.
    assert table.national_rank is None
    assert table.not_applicable["ns"].tolist() == [False, False, True]
    assert component_ids(resolve_methodology("arwu", 2005)) == (
        "alumni",
        "award",
        "hici",
        "ns",
        "pub",
        "pcp",
    )


def test_map_overrides_aliases_and_unknown_fields_are_refused(tmp_path: Path) -> None:
    text = "Pos,Uni,Score,T,I,R,C,Inc\n1,Harvard University,96.1,99.7,72.4,98.7,98.8,34.5\n"
    path = _the(tmp_path / "t.csv", text)
    mapping = {
        "rank": "pos",
        "institution": "UNI",
        "teaching": "T",
        "international": "I",
        "research": "R",
        "citations": "C",
        "income": "Inc",
    }
    table = read_table(path, mapping=mapping)
    assert table.columns == {**mapping, "total": "Score", "rank": "Pos", "institution": "Uni"}
    assert table.components["teaching"].value.tolist() == [99.7]
    with pytest.raises(UsageProblem, match="unknown field"):
        read_table(path, mapping={"bogus": "Pos"})
    with pytest.raises(InvalidInput) as missing:
        read_table(path, mapping={"rank": "Position"})
    assert "--map rank=Position: no such header" in str(missing.value)


def test_required_field_unmapped(tmp_path: Path) -> None:
    path = _the(tmp_path / "t.csv", "Uni,Score\nHarvard University,96.1\n")
    with pytest.raises(InvalidInput) as problem:
        read_table(path)
    assert "required field 'rank'" in str(problem.value)
    assert problem.value.problems[0].code == "missing-column"


def test_no_row_of_the_edition(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidInput, match=r"no row of edition 2013 \(years in the table: 2011, 2016\)"
    ):
        read_table(the_table(tmp_path), year=2013)


def test_two_year_edition_names(tmp_path: Path) -> None:
    text = "rank,name,year\n1,A,2010-11\n2,B,2010/2011\n1,C,2015-16\n"
    path = _the(tmp_path / "t.csv", text)
    assert read_table(path).institution.tolist() == ["A", "B"]


MALFORMED = [
    ("rank", "0", "invalid-value", "a rank starts at 1"),
    ("rank", "250-201", "invalid-value", "not 250 to 201"),
    ("rank", "12.5", "invalid-value", "whole number"),
    ("rank", "top", "invalid-value", "not a rank"),
    ("total", "33 : 67", "not-a-number", "a ratio"),
    ("total", "72,2", "not-a-number", "decimal comma"),
    ("total", "inf", "not-a-number", "not a finite number"),
    ("total", "n.d.", "not-a-number", "not a number"),
    ("teaching", "1O.5", "not-a-number", "not a number"),
    ("total", "50.4-46.3", "not-a-number", "low to high"),
    ("year", "20111", "invalid-year", "not an edition year"),
    ("year", "2010-12", "invalid-year", "not an edition year"),
]


def test_malformed_corpus_every_refused_form_with_row_and_value(tmp_path: Path) -> None:
    header = ["rank", "name", "total", *THE_PILLARS, "year"]
    good = ["1", "A", "96.1", "99.7", "72.4", "98.7", "98.8", "34.5", "2011"]
    lines = [",".join(header)]
    for field, value, _, _ in MALFORMED:
        row = list(good)
        row[header.index(field)] = f'"{value}"'
        lines.append(",".join(row))
    path = _the(tmp_path / "bad.csv", "\n".join(lines) + "\n")
    with pytest.raises(InvalidInput) as raised:
        read_table(path)
    got = {(p.row, p.column): p for p in raised.value.problems}
    # Year problems stop the reading before the other cells are parsed.
    year_rows = [i for i, m in enumerate(MALFORMED, start=2) if m[0] == "year"]
    assert sorted(r for r, _ in got) == year_rows
    for row in year_rows:
        problem = got[(row, "year")]
        assert problem.code == "invalid-year" and problem.value == MALFORMED[row - 2][1]
        assert repr(MALFORMED[row - 2][1]) in problem.to_text()
    kept = [m for m in MALFORMED if m[0] != "year"]
    lines = [",".join(header)]
    for field, value, _, _ in kept:
        row = list(good)
        row[header.index(field)] = f'"{value}"'
        lines.append(",".join(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        read_table(path)
    got = {(p.row, p.column): p for p in raised.value.problems}
    assert len(got) == len(kept)
    for row, (field, value, code, reason) in enumerate(kept, start=2):
        problem = got[(row, field)]
        assert problem.code == code
        assert reason in problem.message
        assert problem.value == value
        assert f"(value {value!r})" in problem.to_text()


def test_a_row_without_a_name_is_skipped_and_an_error_when_strict(tmp_path: Path) -> None:
    # The nameless row's rank ("total") is never parsed.
    path = _the(tmp_path / "t.csv", "rank,name,overall\n1,A,90\n2,B,80\ntotal,,170\n")
    table = read_table(path)
    assert table.institution.tolist() == ["A", "B"] and table.rows.tolist() == [2, 3]
    assert table.skipped == ({"row": 4, "reason": "no-name"},)
    assert [(w.row, w.code, w.severity) for w in table.warnings] == [
        (4, "missing-value", "warning")
    ]
    with pytest.raises(InvalidInput, match=r":-:4:name: missing-value: no institution name"):
        read_table(path, strict=True)


def test_excel_tables(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "THE 2015-16"
    sheet.append(["The World University Rankings 2015-2016"])
    sheet.append(list(THE_PRINTED_HEADER))
    sheet.append(["1", "California Institute of Technology", 95.2, 95.6, 64.0, 97.6, 99.8, 97.8])
    sheet.append(["=39", "University of California, San Diego", 72.2, 60, 50, 70, 95, 40.2])
    sheet.append(["601–800", "Gamma University", "-", 20.5, 30.1, 10.2, 40.4, 35.0])
    path = tmp_path / "the.xlsx"
    book.save(path)
    table = read_table(path, year=2016)
    assert table.sheet == "THE 2015-16"
    assert table.rows.tolist() == [3, 4, 5]
    assert table.total.value[:2].tolist() == [95.2, 72.2]
    assert table.rank.band_lo[2] == 601 and table.rank.band_hi[2] == 800


def _unreadable(path: Path, **kwargs: object) -> str:
    with pytest.raises(InvalidInput) as caught:
        read_table(path, **kwargs)
    [problem] = caught.value.problems
    assert (problem.file, problem.code) == (str(path), "unreadable-file")
    return problem.message


def test_every_format_opens_through_the_reliability_guards(tmp_path: Path) -> None:
    import os

    # Not a regular file: refused before opening, whatever the format.
    folder = tmp_path / "the.csv"
    folder.mkdir()
    assert "folder" in _unreadable(folder)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert "FIFO" in _unreadable(fifo, table_format="the-json")
    # A corrupt workbook or a zip that is no workbook: one located problem, no traceback.
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert "Excel workbook" in _unreadable(tmp_path / "bad.xlsx")
    import zipfile

    with zipfile.ZipFile(tmp_path / "empty.xlsx", "w") as archive:
        archive.writestr("hello.txt", "no workbook here")
    assert "Excel workbook" in _unreadable(tmp_path / "empty.xlsx")
    # JSON nested beyond the parser's recursion limit.
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert "nested too deep" in _unreadable(deep)


def test_cwur_components_are_ranks(tmp_path: Path) -> None:
    text = (
        "world_rank,institution,country,national_rank,quality_of_education,alumni_employment,"
        "quality_of_faculty,publications,influence,citations,broad_impact,patents,score,year\n"
        "1,Harvard University,USA,1,1,1,1,1,1,1,1,3,100,2015\n"
        "2,Stanford University,USA,2,9,2,4,5,3,3,4,10,98.66,2015\n"
        "3,Massachusetts Institute of Technology,USA,3,3,11,2,15,2,2,2,1,97.54,2015\n"
    )
    path = _the(tmp_path / "cwur.csv", text)
    table = read_table(path, "cwur", 2015)
    assert published_format("cwur").component_kind == "rank"
    assert table.component_ranks["education"].rank.tolist() == [1, 9, 3]
    assert table.total.value.tolist() == [100.0, 98.66, 97.54]
    assert not published_format("cwur").rebuildable


def test_header_normalisation() -> None:
    assert normalise_header(" World_Rank ") == "world rank"
    assert normalise_header("Qualité  de l'Éducation") == "qualite de l'education"


# -- names and import ----------------------------------------------------------------------------


def _bundle(folder: Path) -> Path:
    folder.mkdir()
    (folder / "institutions.csv").write_text(
        "id,name,country\n"
        "harvard,Harvard University,US\n"
        "caltech,California Institute of Technology,US\n"
        "ups,Université Paris-Saclay,FR\n"
        "beta,Beta University,DE\n"
        "beta2,Beta University,AT\n",
        encoding="utf-8",
    )
    (folder / "aliases.csv").write_text("institution,name\ncaltech,Caltech\n", encoding="utf-8")
    (folder / "indicators.csv").write_text(
        "id,label_en,label_fr,parent,direction\nx,X,X,,higher\n", encoding="utf-8"
    )
    (folder / "editions.csv").write_text("system,year\nother,2011\n", encoding="utf-8")
    (folder / "observations.csv").write_text(
        "institution,indicator,system,year,value,status\nharvard,x,other,2011,1,reported\n",
        encoding="utf-8",
    )
    return folder


def test_names_match_ids_names_and_aliases_exactly_never_fuzzily(tmp_path: Path) -> None:
    dataset = palmares.load(_bundle(tmp_path / "b"))
    ids, unmatched = match_institutions(
        [
            "HARVARD UNIVERSITY",
            "caltech",
            "Caltech",
            "universite paris-saclay",
            "Harvard Univ",
            "Beta University",
        ],
        dataset,
    )
    assert ids.tolist() == ["harvard", "caltech", "caltech", "ups", "", ""]
    assert unmatched == [
        (4, {"name": "Harvard Univ", "candidates": []}),
        (5, {"name": "Beta University", "candidates": ["beta", "beta2"]}),
    ]


def test_import_appends_to_published_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _bundle(tmp_path / "b")
    table = the_table(tmp_path)
    before = {p.name: p.read_bytes() for p in bundle.iterdir()}
    code, out, err = run_import(monkeypatch, capsys, table, bundle, "the-wur", "2010-11", "--json")
    assert code == 0, err
    report = json.loads(out)
    # "Beta University" names two institutions; the table's country (Germany) tells which.
    assert report["imported"] == 4 and report["rows"] == 4 and report["matched"] == 4
    assert report["unmatched"] == []
    assert report["added_edition"] is True
    assert "the-wur.teaching" in report["added_nodes"]
    published = pd.read_csv(bundle / "published.csv", dtype=str, keep_default_na=False)
    overall = published[published["node"] == "the-wur"].set_index("institution")
    assert overall.loc["harvard", "rank"] == "1" and overall.loc["harvard", "score"] == "96.1"
    assert overall.loc["ups", "rank_display"] == "=39"
    assert set(published["node"]) == {
        "the-wur",
        *(f"the-wur.{c}" for c in ("teaching", "international", "research", "citations", "income")),
    }
    reloaded = palmares.load(bundle)
    assert len(reloaded.published) == len(published)
    # Untouched tables keep their bytes; no temporary is left behind.
    for name in ("institutions.csv", "aliases.csv", "observations.csv"):
        assert (bundle / name).read_bytes() == before[name]
    assert sorted(p.name for p in bundle.iterdir() if p.name.startswith(".")) == []
    # Importing the edition again is refused unless --force, which replaces it.
    code, _, err = run_import(monkeypatch, capsys, table, bundle, "the-wur", "2011")
    assert code == 2 and "--force" in err
    code, out, _ = run_import(monkeypatch, capsys, table, bundle, "the-wur", "2011", "--force")
    assert code == 0 and "imported 4 of 4 rows" in out
    assert len(pd.read_csv(bundle / "published.csv")) == len(published)


def test_import_of_a_malformed_table_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _bundle(tmp_path / "b")
    before = {p.name: p.read_bytes() for p in bundle.iterdir()}
    bad = _the(
        tmp_path / "bad.csv", "rank,name,total\n1,Harvard University,96.1\n=x,Caltech,95.0\n"
    )
    code, out, err = run_import(monkeypatch, capsys, bad, bundle, "the-wur", "2011")
    assert code == 2 and out == ""
    assert "bad.csv:-:3:rank: invalid-value" in err and "(value '=x')" in err
    assert {p.name: p.read_bytes() for p in bundle.iterdir()} == before
    # Two rows naming one institution are never fatal: the first is kept, the other reported.
    twice = _the(
        tmp_path / "twice.csv", "rank,name\n1,Caltech\n2,California Institute of Technology\n"
    )
    code, out, err = run_import(monkeypatch, capsys, twice, bundle, "the-wur", "2011", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["imported"] == 1
    assert report["repeated"] == [{"row": 3, "id": "caltech", "kept_row": 2}]
    published = pd.read_csv(bundle / "published.csv", dtype=str, keep_default_na=False)
    assert published[["institution", "rank"]].values.tolist() == [["caltech", "1"]]


def test_import_open_bands_and_reporters(tmp_path: Path) -> None:
    from palmares.io.published_table import import_published

    bundle = _bundle(tmp_path / "b")
    dataset = palmares.load(bundle)
    path = _the(
        tmp_path / "t.csv",
        "rank,name,total\n801+,Harvard University,-\nReporter,Caltech,\n"
        "46,Beta University,46.3—50.4\n",
    )
    method = resolve_methodology("the-wur", 2020)
    table = read_published_table(path, "the-wur", 2020, method, dataset=dataset)
    assert table.rank.band_hi[0] == BAND_OPEN
    report = import_published(bundle, dataset, table, method)
    assert report["imported"] == 2
    rows = palmares.load(bundle).published.set_index("institution")
    assert rows.loc["harvard", "status"] == "banded"
    assert rows.loc["harvard", "band_lo"] == 801 and pd.isna(rows.loc["harvard", "band_hi"])
    assert rows.loc["caltech", "status"] == "reporter"


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_import_into_excel_and_parquet_bundles(tmp_path: Path, fmt: str) -> None:
    from palmares.io import write_dataset
    from palmares.io.published_table import import_published

    dataset = palmares.load(_bundle(tmp_path / "csv"))
    out = tmp_path / ("bundle.xlsx" if fmt == "xlsx" else "bundle")
    write_dataset(dataset, out, format=fmt)  # type: ignore[arg-type]
    loaded = palmares.load(out)
    path = _the(tmp_path / "t.csv", "rank,name,total,teaching\n1,Harvard University,96.1,99.7\n")
    method = resolve_methodology("the-wur", 2011)
    table = read_published_table(path, "the-wur", 2011, method, dataset=loaded)
    report = import_published(out, loaded, table, method)
    assert report["published"] == str(out if fmt == "xlsx" else out / "published.parquet")
    published = palmares.load(out).published
    assert sorted(published["node"]) == ["the-wur", "the-wur.teaching"]
    assert published.loc[published["node"] == "the-wur", "score"].tolist() == [96.1]


def test_import_strict_refuses_unmatched_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _bundle(tmp_path / "b")
    before = {p.name: p.read_bytes() for p in bundle.iterdir()}
    path = _the(
        tmp_path / "t.csv", "rank,name\n1,Harvard University\n2,Harvard Univ\n3,Beta University\n"
    )
    args = ["import", str(path), "--data", str(bundle), "--system", "the-wur", "--edition", "2011"]
    code, _, err = cli(monkeypatch, capsys, *args, "--strict")
    assert code == 2
    assert (
        "t.csv:-:3:name: unknown-institution: no institution with id, name or alias 'Harvard Univ'"
        in err
    )
    assert "t.csv:-:4:name: unknown-institution" in err and "beta, beta2" in err
    assert {p.name: p.read_bytes() for p in bundle.iterdir()} == before


def test_cli_malformed_corpus_exits_2_with_row_and_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    header = ["rank", "name", "total", *THE_PILLARS]
    good = ["1", "A", "96.1", "99.7", "72.4", "98.7", "98.8", "34.5"]
    kept = [m for m in MALFORMED if m[0] != "year"]
    lines = [",".join(header)]
    for field, value, _, _ in kept:
        row = list(good)
        row[header.index(field)] = f'"{value}"'
        lines.append(",".join(row))
    path = _the(tmp_path / "bad.csv", "\n".join(lines) + "\n")
    code, out, err = cli(
        monkeypatch, capsys, "reproduce", str(path), "--system", "the-wur", "--edition", "2016"
    )
    assert code == 2 and out == ""
    for row, (field, value, code_name, _) in enumerate(kept, start=2):
        assert f"bad.csv:-:{row}:{field}: {code_name}:" in err
        assert f"(value {value!r})" in err


def test_semicolon_tables_under_a_title_line(tmp_path: Path) -> None:
    text = "Classement 2011\nRang;Établissement;Score\n1;Harvard University;96,1\n"
    path = _the(tmp_path / "t.csv", text)
    with pytest.raises(InvalidInput, match=r"decimal comma"):
        read_table(path, mapping={"rank": "Rang", "institution": "Établissement", "total": "score"})
    path = _the(tmp_path / "t.csv", text.replace("96,1", "96.1"))
    table = read_table(
        path, mapping={"rank": "Rang", "institution": "Établissement", "total": "score"}
    )
    assert table.rows.tolist() == [3] and table.total.value.tolist() == [96.1]
