"""Rules that need the whole methodology: the inline tree, node references, step order, ranking.

:func:`check_methodology` returns every :class:`~palmares.methodology.ranges.Issue` found, range
propagation included; an empty list means the file is sound before any data are read.
"""

from __future__ import annotations

import math
from collections import Counter

from palmares.methodology import model as md
from palmares.methodology.ranges import Issue, Propagation, propagate
from palmares.tree import Tree, TreeError


def _tree_issues(m: md.Methodology) -> tuple[list[Issue], set[str] | None]:
    """Problems of an inline tree, and its node ids (None for a bundle tree)."""
    if m.tree.source != "inline":
        return [], None
    issues: list[Issue] = []
    nodes = m.tree.nodes
    ids = [n.id for n in nodes]
    counts = Counter(ids)
    known = set(ids)
    for i, node in enumerate(nodes):
        at = ("tree", "nodes", i)
        if counts[node.id] > 1 and ids.index(node.id) != i:
            issues.append(Issue((*at, "id"), f"node {node.id!r} is defined twice", node.id))
        if node.parent is not None and node.parent not in known:
            issues.append(
                Issue(
                    (*at, "parent"),
                    f"parent {node.parent!r} is not a node of the tree",
                    node.parent,
                )
            )
        if node.parent == node.id:
            issues.append(Issue((*at, "parent"), f"node {node.id!r} is its own parent", node.id))
    roots = [i for i, n in enumerate(nodes) if n.parent is None]
    for i in roots:
        if nodes[i].id != m.system:
            issues.append(
                Issue(
                    ("tree", "nodes", i, "id"),
                    f"node {nodes[i].id!r} has no parent, but the only root is the system "
                    f"{m.system!r}",
                    nodes[i].id,
                )
            )
    if m.system not in known:
        issues.append(
            Issue(
                ("methodology", "system"), "the system is not a node of the inline tree", m.system
            )
        )
    if issues:
        return issues, known
    try:
        tree = Tree.from_parents((n.id, n.parent) for n in nodes)
    except TreeError as error:
        first = ids.index(error.nodes[0])
        issues.append(Issue(("tree", "nodes", first, "parent"), str(error), error.nodes[0]))
        return issues, known
    for i, node in enumerate(nodes):
        leaf = bool(tree.is_leaf[tree.index(node.id)])
        if leaf and node.direction is None:
            issues.append(
                Issue(
                    ("tree", "nodes", i), f'leaf {node.id!r} needs direction = "higher" or "lower"'
                )
            )
        if not leaf and node.direction is not None:
            issues.append(
                Issue(
                    ("tree", "nodes", i, "direction"),
                    f"{node.id!r} has children: only leaves carry a direction",
                    node.direction,
                )
            )
    return issues, known


def _reference_issues(m: md.Methodology, known: set[str] | None) -> list[Issue]:
    """Node ids the file names must exist in an inline tree; the root takes no weight."""
    issues: list[Issue] = []

    def check(path: tuple[str | int, ...], node: str, what: str) -> None:
        if known is not None and node not in known:
            where = "inline tree" if m.tree.source == "inline" else "bundle's tree"
            issues.append(Issue(path, f"{what} {node!r}, which is not in the {where}", node))

    for node in m.weights:
        if node == m.system:
            issues.append(
                Issue(("weights", node), "the root has no siblings: it takes no weight", node)
            )
        else:
            check(("weights", node), node, "weight on node")
    for i, step in enumerate(m.steps):
        at = ("steps", i)
        for j, node in enumerate(step.nodes or []):
            check((*at, "nodes", j), node, "step on node")
        for node in step.overrides:
            check((*at, "overrides", node), node, "override for node")
        for j, node in enumerate(getattr(step, "always", None) or []):
            check((*at, "always", j), node, "best_k keeps node")
        for node in getattr(step, "weights", None) or {}:
            check((*at, "weights", node), node, "weight on node")
        bonus = getattr(step, "bonus", None)
        for j, node in enumerate(bonus if isinstance(bonus, list) else [bonus] if bonus else []):
            path = (*at, "bonus", j) if isinstance(bonus, list) else (*at, "bonus")
            check(path, node, "bonus node")
        if step.acts_on == "institutions" and step.overrides:
            issues.append(
                Issue(
                    (*at, "overrides"),
                    "eligibility decides per institution: it takes no per-node overrides",
                )
            )
    return issues


def _order_issues(m: md.Methodology) -> list[Issue]:
    """Eligibility is decided on what was submitted, so before any imputation."""
    issues: list[Issue] = []
    imputed_at: int | None = None
    for i, step in enumerate(m.steps):
        filling = isinstance(step, md.ImputeStep) and not isinstance(step, md.ImputeRedistribute)
        if filling and imputed_at is None:
            imputed_at = i
        if isinstance(step, md.EligibilityStep) and imputed_at is not None:
            issues.append(
                Issue(
                    ("steps", i, "type"),
                    f"eligibility after imputation (steps[{imputed_at}]): eligibility is decided "
                    "on what was submitted, so it comes first",
                    step.type,
                )
            )
    return issues


def _covers(step: md.StepBase, node: str, depth: int | None) -> bool:
    """Whether a step's scope takes in an inner node (``depth`` None: the tree is unknown)."""
    if step.nodes is not None:
        return node in step.nodes
    return step.level is None or depth is None or step.level == depth


def _best_k_issues(m: md.Methodology, tree: Tree | None) -> list[Issue]:
    """Best-k weights choose children per institution, so the redistribution of a shared weight
    vector cannot follow them: the two on one node are refused (the engine would skip one)."""
    best = [(i, s) for i, s in enumerate(m.steps) if isinstance(s, md.WeightBestK)]
    spread = [(i, s) for i, s in enumerate(m.steps) if isinstance(s, md.ImputeRedistribute)]
    if not best or not spread:
        return []
    tree = tree if tree is not None and m.system in tree else m.inline_tree()
    if tree is not None:
        inner = [(n, int(tree.depth[tree.index(n)])) for n in tree.subtree(m.system).ids]
        nodes: list[tuple[str, int | None]] = [
            (n, d) for n, d in inner if not tree.is_leaf[tree.index(n)]
        ]
    else:
        named = {n for _, s in [*best, *spread] for n in (s.nodes or [])}
        nodes = [(n, None) for n in sorted(named)]
    issues: list[Issue] = []
    for node, depth in nodes:
        weighs = [
            i
            for i, s in enumerate(m.steps)
            if isinstance(s, md.WeightStep) and _covers(s, node, depth)
        ]
        fills = [
            i
            for i, s in enumerate(m.steps)
            if isinstance(s, md.ImputeStep) and _covers(s, node, depth)
        ]
        if not weighs or not fills:
            continue
        if isinstance(m.steps[weighs[-1]], md.WeightBestK) and isinstance(
            m.steps[fills[-1]], md.ImputeRedistribute
        ):
            issues.append(
                Issue(
                    ("steps", fills[-1], "method"),
                    f"node {node!r} takes best-k weights (steps[{weighs[-1]}]) and a "
                    "redistribution of the weights of indicators that do not apply: best-k "
                    "chooses the children per institution, so nothing would be redistributed "
                    "(give the two steps different nodes)",
                    "redistribute",
                )
            )
    return issues


def _published_decimals(m: md.Methodology) -> int | None:
    """Decimals of the last round step acting on the root (the published precision)."""
    found = None
    for step in m.steps:
        if isinstance(step, md.RoundHalfUp) and (
            (step.nodes is None and step.level in (None, 0)) or m.system in (step.nodes or [])
        ):
            found = step.decimals
    return found


def _ranking_issues(m: md.Methodology, walk: Propagation) -> list[Issue]:
    issues: list[Issue] = []
    ranking = m.ranking
    if ranking.by == "score" and not walk.root.computed:
        issues.append(
            Issue(
                ("steps",),
                f"no aggregate step computes the root {m.system!r}: there is no score to rank "
                '(or rank by = "grade_counts")',
            )
        )
    if ranking.by == "grade_counts" and not any(
        isinstance(s, md.AggregateOther) and s.counts_grades for s in m.steps
    ):
        issues.append(
            Issue(
                ("ranking", "by"),
                'ranking by grade counts needs an aggregate step with method = "grade_counts"',
                ranking.by,
            )
        )
    rounded = _published_decimals(m)
    if ranking.rank_on == "published" and ranking.by == "score":
        if ranking.decimals is None and rounded is None:
            issues.append(
                Issue(
                    ("ranking", "rank_on"),
                    'rank_on = "published" needs the published precision: set ranking.decimals '
                    "or add a round step",
                    ranking.rank_on,
                )
            )
        elif ranking.decimals is not None and rounded is not None and ranking.decimals != rounded:
            issues.append(
                Issue(
                    ("ranking", "decimals"),
                    f"ranking.decimals is {ranking.decimals} but the round step publishes "
                    f"{rounded} decimals",
                    ranking.decimals,
                )
            )
    for key, table in ranking.groups.items():
        at = ("ranking", "groups", key)
        counts = Counter(table.values())
        for label, bound in table.items():
            if counts[bound] > 1:
                issues.append(
                    Issue(
                        (*at, label), f"group {label!r} has the same bound as another group", bound
                    )
                )
            if ranking.groups_by == "rank_percentile" and not 0 < bound <= 100:
                issues.append(
                    Issue((*at, label), "a rank percentile bound lies in (0, 100]", bound)
                )
            if ranking.groups_by == "points" and walk.root.computed:
                top = walk.root.interval.hi
                if not math.isinf(top) and bound > top:
                    issues.append(
                        Issue(
                            (*at, label),
                            f"group {label!r} starts at {bound:g} points but the total lies in "
                            f"{walk.root.interval.describe()}: no institution can reach it",
                            bound,
                        )
                    )
    return issues


def _bundle_issues(m: md.Methodology, tree: Tree) -> tuple[list[Issue], set[str] | None]:
    """The methodology against the bundle's indicator tree: its root, its inline leaves."""
    if m.system not in tree:
        return [
            Issue(
                ("methodology", "system"),
                "the system is not a node of the bundle's indicator tree",
                m.system,
            )
        ], None
    issues: list[Issue] = []
    for i, node in enumerate(m.tree.nodes):
        leaf = not any(n.parent == node.id for n in m.tree.nodes)
        if leaf and node.id not in tree:
            issues.append(
                Issue(
                    ("tree", "nodes", i, "id"),
                    f"leaf {node.id!r} is not an indicator of the bundle",
                    node.id,
                )
            )
    known = set(tree.subtree(m.system).ids) if m.tree.source == "bundle" else None
    return issues, known


#: A generalised mean's exponent beyond this overflows doubles on scores of 0 to 100.
MAX_POWER = 100.0
#: No node of a real tree has more children than this.
MAX_CHILDREN = 100_000


def _shape_tree(m: md.Methodology, tree: Tree | None) -> Tree | None:
    """The tree the methodology aggregates over, when known (inline, or the bundle's)."""
    if m.tree.source == "inline":
        try:
            return Tree.from_parents((n.id, n.parent) for n in m.tree.nodes)
        except TreeError:
            return None
    if tree is not None and m.system in tree:
        return tree.subtree(m.system)
    return None


def _weight_sum_issues(
    weights: dict[str, float], tree: Tree, at: tuple[str | int, ...]
) -> list[Issue]:
    """A group whose children all weigh 0 (given weights only) aggregates nothing."""
    issues: list[Issue] = []
    # The root only: a zero-weight group below it may be meant (a node kept for display).
    for node in tree.roots[:1]:
        children = tree.children(node)
        if (
            children
            and all(c in weights for c in children)
            and sum(weights[c] for c in children) <= 0
        ):
            issues.append(
                Issue(
                    (*at, children[0]),
                    f"the weights of the children of {node!r} sum to 0: it cannot be "
                    "aggregated (give one a positive weight)",
                    0,
                )
            )
    return issues


def _parameter_issues(m: md.Methodology, tree: Tree | None) -> list[Issue]:
    """Cross-field rules: weights per group, parameters in range, non-empty band tables."""
    issues: list[Issue] = []
    shape = _shape_tree(m, tree)
    if shape is not None:
        issues += _weight_sum_issues(dict(m.weights), shape, ("weights",))
    widest = max((len(shape.children(n)) for n in shape.ids), default=0) if shape else None
    for i, step in enumerate(m.steps):
        at: tuple[str | int, ...] = ("steps", i)
        weights = getattr(step, "weights", None)
        if shape is not None and isinstance(weights, dict):
            issues += _weight_sum_issues(weights, shape, (*at, "weights"))
        min_children = getattr(step, "min_children", None)
        if isinstance(min_children, int) and min_children > MAX_CHILDREN:
            issues.append(
                Issue(
                    (*at, "min_children"),
                    f"min_children = {min_children} is out of range (at most {MAX_CHILDREN:,})",
                    min_children,
                )
            )
        elif widest is not None and isinstance(min_children, int) and min_children > widest:
            issues.append(
                Issue(
                    (*at, "min_children"),
                    f"min_children = {min_children} but no node has more than {widest} "
                    "children: nothing would be aggregated",
                    min_children,
                )
            )
        if isinstance(step, md.AggregateGeneralised) and abs(step.p) > MAX_POWER:
            issues.append(
                Issue(
                    (*at, "p"),
                    f"p = {step.p:g} is out of range: give an exponent from -{MAX_POWER:g} to "
                    f"{MAX_POWER:g}",
                    step.p,
                )
            )
        if isinstance(step, md.RescaleAffine) and not step.floor < step.top:
            issues.append(
                Issue(
                    (*at, "floor"),
                    f"floor = {step.floor:g} must be below top = {step.top:g}",
                    step.floor,
                )
            )
    for key, table in m.ranking.bands.items():
        if not table.bands:
            issues.append(
                Issue(
                    ("ranking", "bands", key, "bands"),
                    "a band table needs at least one band ([lo, hi], the last may be [lo, inf])",
                )
            )
    return issues


def check_methodology(m: md.Methodology, tree: Tree | None = None) -> list[Issue]:
    """Every whole-file problem of a structurally valid methodology (empty when sound).

    With ``tree`` (the bundle's indicator tree, when data are at hand) node references and
    ranges are also checked exactly for ``source = "bundle"``, and an inline tree's leaves must
    be indicators of the bundle.
    """
    tree_issues, known = _tree_issues(m)
    if tree is not None:
        bundle_issues, bundle_known = _bundle_issues(m, tree)
        tree_issues.extend(bundle_issues)
        known = known if known is not None else bundle_known
    walk = propagate(m, tree)
    issues = [
        *tree_issues,
        *_reference_issues(m, known),
        *_order_issues(m),
        *_best_k_issues(m, tree),
        *walk.issues,
        *_ranking_issues(m, walk),
        *_parameter_issues(m, tree),
    ]
    unique: list[Issue] = []
    for issue in issues:
        if all((issue.path, issue.message) != (u.path, u.message) for u in unique):
            unique.append(issue)
    return unique
