"""Methodology files: a ranking method as versioned, validated, hashable data.

A producer writes a methodology once (TOML, see ``docs/methodology-format.md``); palmares
validates it before reading any data, hashes it into every result, and diffs two versions.
"""

from palmares.methodology.checks import check_methodology
from palmares.methodology.diff import MethodologyDiff, diff_methodologies
from palmares.methodology.hashing import canonical_json, methodology_hash
from palmares.methodology.load import (
    check_with_tree,
    load_methodology,
    parse_methodology,
    resolve_methodology,
)
from palmares.methodology.model import (
    STEP_KINDS,
    STEP_REGISTRY,
    BandTable,
    Header,
    Methodology,
    Ranking,
    StepBase,
    Subset,
    TreeNode,
    TreeSpec,
)
from palmares.methodology.ranges import (
    Interval,
    Propagation,
    StepRange,
    propagate,
    resolve_scope,
)

__all__ = [
    "STEP_KINDS",
    "STEP_REGISTRY",
    "BandTable",
    "Header",
    "Interval",
    "Methodology",
    "MethodologyDiff",
    "Propagation",
    "Ranking",
    "StepBase",
    "StepRange",
    "Subset",
    "TreeNode",
    "TreeSpec",
    "canonical_json",
    "check_methodology",
    "check_with_tree",
    "diff_methodologies",
    "load_methodology",
    "methodology_hash",
    "parse_methodology",
    "propagate",
    "resolve_methodology",
    "resolve_scope",
]
