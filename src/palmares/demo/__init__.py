"""The demo world: a deterministic synthetic world of fictional institutions in three systems.

``generate(seed)`` builds it as a :class:`~palmares.dataset.Dataset`; ``summarise(ds)`` counts
what a bundle holds; ``write_demo(ds, out)`` writes it as a CSV bundle with its marker.
"""

from __future__ import annotations

from palmares.demo.generator import generate
from palmares.demo.output import (
    DEFAULT_OUT,
    MARKER,
    NotADemoOutput,
    check_demo_target,
    is_demo_output,
    write_demo,
)
from palmares.demo.summary import edition_table, summarise

WORLDS: tuple[str, ...] = ("demo", "seeds")

__all__ = [
    "DEFAULT_OUT",
    "MARKER",
    "WORLDS",
    "NotADemoOutput",
    "check_demo_target",
    "edition_table",
    "generate",
    "is_demo_output",
    "summarise",
    "write_demo",
]
