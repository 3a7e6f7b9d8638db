import numpy as np
import pytest

from palmares.tree import Tree, TreeError


def three_level() -> Tree:
    return Tree.from_parents(
        [
            ("idx", None),
            ("a", "idx"),
            ("b", "idx"),
            ("a1", "a"),
            ("a2", "a"),
            ("b1", "b"),
        ]
    )


def test_order_parents_before_children_and_leaves():
    tree = three_level()
    assert tree.ids == ("idx", "a", "a1", "a2", "b", "b1")
    assert tree.leaves == ("a1", "a2", "b1")
    assert tree.roots == ("idx",)
    assert tree.children("a") == ("a1", "a2")
    assert tree.parent_of("b1") == "b"
    assert tree.parent_of("idx") is None
    np.testing.assert_array_equal(tree.depth, [0, 1, 2, 2, 1, 2])


def test_levels_bottom_up_groups_inner_nodes_deepest_first():
    tree = three_level()
    levels = [[tree.ids[i] for i in level] for level in tree.levels_bottom_up()]
    assert levels == [["a", "b"], ["idx"]]


def test_subtree_restrict_and_leaves_under():
    tree = three_level()
    assert tree.subtree("a").ids == ("a", "a1", "a2")
    assert tree.restrict(["a2", "b1"]).ids == ("idx", "a", "a2", "b", "b1")
    assert tree.leaves_under("idx") == ("a1", "a2", "b1")
    assert tree.leaves_under("b1") == ("b1",)


def test_restrict_is_memoised_by_the_set_of_nodes():
    tree = three_level()
    first = tree.restrict(["a2", "b1"])
    # Same set in another order (a generator too): the very same tree, its caches kept.
    assert tree.restrict(n for n in ["b1", "a2"]) is first
    assert tree.restrict(["a1"]).ids == ("idx", "a", "a1")
    assert tree.restrict(["a2", "b1"]) is first
    with pytest.raises(KeyError):
        tree.restrict(["nowhere"])


def test_empty_string_parent_is_a_root():
    tree = Tree.from_parents([("r", ""), ("x", "r")])
    assert tree.roots == ("r",)


def test_unknown_parent_and_cycles_are_refused():
    with pytest.raises(TreeError, match="unknown parent") as unknown:
        Tree.from_parents([("a", "zz")])
    assert unknown.value.nodes == ("zz",)
    with pytest.raises(TreeError, match="cycle") as self_parent:
        Tree.from_parents([("r", None), ("a", "a")])
    assert self_parent.value.nodes == ("a",)
    with pytest.raises(TreeError, match="cycle"):
        Tree.from_parents([("a", "b"), ("b", "a")])
    with pytest.raises(TreeError, match="duplicate"):
        Tree.from_parents([("a", None), ("a", None)])
