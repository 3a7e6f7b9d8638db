"""The plan's one walk on hand-computed cases: one draw and a batch of draws over the same
compiled plan, the plan cached by methodology and tree, a personalisation's weights as one
draw, and the root's steps with a parameter overridden (the rebuild's affine floor)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from palmares.methodology import load_methodology
from palmares.plan.bound import bind
from palmares.plan.compiled import ReplayUnsupported, compile_plan
from palmares.plan.walk import aggregate_draws, aggregate_one, ranking_keys, rescale_root
from palmares.tree import Tree

TREE = Tree.from_parents(
    [("s", ""), ("s.p", "s"), ("s.q", "s"), ("s.a", "s.p"), ("s.b", "s.p"), ("s.c", "s.q")]
)
HEADER = """
[methodology]
id = "t"
system = "s"
version = "1"
label_en = "test"
editions = [2024]

[weights]
"s.a" = 1
"s.b" = 3
"""
X = np.array([[10.0, 20.0, 30.0], [40.0, 0.0, 50.0]])  # s.a, s.b, s.c
EVERY = np.ones((2, 3), dtype=bool)


def methodology(steps: str, ranking: str = 'rank_on = "unrounded"'):  # type: ignore[no-untyped-def]
    return load_methodology(HEADER + steps + f"\n[ranking]\n{ranking}\n")


MEAN = """
[[steps]]
type = "aggregate"
method = "arithmetic"
"""


def test_one_draw_and_a_batch_walk_the_same_plan() -> None:
    m = methodology(MEAN)
    plan = compile_plan(m, TREE)
    assert plan.weights.nodes == ("s.a", "s.b", "s.c", "s.p", "s.q")
    bound = bind(plan, None, X, EVERY)
    one = aggregate_one(bound, plan.draw_weights())
    # p = (1 a + 3 b) / 4 = 17.5 and 10; root = (p + q) / 2
    col = {node: TREE.index(node) for node in TREE.ids}
    np.testing.assert_array_equal(one.values[:, col["s.p"]], [17.5, 10.0])
    np.testing.assert_array_equal(one.values[:, col["s"]], [23.75, 30.0])
    np.testing.assert_array_equal(one.weights[:, col["s.a"]], [0.25, 0.25])
    # Two draws: the nominal weights, then q alone.
    w = np.array([[1.0, 3.0, 1.0, 1.0, 1.0], [1.0, 3.0, 1.0, 0.0, 1.0]])
    np.testing.assert_allclose(aggregate_draws(bound, w), [[23.75, 30.0], [30.0, 50.0]])
    # One draw's root scores are the working's root column.
    np.testing.assert_array_equal(aggregate_draws(bound, plan.draw_weights())[0], [23.75, 30.0])


def test_a_personalisation_is_one_draw_with_its_overrides() -> None:
    plan = compile_plan(methodology(MEAN), TREE)
    w = plan.draw_weights({"s.q": 3.0})
    np.testing.assert_array_equal(w, [[1.0, 3.0, 1.0, 1.0, 3.0]])
    assert plan.draw_weights({"s.q": 3.0}) is w  # cached
    assert not w.flags.writeable
    one = aggregate_one(bind(plan, None, X, EVERY), w)
    np.testing.assert_array_equal(one.values[:, TREE.index("s")], [26.875, 40.0])


def test_the_plan_is_cached_by_methodology_and_tree_across_threads() -> None:
    found: list[object] = []

    def compile_one() -> None:
        found.append(compile_plan(methodology(MEAN), TREE))  # an equal, new object each time

    threads = [threading.Thread(target=compile_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(p) for p in found}) == 1
    assert compile_plan(methodology(MEAN), TREE, level_means=False) is not found[0]


def test_copeland_is_one_draw_only() -> None:
    m = methodology(MEAN + '\n[[steps]]\ntype = "aggregate"\nmethod = "copeland"\nlevel = 0\n')
    plan = compile_plan(m, TREE)
    bound = bind(plan, None, X, EVERY)
    # p = 17.5 vs 10, q = 30 vs 50: one win each, a tie of Copeland scores.
    key, grid = ranking_keys(bound, plan.draw_weights())
    assert not grid
    assert key[0, 0] == key[0, 1]
    with pytest.raises(ReplayUnsupported, match="copeland"):
        ranking_keys(bound, np.repeat(plan.draw_weights(), 2, axis=0))


def test_root_steps_take_a_parameter_override() -> None:
    m = methodology(MEAN + '\n[[steps]]\ntype = "rescale"\nmethod = "affine"\nfloor = 0.0\n')
    plan = compile_plan(m, TREE)
    bound = bind(plan, None, X, EVERY)
    raw = aggregate_draws(bound, plan.draw_weights())[0]  # 23.75, 30
    index = plan.root_steps[0][0]
    # 100 (raw - L) / (best - L): L = 0 -> 79.1666..., 100; L = 20 -> 37.5, 100
    np.testing.assert_allclose(rescale_root(bound, raw), [100 * 23.75 / 30, 100.0])
    np.testing.assert_allclose(
        rescale_root(bound, raw, params={index: {"floor": 20.0}}), [37.5, 100.0]
    )
