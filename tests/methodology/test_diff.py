"""Diffing two methodologies: an L'Étudiant-like 2022 -> 2023 change and a moved node."""

from __future__ import annotations

import json
from pathlib import Path

from palmares.methodology import diff_methodologies, load_methodology, parse_methodology
from palmares.methodology.diff import Change, NodeChange

EXAMPLES = Path(__file__).parent / "examples"


def test_letudiant_2022_to_2023() -> None:
    a = load_methodology(EXAMPLES / "letudiant_2022.toml")
    b = load_methodology(EXAMPLES / "letudiant_2023.toml")
    d = diff_methodologies(a, b)
    assert not d.identical
    assert d.indicators_added == [
        "letudiant.openness.social_engagement",
        "letudiant.openness.societal_responsibility",
    ]
    assert all(n.parent == "letudiant.openness" for n in d.nodes_added)
    assert d.indicators_removed == [] and d.nodes_moved == [] and d.weights == []
    assert d.scales == [Change("steps[0] points.thresholds.max_points", 5, 10)]
    assert [c.key for c in d.thresholds] == [
        "steps[0] points.thresholds.thresholds",
        "steps[0] points.thresholds.overrides.thresholds",
    ]
    assert d.thresholds[1].node == "letudiant.academic.phd_share"
    assert d.thresholds[1].old == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert Change("ranking.groups.2023.A+", None, 85.0) in d.ranking
    assert Change("methodology.editions.from", 2018, 2023) in d.header
    text = d.to_text()
    assert "nodes added:\n  letudiant.openness.social_engagement under letudiant.openness" in text
    assert "scales:\n  steps[0] points.thresholds.max_points: 5 -> 10" in text
    document = d.to_json()
    assert json.loads(json.dumps(document)) == document
    assert document["indicators_added"] == d.indicators_added
    assert document["scales"] == [
        {"key": "steps[0] points.thresholds.max_points", "old": 5, "new": 10, "node": None}
    ]


def test_identical_methodologies() -> None:
    m = load_methodology(EXAMPLES / "composite.toml")
    d = diff_methodologies(m, m)
    assert d.identical
    assert d.to_text().endswith("identical (same methodology hash)")


def test_moved_node_weights_directions_and_steps() -> None:
    a = load_methodology(EXAMPLES / "composite.toml")
    text = (EXAMPLES / "composite.toml").read_text()
    moved = (
        text.replace(
            'id = "composite.research.income"\nparent = "composite.research"',
            'id = "composite.research.income"\nparent = "composite.international"',
        )
        .replace('"composite.research" = 0.5', '"composite.research" = 0.6')
        .replace('method = "zscore"', 'method = "minmax"\nrange = [0, 10]')
        .replace('direction = "lower"', 'direction = "higher"')
    )
    b = parse_methodology(moved)
    d = diff_methodologies(a, b)
    assert d.nodes_moved == [
        NodeChange(
            "composite.research.income", "composite.international", True, "composite.research"
        )
    ]
    assert d.weights == [Change("weights.composite.research", 0.5, 0.6, "composite.research")]
    assert d.directions == [
        Change(
            "tree.composite.teaching.staff_ratio.direction",
            "lower",
            "higher",
            "composite.teaching.staff_ratio",
        )
    ]
    assert d.steps == [Change("steps[3].method", "normalise.zscore", "normalise.minmax")]
    assert "nodes moved:\n  composite.research.income: composite.research -> " in d.to_text()
