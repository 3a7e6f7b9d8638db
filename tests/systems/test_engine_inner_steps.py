"""Engine features the presets need, on a generic tree: steps on inner nodes between levels,
per-node tables for institutions outside the overall table, screening versus table rules."""

from __future__ import annotations

import numpy as np
import pytest
from preset_worlds import make_dataset

from palmares.engine import MethodologyDataError, run
from palmares.methodology import load_methodology

TREE = {"s": "", "s.p": "s", "s.q": "s", "s.a": "s.p", "s.b": "s.p", "s.c": "s.q"}
KINDS = [
    {"kind": "x", "peer": "a"},
    {"kind": "x", "peer": "a"},
    {"kind": "x", "peer": "b"},
    {"kind": "y", "peer": "b"},
]


def method(steps: str) -> object:
    return load_methodology(
        f"""
[methodology]
id = "t"
system = "s"
version = "1"
label_en = "t"
editions = [2024]

{steps}

[ranking]
rank_on = "unrounded"
"""
    )


INNER = """
[[steps]]
type = "eligibility"
method = "where"
equals = {{ kind = "x" }}

[[steps]]
type = "aggregate"
method = "arithmetic"

[[steps]]
type = "rescale"
method = "{rescale}"
nodes = ["s.p", "s.q"]
"""


def world():
    # p = mean(a, b): 10, 20, 40, 100 (i3 is outside the table); q = c: 1, 3, 5, 9
    values = {
        "s.a": [10, 20, 40, 100],
        "s.b": [10, 20, 40, 100],
        "s.c": [1, 3, 5, 9],
    }
    return make_dataset("s", 2024, TREE, values, institutions=KINDS)


def test_inner_rescale_acts_between_levels_over_the_overall_table() -> None:
    result = run(world(), method(INNER.format(rescale="minmax")), 2024, data_hash="x")
    # over i0..i2 only: p 10..40 -> 0, 33.3, 100; q 1..5 -> 0, 50, 100; root = mean
    np.testing.assert_allclose(result.node_scores("s.p")[:3], [0, 100 / 3, 100])
    np.testing.assert_allclose(result.node_scores("s.q")[:3], [0, 50, 100])
    np.testing.assert_allclose(result.score[:3], [0, (100 / 3 + 50) / 2, 100])
    assert np.isnan(result.score[3]) and result.ranking.rank[3] == 0
    # i3 is outside the overall table: no scaled value, but its unscaled node scores exist
    assert np.isnan(result.node_scores("s.p")[3])
    assert result.node_key("s.p").tolist() == [10, 20, 40, 100]
    table = result.node_table("s.p")
    assert table.rank.tolist() == [4, 3, 2, 1] and table.field_size == 4
    assert [r.tag for r in result.records] == ["rescale.minmax"]


def test_top100_and_round_on_inner_nodes() -> None:
    steps = INNER.format(rescale="top100") + (
        '\n[[steps]]\ntype = "round"\nmethod = "half_up"\ndecimals = 0\nnodes = ["s.p"]\n'
    )
    result = run(world(), method(steps), 2024, data_hash="x")
    # p: 10 / 40 x 100 = 25, 50, 100 (then rounded); q: 20, 60, 100
    assert result.node_scores("s.p")[:3].tolist() == [25, 50, 100]
    np.testing.assert_allclose(result.node_scores("s.q")[:3], [20, 60, 100])
    np.testing.assert_allclose(result.score[:3], [22.5, 55, 100])


def test_coverage_screens_out_while_other_rules_only_decide_the_table() -> None:
    steps = """
[[steps]]
type = "eligibility"
method = "coverage"
min_share = 1.0

[[steps]]
type = "eligibility"
method = "where"
equals = { kind = "x" }

[[steps]]
type = "normalise"
method = "minmax"
range = [0, 100]

[[steps]]
type = "aggregate"
method = "arithmetic"
"""
    values = {"s.a": [0, 10, None, 20], "s.b": [0, 10, 5, 20], "s.c": [0, 10, 5, 20]}
    ds = make_dataset("s", 2024, TREE, values, institutions=KINDS)
    result = run(ds, method(steps), 2024, data_hash="x")
    assert result.eligible.tolist() == [True, True, False, False]
    assert result.scored is not None and result.scored.tolist() == [True, True, False, True]
    # i2 is screened out: not scored at all; i3 is scored (its 20 is the maximum of b, c)
    assert np.isnan(result.node_key("s.q")[2])
    np.testing.assert_allclose(result.node_key("s.q")[[0, 1, 3]], [0, 50, 100])
    np.testing.assert_allclose(result.score[:2], [0, 50])
    assert result.field_size == 2 and result.submitters == 4


def test_personalised_peers_keep_the_tables_inner_scaling() -> None:
    result = run(world(), method(INNER.format(rescale="minmax")), 2024, data_hash="x")
    mine = result.personalise(where={"kind": "x"}, criteria=["s.q"])
    # q scaled over i0..i2 whatever the criteria: 0, 50, 100
    np.testing.assert_allclose(mine.score, [0, 50, 100])
    filtered = result.personalise(where={"peer": "a"})
    # the two peers keep their scaling over the whole table (not 0 and 100 among themselves)
    np.testing.assert_allclose(filtered.score, result.score[:2])


def test_top100_keeps_negative_scores_and_names_the_node_with_no_best_above_zero() -> None:
    values = {"s.a": [-10, 20, 40, 100], "s.b": [-10, 20, 40, 100], "s.c": [-3, -1, -2, 9]}
    data = make_dataset("s", 2024, TREE, values, institutions=KINDS)
    steps = INNER.format(rescale="top100").replace('nodes = ["s.p", "s.q"]', 'nodes = ["s.p"]')
    result = run(data, method(steps), 2024, data_hash="x")
    # p over i0..i2: -10 / 40 x 100 = -25, then 50, 100 (i3 is outside the table)
    np.testing.assert_allclose(result.node_scores("s.p")[:3], [-25, 50, 100])
    # q over i0..i2 is -3, -1, -2: no best above 0, the node and step named
    with pytest.raises(MethodologyDataError, match=r"node 's\.q', step rescale\.top100: .*-1"):
        run(data, method(INNER.format(rescale="top100")), 2024, data_hash="x")
