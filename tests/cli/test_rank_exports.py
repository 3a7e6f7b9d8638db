"""``palmares rank --out FILE.xlsx`` on ASEM: the workbook for people, headers in the chosen
language with the bundle's labels (not ids); the CSV keeps ids."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.test_rank import ASEM, on_asem


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import palmares
    from palmares.io import write_dataset

    out = tmp_path_factory.mktemp("asem") / "bundle"
    write_dataset(palmares.load([ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"]), out)
    return out


@pytest.mark.parametrize(
    ("lang", "sheets", "head"),
    [
        ("fr", ["Classement", "Scores non arrondis", "Indicateurs", "Méthodologie"], "Rang"),
        ("en", ["Ranking", "Unrounded scores", "Indicators", "Methodology"], "Rank"),
    ],
)
def test_rank_out_xlsx_is_the_workbook_for_people(
    cli, bundle: Path, tmp_path: Path, lang: str, sheets: list[str], head: str
) -> None:
    target = tmp_path / "table.xlsx"
    code, _, err = cli("rank", *on_asem(bundle), "--lang", lang, "--out", str(target))
    assert code == 0, err
    book = load_workbook(target)
    assert book.sheetnames == [*sheets, "Provenance"]
    ranking = book.worksheets[0]
    header = [c.value for c in ranking[1]]
    assert header[0] == head and ranking.freeze_panes == "A2"
    assert not any(":" in str(h) and "." in str(h) for h in header)  # no score:node ids
    indicators = [c.value for c in book.worksheets[2][1]]
    assert "Logistics Performance Index" in indicators  # the label, not the id "LPI"
    first = dict(zip(header, [c.value for c in ranking[2]], strict=True))
    assert first[head] == "1" and isinstance(first["Score"], float)


def test_rank_out_csv_keeps_ids_and_raw_values(cli, bundle: Path, tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    code, _, err = cli("rank", *on_asem(bundle), "--lang", "fr", "--out", str(target))
    assert code == 0, err
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["rank"] == "1" and "." in rows[0]["score"]  # a decimal point, not a comma
    assert any(column.startswith("score:") for column in rows[0])
