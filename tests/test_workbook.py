"""Ranking workbooks for people (palmares.workbook): read back with openpyxl, hand-computed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_engine import MINMAX_MEAN, dataset, methodology
from test_result import ROUNDED, make

from palmares.engine import run
from palmares.workbook import column_widths, header, people_frame

LABELS = {
    "fr": {"s.p": "Pilier P", "s.q": "Pilier Q", "s.a": "Indicateur A", "s.b": "B", "s.c": "C"},
    "en": {"s.p": "Pillar P", "s.q": "Pillar Q", "s.a": "Indicator A", "s.b": "B", "s.c": "C"},
}
SHEETS = {
    "fr": ["Classement", "Scores non arrondis", "Indicateurs", "Méthodologie", "Provenance"],
    "en": ["Ranking", "Unrounded scores", "Indicators", "Methodology", "Provenance"],
}
HEAD = {
    "fr": ["Rang", "Établissement", "Pays", "Région", "Score", "Pilier P", "Pilier Q"],
    "en": ["Rank", "Institution", "Country", "Region", "Score", "Pillar P", "Pillar Q"],
}


def three():
    # min-max: a (0, 33.33, 100), b (0, 50, 100), c (100, 0, 50); p = mean(a, b) =
    # (0, 41.67, 100), q = c; score = (p + q) / 2 = (50, 20.833.., 75), published as 20.8
    ds = dataset({"s.a": [0, 1, 3], "s.b": [10, 20, 30], "s.c": [3, 1, 2]})
    return run(ds, methodology(MINMAX_MEAN + ROUNDED[len(MINMAX_MEAN) :]), 2024, seed=3)


def rows(sheet) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    names = [c.value for c in sheet[1]]
    return [dict(zip(names, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_workbook_sheets_headers_frozen_rows_and_widths(lang: str, tmp_path: Path) -> None:
    result = three()
    book = load_workbook(result.write(tmp_path / "r.xlsx", lang=lang, labels=LABELS[lang]))
    assert book.sheetnames == SHEETS[lang]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(c.font.bold for c in sheet[1])
    ranking = book.worksheets[0]
    head = [c.value for c in ranking[1]]
    assert head[:7] == HEAD[lang]
    assert head[-1] == ("Identifiant" if lang == "fr" else "Identifier")
    assert not any(str(h).startswith("score:") for h in head)  # no internal id as a header
    # width: the longest text of the column plus 2, at least 8
    names = [str(c.value) for c in ranking["B"]]
    assert ranking.column_dimensions["B"].width == max(map(len, names)) + 2
    assert ranking.column_dimensions["E"].width == 8  # "Score" and "20.8": the minimum


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_scores_rounded_as_published_then_unrounded_then_raw(lang: str, tmp_path: Path) -> None:
    result = three()
    book = load_workbook(result.write(tmp_path / "r.xlsx", lang=lang, labels=LABELS[lang]))
    ranking, unrounded, indicators, method, provenance = book.worksheets
    table = rows(ranking)
    assert [r[HEAD[lang][1]] for r in table] == ["Inst 2", "Inst 0", "Inst 1"]
    assert [r[HEAD[lang][0]] for r in table] == ["1", "2", "3"]  # text as printed
    assert [r["Score"] for r in table] == [75.0, 50.0, 20.8]
    assert [r[HEAD[lang][5]] for r in table] == [100.0, 0.0, 41.7]
    score_cell = ranking.cell(row=4, column=5)
    assert score_cell.data_type == "n" and score_cell.number_format == "0.0"
    full = {r[next(iter(r))]: r for r in rows(unrounded)}
    assert full["i1"]["Score"] == pytest.approx(125 / 6)  # (41.666.. + 0) / 2
    assert full["i1"][HEAD[lang][5]] == pytest.approx(125 / 3)
    raw = {r[next(iter(r))]: r for r in rows(indicators)}
    assert raw["i1"][LABELS[lang]["s.a"]] == 1 and raw["i2"]["C"] == 2
    nodes = {r[next(iter(r))]: r for r in rows(method)}
    assert set(nodes) == {"s", "s.p", "s.q", "s.a", "s.b", "s.c"}
    assert list(nodes["s.a"].values())[1:4] == [LABELS[lang]["s.a"], LABELS[lang]["s.p"], 2]
    facts = dict(provenance.iter_rows(min_row=2, values_only=True))
    seed, digest = (
        ("Graine", "Empreinte de la méthodologie") if lang == "fr" else ("Seed", "Methodology hash")
    )
    assert facts[seed] == 3 and facts[digest] == result.methodology_hash
    assert facts["Edition" if lang == "en" else "Édition"] == 2024


def test_published_view_prints_bands_and_the_producer_view_the_ranks(tmp_path: Path) -> None:
    result = make()  # bands 3–4 and 5+ after two individual ranks
    published = rows(load_workbook(result.write(tmp_path / "p.xlsx")).worksheets[0])
    assert [r["Rank"] for r in published] == ["1", "2", "3–4", "3–4", "5+", "5+"]
    assert "Band" not in published[0]  # the rank column shows the band
    assert all(r["National rank"] is None for r in published[2:])  # never a rank in a band
    producer = rows(load_workbook(result.write(tmp_path / "q.xlsx", view="producer")).worksheets[0])
    assert [r["Rank"] for r in producer][2:4] != ["3–4", "3–4"]
    assert [r["Band"] for r in producer][2:] == ["3–4", "3–4", "5+", "5+"]
    # the CSV keeps ids and raw values: no rank inside a band, the band's ends as numbers
    text = result.write(tmp_path / "p.csv").read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["rank"] for r in table] == ["1", "2", "", "", "", ""]
    assert [r["band_lo"] for r in table] == ["", "", "3", "3", "5", "5"]
    assert "score:s.p" in table[0]  # ids, not labels


def test_headers_people_read() -> None:
    labels = {"cm.emploi": "Emploi"}
    assert header("score:cm.emploi", "fr", labels) == "Emploi"
    assert header("score:cm.emploi", "en", {}) == "cm.emploi"
    assert header("grades_A", "fr") == "Notes A"
    assert header("grades_B", "en") == "B grades"
    assert header("top_percent", "fr") == "Top\u00a0%"
    import pandas as pd

    frame = pd.DataFrame({"score:x": [1.0], "score:y": [2.0], "name": ["a very long name"]})
    same = people_frame(frame, "en", {"x": "Same", "y": "Same"})
    assert list(same.columns) == ["Same (score:x)", "Same (score:y)", "Institution"]
    assert column_widths(same) == [16.0, 16.0, 18.0]
