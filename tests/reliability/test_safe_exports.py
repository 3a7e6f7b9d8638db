"""Names that try to become formulas or scripts come out inert in every export format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import altair as alt
import pandas as pd
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from palmares.charts.render import render
from palmares.engine import run
from palmares.io.safe_text import (
    csv_text,
    is_formula_like,
    markdown_text,
    person_csv_bytes,
    script_json,
    xlsx_cell,
)
from palmares.result import Result

from .worlds import PAYLOADS, payload_method, payload_world


@pytest.fixture(scope="module")
def result() -> Result:
    return run(payload_world(), payload_method(), 2024, seed=0)


# -- the rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("=15", "'=15"),
        ("-31", "-31"),  # a number stays a number
        ("+4.5e3", "+4.5e3"),
        ("École", "École"),
        ("a=b", "a=b"),
    ],
)
def test_csv_text_prefixes_formula_starts_only(text: str, safe: str) -> None:
    assert csv_text(text) == safe
    assert is_formula_like(text) == (safe != text)


def test_person_csv_quotes_a_bare_cr_so_rows_stay_whole() -> None:
    data = person_csv_bytes(["name", "n"], [["a\rb", 1], ["c", None], ["-31", -31]])
    assert data == b'name,n\n"a\rb",1\nc,\n-31,-31\n'
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows == [["name", "n"], ["a\rb", "1"], ["c", ""], ["-31", "-31"]]


def test_script_json_cannot_close_the_script_element() -> None:
    text = script_json({"name": "</script><script>alert(1)</script>", "x": "a&b\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>", "x": "a&b\u2028"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[x](http://y)", "\\[x\\](http://y)"),
        ("*a* _b_ `c`", "\\*a\\* \\_b\\_ \\`c\\`"),
        ("A&amp;B", "A&amp;amp;B"),
        ("Arts & Métiers", "Arts & Métiers"),
        ("a\rb\nc", "a b c"),
    ],
)
def test_markdown_text_is_literal(text: str, shown: str) -> None:
    assert markdown_text(text) == shown


def test_xlsx_cell_is_a_string_cell_for_formula_text() -> None:
    from openpyxl import Workbook

    sheet = Workbook(write_only=True).create_sheet("x")
    for text in ("=1+1", "#N/A", "a\x00b"):
        cell = xlsx_cell(text, sheet)
        assert cell.data_type == "s"
    assert xlsx_cell("a\x00b", sheet).value == "a\ufffdb"
    assert xlsx_cell(-31, sheet) == -31
    assert xlsx_cell("plain", sheet) == "plain"


# -- rank --out in every format -------------------------------------------------------------------


def test_ranking_csv_is_inert_and_whole(result: Result, tmp_path: Path) -> None:
    path = result.write(tmp_path / "r.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    assert len(rows) == len(PAYLOADS)  # the bare CR did not split a row
    names = {r["institution"]: r["name"] for r in rows}
    assert names == {
        "i0": '\'=HYPERLINK("http://x","y")',
        "i1": "'+1+1",
        "i2": "'@SUM(A1)",
        "i3": "<script>alert(1)</script>",
        "i4": "Bare\rCR",
        "i5": "-31",
    }
    displays = {r["institution"]: r["rank_display"] for r in rows}
    assert displays["i0"] == displays["i1"] == "'=5"
    assert displays["i5"] == "1"
    for row in rows:
        for value in row.values():
            assert not is_formula_like(value), value


def test_ranking_xlsx_has_no_formula_cell(result: Result, tmp_path: Path) -> None:
    path = result.write(tmp_path / "r.xlsx")
    book = load_workbook(path)
    for every in book.worksheets:
        kinds = {c.data_type for row in every.iter_rows() for c in row if c.value is not None}
        assert "f" not in kinds and "e" not in kinds
    sheet = book["Ranking"]  # the workbook for people: headers in English by default
    header = [c.value for c in sheet[1]]
    names = {}
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        assert cells["Institution"].data_type == "s"
        assert cells["Rank"].data_type == "s"
        assert cells["Score"].data_type == "n"  # numbers stay numbers
        names[cells["Identifier"].value] = cells["Institution"].value
    assert names["i0"] == '=HYPERLINK("http://x","y")'  # shown as written, as text
    assert names["i3"] == "<script>alert(1)</script>"


def test_ranking_json_and_parquet_keep_names_as_data(result: Result, tmp_path: Path) -> None:
    document = json.loads(result.write(tmp_path / "r.json").read_text(encoding="utf-8"))
    assert {r["name"] for r in document["results"]} == set(PAYLOADS)
    table = pq.read_table(result.write(tmp_path / "r.parquet")).to_pandas()
    assert set(table["name"]) == set(PAYLOADS)


def test_wide_xlsx_keeps_formula_text_as_strings(tmp_path: Path) -> None:
    from palmares.io import write_dataset

    ds = payload_world()
    obs = ds.observations.copy()
    ds = ds.with_tables(
        institutions=ds.institutions.assign(id=[f"i{k}" for k in range(len(PAYLOADS))]),
        observations=obs,
    )
    path = write_dataset(ds, tmp_path / "w.xlsx", layout="wide")
    kinds = {c.data_type for row in load_workbook(path).active.iter_rows() for c in row if c.value}
    assert "f" not in kinds


# -- charts -------------------------------------------------------------------------------------


def _chart(names: list[str]) -> alt.Chart:
    frame = pd.DataFrame({"name": names, "v": range(len(names))})
    return alt.Chart(frame, title=names[3]).mark_bar().encode(x="name:N", y="v:Q")


def test_chart_html_embeds_names_without_live_script() -> None:
    page = render(_chart(list(PAYLOADS)), "html").decode("utf-8")
    plain = render(_chart([f"n{k}" for k in range(len(PAYLOADS))]), "html").decode("utf-8")
    assert "<script>alert" not in page
    assert page.count("<script") == plain.count("<script")
    assert page.count("</script") == plain.count("</script")
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page


def test_chart_svg_escapes_names() -> None:
    svg = render(_chart(list(PAYLOADS)), "svg").decode("utf-8")
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


# -- the communiqué (Markdown carrying HTML) ------------------------------------------------------


def test_communique_markdown_shows_a_script_name_as_text() -> None:
    from palmares.demo import generate
    from palmares.highlights.communique import communique

    world = generate(0)
    rodez = "fr-mines-rodez"
    institutions = world.institutions.copy()
    hostile = "<script>alert(1)</script> [x](http://y)"
    institutions.loc[institutions["id"] == rodez, ["name", "name_fr", "name_en"]] = hostile
    draft = communique(world.with_tables(institutions=institutions), rodez, 2023, lang="fr")
    assert "<script>" not in draft.markdown
    assert "[x](http://y)" not in draft.markdown  # no live link
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](http://y)" in draft.markdown


def test_an_unknown_output_suffix_is_a_usage_problem(result: Result, tmp_path: Path) -> None:
    from palmares.problems import UsageProblem

    with pytest.raises(UsageProblem, match=r"r\.txt"):
        result.write(tmp_path / "r.txt")
    assert list(tmp_path.iterdir()) == []
