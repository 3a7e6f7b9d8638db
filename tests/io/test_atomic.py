"""Atomic outputs: nothing appears until complete, nothing is left on failure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from palmares.cli.app import UsageProblem
from palmares.io import read_dataset, write_dataset
from palmares.io.atomic import atomic_path
from palmares.io.excel_bundle import MAX_ROWS, check_size
from palmares.problems import InvalidInput
from palmares.schema import TABLE_ORDER

BASE = Path(__file__).parents[1] / "malformed" / "base"


def test_existing_output_is_refused_unless_force(tmp_path: Path) -> None:
    ds = read_dataset(BASE)
    target = tmp_path / "out"
    write_dataset(ds, target)
    with pytest.raises(UsageProblem, match="--force"):
        write_dataset(ds, target)
    (target / "stale.txt").write_text("old")
    write_dataset(ds, target, force=True)
    assert not (target / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "out", directory=True) as temp:
        (temp / "half.csv").write_text("a\n")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("previous")
    with pytest.raises(RuntimeError), atomic_path(target, force=True) as temp:
        temp.write_text("new")
        raise RuntimeError("interrupted")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_too_large_for_excel_is_refused_before_writing(tmp_path: Path) -> None:
    tables = {name: pd.DataFrame() for name in TABLE_ORDER}
    tables["observations"] = pd.DataFrame({"value": range(MAX_ROWS + 1)})
    with pytest.raises(InvalidInput) as raised:
        check_size(tables, "book.xlsx")
    (problem,) = raised.value.problems
    assert problem.code == "table-too-large"
    assert "observations" in problem.message and "1,048,576 rows" in problem.message
    tables["observations"] = pd.DataFrame({"value": range(MAX_ROWS)})
    check_size(tables, "book.xlsx")
