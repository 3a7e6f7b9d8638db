"""The presets' indicator trees are data files beside the presets, read by the library."""

from __future__ import annotations

import pytest

from palmares.demo.systems import SYSTEMS, System
from palmares.systems import TREE_COLUMNS, preset_ids, preset_tree
from palmares.tree import Tree

SHIPPED = ("letudiant", "the-impact", "u-multirank")


@pytest.mark.parametrize("preset", SHIPPED)
def test_a_shipped_tree_is_one_tree_rooted_at_the_preset(preset: str) -> None:
    nodes = preset_tree(preset)
    assert nodes[0]["id"] == preset and nodes[0]["parent"] is None
    assert all(tuple(node) == TREE_COLUMNS for node in nodes)
    tree = Tree.from_parents((str(n["id"]), n["parent"]) for n in nodes)
    assert list(tree.roots) == [preset]
    assert len(tree) == len(nodes)
    leaves = [n for n in nodes if n["id"] in set(tree.leaves)]
    assert all(n["direction"] in ("higher", "lower") and n["decimals"] >= 0 for n in leaves)


def test_presets_without_a_tree_give_none() -> None:
    assert {p for p in preset_ids() if preset_tree(p)} == set(SHIPPED)
    assert preset_tree("arwu") == ()


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.id)
def test_the_demo_world_draws_over_the_preset_tree(system: System) -> None:
    nodes = {n["id"]: n for n in preset_tree(system.id)}
    assert nodes[system.id]["label_en"] == system.label_en
    for dim in system.dimensions:
        assert (nodes[dim.id]["parent"], nodes[dim.id]["label_fr"]) == (system.id, dim.label_fr)
    for leaf in system.leaves:
        node = nodes[leaf.id]
        shown = (node["parent"], node["label_en"], node["label_fr"], node["unit"])
        assert shown == (leaf.parent, leaf.label_en, leaf.label_fr, leaf.unit)
        assert (node["direction"], node["decimals"]) == (leaf.direction, leaf.decimals)
    assert len(nodes) == 1 + len(system.dimensions) + len(system.leaves)
