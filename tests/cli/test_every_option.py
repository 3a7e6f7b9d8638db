"""Every subcommand, every option that takes a value: one invalid value each exits 2 with a
message naming the option, never a traceback (in-process, Typer's CliRunner).

The commands and their options are read from the application itself, so a new option without
an invalid value below makes :func:`test_every_option_has_an_invalid_value` fail.
"""

from __future__ import annotations

import pytest
import typer
from history_world import world, write_methods
from typer.testing import CliRunner

from palmares.cli import app
from palmares.io import write_dataset

#: Valid arguments of each command (``{data}``, ``{methods}``, ``{tmp}``, ``{table}`` filled in).
BASE: dict[str, str] = {
    "communique": "x --out {tmp}/c.md --data {data} --edition 2023 --system {methods}",
    "validate": "{data}",
    "convert": "{data} {tmp}/converted",
    "demo": "--out {tmp}/demo",
    "highlights": "x --data {data} --system {methods} --edition 2023",
    "check": "x --data {data} --system {methods} --edition 2023 --claim rank=2",
    "history": "x --data {data} --system {methods}",
    "network": "net --data {data} --system {methods} --edition 2023",
    "rank": "--data {data} --system {methods}/b.toml --edition 2023",
    "explain": "x --data {data} --system {methods}/b.toml --edition 2023",
    "reproduce": "{table} --system the-wur --edition 2023",
    "import": "{table} --data {data} --system the-wur --edition 2023",
    "systems": "",
    "uncertainty": "--data {data} --system {methods}/b.toml --edition 2023 --draws 4",
    "sensitivity": "x --data {data} --system {methods}/b.toml --edition 2023 --samples 4",
    "chart trajectory": "x --out {tmp}/t.svg --data {data} --system {methods}",
    "chart grades": "x --out {tmp}/g.svg --data {data} --system {methods}",
    "chart sdg": "x --out {tmp}/s.svg --data {data} --system {methods}",
    "chart compare": "x y --out {tmp}/c.svg --data {data} --system {methods}",
    "chart uncertainty": "--out {tmp}/u.svg --data {data} --system {methods}/b.toml "
    "--edition 2023 --draws 4",
    "methodology validate": "{methods}/a.toml",
    "methodology show": "{methods}/a.toml",
    "methodology diff": "{methods}/a.toml {methods}/b.toml",
    "search": "x --data {data}",
    "db load": "{data} --db {tmp}/s.duckdb",
    "db export": "{tmp}/exported --db {tmp}/s.duckdb",
    "db info": "--db {tmp}/s.duckdb",
    "db migrate": "--db {tmp}/s.duckdb",
    "db clear-cache": "--db {tmp}/s.duckdb",
}

#: One invalid value per option (the same mistake whatever the command).
INVALID: dict[str, str] = {
    "--data": "{tmp}/no-such-bundle",
    "--system": "no-such-system",
    "--method": "no-such-system",
    "--edition": "20x1",
    "--lang": "xx",
    "--view": "nope",
    "--source": "nope",
    "--top": "0",
    "--seed": "abc",
    "--country": "XX",
    "--region": "XX-00",
    "--network": "no-such-network",
    "--where": "no_such_attribute=1",
    "--criteria": "no-such-criterion",
    "--weight": "no-such-criterion=1",
    "--out": "{tmp}/out.txt",
    "--claim": "prestige=1",
    "--uncertainty": "{tmp}/missing.parquet",
    "--intervals": "{tmp}/missing.parquet",
    "--robust": "2",
    "--spec": "{tmp}/missing.toml",
    "--diff": "{tmp}/diff.txt",
    "--map": "no-such-field",
    "--encoding": "no-such-encoding",
    "--layout": "nope",
    "--to": "nope",
    "--format": "nope",
    "--bundle": "{tmp}/no-such-bundle",
    "--delimiter": "ab",
    "--decimal": "x",
    "--world": "nope",
    "--draws": "0",
    "--samples": "0",
    "--previous-edition": "abc",
    "--top-k": "0",
    "--workers": "0",
    "--scheduler": "nope",
    "--institution": "no-such-institution",
    "--db": "nosuch://x",
    "--limit": "0",
    "--missing": "no-equals-sign",
    "--node": "no-such-node",
}


#: Where the same mistake is not one for a command: (command, option) -> invalid value.
OVERRIDE: dict[tuple[str, str], str] = {
    # a folder named out.txt is a valid demo output; an existing file is not
    ("demo", "--out"): "{table}",
    ("reproduce", "--diff"): "{tmp}",
}


def _commands() -> list[tuple[str, object]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, object]] = []

    def walk(command: object, prefix: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*prefix, name])
        else:
            found.append((" ".join(prefix), command))

    walk(root, [])
    # `serve` starts a server that runs until stopped: its options are tested in tests/api.
    return [(name, command) for name, command in found if name != "serve"]


def _cases() -> list[tuple[str, str]]:
    cases = []
    for name, command in _commands():
        for param in command.params:  # type: ignore[attr-defined]
            if param.param_type_name == "option" and not param.is_flag:
                cases.append((name, param.opts[0]))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("every-option")
    write_dataset(world(), root / "bundle")
    write_methods(root / "methods")
    table = root / "the-wur-2023.csv"
    table.write_text("Rank,Name,Overall\n1,École X,90.1\n2,École Y,80.2\n", encoding="utf-8")
    return {
        "data": str(root / "bundle"),
        "methods": str(root / "methods"),
        "tmp": str(root),
        "table": str(table),
    }


def _fill(items: list[str], places: dict[str, str]) -> list[str]:
    return [item.format(**places) for item in items]


def _without(args: list[str], option: str) -> list[str]:
    """``args`` without ``option`` and its value (the invalid one replaces it)."""
    out: list[str] = []
    skip = False
    for item in args:
        if skip:
            skip = False
            continue
        if item == option:
            skip = True
            continue
        out.append(item)
    return out


def test_every_command_has_valid_arguments() -> None:
    assert sorted(name for name, _ in _commands()) == sorted(BASE)


def test_every_option_has_an_invalid_value() -> None:
    assert sorted({option for _, option in CASES} - set(INVALID)) == []


@pytest.mark.parametrize(("command", "option"), CASES, ids=[f"{c}:{o}" for c, o in CASES])
def test_invalid_value_exits_2_naming_the_option(
    command: str, option: str, places: dict[str, str]
) -> None:
    args = _without(_fill(BASE[command].split(), places), option)
    value = OVERRIDE.get((command, option), INVALID[option]).format(**places)
    result = CliRunner().invoke(app, [*command.split(), *args, option, value])
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 2, (result.exit_code, text, result.exception)
    assert "Traceback" not in text
    assert option in text, text


#: One invalid first argument per command that takes one (an unknown name, a missing file).
INVALID_ARGUMENT: dict[str, str] = {
    "communique": "no-such-school",
    "highlights": "no-such-school",
    "check": "no-such-school",
    "history": "no-such-school",
    "explain": "no-such-school",
    "sensitivity": "no-such-school",
    "network": "no-such-network",
    "validate": "{tmp}/no-such-bundle",
    "convert": "{tmp}/no-such-bundle",
    "reproduce": "{tmp}/no-such-table.csv",
    "import": "{tmp}/no-such-table.csv",
    "methodology validate": "{tmp}/no-such-method.toml",
    "methodology show": "{tmp}/no-such-method.toml",
    "methodology diff": "{tmp}/no-such-method.toml",
    "db load": "{tmp}/no-such-bundle",
}


def test_every_argument_has_an_invalid_value() -> None:
    takes = {
        name
        for name, command in _commands()
        if any(p.param_type_name == "argument" for p in command.params)  # type: ignore[attr-defined]
    }
    # search's query and db export's new folder take any value; the charts' arguments are
    # tested with the charts (tests/charts)
    charts = {name for name in takes if name.startswith("chart ")}
    assert takes - set(INVALID_ARGUMENT) - charts <= {"search", "db export"}
    assert set(INVALID_ARGUMENT) <= takes


@pytest.mark.parametrize("command", sorted(INVALID_ARGUMENT))
def test_invalid_argument_exits_2_naming_it(command: str, places: dict[str, str]) -> None:
    args = _fill(BASE[command].split(), places)
    value = INVALID_ARGUMENT[command].format(**places)
    result = CliRunner().invoke(app, [*command.split(), value, *args[1:]])
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 2, (result.exit_code, text, result.exception)
    assert "Traceback" not in text
    assert value.rsplit("/", 1)[-1] in text, text
