"""What changed between two methodologies: nodes, weights, scales, thresholds, steps, ranking.

Steps are paired by type and occurrence (the second ``normalise`` step of A with the second of
B), so a step inserted elsewhere does not make every later step look changed. Parameter changes
are sorted into scales (ranges, points maxima, precision), thresholds, and other parameters.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from palmares.methodology import model as md
from palmares.methodology.hashing import methodology_hash

SCALE_KEYS = frozenset({"range", "scale", "max_points", "mean", "sd", "top", "floor", "decimals"})
THRESHOLD_KEYS = frozenset(
    {"thresholds", "min_share", "k", "low", "high", "target", "skew", "kurtosis", "q", "value"}
)


@dataclass(frozen=True)
class Change:
    """One changed value: where (a dotted key path or a node), before and after."""

    key: str
    old: Any
    new: Any
    node: str | None = None


@dataclass(frozen=True)
class NodeChange:
    id: str
    parent: str | None
    leaf: bool
    old_parent: str | None = None


@dataclass(frozen=True)
class MethodologyDiff:
    """Differences from methodology ``a`` to methodology ``b``."""

    a: str
    b: str
    a_hash: str
    b_hash: str
    header: list[Change] = field(default_factory=list)
    tree_source: Change | None = None
    nodes_added: list[NodeChange] = field(default_factory=list)
    nodes_removed: list[NodeChange] = field(default_factory=list)
    nodes_moved: list[NodeChange] = field(default_factory=list)
    directions: list[Change] = field(default_factory=list)
    weights: list[Change] = field(default_factory=list)
    scales: list[Change] = field(default_factory=list)
    thresholds: list[Change] = field(default_factory=list)
    steps: list[Change] = field(default_factory=list)
    ranking: list[Change] = field(default_factory=list)
    subsets: list[Change] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.a_hash == self.b_hash

    @property
    def indicators_added(self) -> list[str]:
        return [n.id for n in self.nodes_added if n.leaf]

    @property
    def indicators_removed(self) -> list[str]:
        return [n.id for n in self.nodes_removed if n.leaf]

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["identical"] = self.identical
        document["indicators_added"] = self.indicators_added
        document["indicators_removed"] = self.indicators_removed
        return json.loads(json.dumps(document, default=str))

    def to_text(self) -> str:
        lines = [f"{self.a} -> {self.b}"]
        if self.identical:
            return lines[0] + "\nidentical (same methodology hash)"
        lines.append(f"hash {self.a_hash[:12]} -> {self.b_hash[:12]}")

        def section(title: str, items: list[str]) -> None:
            if items:
                lines.append(f"{title}:")
                lines.extend(f"  {item}" for item in items)

        def change(c: Change) -> str:
            where = f"{c.key} [{c.node}]" if c.node else c.key
            return f"{where}: {_show(c.old)} -> {_show(c.new)}"

        section("methodology", [change(c) for c in self.header])
        if self.tree_source is not None:
            section("tree", [change(self.tree_source)])
        section(
            "nodes added",
            [f"{n.id} under {n.parent}{'' if n.leaf else ' (inner)'}" for n in self.nodes_added],
        )
        section(
            "nodes removed",
            [f"{n.id} from {n.parent}{'' if n.leaf else ' (inner)'}" for n in self.nodes_removed],
        )
        section("nodes moved", [f"{n.id}: {n.old_parent} -> {n.parent}" for n in self.nodes_moved])
        section("directions", [change(c) for c in self.directions])
        section("weights", [change(c) for c in self.weights])
        section("scales", [change(c) for c in self.scales])
        section("thresholds", [change(c) for c in self.thresholds])
        section("steps", [change(c) for c in self.steps])
        section("ranking", [change(c) for c in self.ranking])
        section("subsets", [change(c) for c in self.subsets])
        return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _dict_changes(a: dict[str, Any], b: dict[str, Any], prefix: str) -> list[Change]:
    fa, fb = _flatten(a, prefix), _flatten(b, prefix)
    return [
        Change(key, fa.get(key), fb.get(key))
        for key in sorted(set(fa) | set(fb))
        if fa.get(key) != fb.get(key)
    ]


def _tree(m: md.Methodology) -> dict[str, md.TreeNode]:
    return {n.id: n for n in m.tree.nodes}


def _leaves(nodes: dict[str, md.TreeNode]) -> set[str]:
    parents = {n.parent for n in nodes.values()}
    return {n for n in nodes if n not in parents}


def _node_changes(a: md.Methodology, b: md.Methodology, out: MethodologyDiff) -> None:
    if a.tree.source != b.tree.source:
        object.__setattr__(out, "tree_source", Change("tree.source", a.tree.source, b.tree.source))
    ta, tb = _tree(a), _tree(b)
    la, lb = _leaves(ta), _leaves(tb)
    for node in tb.keys() - ta.keys():
        out.nodes_added.append(NodeChange(node, tb[node].parent, node in lb))
    for node in ta.keys() - tb.keys():
        out.nodes_removed.append(NodeChange(node, ta[node].parent, node in la))
    for node in sorted(ta.keys() & tb.keys()):
        if ta[node].parent != tb[node].parent:
            out.nodes_moved.append(NodeChange(node, tb[node].parent, node in lb, ta[node].parent))
        if ta[node].direction != tb[node].direction:
            out.directions.append(
                Change(f"tree.{node}.direction", ta[node].direction, tb[node].direction, node)
            )
    out.nodes_added.sort(key=lambda n: n.id)
    out.nodes_removed.sort(key=lambda n: n.id)
    # Effective weights (1 by default) of nodes present in both, plus explicit weights anywhere.
    both = (ta.keys() & tb.keys()) | a.weights.keys() | b.weights.keys()
    for node in sorted(both):
        wa = a.weights.get(node, 1.0) if (node in ta or not ta or node in a.weights) else None
        wb = b.weights.get(node, 1.0) if (node in tb or not tb or node in b.weights) else None
        if wa != wb and wa is not None and wb is not None:
            out.weights.append(Change(f"weights.{node}", wa, wb, node))


def _step_changes(a: md.Methodology, b: md.Methodology, out: MethodologyDiff) -> None:
    def by_type(m: md.Methodology) -> dict[str, list[tuple[int, md.StepBase]]]:
        groups: dict[str, list[tuple[int, md.StepBase]]] = {}
        for i, step in enumerate(m.steps):
            groups.setdefault(step.type, []).append((i, step))
        return groups

    ga, gb = by_type(a), by_type(b)
    for step_type in dict.fromkeys([*ga, *gb]):
        sa, sb = ga.get(step_type, []), gb.get(step_type, [])
        for k in range(max(len(sa), len(sb))):
            if k >= len(sa):
                i, step = sb[k]
                out.steps.append(Change(f"steps[{i}]", None, step.tag))
                continue
            if k >= len(sb):
                i, step = sa[k]
                out.steps.append(Change(f"steps[{i}]", step.tag, None))
                continue
            (ia, xa), (ib, xb) = sa[k], sb[k]
            label = f"steps[{ib}] {xb.tag}" if ia == ib else f"steps[{ia}->{ib}] {xb.tag}"
            if xa.tag != xb.tag:
                out.steps.append(Change(f"steps[{ib}].method", xa.tag, xb.tag))
                continue
            _param_changes(label, xa, xb, out)


def _param_changes(label: str, xa: md.StepBase, xb: md.StepBase, out: MethodologyDiff) -> None:
    da = xa.model_dump(mode="json", exclude={"type", "method", "overrides"})
    db = xb.model_dump(mode="json", exclude={"type", "method", "overrides"})
    for key in sorted(da.keys() | db.keys()):
        if da.get(key) != db.get(key):
            _classify(Change(f"{label}.{key}", da.get(key), db.get(key)), key, out)
    nodes = sorted(xa.overrides.keys() | xb.overrides.keys())
    for node in nodes:
        pa, pb = xa.params_for(node), xb.params_for(node)
        oa, ob = xa.overrides.get(node, {}), xb.overrides.get(node, {})
        for key in sorted(oa.keys() | ob.keys()):
            old, new = _jsonable(pa.get(key)), _jsonable(pb.get(key))
            if old != new:
                _classify(Change(f"{label}.overrides.{key}", old, new, node), key, out)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _classify(change: Change, key: str, out: MethodologyDiff) -> None:
    if key in SCALE_KEYS:
        out.scales.append(change)
    elif key in THRESHOLD_KEYS:
        out.thresholds.append(change)
    else:
        out.steps.append(change)


def diff_methodologies(a: md.Methodology, b: md.Methodology) -> MethodologyDiff:
    """Everything that differs from ``a`` to ``b``, grouped as a producer reads a change log."""
    out = MethodologyDiff(
        a=f"{a.id} {a.methodology.version}",
        b=f"{b.id} {b.methodology.version}",
        a_hash=methodology_hash(a),
        b_hash=methodology_hash(b),
    )
    out.header.extend(
        _dict_changes(
            a.methodology.model_dump(mode="json", by_alias=True),
            b.methodology.model_dump(mode="json", by_alias=True),
            "methodology",
        )
    )
    _node_changes(a, b, out)
    _step_changes(a, b, out)
    out.ranking.extend(
        _dict_changes(
            a.ranking.model_dump(mode="json"), b.ranking.model_dump(mode="json"), "ranking"
        )
    )
    out.subsets.extend(
        _dict_changes(
            {k: v.model_dump(mode="json") for k, v in a.subsets.items()},
            {k: v.model_dump(mode="json") for k, v in b.subsets.items()},
            "subsets",
        )
    )
    return out
