"""Intervals a step's output lies in, and what a step's range rule sees of its input.

Each step class of :mod:`palmares.methodology.model` declares its output range through its own
methods (``leaf_range``, ``aggregate_range``, ``score_range``, ``check_children``), given the
range of its input: :mod:`palmares.methodology.ranges` walks a methodology's steps with them,
and :mod:`palmares.steps.registry` checks them on data (the conformance suite). This module holds
what both sides share: the interval, the state of a node's values, and the context a rule
reports problems through.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from palmares.methodology.locate import Path

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

    @property
    def bounded(self) -> bool:
        """At least one end is finite."""
        return not (math.isinf(self.lo) and math.isinf(self.hi))

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
    """What a node's values can be at some point of the steps: their range and kind."""

    interval: Interval
    kind: Kind
    source: str  # which step produced it ("raw data" before any step)
    computed: bool = True
    #: False for raw data: its range is unknown before data are read, so it is not checked.
    known: bool = True


def _ignore(path: Path, message: str, value: Any = None) -> None:
    """A report nobody reads (a range asked for outside a walk)."""


@dataclass(frozen=True)
class RangeInput:
    """What a step's range rule sees: its input's state, where its parameters are (``at``:
    the step's index, then the path of an override), and how to report a problem (a path
    below ``steps``, a message, the offending value)."""

    state: NodeState
    at: Path = (0,)
    report: Callable[..., None] = _ignore

    @property
    def interval(self) -> Interval:
        return self.state.interval

    @property
    def source(self) -> str:
        """Where the input comes from, as a message says it."""
        before = self.state.source
        return f"after {before}" if before != "raw data" else "in raw data"

    def missing(self, tag: str, name: str) -> None:
        """A parameter the step needs for a node is set nowhere."""
        at = self.at
        where = f"node {at[2]!r}" if len(at) > 2 else "the step"
        self.report(
            at[:1] if len(at) < 3 else at,
            f"{tag} needs {name!r} for {where}: set it on the step or in "
            f'steps[{at[0]}].overrides."<node>"',
        )


def _never() -> bool:
    return False


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class ChildrenInput:
    """What an inner step's range rule sees: its children's states, its index, how to report,
    a child's weight and any node's state (bonus children)."""

    children: tuple[tuple[str, NodeState], ...]
    index: int = 0
    report: Callable[..., None] = _ignore
    weight: Callable[[str], float] = lambda _: 1.0
    state_of: Callable[[str], NodeState | None] = lambda _: None
    #: The tree is known node by node (an inline tree, or a bundle's once read).
    exact: bool = True
    #: Whether the step's domain was already reported (once per step is enough), and how to
    #: say it now is.
    domain_flagged: Callable[[], bool] = _never
    flag_domain: Callable[[], None] = _nothing


#: Keys of classes of nodes when the tree is unknown (bundle trees before data are read).
LEAVES = "*leaves"
INNER = "*inner"


def who(key: str) -> str:
    """A node key as a message names it."""
    if key == LEAVES:
        return "a leaf"
    if key == INNER:
        return "an inner node"
    return repr(key)
