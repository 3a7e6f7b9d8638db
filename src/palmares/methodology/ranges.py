"""Output-range propagation: catch domain errors from the methodology file alone.

Every step declares the range of what it outputs (a min-max gives [lo, hi], a z-score the whole
real line, a top = 100 rescale [0, 100]). Walking the steps in order and carrying, per node, the
interval its values can take and their kind (values, points, grades, counts), the validator sees
before any data are read that a geometric mean follows a z-score (inputs may be <= 0), that a
points threshold lies outside the range it is applied to, or that a rescale comes before the
aggregate it rescales.

With an inline tree the walk is exact per node. With ``source = "bundle"`` the tree is unknown
until data are read, so nodes are tracked in classes (all leaves, all inner nodes, the root): the
checks stay sound, a class holding the hull of what its members can hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from palmares.methodology import model as md
from palmares.methodology.intervals import (
    INNER,
    LEAVES,
    REAL,
    ChildrenInput,
    Interval,
    Kind,
    NodeState,
    RangeInput,
    who,
)
from palmares.methodology.locate import Path
from palmares.tree import Tree, TreeError


@dataclass(frozen=True)
class Issue:
    """A problem found in a valid-shaped methodology: key path, reason, offending value."""

    path: Path
    message: str
    value: Any = None


@dataclass(frozen=True)
class StepRange:
    """What ``show`` prints for one step: where it acts and the range it outputs."""

    index: int
    tag: str
    scope: str
    output: Interval | None
    kind: Kind | None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "step": self.tag,
            "scope": self.scope,
            "output_range": self.output.to_json() if self.output else None,
            "output_range_text": self.output.describe() if self.output else None,
            "kind": self.kind,
        }


def resolve_scope(step: md.StepBase, tree: Tree) -> tuple[str, ...]:
    """Node ids a step acts on in a concrete tree, in the order they are processed.

    Eligibility: its ``nodes`` (the node set), else every leaf. Leaf-wise steps: ``nodes``, the
    nodes at ``level``, else every leaf. ``weight`` / ``aggregate``: the inner nodes among
    ``nodes`` or at ``level``, else every inner node, always bottom-up (deepest first, root
    last). ``rescale`` / ``round``: ``nodes``, the nodes at ``level``, else the root. Ids not in
    the tree are left out (the checks report them).
    """
    depth = tree.depth
    if step.acts_on == "institutions":
        return tuple(n for n in step.nodes if n in tree) if step.nodes else tree.leaves
    if step.nodes is not None:
        chosen = [n for n in step.nodes if n in tree]
    elif step.level is not None:
        chosen = [n for i, n in enumerate(tree.ids) if depth[i] == step.level]
    elif step.acts_on == "leaf":
        return tree.leaves
    elif step.acts_on == "root":
        return tree.roots[:1]
    else:
        chosen = list(tree.ids)
    if step.acts_on == "inner":
        order = [tree.ids[i] for level in tree.levels_bottom_up() for i in level]
        inner = set(order)
        chosen = sorted((n for n in chosen if n in inner), key=order.index)
    return tuple(chosen)


class _Space:
    """The nodes the walk tracks: every node of a known tree, else classes of nodes."""

    def __init__(self, m: md.Methodology, tree: Tree | None = None) -> None:
        self.root = m.system
        self.tree: Tree | None = None
        if m.tree.source == "inline":
            try:
                tree = Tree.from_parents((n.id, n.parent) for n in m.tree.nodes)
            except TreeError:
                tree = None  # reported by the tree checks; walk with classes instead
        if tree is not None and self.root in tree:
            self.tree = tree.subtree(self.root) if tree.roots != (self.root,) else tree

    @property
    def exact(self) -> bool:
        return self.tree is not None

    def leaves(self) -> list[str]:
        return list(self.tree.leaves) if self.tree is not None else [LEAVES]

    def inner_bottom_up(self) -> list[str]:
        if self.tree is None:
            return [INNER, self.root]
        return [self.tree.ids[i] for level in self.tree.levels_bottom_up() for i in level]

    def is_leaf(self, key: str) -> bool:
        if self.tree is None:
            return key == LEAVES
        return key in self.tree and bool(self.tree.is_leaf[self.tree.index(key)])

    def children(self, key: str, states: dict[str, NodeState]) -> list[str]:
        if self.tree is None:
            below = [LEAVES]
            if key == self.root and states[INNER].computed:
                below.append(INNER)
            return below
        return list(self.tree.children(key))

    def resolve(self, step: md.StepBase) -> tuple[list[str], bool]:
        """Keys a step acts on, and whether a class key is only partly covered."""
        if step.acts_on == "institutions":
            return [], False
        if self.tree is not None:
            return list(resolve_scope(step, self.tree)), False
        if step.nodes is not None:
            keys = [self.root if n == self.root else self._class_of(step) for n in step.nodes]
            return list(dict.fromkeys(keys)), True
        if step.level is not None:
            return ([self.root], False) if step.level == 0 else ([self._class_of(step)], True)
        if step.acts_on == "leaf":
            return self.leaves(), False
        if step.acts_on == "inner":
            return self.inner_bottom_up(), False
        return [self.root], False

    def _class_of(self, step: md.StepBase) -> str:
        return LEAVES if step.acts_on == "leaf" else INNER


def _label(index: int, step: md.StepBase) -> str:
    return f"steps[{index}] ({step.tag})"


def _param_variants(step: md.StepBase, keys: Sequence[str], exact: bool) -> list[tuple[str, Path]]:
    """(node or "", path prefix of the parameters) pairs whose parameters must be checked."""
    if exact:
        return [(k, ("overrides", k) if k in step.overrides else ()) for k in keys]
    return [("", ()), *((node, ("overrides", node)) for node in step.overrides)]


class _Walk:
    def __init__(self, m: md.Methodology, tree: Tree | None = None) -> None:
        self.m = m
        self.space = _Space(m, tree)
        raw = NodeState(REAL, "values", "raw data", known=False)
        self.states: dict[str, NodeState] = dict.fromkeys(self.space.leaves(), raw)
        for key in self.space.inner_bottom_up():
            self.states[key] = NodeState(REAL, "values", "nothing", computed=False)
        self.issues: list[Issue] = []
        self._domain_flagged: set[int] = set()
        self.ranges: list[StepRange] = []

    def issue(self, path: Path, message: str, value: Any = None) -> None:
        located = ("steps", *path)
        if not any(i.path == located and i.message == message for i in self.issues):
            self.issues.append(Issue(located, message, value))

    def run(self) -> None:
        for index, step in enumerate(self.m.steps):
            keys, partial = self.space.resolve(step)
            outputs: list[NodeState] = []
            if step.acts_on != "institutions":
                outputs = self._handler(step)(index, step, keys, partial)
            output: Interval | None = None
            for state in outputs:
                output = state.interval if output is None else output.hull(state.interval)
            self.ranges.append(
                StepRange(
                    index,
                    step.tag,
                    _scope_text(step, keys),
                    output,
                    outputs[0].kind if outputs else None,
                )
            )

    def _handler(self, step: md.StepBase) -> Any:
        """The walk of the step's kind (each class declares its range through its methods)."""
        return getattr(self, f"_{step.range_walk}")

    def _set(self, key: str, state: NodeState, partial: bool) -> NodeState:
        old = self.states.get(key)
        if partial and old is not None and old.computed:
            state = replace(state, interval=state.interval.hull(old.interval))
        self.states[key] = state
        return state

    # -- leaf-wise steps ------------------------------------------------------------------------

    def _leafwise(
        self,
        index: int,
        step: md.StepBase,
        keys: Sequence[str],
        partial: bool,
    ) -> list[NodeState]:
        outputs = []
        for key in keys:
            before = self.states.get(key, NodeState(REAL, "values", "raw data", known=False))
            if not before.computed:
                self.issue(
                    (index, "type"),
                    f"{step.tag} applies to {key!r}, which no earlier step has computed",
                    step.type,
                )
                continue
            interval: Interval | None = None
            kind: Kind = "values"
            for node, prefix in _param_variants(step, [key], self.space.exact):
                params = step.params_for(node) if node else step.params()
                result = self._leaf_output(index, step, params, prefix, before)
                if result is None:
                    continue
                interval = result[0] if interval is None else interval.hull(result[0])
                kind = result[1]
            if interval is not None:
                state = NodeState(
                    interval, kind, _label(index, step), known=before.known or step.own_scale
                )
                outputs.append(self._set(key, state, partial))
        return outputs

    def _leaf_output(
        self,
        index: int,
        step: md.StepBase,
        params: dict[str, Any],
        prefix: Path,
        before: NodeState,
    ) -> tuple[Interval, Kind] | None:
        if before.kind == "grades" and not step.reads_grades:
            self.issue(
                (index, "method"),
                f"{step.tag} on grades (categories A..E from {before.source}): "
                "count them with aggregate.grade_counts",
                step.method,
            )
            return None
        given = RangeInput(before, (index, *prefix), self.issue)
        return step.leaf_range(params, given)

    # -- inner steps ------------------------------------------------------------------------

    def _weight(
        self, index: int, step: md.StepBase, keys: Sequence[str], partial: bool
    ) -> list[NodeState]:
        assert isinstance(step, md.WeightStep)
        if self.space.tree is not None:
            for key in keys:
                given = ChildrenInput((), index, self.issue)
                step.check_children(given, key, list(self.space.tree.children(key)))
        return []

    def _aggregate(
        self, index: int, step: md.StepBase, keys: Sequence[str], partial: bool
    ) -> list[NodeState]:
        outputs = []
        for key in keys:
            if self.space.is_leaf(key):
                self.issue((index, "nodes"), f"{key!r} is a leaf: there is nothing to aggregate")
                continue
            children = self.space.children(key, self.states)
            states = [(c, self.states[c]) for c in children if self.states[c].computed]
            missing = [c for c in children if not self.states[c].computed]
            if missing:
                self.issue(
                    (index, "method"),
                    f"{step.tag} computes {key!r} from {', '.join(map(repr, missing))}, which no "
                    "earlier step has computed (aggregate lower levels first)",
                    step.method,
                )
                unknown = NodeState(REAL, "values", _label(index, step), known=False)
                outputs.append(self._set(key, unknown, False))
                continue
            if not states:
                continue
            combined = self._combine(index, step, key, states)
            if combined is None:  # refused and reported: carry on without cascading errors
                combined = NodeState(REAL, "values", _label(index, step), known=False)
            outputs.append(self._set(key, combined, partial and key != self.space.root))
        return outputs

    def _combine(
        self,
        index: int,
        step: md.StepBase,
        key: str,
        children: list[tuple[str, NodeState]],
    ) -> NodeState | None:
        assert isinstance(step, md.AggregateStep)
        given = ChildrenInput(
            tuple(children),
            index,
            self.issue,
            weight=self.m.weight,
            state_of=self.states.get,
            exact=self.space.tree is not None,
            domain_flagged=lambda: index in self._domain_flagged,
            flag_domain=lambda: self._domain_flagged.add(index),
        )
        found = step.aggregate_range(given)
        if found is None:
            return None
        interval, kind, known = found
        return NodeState(interval, kind, _label(index, step), known=known)

    def _rescale(
        self, index: int, step: md.StepBase, keys: Sequence[str], partial: bool
    ) -> list[NodeState]:
        outputs = []
        for key in keys:
            before = self.states.get(key)
            if before is None or not before.computed:
                self.issue(
                    (index, "type"),
                    f"rescale before aggregation: {who(key)} has no score yet "
                    "(put the rescale after the aggregate step that computes it)",
                    step.type,
                )
                continue
            assert isinstance(step, md.RescaleStep)
            out = step.score_range(before.interval)
            outputs.append(
                self._set(key, NodeState(out, before.kind, _label(index, step)), partial)
            )
        return outputs

    def _round(
        self, index: int, step: md.StepBase, keys: Sequence[str], partial: bool
    ) -> list[NodeState]:
        outputs = []
        for key in keys:
            before = self.states.get(key)
            if before is None or not before.computed:
                self.issue(
                    (index, "type"),
                    f"round before aggregation: {who(key)} has no score yet",
                    step.type,
                )
                continue
            outputs.append(before)
        return outputs


def _scope_text(step: md.StepBase, keys: Iterable[str]) -> str:
    if step.acts_on == "institutions":
        return "institutions"
    if step.nodes is not None:
        return "nodes " + ", ".join(step.nodes)
    if step.level is not None:
        return f"level {step.level}"
    return {"leaf": "leaves", "inner": "inner nodes (bottom-up)", "root": "root"}[step.acts_on]


@dataclass(frozen=True)
class Propagation:
    """The result of walking the steps: ranges per step, final root state, issues found."""

    steps: tuple[StepRange, ...]
    root: NodeState
    issues: tuple[Issue, ...]


def propagate(m: md.Methodology, tree: Tree | None = None) -> Propagation:
    """Walk the steps in order, carrying each node's range; report domain errors found.

    ``tree`` (the bundle's indicator tree) makes the walk exact for ``source = "bundle"``; an
    inline tree always wins.
    """
    walk = _Walk(m, tree)
    walk.run()
    return Propagation(tuple(walk.ranges), walk.states[m.system], tuple(walk.issues))
