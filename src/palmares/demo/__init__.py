"""The demo world: a deterministic synthetic world of fictional institutions in three systems.

``generate(seed)`` builds it as a :class:`~palmares.dataset.Dataset`; ``summarise(ds)`` counts
what a bundle holds; ``write_demo(ds, out)`` writes it as a CSV bundle with its marker.
"""

from __future__ import annotations

from palmares.demo.generator import generate

__all__ = ["generate"]
