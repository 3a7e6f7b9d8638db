"""Start-up: `palmares --help` and a kept answer import only what they need (no pandas, pyarrow,
pydantic, nor DuckDB's Python package), and options coerced without pydantic are coerced
exactly as Typer does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
import typer.main
from typer._click.exceptions import BadParameter

from palmares.cli.coercion import PlainCoercion, plain_coercion
from store.bundles import write_bundle

HEAVY = ("pandas", "pyarrow", "altair", "dask", "SALib", "pydantic", "duckdb", "palmares.history")


#: What a first answer from a store leaves alone: the Excel and Parquet readers and writers,
#: Arrow's file systems and the charts (when none is drawn).
FIRST_RUN_NEVER = ("openpyxl", "pyarrow.parquet", "pyarrow._s3fs", "altair", "vl_convert")


def _modules_after(args: list[str], watched: tuple[str, ...] = HEAVY) -> tuple[list[str], str]:
    """(modules of ``watched`` imported, stdout) of one palmares process run with ``args``."""
    code = (
        "import io, json, sys, contextlib\n"
        f"sys.argv = ['palmares', *{args!r}]\n"
        "from palmares.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        f"print(json.dumps([[m for m in {watched!r} if m in sys.modules], out.getvalue()]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    heavy, out = json.loads(done.stdout.strip().splitlines()[-1])
    return heavy, out


def test_help_and_a_kept_answer_import_only_what_they_need(tmp_path: Path) -> None:
    heavy, out = _modules_after(["--help"])
    assert heavy == [] and "history" in out
    store = str(tmp_path / "s.duckdb")
    bundle = write_bundle(tmp_path / "bundle")
    from palmares.cli import main

    for args in (["db", "load", str(bundle), "--db", store], ["search", "x", "--db", store]):
        sys.argv = ["palmares", *args]
        with pytest.raises(SystemExit) as stopped:
            main()
        assert stopped.value.code in (0, None)
    heavy, out = _modules_after(["search", "Ecole", "--json", "--db", store])
    assert heavy == [] and json.loads(out)[0]["id"]


def _loaded_store(tmp_path: Path) -> tuple[str, Path]:
    """The history world loaded into a DuckDB store by a ``db load`` process, and its
    methodologies' folder."""
    from history_world import world, write_methods

    from palmares.io import write_dataset

    bundle, methods = tmp_path / "bundle", tmp_path / "methods"
    write_dataset(world(), bundle)
    write_methods(methods)
    store = str(tmp_path / "s.duckdb")
    load = ["db", "load", str(bundle), "--db", store]
    done = subprocess.run(
        [sys.executable, "-c", "from palmares.cli import main; main()", *load],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return store, methods


def test_a_kept_answer_runs_without_the_heavy_modules(tmp_path: Path) -> None:
    store, methods = _loaded_store(tmp_path)
    query = ["history", "x", "--system", str(methods), "--json", "--db", store]
    heavy, first = _modules_after(query)
    assert json.loads(first)["cached"] is False and "pandas" in heavy  # computed
    heavy, kept = _modules_after(query)
    assert json.loads(kept)["cached"] is True
    assert heavy == []


def test_first_answers_import_only_what_they_compute_with(tmp_path: Path) -> None:
    """A first answer from a store leaves the file formats and the charts alone; a new
    question on kept tables builds no plan (no scipy)."""
    store, methods = _loaded_store(tmp_path)
    watched = (*FIRST_RUN_NEVER, "scipy.sparse")
    asked = ["--system", str(methods), "--edition", "2023", "--json", "--db", store]
    heavy, first = _modules_after(["highlights", "x", *asked], watched)
    assert json.loads(first)[0]["cached"] is False
    assert heavy == ["scipy.sparse"]  # the engine ran; nothing else
    heavy, other = _modules_after(["highlights", "y", *asked], watched)
    assert json.loads(other)[0]["cached"] is False  # a new answer, on the kept tables
    assert heavy == []
    release = ["communique", "x", "--edition", "2023", "--system", str(methods / "b.toml")]
    heavy, _ = _modules_after([*release, "--out", str(tmp_path / "x.md"), "--db", store], watched)
    assert heavy == []
    assert (tmp_path / "x.md").read_text(encoding="utf-8").strip()


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("IMT Mines Alès", "imt mines ales"),
        ("  ÉCOLE  des\tMines ", "ecole des mines"),
        ("ß ﬁ Ångström", "ss fi angstrom"),
        ("", ""),
    ],
)
def test_the_store_and_the_dataset_fold_names_with_one_function(text: str, folded: str) -> None:
    from palmares.names import fold_name

    assert fold_name(text) == folded


def test_the_cli_views_are_the_history_views() -> None:
    from palmares.cli.options import VIEWS
    from palmares.history import VIEWS as HISTORY_VIEWS

    assert VIEWS == HISTORY_VIEWS


def _command() -> Any:
    probe = typer.Typer()

    @probe.command()
    def run(
        text: Annotated[str, typer.Option("--text")] = "",
        top: Annotated[int | None, typer.Option("--top", min=1)] = None,
        weight: Annotated[float, typer.Option("--weight")] = 1.0,
        path: Annotated[Path | None, typer.Option("--path")] = None,
        paths: Annotated[list[Path] | None, typer.Option("--paths")] = None,
        flag: Annotated[bool, typer.Option("--flag")] = False,
    ) -> None:  # pragma: no cover - never run
        return None

    return typer.main.get_command(probe)


def _coerce(command: Any, name: str, value: Any) -> Any:
    param = next(p for p in command.params if p.name == name)
    ctx = typer._click.Context(command)
    try:
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)
    except BadParameter as error:
        return ("error", error.format_message())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("text", "héllo"),
        ("top", "20"),
        ("top", "+3"),
        ("top", "0"),  # below the minimum: Typer's own message
        ("top", "x"),
        ("top", "2.5"),
        ("weight", "0.25"),
        ("weight", "1e3"),
        ("weight", "-.5"),
        ("weight", "nan"),
        ("weight", "abc"),
        ("weight", 0.95),  # a float default (highlights --robust) is coerced as given
        ("top", 2.5),
        ("path", "some/where.csv"),
        ("paths", ("a", "b/c")),
        ("flag", True),
    ],
)
def test_plain_coercion_equals_typers(name: str, value: Any) -> None:
    typers, plain = _command(), _command()
    plain_coercion(plain)
    assert isinstance(next(p for p in plain.params if p.name == name)._runtime_param, PlainCoercion)
    expected, got = _coerce(typers, name, value), _coerce(plain, name, value)
    assert got == expected or (got != got and expected != expected)  # nan == nan
    assert type(got) is type(expected)
    if name == "top" and value == "20":
        assert got == 20
    if name == "paths":
        assert got == [Path("a"), Path("b/c")]
