"""Fuzzing: malformed bundles, methodologies and published tables through every reader and
``rank``. Each run ends in exit 0 or located problems (exit 2), never an exception."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reliability.worlds import METHOD, payload_world

from palmares.cli import main
from palmares.engine import MethodologyDataError, run
from palmares.io import read_tables, write_dataset
from palmares.methodology import load_methodology, resolve_methodology
from palmares.problems import InvalidInput, UsageProblem

#: ``make fuzz`` sets PALMARES_FUZZ=fuzz-long (profiles in conftest.py).
PROFILE = os.environ.get("PALMARES_FUZZ", "fuzz-quick")

BASE = Path(__file__).parent.parent / "malformed" / "base"
TABLES = sorted(p.name for p in BASE.iterdir())
NASTY = [
    '"', '""', ",", "\n", "\r", "\x00", "\t", ";", "=", "-", "1e400", "nan", "-5", "0",
    "9" * 25, "１２", "١٢", "   ", "#N/A", "<script>", "=HYPERLINK(\"x\")", "é", "\ufeff",
    "higher", "lower", "reported", "missing", "", "2021", "sys", "007", "NA",
]  # fmt: skip
pieces = st.one_of(st.sampled_from(NASTY), st.text(max_size=8))


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few random edits: insertions, deletions, replaced cells, cut lines."""
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "cell", "line", "truncate"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + draw(pieces) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        elif kind == "cell":
            lines = text.split("\n")
            row = draw(st.integers(0, max(len(lines) - 1, 0)))
            cells = lines[row].split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(pieces)
            lines[row] = ",".join(cells)
            text = "\n".join(lines)
        elif kind == "line":
            lines = text.split("\n")
            row = draw(st.integers(0, max(len(lines) - 1, 0)))
            lines.insert(row, lines[row])
            text = "\n".join(lines)
        else:
            text = text[:at]
    return text


@contextmanager
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="palmares-fuzz-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def located_only(error: InvalidInput) -> None:
    assert error.problems and all(p.file and p.code for p in error.problems)
    assert all(len(p.message) <= 600 for p in error.problems)


@settings(settings.get_profile(PROFILE))
@given(data=st.data(), table=st.sampled_from(TABLES))
def test_any_malformed_bundle_reads_to_located_problems(data: st.DataObject, table: str) -> None:
    text = (BASE / table).read_text(encoding="utf-8")
    broken = data.draw(mutated(text))
    with folder() as root:
        bundle = root / "b"
        shutil.copytree(BASE, bundle)
        (bundle / table).write_bytes(broken.encode("utf-8", errors="surrogatepass"))
        try:
            _, problems = read_tables(bundle)
        except InvalidInput as error:
            located_only(error)
        else:
            assert all(p.file and p.code for p in problems)


@pytest.fixture(scope="module")
def world() -> Iterator[Path]:
    with folder() as root:
        write_dataset(payload_world(), root / "world")
        (root / "m.toml").write_text(METHOD, encoding="utf-8")
        yield root


def cli(*args: str) -> int:
    import sys

    sys.argv = ["palmares", *args]
    try:
        main()
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


@settings(settings.get_profile(PROFILE))
@given(
    data=st.data(),
    table=st.sampled_from(
        ["institutions.csv", "observations.csv", "indicators.csv", "editions.csv"]
    ),
)
def test_rank_on_a_malformed_bundle_exits_0_or_2(
    world: Path, data: st.DataObject, table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (world / "world" / table).read_text(encoding="utf-8")
    broken = data.draw(mutated(text))
    with folder() as root:
        bundle = root / "b"
        shutil.copytree(world / "world", bundle)
        (bundle / table).write_bytes(broken.encode("utf-8", errors="surrogatepass"))
        code = cli(
            "rank",
            "--data",
            str(bundle),
            "--method",
            str(world / "m.toml"),
            "--edition",
            "2024",
            "--json",
        )
        capsys.readouterr()
        assert code in (0, 2)


TOML_VALUES = st.one_of(
    st.sampled_from(
        [
            '"0.3"',
            "true",
            "1e308",
            "-1",
            "0",
            "inf",
            "nan",
            "[]",
            "{}",
            '"x"',
            "1e12",
            "[[1, 2]]",
            "2024",
            "[3, inf]",
        ]
    ),
    st.floats(allow_nan=False).map(repr),
    st.integers(-(10**20), 10**20).map(str),
)
TOML_LINES = [
    '"s.a" = {v}', '"s.b" = {v}', "min_children = {v}", "range = {v}", "p = {v}",
    "decimals = {v}", "individual_until = {v}", "bands = {v}", "floor = {v}", "top = {v}",
    "editions = {v}",
]  # fmt: skip


@st.composite
def methodology_text(draw: st.DrawFn) -> str:
    lines = METHOD.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        template = draw(st.sampled_from(TOML_LINES))
        line = template.format(v=draw(TOML_VALUES))
        where = draw(
            st.sampled_from(
                [
                    "[weights]",
                    "[ranking]",
                    'method = "minmax"',
                    'method = "arithmetic"',
                    "[methodology]",
                ]
            )
        )
        at = next(i for i, text in enumerate(lines) if text.startswith(where))
        lines.insert(at + 1, line)
    if draw(st.booleans()):
        lines.append("[ranking.bands.default]")
        lines.append(f"bands = {draw(TOML_VALUES)}")
    return draw(mutated("\n".join(lines))) if draw(st.booleans()) else "\n".join(lines)


@settings(settings.get_profile(PROFILE))
@given(text=methodology_text())
def test_a_methodology_that_validates_also_runs(text: str) -> None:
    try:
        method = load_methodology(text if "\n" in text else text + "\n")
    except InvalidInput as error:
        located_only(error)
        return
    try:
        result = run(payload_world(), method, 2024)
    except InvalidInput as error:
        located_only(error)
    except (UsageProblem, LookupError, MethodologyDataError):
        pass  # exit 2 at the CLI boundary
    else:
        assert result.field_size >= 0


THE = (
    "world_rank,university_name,country,teaching,international,research,citations,income,"
    "total_score,num_students,year\n"
    '1,Harvard University,USA,99.7,72.4,98.7,98.8,34.5,96.1,"20,152",2011\n'
    "=39,Université Paris-Saclay,France,60,50,70,95,40.2,72.3,n/a,2011\n"
    "201-250,Beta University,Germany,40,50,30,50,-,-,???,2011\n"
)


@settings(settings.get_profile(PROFILE))
@given(text=mutated(THE))
def test_any_malformed_published_table_reads_or_fails_located(text: str) -> None:
    from palmares.io.published_table import read_published_table

    method = resolve_methodology("the-wur", 2011)
    with folder() as root:
        table = root / "the.csv"
        table.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        try:
            read_published_table(table, method.system, 2011, method)
        except InvalidInput as error:
            located_only(error)
        except UsageProblem:
            pass
