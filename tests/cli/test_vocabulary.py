"""One vocabulary of options: ``--method`` is the alias of ``--system`` on every command, old
spellings stay accepted (hidden), and ``docs/cli.md`` is what the code says."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from history_world import world, write_methods

import palmares.cli
from palmares.cli.db import command_tree
from palmares.cli.reference import DOCS_PAGE, render
from palmares.io import write_dataset


def _leaf_commands() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []

    def walk(command: object, prefix: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*prefix, name])
        else:
            found.append((" ".join(prefix), command))

    walk(command_tree(), [])
    return found


def test_every_command_taking_a_system_takes_its_alias_method() -> None:
    taking = 0
    for name, command in _leaf_commands():
        params = {p.name: p for p in command.params}  # type: ignore[attr-defined]
        if "system" not in params:
            continue
        taking += 1
        alias = [p for p in params.values() if "--method" in p.opts]
        assert len(alias) == 1 and alias[0].hidden, name
        assert not params["system"].hidden, name
    assert taking >= 15


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    old = sys.argv
    sys.argv = ["palmares", *argv]
    try:
        palmares.cli.main()
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    finally:
        sys.argv = old
    return code, capsys.readouterr().out


def test_method_gives_what_system_gives(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_dataset(world(), tmp_path / "bundle")
    write_methods(tmp_path / "methods")
    base = ["check", "x", "--data", str(tmp_path / "bundle"), "--edition", "2023"]
    base += ["--claim", "rank=2", "--json"]
    by_system = _run([*base, "--system", str(tmp_path / "methods")], capsys)
    by_method = _run([*base, "--method", str(tmp_path / "methods")], capsys)
    assert by_system[0] == 0 and by_system[1].startswith("{")
    assert by_method == by_system
    both = _run([*base, "--system", "a", "--method", "b"], capsys)
    assert both[0] == 2


def test_the_committed_cli_reference_is_up_to_date() -> None:
    page = render()
    assert DOCS_PAGE.read_text(encoding="utf-8") == page, (
        "docs/cli.md is stale: run python -m palmares.cli.reference"
    )
    commands, old = page.split("## Aliases and old spellings")
    commands = commands.split("## `palmares", 1)[1]
    assert "| `--method`" not in commands  # documented once, as the alias of --system
    assert "| `palmares rank` | `--method` |" in old


def test_every_command_prints_json() -> None:
    # `serve` runs a server until stopped: it prints no answer to put in JSON.
    missing = [
        name
        for name, command in _leaf_commands()
        if name != "serve" and not any("--json" in p.opts for p in command.params)  # type: ignore[attr-defined]
    ]
    assert missing == []


def test_the_draws_default_is_the_same_wherever_they_are_drawn() -> None:
    draws = {
        name: p.default
        for name, command in _leaf_commands()
        for p in command.params  # type: ignore[attr-defined]
        if p.name == "draws"
    }
    assert draws == {"uncertainty": 1000, "chart uncertainty": 1000}


@pytest.mark.parametrize(
    ("given", "items"),
    [
        (None, []),
        (["s.a"], ["s.a"]),
        (["s.a", "s.b"], ["s.a", "s.b"]),
        (["s.a,s.b"], ["s.a", "s.b"]),
        ([" s.a , ", "s.c,,s.b"], ["s.a", "s.c", "s.b"]),
    ],
)
def test_a_list_option_is_repeated_or_comma_separated(
    given: list[str] | None, items: list[str]
) -> None:
    from palmares.cli.options import list_values

    assert list_values(given) == items


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("vocabulary")
    write_dataset(world(), root / "bundle")
    write_methods(root / "methods")
    return {"data": root / "bundle", "methods": root / "methods", "tmp": root}


def test_criteria_repeated_rank_as_the_comma_list(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["rank", "--data", str(places["data"]), "--system", str(places["methods"] / "b.toml")]
    base += ["--edition", "2023", "--json"]
    repeated = _run([*base, "--criteria", "s.a", "--criteria", "s.c"], capsys)
    commas = _run([*base, "--criteria", "s.a,s.c"], capsys)
    assert repeated[0] == 0
    assert repeated == commas
    document = json.loads(repeated[1])
    assert "s.a, s.c" in document["personalisation"]


def test_communique_defaults_to_the_latest_edition(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["communique", "x", "--data", str(places["data"]), "--system", str(places["methods"])]
    latest = _run([*base, "--out", str(places["tmp"] / "latest.md"), "--json"], capsys)
    given = _run(
        [*base, "--edition", "2024", "--out", str(places["tmp"] / "given.md"), "--json"], capsys
    )
    assert latest[0] == given[0] == 0
    first, second = json.loads(latest[1]), json.loads(given[1])
    assert "2024" in first["headline"]
    assert first["headline"] == second["headline"] and first["facts"] == second["facts"]
    latest_text = (places["tmp"] / "latest.md").read_text(encoding="utf-8")
    assert latest_text == (places["tmp"] / "given.md").read_text(encoding="utf-8")


def test_the_store_commands_answer_in_json(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(places["tmp"] / "store.duckdb")
    assert _run(["db", "load", str(places["data"]), "--db", store], capsys)[0] == 0
    code, out = _run(["db", "export", str(places["tmp"] / "out"), "--db", store, "--json"], capsys)
    assert code == 0
    assert json.loads(out) == {"out": str(places["tmp"] / "out"), "format": "csv"}
    assert (places["tmp"] / "out" / "institutions.csv").exists()
    code, out = _run(["db", "clear-cache", "--db", store, "--json"], capsys)
    assert code == 0 and json.loads(out) == {"removed": 0}
    code, out = _run(["search", "ecole x", "--db", store, "--top", "1", "--json"], capsys)
    assert code == 0
    assert [hit["id"] for hit in json.loads(out)] == ["x"]


def test_charts_answer_in_json(places: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    data, methods, tmp = str(places["data"]), str(places["methods"]), places["tmp"]
    args = ["chart", "trajectory", "x", "--out", str(tmp / "t.svg"), "--data", data]
    code, out = _run([*args, "--system", methods, "--json"], capsys)
    assert code == 0
    assert json.loads(out) == {"out": str(tmp / "t.svg"), "format": "svg"}


def test_uncertainty_top_keeps_the_first_rows(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["uncertainty", "--data", str(places["data"]), "--system"]
    base += [str(places["methods"] / "b.toml"), "--edition", "2023", "--draws", "4", "--json"]
    every = _run(base, capsys)
    first = _run([*base, "--top", "2"], capsys)
    assert every[0] == first[0] == 0
    everything, top = json.loads(every[1]), json.loads(first[1])
    assert len(everything["results"]) > 2
    assert top["results"] == everything["results"][:2]
    assert [r["nominal_rank"] for r in top["results"]] == [1, 2]
