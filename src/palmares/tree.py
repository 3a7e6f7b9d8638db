"""Trees of indicators: the hierarchy a methodology aggregates over.

A :class:`Tree` is built from (id, parent) pairs of any depth. Nodes are kept in a fixed order
(parents before children, siblings in input order) so that index arrays can drive vectorised
aggregation level by level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt


class TreeError(ValueError):
    """A parent table that is not a tree (unknown parent or cycle)."""

    def __init__(self, message: str, nodes: Sequence[str]) -> None:
        super().__init__(message)
        self.nodes = tuple(nodes)


@dataclass(frozen=True)
class Tree:
    """An immutable forest of nodes; ``parent[i]`` is the index of node i's parent or -1."""

    ids: tuple[str, ...]
    parent: tuple[int, ...]
    _position: Mapping[str, int] = field(repr=False, compare=False)

    @classmethod
    def from_parents(cls, pairs: Iterable[tuple[str, str | None]]) -> Tree:
        """Build a tree from (id, parent) pairs; an empty or None parent makes a root."""
        items = [
            (node, parent if isinstance(parent, str) and parent else None) for node, parent in pairs
        ]
        ids = [node for node, _ in items]
        seen: dict[str, int] = {}
        for node in ids:
            if node in seen:
                raise TreeError(f"duplicate node {node!r}", [node])
            seen[node] = len(seen)
        unknown = [p for _, p in items if p is not None and p not in seen]
        if unknown:
            raise TreeError(f"unknown parent(s): {', '.join(map(repr, unknown))}", unknown)
        parent_of = dict(items)
        children: dict[str | None, list[str]] = {}
        for node, parent in items:
            children.setdefault(parent, []).append(node)
        order: list[str] = []
        stack = list(reversed(children.get(None, [])))
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(reversed(children.get(node, [])))
        if len(order) != len(ids):
            cyclic = [node for node in ids if node not in set(order)]
            raise TreeError(f"cycle through {', '.join(map(repr, cyclic))}", cyclic)
        position = {node: i for i, node in enumerate(order)}
        parents = tuple(
            -1 if parent_of[node] is None else position[parent_of[node]]  # type: ignore[index]
            for node in order
        )
        return cls(tuple(order), parents, position)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, node: object) -> bool:
        return node in self._position

    def index(self, node: str) -> int:
        return self._position[node]

    def parent_of(self, node: str) -> str | None:
        p = self.parent[self._position[node]]
        return None if p < 0 else self.ids[p]

    def children(self, node: str | None) -> tuple[str, ...]:
        target = -1 if node is None else self._position[node]
        return tuple(n for n, p in zip(self.ids, self.parent, strict=True) if p == target)

    @cached_property
    def child_index(self) -> tuple[tuple[int, ...], ...]:
        """Indices of each node's children, in node order (one pass, cached)."""
        lists: list[list[int]] = [[] for _ in self.ids]
        for i, p in enumerate(self.parent):
            if p >= 0:
                lists[p].append(i)
        return tuple(tuple(c) for c in lists)

    @cached_property
    def roots(self) -> tuple[str, ...]:
        return self.children(None)

    @cached_property
    def depth(self) -> npt.NDArray[np.int64]:
        """Depth of each node (roots are 0), in node order."""
        depth = np.zeros(len(self.ids), dtype=np.int64)
        for i, p in enumerate(self.parent):  # parents come first, so one pass suffices
            if p >= 0:
                depth[i] = depth[p] + 1
        return depth

    @cached_property
    def is_leaf(self) -> npt.NDArray[np.bool_]:
        leaf = np.ones(len(self.ids), dtype=bool)
        parents = np.asarray(self.parent, dtype=np.int64)
        leaf[parents[parents >= 0]] = False
        return leaf

    @property
    def leaves(self) -> tuple[str, ...]:
        return tuple(n for n, leaf in zip(self.ids, self.is_leaf, strict=True) if leaf)

    def descendants(self, node: str) -> tuple[str, ...]:
        """All nodes below ``node`` in tree order (not including it)."""
        out: list[str] = []
        inside = {self._position[node]}
        for i, p in enumerate(self.parent):
            if p in inside:
                inside.add(i)
                out.append(self.ids[i])
        return tuple(out)

    def leaves_under(self, node: str) -> tuple[str, ...]:
        below = self.descendants(node)
        if not below:
            return (node,)
        return tuple(n for n in below if self.is_leaf[self._position[n]])

    def subtree(self, root: str) -> Tree:
        """The tree rooted at ``root``."""
        keep = (root, *self.descendants(root))
        return Tree.from_parents((n, None if n == root else self.parent_of(n)) for n in keep)

    def restrict(self, nodes: Iterable[str]) -> Tree:
        """The tree over ``nodes`` plus their ancestors (used for personalised subsets).

        Memoised by the set of nodes: a personalised ranking restricts to the same criteria
        again and again, and the same Tree object keeps its cached levels and plans.
        """
        wanted = frozenset(nodes)
        found = self._restricted.get(wanted)
        if found is not None:
            return found
        keep: set[str] = set()
        for node in wanted:
            current: str | None = node
            while current is not None and current not in keep:
                keep.add(current)
                current = self.parent_of(current)
        out = Tree.from_parents((n, self.parent_of(n)) for n in self.ids if n in keep)
        if len(self._restricted) >= 64:
            self._restricted.pop(next(iter(self._restricted)), None)
        self._restricted[wanted] = out
        return out

    @cached_property
    def _restricted(self) -> dict[frozenset[str], Tree]:
        return {}

    def levels_bottom_up(self) -> list[npt.NDArray[np.int64]]:
        """Inner-node indices grouped by depth, deepest first: the aggregation order."""
        return list(self._levels)

    @cached_property
    def _levels(self) -> tuple[npt.NDArray[np.int64], ...]:
        inner = np.flatnonzero(~self.is_leaf)
        depths = self.depth[inner]
        return tuple(inner[depths == d] for d in sorted(set(depths.tolist()), reverse=True))


def walk_parents(
    parent_index: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.bool_], list[list[int]], npt.NDArray[np.int64]]:
    """The one cycle detection of parent links (``parent_index[i]``: the position of node i's
    parent, -1 for none), in one pass visiting each node once: which nodes lie on a cycle,
    each cycle's members once (in parent order), and every node's depth (root 1; 0 on or
    above a cycle). Every cycle at once, where :mod:`graphlib` stops at the first."""
    n = len(parent_index)
    state = np.zeros(n, dtype=np.int8)  # 0 unseen, 1 on the current walk, 2 done
    depth = np.zeros(n, dtype=np.int64)
    on_cycle = np.zeros(n, dtype=bool)
    cycles: list[list[int]] = []
    parents = parent_index.tolist()
    for i in range(n):
        if state[i]:
            continue
        walk: list[int] = []
        j = i
        while j >= 0 and state[j] == 0:
            state[j] = 1
            walk.append(j)
            j = parents[j]
        if j >= 0 and state[j] == 1:  # closed a new cycle
            members = walk[walk.index(j) :]
            cycles.append(members)
            on_cycle[members] = True
        # Depth counts up from the root; a walk ending on or above a cycle has none (0).
        rooted = j < 0 or (state[j] == 2 and depth[j] > 0)
        base = 0 if j < 0 or not rooted else int(depth[j])
        for k in reversed(walk):
            if rooted:
                base += 1
                depth[k] = base
            state[k] = 2
    return on_cycle, cycles, depth
