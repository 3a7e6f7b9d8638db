"""One vocabulary of options: ``--method`` is the alias of ``--system`` on every command, old
spellings stay accepted (hidden), and ``docs/cli.md`` is what the code says."""

from __future__ import annotations

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
