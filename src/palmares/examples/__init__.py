"""Example methodologies bundled with palmares (the demo runs them)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).parent


def example_path(name: str) -> Path:
    """Path of a bundled example methodology, e.g. ``example_path("umr-composite")``."""
    path = EXAMPLES / f"{name}.toml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in EXAMPLES.glob("*.toml")))
        raise LookupError(f"no example methodology {name!r}; examples: {known}")
    return path
