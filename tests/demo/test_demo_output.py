"""Writing the demo bundle: the marker, replacing a previous demo output, refusing others."""

import json
from pathlib import Path

import pytest

from palmares.dataset import empty_dataset
from palmares.demo import MARKER, NotADemoOutput, check_demo_target, is_demo_output, write_demo
from palmares.schema import TABLE_ORDER


def test_writes_every_table_and_the_marker(tmp_path: Path) -> None:
    out = write_demo(empty_dataset(), tmp_path / "demo", seed=7)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MARKER, *(f"{name}.csv" for name in TABLE_ORDER)]
    )
    assert json.loads((out / MARKER).read_text()) == {
        "generator": "palmares demo",
        "world": "demo",
        "seed": 7,
    }
    assert is_demo_output(out)


def test_replaces_its_own_previous_output(tmp_path: Path) -> None:
    out = write_demo(empty_dataset(), tmp_path / "demo")
    assert check_demo_target(out) is True
    # A file the demo did not write is kept: the demo refuses rather than delete it (issue 19).
    (out / "notes.txt").write_text("mine")
    with pytest.raises(NotADemoOutput, match=r"notes\.txt"):
        write_demo(empty_dataset(), out, seed=1)
    assert (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    write_demo(empty_dataset(), out, seed=1)
    assert json.loads((out / MARKER).read_text())["seed"] == 1


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_refuses_any_other_existing_path(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "mine"
    if kind == "folder":
        target.mkdir()
        (target / "notes.csv").write_text("precious\n")
    else:
        target.write_text("precious\n")
    with pytest.raises(NotADemoOutput, match="not a palmares demo output"):
        write_demo(empty_dataset(), target)
    kept = target / "notes.csv" if kind == "folder" else target
    assert kept.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_a_missing_path_is_free(tmp_path: Path) -> None:
    assert check_demo_target(tmp_path / "new") is False
