"""Every output format is byte-identical on rerun, whatever the clock (fixed document and zip
entry times)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

from palmares.engine import run
from palmares.io import write_dataset

from .worlds import payload_method, payload_world

BUNDLES = [
    ("canonical", "csv"),
    ("canonical", "parquet"),
    ("canonical", "xlsx"),
    ("wide", "csv"),
    ("wide", "xlsx"),
    ("coinr", "csv"),
    ("coinr", "xlsx"),
]
RANKINGS = (".csv", ".json", ".parquet", ".xlsx")


def _content(path: Path) -> list[bytes]:
    if path.is_dir():
        return [p.read_bytes() for p in sorted(path.iterdir())]
    return [path.read_bytes()]


def _write_all(folder: Path) -> dict[str, list[bytes]]:
    folder.mkdir()
    ds = payload_world()
    out: dict[str, list[bytes]] = {}
    for layout, fmt in BUNDLES:
        suffix = ".xlsx" if fmt == "xlsx" else ""
        path = write_dataset(ds, folder / f"{layout}-{fmt}{suffix}", format=fmt, layout=layout)  # type: ignore[arg-type]
        out[f"{layout}-{fmt}"] = _content(path)
    result = run(ds, payload_method(), 2024, seed=0)
    for suffix in RANKINGS:
        out[f"rank{suffix}"] = _content(result.write(folder / f"rank{suffix}"))
    return out


def test_every_output_format_is_byte_identical_across_time(tmp_path: Path) -> None:
    first = _write_all(tmp_path / "a")
    time.sleep(2.1)  # zip entry times have a two-second resolution
    second = _write_all(tmp_path / "b")
    assert sorted(first) == sorted(second)
    for key in first:
        assert first[key] == second[key], key
    for book in tmp_path.glob("a/*.xlsx"):
        with zipfile.ZipFile(book) as archive:
            assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}, book
            assert b"2000-01-01" in archive.read("docProps/core.xml"), book
