"""The TOML key scanner: every key path maps to the line where it is defined."""

from __future__ import annotations

import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from palmares.methodology.locate import format_path, key_lines, line_of

TEXT = '''# a comment
title = "x" # trailing comment

[methodology]
id = "demo"
editions = { from = 2016, to = 2022 }
"quoted.key" = 1
dotted.inner = 'literal # not a comment'
notes = """
multi-line [not a table]
still = "not a key"
"""

[[steps]]
type = "normalise"
range = [
  0,   # lower
  100,
]

[[steps]]
type = "aggregate"

[steps.overrides."demo.a"]
p = 2

[[steps]]
type = "round"
thresholds = [[1, 2], [3, 4]]

[ranking.bands.2021]
bands = [[101, 150], [151, inf]]

[[tree.nodes]]
id = "a"

[[tree.nodes]]
id = "b"
'''


def test_lines_of_tables_keys_arrays_and_inline_tables() -> None:
    lines = key_lines(TEXT)
    assert lines[("title",)] == 2
    assert lines[("methodology",)] == 4
    assert lines[("methodology", "id")] == 5
    assert lines[("methodology", "editions")] == 6
    assert lines[("methodology", "editions", "to")] == 6
    assert lines[("methodology", "quoted.key")] == 7
    assert lines[("methodology", "dotted")] == 8
    assert lines[("methodology", "dotted", "inner")] == 8
    assert lines[("methodology", "notes")] == 9
    assert ("methodology", "still") not in lines
    assert lines[("steps",)] == 14
    assert lines[("steps", 0)] == 14
    assert lines[("steps", 0, "range")] == 16
    assert lines[("steps", 0, "range", 0)] == 17
    assert lines[("steps", 0, "range", 1)] == 18
    assert lines[("steps", 1)] == 21
    assert lines[("steps", 1, "overrides", "demo.a")] == 24
    assert lines[("steps", 1, "overrides", "demo.a", "p")] == 25
    assert lines[("steps", 2, "thresholds", 1, 0)] == 29
    assert lines[("ranking", "bands", "2021")] == 31
    assert lines[("ranking", "bands", "2021", "bands", 1, 1)] == 32
    assert lines[("tree", "nodes", 0, "id")] == 35
    assert lines[("tree", "nodes", 1, "id")] == 38


def test_missing_keys_fall_back_to_their_table() -> None:
    lines = key_lines(TEXT)
    assert line_of(lines, ("steps", 2, "method")) == 27
    assert line_of(lines, ("steps", 1, "overrides", "demo.a", "q")) == 24
    assert line_of(lines, ("nowhere",)) is None


def test_format_path() -> None:
    assert format_path(("steps", 3, "method")) == "steps[3].method"
    assert format_path(("steps", 0, "overrides", "demo.x", "range", 1)) == (
        'steps[0].overrides."demo.x".range[1]'
    )
    assert format_path(("ranking", "groups", "2018", "A+")) == 'ranking.groups.2018."A+"'
    assert format_path(()) == ""


def _paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.extend(_paths(item, (*prefix, i)))
    return out


def test_every_key_of_the_examples_is_located() -> None:
    """Every key and array element tomllib reads from the example files has a line."""
    examples = sorted((Path(__file__).parent / "examples").glob("*.toml"))
    assert len(examples) >= 4
    for path in examples:
        text = path.read_text()
        lines = key_lines(text)
        missing = [p for p in _paths(tomllib.loads(text)) if p not in lines]
        assert missing == [], path.name


keys = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(keys, min_size=1, max_size=8, unique=True),
    st.lists(st.integers(0, 2), min_size=8, max_size=8),
    st.integers(1, 3),
)
def test_generated_documents(names: list[str], gaps: list[int], tables: int) -> None:
    """Keys of repeated [[steps]] tables, with blank lines and comments, are found where written."""
    text: list[str] = []
    expected: dict[tuple[str | int, ...], int] = {}
    for t in range(tables):
        text.append("[[steps]]")
        expected[("steps", t)] = len(text)
        for name, gap in zip(names, gaps, strict=False):
            text.extend(["# note"] * gap)
            text.append(f"{name} = [1, {{ x = 2 }}]  # trailing")
            expected[("steps", t, name)] = len(text)
            expected[("steps", t, name, 1, "x")] = len(text)
    lines = key_lines("\n".join(text) + "\n")
    assert {k: lines[k] for k in expected} == expected
