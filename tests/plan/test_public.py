"""What the plan refuses at validation, and the names the package exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from palmares.methodology import load_methodology
from palmares.methodology.checks import check_methodology
from palmares.problems import InvalidInput

COMPOSITE = Path(__file__).resolve().parents[1] / "methodology" / "examples" / "composite.toml"


def with_steps(extra: str) -> str:
    text = COMPOSITE.read_text(encoding="utf-8")
    head, _, _ = text.partition("[[steps]]")
    return head + extra + '\n[ranking]\nrank_on = "unrounded"\n'


BEST_K = """
[[steps]]
type = "normalise"
method = "minmax"

[[steps]]
type = "weight"
method = "best_k"
k = 1
nodes = ["composite.research"]

[[steps]]
type = "aggregate"
method = "arithmetic"

[[steps]]
type = "impute"
method = "redistribute"
nodes = {nodes}
"""


def test_best_k_and_redistribute_on_one_node_are_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        load_methodology(with_steps(BEST_K.format(nodes='["composite.research"]')))
    message = str(refused.value)
    assert "'composite.research' takes best-k weights (steps[1])" in message
    assert "steps[3].method" in message


def test_best_k_and_redistribute_on_different_nodes_are_accepted() -> None:
    m = load_methodology(with_steps(BEST_K.format(nodes='["composite.teaching"]')))
    assert check_methodology(m) == []


def test_an_unscoped_redistribution_covers_the_best_k_node() -> None:
    text = with_steps(BEST_K.replace("nodes = {nodes}\n", ""))
    with pytest.raises(InvalidInput, match=r"'composite\.research' takes best-k"):
        load_methodology(text)


def test_the_public_names_are_importable() -> None:
    import palmares
    from palmares.methodology.model import Methodology
    from palmares.result import Result

    assert palmares.Result is Result
    assert palmares.Methodology is Methodology
    assert set(palmares.__all__) >= {"Result", "Methodology", "Dataset", "load", "rank"}
