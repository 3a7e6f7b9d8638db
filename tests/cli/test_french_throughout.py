"""``--lang fr`` is French throughout (issue 14 item 6): every command with a terminal table or
summary, run in-process in French on the hand-made history world, prints none of the English
words its English output uses for headers, titles and footers; the default language is
``$PALMARES_LANG``, else French; ``--lang FR`` is accepted."""

from __future__ import annotations

import re
import shlex

import pytest
from history_world import world, write_methods
from typer.testing import CliRunner

from palmares.cli import app
from palmares.io import write_dataset

#: Each command, with the English words of its headers, titles and footers.
COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rank": (
        "rank --data {data} --system {methods}/b.toml --edition 2023",
        ("Rank", "Institution", "Country", "Group", "institutions ranked", "methodology", "data"),
    ),
    "rank (re-ranked)": (
        "rank --data {data} --system {methods}/b.toml --edition 2023 --criteria s.a",
        ("Rank", "Institution", "computed by palmares", "Re-ranked on", "criteria"),
    ),
    "history": (
        "history x --data {data} --system {methods}",
        (
            "Edition",
            "Entity",
            "Rank",
            "Movement",
            "National rank",
            "Regional rank",
            "Field size",
            "Streak",
            "Flags",
            "first edition",
            "first in",
            "methodology",
            "scale",
        ),
    ),
    "highlights": (
        "highlights x --data {data} --system {methods} --edition 2023",
        ("is", "of the", "ranked", "since", "edition", "the top", "up", "leads"),
    ),
    "network": (
        "network net --data {data} --system {methods} --edition 2023",
        (
            "Rank",
            "Institution",
            "National rank",
            "Network rank",
            "First edition",
            "Since the previous edition",
            "improved",
            "declined",
            "kept",
            "members ranked",
            "ranked per country",
            "new",
            "none",
        ),
    ),
    "explain": (
        "explain x --data {data} --system {methods}/b.toml --edition 2023",
        (
            "Node",
            "Depth",
            "Raw value",
            "Status",
            "Imputed",
            "Value",
            "Share of parent",
            "reported",
            "rank",
            "2nd",
        ),
    ),
    "reproduce": (
        "reproduce {table} --system the-wur --edition 2011",
        (
            "methodology",
            "rows",
            "scored",
            "complete",
            "banded",
            "reporters",
            "totals within",
            "max error",
            "ranks from published totals",
            "rebuilt",
            "bands agreeing",
            "imputes",
            "placeholders",
            "mismatches",
        ),
    ),
    "db info": (
        "db info --db {store}",
        (
            "backend",
            "schema version",
            "written by",
            "data hash",
            "institutions",
            "aliases",
            "lineage",
            "networks",
            "indicators",
            "editions",
            "published",
            "cached results",
        ),
    ),
    "search (nothing)": ("search x --data {data} --country IT", ("no institution matches",)),
}
#: Names in the world's data (institutions, the network), never words of the output.
NAMES = ("The Network", "École", "test")


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("french")
    write_dataset(world(), root / "bundle")
    write_methods(root / "methods")
    table = root / "the-wur-2011.csv"
    table.write_text(
        "World Rank,University Name,Total Score,teaching,international,research,citations,"
        "income\n1,Harvard University,96.1,99.7,72.4,98.7,98.8,34.5\n",
        encoding="utf-8",
    )
    store = root / "store.duckdb"
    result = CliRunner().invoke(app, ["db", "load", str(root / "bundle"), "--db", str(store)])
    assert result.exit_code == 0, result.output
    return {
        "data": str(root / "bundle"),
        "methods": str(root / "methods"),
        "table": str(table),
        "store": str(store),
    }


def run(
    command: str, places: dict[str, str], *extra: str, env: dict[str, str] | None = None
) -> str:
    args = [*shlex.split(command.format(**places)), *extra]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200", **(env or {})})
    assert result.exit_code == 0, result.output
    return result.output


def english_left(output: str, words: tuple[str, ...]) -> list[str]:
    for name in NAMES:
        output = output.replace(name, "")
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", output)]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_french_output_has_no_english_word(name: str, places: dict[str, str]) -> None:
    command, words = COMMANDS[name]
    english = run(command, places, "--lang", "en")
    # the list is the English output's own words (else it would prove nothing)
    assert english_left(english, words) == list(words), english
    french = run(command, places, "--lang", "FR")
    assert english_left(french, words) == [], french


def test_the_default_language_is_palmares_lang_else_french(places: dict[str, str]) -> None:
    command, words = COMMANDS["network"]
    assert english_left(run(command, places, env={"PALMARES_LANG": ""}), words) == []
    assert english_left(run(command, places, env={"PALMARES_LANG": "en"}), words) == list(words)


def test_french_numbers_in_tables(places: dict[str, str]) -> None:
    output = run(COMMANDS["explain"][0], places, "--lang", "fr")
    assert "│ 0,5 " in output and "0.5" not in output
    assert "rang 2e, score 9" in output
    assert "Valeur brute" in output and "déclaré" in output


def test_search_scores_in_french(places: dict[str, str]) -> None:
    assert "100.0  x  École X [FR]" in run("search x --data {data}", places, "--lang", "en")
    assert "100,0  x  École X [FR]" in run("search x --data {data}", places, "--lang", "fr")
