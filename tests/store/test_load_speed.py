"""Loading speed without a change of meaning: the wide reader's Arrow fast path (columns of
plain numbers) reads exactly what the cell-by-cell path reads, with the same problems."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import palmares.io.wide as wide
from palmares.io import read_tables
from palmares.io.options import ReadOptions
from palmares.io.wide import _PLAIN_NUMBER
from store.bundles import write_bundle

COLUMNS = {
    # every cell plain or empty: the fast path
    "plain": ["1", "2.5", "", "-0.0", "+4", "007.250"],
    # a cell the fast path leaves to the general one (estimated, not applicable, bad, spaced)
    "mixed": ["~3", "n/a", "1e5", " 12 ", "abc", "1,5"],
}


def _wide(tmp_path: Path, columns: dict[str, list[str]]) -> tuple[Path, ReadOptions]:
    import palmares

    bundle = write_bundle(tmp_path / "bundle")
    ds = palmares.load(bundle)
    institutions = ds.institutions["id"].tolist()
    system, year = ds.editions[["system", "year"]].iloc[0].tolist()
    leaves = [i for i in ds.indicators["id"] if i not in set(ds.indicators["parent"].dropna())]
    names = dict(zip(columns, leaves, strict=False))
    rows = ["institution,system,year," + ",".join(names[c] for c in columns)]
    for i in range(len(next(iter(columns.values())))):
        cells = [f'"{columns[c][i]}"' if "," in columns[c][i] else columns[c][i] for c in columns]
        rows.append(f"{institutions[i % len(institutions)]},{system},{year}," + ",".join(cells))
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, ReadOptions(layout="wide", bundle=bundle)


@pytest.mark.parametrize("which", [["plain"], ["mixed"], ["plain", "mixed"]])
def test_the_fast_path_reads_what_the_general_path_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: list[str]
) -> None:
    path, options = _wide(tmp_path, {c: COLUMNS[c] for c in which})
    fast_tables, fast_problems = read_tables([path], options)
    monkeypatch.setattr(wide, "_plain_cells", lambda *a, **k: None)
    slow_tables, slow_problems = read_tables([path], options)
    assert [p.to_json() for p in fast_problems] == [p.to_json() for p in slow_problems]
    assert fast_tables.keys() == slow_tables.keys()
    for name in fast_tables:
        pd.testing.assert_frame_equal(fast_tables[name], slow_tables[name])
    if which == ["plain"]:
        obs = fast_tables["observations"]
        assert obs["status"].tolist().count("missing") == 1
        # rows 5 and 6 repeat institutions of rows 1 and 2: duplicates, reported, not read
        assert sorted(obs["value"].dropna().tolist()) == [-0.0, 1.0, 2.5]
        assert {p.code for p in fast_problems} == {"duplicate-observation"}


@pytest.mark.parametrize(
    ("text", "plain"),
    [("12", True), ("-0.50", True), ("+3", True), ("1e5", False), ("5.", False), (" 1", False)],
)
def test_plain_numbers(text: str, plain: bool) -> None:
    import re

    assert bool(re.fullmatch(_PLAIN_NUMBER.strip("^$"), text)) is plain
