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

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from palmares.methodology import model as md
from palmares.methodology.locate import Path
from palmares.tree import Tree, TreeError

Kind = Literal["values", "points", "grades", "counts"]


@dataclass(frozen=True)
class Interval:
    """A closed or open interval of the extended real line."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def hull(self, other: Interval) -> Interval:
        lo, lo_open = min((self.lo, self.lo_open), (other.lo, other.lo_open))
        hi, hi_open = max((self.hi, not self.hi_open), (other.hi, not other.hi_open))
        return Interval(lo, hi, lo_open, not hi_open)

    @property
    def positive(self) -> bool:
        return self.lo > 0 or (self.lo == 0 and self.lo_open)

    @property
    def nonnegative(self) -> bool:
        return self.lo >= 0

    def contains(self, value: float) -> bool:
        above = value > self.lo or (value == self.lo and not self.lo_open)
        below = value < self.hi or (value == self.hi and not self.hi_open)
        return above and below

    def describe(self) -> str:
        def num(x: float) -> str:
            return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:g}"

        left = "(" if self.lo_open or self.lo == -math.inf else "["
        right = ")" if self.hi_open or self.hi == math.inf else "]"
        return f"{left}{num(self.lo)}, {num(self.hi)}{right}"

    def to_json(self) -> list[float | None]:
        return [None if math.isinf(self.lo) else self.lo, None if math.isinf(self.hi) else self.hi]


REAL = Interval(-math.inf, math.inf, True, True)


@dataclass(frozen=True)
class NodeState:
    interval: Interval
    kind: Kind
    source: str  # which step produced it ("raw data" before any step)
    computed: bool = True
    #: False for raw data: its range is unknown before data are read, so it is not checked.
    known: bool = True


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


LEAVES = "*leaves"
INNER = "*inner"


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


#: Steps acting on each leaf column on its own.
_LEAFWISE = (md.ImputeStep, md.TreatStep, md.NormaliseStep, md.PointsStep, md.GradeStep)
#: Leaf steps whose output scale is their own, known whatever the raw data.
_RESCALING = (md.NormaliseStep, md.PointsStep, md.GradeStep, md.TreatStep)


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
        if isinstance(step, _LEAFWISE):
            return self._leafwise
        if isinstance(step, md.WeightStep):
            return self._weight
        if isinstance(step, md.AggregateStep):
            return self._aggregate
        if isinstance(step, md.RescaleStep):
            return self._rescale
        if isinstance(step, md.RoundStep):
            return self._round
        raise KeyError(f"no range rule for {step.tag}")

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
                # The JRC rule may log-transform a column, so its output is any real.
                rescales = isinstance(step, _RESCALING)
                state = NodeState(
                    interval, kind, _label(index, step), known=before.known or rescales
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
        at = (index, *prefix)
        source = f"after {before.source}" if before.source != "raw data" else "in raw data"
        if before.kind == "grades" and not isinstance(step, md.GradeStep):
            self.issue(
                (index, "method"),
                f"{step.tag} on grades (categories A..E from {before.source}): "
                "count them with aggregate.grade_counts",
                step.method,
            )
            return None
        x = before.interval
        method = step.method
        if isinstance(step, md.ImputeStep):
            if method == "zero":
                return x.hull(Interval(0.0, 0.0)), before.kind
            if isinstance(step, md.ImputeConstant):
                value = float(params["value"])
                return x.hull(Interval(value, value)), before.kind
            return x, before.kind
        if isinstance(step, md.TreatStep):
            return REAL, "values"  # a failing column may be log-transformed
        if isinstance(step, md.NormaliseStep):
            return self._normalised(at, step, params, before, source), "values"
        if isinstance(step, md.PointsStep):
            return self._scored(at, step, params, x, before.source), "points"
        if isinstance(step, md.GradeStep):
            if before.known and not x.nonnegative:
                self.issue(
                    (index, "method"),
                    "a relative distance to the median needs values >= 0, "
                    f"but they lie in {x.describe()} {source}",
                    method,
                )
            return Interval(0.0, 4.0), "grades"
        return x, before.kind

    def _normalised(
        self, at: Path, step: md.StepBase, params: dict[str, Any], before: NodeState, source: str
    ) -> Interval:
        method = step.method
        x = before.interval
        if isinstance(step, md.NormaliseMinmax):
            lo, hi = params["range"]
            return Interval(lo, hi)
        if isinstance(step, md.NormaliseZscore):
            return REAL
        if isinstance(step, md.NormaliseRank):
            return Interval(1.0, math.inf, False, True)
        if method == "percent_of_best" and before.known and not x.nonnegative:
            self.issue(
                (at[0], "method"),
                f"percent_of_best divides by the best value: it needs values >= 0, "
                f"but they lie in {x.describe()} {source}",
                method,
            )
        if isinstance(step, md.NormaliseTarget) and params.get("target") is None:
            self._missing(at, step, "target")
        if isinstance(step, md.NormaliseGoalposts):
            for name in ("low", "high"):
                if params.get(name) is None:
                    self._missing(at, step, name)
        return Interval(0.0, float(params["scale"]))

    def _missing(self, at: Path, step: md.StepBase, name: str) -> None:
        where = f"node {at[2]!r}" if len(at) > 2 else "the step"
        self.issue(
            at[:1] if len(at) < 3 else at,
            f"{step.tag} needs {name!r} for {where}: set it on the step or in "
            f'steps[{at[0]}].overrides."<node>"',
        )

    def _scored(
        self, at: Path, step: md.StepBase, params: dict[str, Any], x: Interval, source: str
    ) -> Interval:
        if isinstance(step, md.PointsQuantiles):
            return Interval(0.0, float(params["max_points"]))
        thresholds = params.get("thresholds")
        if thresholds is None:
            self._missing(at, step, "thresholds")
            return Interval(0.0, float(params.get("max_points") or 0), False, False)
        bounded = not (math.isinf(x.lo) and math.isinf(x.hi))
        if bounded:
            for i, t in enumerate(thresholds):
                if not x.contains(t):
                    self.issue(
                        (*at, "thresholds", i),
                        f"threshold {t:g} lies outside {x.describe()}, the range of its input "
                        f"(from {source}): every institution or none passes it",
                        t,
                    )
        return Interval(0.0, float(len(thresholds)))

    # -- inner steps ------------------------------------------------------------------------

    def _weight(
        self, index: int, step: md.StepBase, keys: Sequence[str], partial: bool
    ) -> list[NodeState]:
        if isinstance(step, md.WeightBestK) and self.space.tree is not None:
            for key in keys:
                children = self.space.tree.children(key)
                n = len([c for c in children if c not in step.always])
                if step.k > n:
                    others = " other" if step.always else ""
                    self.issue(
                        (index, "k"),
                        f"best_k keeps {step.k} children but {key!r} has {n}{others}",
                        step.k,
                    )
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
        method = step.method
        label = _label(index, step)
        kinds = {s.kind for _, s in children}
        if method == "grade_counts":
            # Counts of a dimension's indicators, then of the dimensions' counts above them.
            if not kinds <= {"grades", "counts"}:
                self.issue(
                    (index, "method"),
                    "grade_counts counts grades A..E: put a grade step before it",
                    method,
                )
            top = sum(1.0 if s.kind != "counts" else s.interval.hi for _, s in children)
            return NodeState(Interval(0.0, top), "counts", label)
        for child, state in children:
            if state.kind == "grades":
                self.issue(
                    (index, "method"),
                    f"{method} of grades ({_who(child)} holds categories A..E from "
                    f"{state.source}): "
                    "use aggregate.grade_counts",
                    method,
                )
                return None
        hull = children[0][1].interval
        for _, state in children[1:]:
            hull = hull.hull(state.interval)
        needs: str | None = None
        if method in ("geometric", "harmonic"):
            needs = "positive"
        elif isinstance(step, md.AggregateGeneralised):
            if step.p < 0:
                needs = "positive"
            elif step.p != int(step.p):
                needs = "nonnegative"
        if needs is not None and index not in self._domain_flagged:
            for child, state in children:
                if not state.known:
                    continue
                ok = state.interval.positive if needs == "positive" else state.interval.nonnegative
                if not ok:
                    sign = "> 0" if needs == "positive" else ">= 0"
                    self.issue(
                        (index, "method"),
                        f"a {method} mean needs inputs {sign}, but {_who(child)} lies in "
                        f"{state.interval.describe()} after {state.source}",
                        method,
                    )
                    self._domain_flagged.add(index)
                    break
        known = all(state.known for _, state in children)
        if method == "copeland":
            return NodeState(REAL, "values", label)
        if isinstance(step, md.AggregateSumPoints):
            return NodeState(self._sum_range(step, children), "points", label, known=known)
        return NodeState(hull, "values", label, known=known)

    def _sum_range(self, step: md.StepBase, children: list[tuple[str, NodeState]]) -> Interval:
        if self.space.tree is None:
            lows = [s.interval.lo for _, s in children]
            return Interval(0.0 if min(lows) >= 0 else -math.inf, math.inf, False, True)
        lo = hi = 0.0
        for child, state in children:
            w = self.m.weight(child)
            lo += w * state.interval.lo
            hi += w * state.interval.hi
        for node in getattr(step, "bonus", []):
            bonus = self.states.get(node)
            if bonus is not None:
                lo += min(0.0, bonus.interval.lo)
                hi += max(0.0, bonus.interval.hi)
        return Interval(lo, hi, math.isinf(lo), math.isinf(hi))

    def _rescale(
        self, index: int, step: md.StepBase, keys: Sequence[str], partial: bool
    ) -> list[NodeState]:
        outputs = []
        for key in keys:
            before = self.states.get(key)
            if before is None or not before.computed:
                self.issue(
                    (index, "type"),
                    f"rescale before aggregation: {_who(key)} has no score yet "
                    "(put the rescale after the aggregate step that computes it)",
                    step.type,
                )
                continue
            x = before.interval
            if isinstance(step, md.RescaleTop100):
                # Scores below 0 (after a z-score) stay negative: the best is still 100.
                out = Interval(0.0 if x.nonnegative else -math.inf, 100.0, not x.nonnegative)
            elif isinstance(step, md.RescaleMinmax):
                out = Interval(*step.range)
            elif isinstance(step, md.RescaleAffine):
                bottom = 0.0 if x.lo >= step.floor else -math.inf
                out = Interval(bottom, step.top, math.isinf(bottom))
            else:
                out = x
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
                    f"round before aggregation: {_who(key)} has no score yet",
                    step.type,
                )
                continue
            outputs.append(before)
        return outputs


def _who(key: str) -> str:
    if key == LEAVES:
        return "a leaf"
    if key == INNER:
        return "an inner node"
    return repr(key)


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
