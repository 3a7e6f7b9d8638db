"""What a run keeps of its aggregation for the working: each step's record, and the node
values, shares, grade counts and unscaled values of a draw of the plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from palmares.steps import FloatArray


@dataclass(frozen=True)
class StepRecord:
    """What one step did, for the working: its tag, scope and per-column facts."""

    index: int
    tag: str
    nodes: tuple[str, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Aggregated:
    """What aggregation produced: node values (n, N) as their parents consumed them, each
    node's share of its parent, grade counts, node values before any inner rescale or round
    (what per-node tables rank), and the records of the inner steps."""

    values: FloatArray
    weights: FloatArray
    counts: npt.NDArray[np.int64] | None
    unscaled: FloatArray
    records: list[StepRecord]


__all__ = ["Aggregated", "StepRecord"]
