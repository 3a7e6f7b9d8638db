"""``--lang`` is one option on every command that writes for people (issue 14 item 6): it
defaults to ``$PALMARES_LANG``, else French; any case is accepted (``--lang FR``); an unknown
language exits 2 naming the valid ones. Checked on the command tree itself, so a command that
gains ``--lang`` later is covered too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from palmares.cli import app
from palmares.cli.db import command_tree
from palmares.cli.options import LANG_ENV

#: The commands the French sweep covers: each must take --lang.
EXPECTED = {
    "rank",
    "explain",
    "history",
    "network",
    "highlights",
    "check",
    "communique",
    "reproduce",
    "search",
    "demo",
    "uncertainty",
    "sensitivity",
    "db info",
    "chart trajectory",
    "chart grades",
    "chart sdg",
    "chart compare",
    "chart uncertainty",
}


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path), command


def _lang_parameter(command: Any) -> Any:
    return next((p for p in command.params if "--lang" in getattr(p, "opts", ())), None)


TREE = command_tree()
WITH_LANG = {name: command for name, command in _commands(TREE) if _lang_parameter(command)}


def test_every_command_of_the_sweep_takes_lang() -> None:
    assert set(WITH_LANG) >= EXPECTED, EXPECTED - set(WITH_LANG)


def _resolve(command: Any, value: str | None) -> str:
    parameter = _lang_parameter(command)
    context = command.context_class(command)
    given = parameter.get_default(context) if value is None else value
    return str(parameter.process_value(context, given))


@pytest.mark.parametrize("name", sorted(WITH_LANG))
def test_lang_defaults_to_the_environment_else_french(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = WITH_LANG[name]
    monkeypatch.delenv(LANG_ENV, raising=False)
    assert _resolve(command, None) == "fr"
    monkeypatch.setenv(LANG_ENV, "")
    assert _resolve(command, None) == "fr"
    monkeypatch.setenv(LANG_ENV, "en")
    assert _resolve(command, None) == "en"
    assert _resolve(command, "FR") == "fr"  # the option wins over the environment
    monkeypatch.setenv(LANG_ENV, "EN_gb")
    assert _resolve(command, None) == "en"


@pytest.mark.parametrize("name", sorted(WITH_LANG))
def test_an_unknown_language_exits_2_naming_the_valid_ones(name: str) -> None:
    result = CliRunner().invoke(app, [*name.split(), "--lang", "de"], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "--lang" in result.output and "'de'" in result.output
    assert "valid: fr, en" in result.output
    assert "Traceback" not in result.output
