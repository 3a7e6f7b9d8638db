"""Every reader failure is one located problem (exit 2) with a bounded message."""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from palmares.io import read_tables, write_dataset
from palmares.io.options import ReadOptions
from palmares.methodology import load_methodology
from palmares.problems import InvalidInput, Problems

from .worlds import METHOD

BASE = Path(__file__).parent.parent / "malformed" / "base"


def bundle(tmp_path: Path, table: str, change: Callable[[Path], None]) -> Path:
    folder = tmp_path / "b"
    shutil.copytree(BASE, folder)
    change(folder / table)
    return folder


def codes(problems: Problems) -> set[tuple[str, int | None, str | None, str]]:
    return {(Path(p.file).name, p.row, p.column, p.code) for p in problems.errors}


def text_change(edit: Callable[[str], str]) -> Callable[[Path], None]:
    return lambda path: path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def test_a_field_over_the_limit_is_located(tmp_path: Path) -> None:
    # A stray quote sends the file to the stdlib reader, which meets a 1.1 MB field.
    huge = 'x"y,' + "a" * (1_100_000) + "\n"
    folder = bundle(tmp_path, "aliases.csv", text_change(lambda t: t + huge))
    _, problems = read_tables(folder)
    assert ("aliases.csv", 3, None, "limit-exceeded") in codes(problems)
    assert all(len(p.message) < 700 for p in problems.errors)


def test_a_header_over_the_limit_is_refused_not_truncated(tmp_path: Path) -> None:
    wide = ",".join(f"attribute_{i:05d}_" + "x" * 60 for i in range(16_000))
    folder = bundle(
        tmp_path, "institutions.csv", text_change(lambda t: t.replace("\n", f",{wide}\n", 1))
    )
    _, problems = read_tables(folder)
    assert ("institutions.csv", 1, None, "limit-exceeded") in codes(problems)


def test_17000_columns_are_over_the_limit(tmp_path: Path) -> None:
    wide = ",".join(f"a{i}" for i in range(17_000))
    folder = bundle(
        tmp_path, "institutions.csv", text_change(lambda t: t.replace("\n", f",{wide}\n", 1))
    )
    _, problems = read_tables(folder)
    [problem] = [p for p in problems.errors if p.code == "limit-exceeded"]
    assert "17,004 columns" in problem.message


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _device(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


@pytest.mark.parametrize(
    ("change", "reason"),
    [(_folder, "is a folder"), (_fifo, "FIFO"), (_device, "is a device")],
    ids=["folder", "fifo", "dev-zero"],
)
def test_a_table_that_is_no_regular_file_is_refused_at_once(
    tmp_path: Path, change: Callable[[Path], None], reason: str
) -> None:
    folder = bundle(tmp_path, "observations.csv", change)
    started = time.monotonic()
    _, problems = read_tables(folder)
    assert time.monotonic() - started < 30  # never blocks on a FIFO or reads /dev/zero
    [problem] = [p for p in problems.errors if p.code == "unreadable-file"]
    assert problem.file.endswith("observations.csv") and reason in problem.message


def test_an_over_long_path_is_a_located_problem(tmp_path: Path) -> None:
    from palmares.io.limits import path_problem

    assert "path component" in (path_problem(tmp_path / ("a" * 300)) or "")
    assert "bytes long" in (path_problem(Path("/" + "a/" * 2100)) or "")


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    from palmares.io import read_dataset

    return write_dataset(read_dataset(BASE), tmp_path / "b.xlsx")


def _rezip(source: Path, target: Path, edit: Callable[[str, bytes], bytes]) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, edit(info.filename, old.read(info.filename)))
    return target


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">'.encode()
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&i;</t></is></c></row>'
    b"</sheetData></worksheet>"
)


@pytest.mark.parametrize(
    "edit",
    [
        lambda name, data: data[: len(data) // 2] if "sheet1" in name else data,
        lambda name, data: BOMB if "sheet1" in name else data,
        lambda name, data: data.replace(b'r="A1"', b'r="ZZZZ99"') if "sheet1" in name else data,
    ],
    ids=["parse-error", "entity-bomb", "bad-reference"],
)
def test_a_corrupt_workbook_is_a_located_problem(
    workbook: Path, tmp_path: Path, edit: Callable[[str, bytes], bytes]
) -> None:
    broken = _rezip(workbook, tmp_path / "broken.xlsx", edit)
    _, problems = read_tables(broken)
    assert problems.errors
    assert all(p.file == str(broken) for p in problems.errors)


def test_a_damaged_zip_stream_is_a_located_problem(workbook: Path, tmp_path: Path) -> None:
    data = bytearray(workbook.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = b"\x00" * 64
    broken = tmp_path / "zlib.xlsx"
    broken.write_bytes(bytes(data))
    _, problems = read_tables(broken)
    assert {p.code for p in problems.errors} <= {"unreadable-file", "empty-file", "missing-table"}
    assert problems.errors


def test_a_corrupt_parquet_string_page_is_a_located_problem(tmp_path: Path) -> None:
    from palmares.io import read_dataset

    folder = write_dataset(read_dataset(BASE), tmp_path / "pq", format="parquet")
    table = folder / "institutions.parquet"
    data = bytearray(table.read_bytes())
    at = data.find("Nîmes".encode())
    data[at : at + 3] = b"\xff\xfe\xfd"
    table.write_bytes(bytes(data))
    _, problems = read_tables(folder)
    assert ("institutions.parquet", None, None, "unreadable-file") in codes(problems)


@pytest.mark.parametrize(
    ("table", "edit", "expected"),
    [
        ("published.csv", lambda t: t.replace(",sys,1,1,", ",sys,-5,1,"), "rank"),
        ("published.csv", lambda t: t.replace(",sys,1,1,", ",sys," + "9" * 22 + ",1,"), "rank"),
        ("institutions.csv", lambda t: t.replace("Beta University", "   "), "name"),
        ("institutions.csv", lambda t: t.replace("Beta University", "Beta\x00U"), "name"),
    ],
    ids=["negative-rank", "22-digit-rank", "whitespace-name", "nul-in-name"],
)
def test_accepted_nonsense_is_refused(
    tmp_path: Path, table: str, edit: Callable[[str], str], expected: str
) -> None:
    folder = bundle(tmp_path, table, text_change(edit))
    _, problems = read_tables(folder)
    assert [(Path(p.file).name, p.column, p.code) for p in problems.errors] == [
        (table, expected, "invalid-value")
    ]


@pytest.mark.parametrize("digits", ["１２", "١٢"], ids=["fullwidth", "arabic-indic"])
def test_non_ascii_digits_are_not_numbers(tmp_path: Path, digits: str) -> None:
    folder = bundle(
        tmp_path,
        "observations.csv",
        text_change(lambda t: t.replace("\n", "\n", 1).replace(",90.5,", f",{digits},", 1)),
    )
    lines = (folder / "observations.csv").read_text(encoding="utf-8").splitlines()
    if digits not in "\n".join(lines):  # the base has no 90.5: replace the first value
        cells = lines[1].split(",")
        cells[4] = digits
        lines[1] = ",".join(cells)
        (folder / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = read_tables(folder)
    assert ("observations.csv", 2, "value", "not-a-number") in codes(problems)


# -- tree checks at scale ---------------------------------------------------------------------


def _indicators(rows: list[str]) -> Callable[[Path], None]:
    return text_change(lambda t: t.rstrip("\n") + "\n" + "\n".join(rows) + "\n")


def test_a_long_chain_is_checked_in_linear_time_and_refused_by_depth(tmp_path: Path) -> None:
    rows = [f"c{i},C,C,{'c' + str(i - 1) if i else 'sys'},,," for i in range(20_000)]
    rows[-1] = "c19999,C,C,c19998,higher,,"
    folder = bundle(tmp_path, "indicators.csv", _indicators(rows))
    started = time.monotonic()
    _, problems = read_tables(folder, ReadOptions())
    assert time.monotonic() - started < 30
    deep = [p for p in problems.errors if p.code == "limit-exceeded"]
    assert len(deep) == 1 and "levels deep" in deep[0].message


def test_a_big_cycle_is_reported_once_with_capped_members(tmp_path: Path) -> None:
    n = 5_000
    rows = [f"k{i},K,K,k{(i + 1) % n},,," for i in range(n)]
    folder = bundle(tmp_path, "indicators.csv", _indicators(rows))
    _, problems = read_tables(folder)
    cycles = [p for p in problems.errors if p.code == "cycle"]
    assert len(cycles) == 1
    assert "5,000 indicators" in cycles[0].message and len(cycles[0].message) <= 520
    assert sum(len(p.message) for p in problems.errors) < 100_000


# -- methodologies ------------------------------------------------------------------------------


def _weights(text: str) -> str:
    return METHOD.replace("[weights]\n", f"[weights]\n{text}\n")


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        (_weights('"s.a" = "0.3"'), 'weights."s.a"', "not str"),
        (_weights('"s.a" = true'), 'weights."s.a"', "not bool"),
        (_weights('"s.a" = 1e308'), 'weights."s.a"', "0 to 1e+06"),
        (
            METHOD.replace('method = "arithmetic"', 'method = "generalised"\np = 1e308'),
            "steps[1].p",
            "out of range",
        ),
        (
            METHOD.replace(
                'method = "arithmetic"', 'method = "arithmetic"\nmin_children = 1e12'
            ).replace("1e12", "1000000000000"),
            "steps[1].min_children",
            "out of range",
        ),
        (
            METHOD.replace(
                "[ranking]",
                '[[steps]]\ntype = "rescale"\nmethod = "affine"\nfloor = 100\ntop = 100\n\n'
                "[ranking]",
            ),
            "steps[2].floor",
            "below top",
        ),
        (
            METHOD + "\n[ranking.bands.default]\nindividual_until = 2\nbands = []\n",
            "ranking.bands.default.bands",
            "at least one band",
        ),
    ],
    ids=["string", "bool", "huge", "power", "min-children", "affine", "no-bands"],
)
def test_methodology_nonsense_fails_validation_located(text: str, column: str, words: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        load_methodology(text)
    [problem] = raised.value.problems
    assert problem.column == column and words in problem.message and problem.row is not None


def test_toml_nested_500_deep_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        load_methodology("a = " + "[" * 500 + "]" * 500 + "\n")
    assert raised.value.problems[0].code == "invalid-toml"
    with pytest.raises(InvalidInput):
        load_methodology("x = " + "{a = " * 100 + "1" + "}" * 100 + "\n")


def test_all_zero_weights_fail_at_rank_time_located() -> None:
    from palmares.engine import run

    from .worlds import payload_world

    method = load_methodology(_weights('"s.a" = 0\n"s.b" = 0'))
    with pytest.raises(InvalidInput) as raised:
        run(payload_world(), method, 2024)
    [problem] = raised.value.problems
    assert problem.column == 'weights."s.a"' and "sum to 0" in problem.message
