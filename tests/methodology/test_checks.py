"""Whole-file checks, and checks against a bundle's indicator tree (the real ASEM tree)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from palmares.methodology import (
    check_methodology,
    check_with_tree,
    load_methodology,
    parse_methodology,
    propagate,
    resolve_scope,
)
from palmares.problems import InvalidInput
from palmares.tree import Tree

EXAMPLES = Path(__file__).parent / "examples"
ASEM_META = Path(__file__).resolve().parents[1] / "data" / "asem" / "asem_imeta.csv"


def asem_tree() -> Tree:
    with ASEM_META.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Type"] in ("Indicator", "Aggregate")]
    return Tree.from_parents((r["iCode"], r["Parent"] or None) for r in rows)


def test_asem_against_its_tree() -> None:
    m = load_methodology(EXAMPLES / "asem.toml")
    tree = asem_tree()
    assert check_methodology(m, tree) == []
    check_with_tree(m, tree)
    aggregate = m.steps[1]
    order = resolve_scope(aggregate, tree)
    assert len(order) == 11
    assert order[:8] == (
        "Physical",
        "ConEcFin",
        "Political",
        "Instit",
        "P2P",
        "Environ",
        "Social",
        "SusEcFin",
    )
    assert order[8:] == ("Conn", "Sust", "Index")
    assert len(resolve_scope(m.steps[0], tree)) == 49
    walk = propagate(m, tree)
    assert walk.root.computed and walk.root.interval.describe() == "[0, 100]"


def test_bundle_methodology_errors_are_located_in_the_file(tmp_path: Path) -> None:
    text = (EXAMPLES / "asem.toml").read_text()
    text = text.replace(
        '[tree]\nsource = "bundle"\n',
        '[tree]\nsource = "bundle"\n\n[weights]\nConn = 2\nConnectivity = 1\n',
    ).replace(
        '[[steps]]\ntype = "aggregate"',
        '[[steps]]\ntype = "aggregate"\nmethod = "arithmetic"\nnodes = ["Conn"]\n\n'
        '[[steps]]\ntype = "aggregate"',
    )
    path = tmp_path / "asem-bad.toml"
    path.write_text(text)
    m = load_methodology(path)  # sound on its own: the tree is unknown until data are read
    with pytest.raises(InvalidInput) as caught:
        check_with_tree(m, asem_tree())
    assert [p.to_text() for p in caught.value.problems] == [
        f"{path}:-:18:weights.Connectivity: invalid-methodology: weight on node 'Connectivity', "
        "which is not in the bundle's tree (value 'Connectivity')",
        f"{path}:-:27:steps[1].method: invalid-methodology: aggregate.arithmetic computes 'Conn' "
        "from 'Physical', 'ConEcFin', 'Political', 'Instit', 'P2P', which no earlier step has "
        "computed (aggregate lower levels first) (value 'arithmetic')",
    ]


def test_system_missing_from_the_bundle() -> None:
    m = load_methodology(EXAMPLES / "composite.toml")
    issues = check_methodology(m, asem_tree())
    assert [(i.path, i.message) for i in issues][:1] == [
        (("methodology", "system"), "the system is not a node of the bundle's indicator tree")
    ]


def test_inline_leaves_must_be_bundle_indicators() -> None:
    m = load_methodology(EXAMPLES / "composite.toml")
    bundle = Tree.from_parents(
        [("composite", None), ("composite.teaching.completion", "composite")]
    )
    issues = check_methodology(m, bundle)
    assert [i.value for i in issues] == [
        "composite.teaching.staff_ratio",
        "composite.research.output",
        "composite.research.citations",
        "composite.research.income",
        "composite.international.students",
        "composite.international.staff",
    ]


def test_scope_of_every_step_kind() -> None:
    m = load_methodology(EXAMPLES / "composite.toml")
    tree = m.inline_tree()
    assert tree is not None
    scopes = [resolve_scope(step, tree) for step in m.steps]
    assert scopes[0] == tree.leaves  # eligibility over every leaf
    assert scopes[1] == tree.leaves
    assert scopes[4] == (
        "composite.teaching",
        "composite.research",
        "composite.international",
        "composite",
    )
    assert scopes[5] == ("composite",) and scopes[6] == ("composite",)
    assert m.directions()["composite.teaching.staff_ratio"] == "lower"


def test_best_k_and_published_precision() -> None:
    m = load_methodology(EXAMPLES / "composite.toml")
    text = (EXAMPLES / "composite.toml").read_text()
    bad = text.replace(
        '[[steps]]\ntype = "aggregate"',
        '[[steps]]\ntype = "weight"\nmethod = "best_k"\nk = 3\n\n[[steps]]\ntype = "aggregate"',
    ).replace('rank_on = "published"', 'rank_on = "published"\ndecimals = 2')
    with pytest.raises(InvalidInput) as caught:
        parse_methodology(bad)
    assert [(p.column, p.message) for p in caught.value.problems] == [
        ("steps[4].k", "best_k keeps 3 children but 'composite.teaching' has 2 (value 3)"),
        ("steps[4].k", "best_k keeps 3 children but 'composite.international' has 2 (value 3)"),
        (
            "ranking.decimals",
            "ranking.decimals is 2 but the round step publishes 1 decimals (value 2)",
        ),
    ]
    assert m.ranking.decimals is None
