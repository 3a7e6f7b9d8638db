"""The methodology hash: SHA-256 of the canonical JSON of the validated model.

Canonical JSON: every field with its default filled, keys sorted, no whitespace, numbers as the
validated types print them (a weight written ``1`` or ``1.0`` is the float 1.0). Two files that
differ only in comments, key order or formatting therefore hash the same.
"""

from __future__ import annotations

from palmares.methodology.model import Methodology


def canonical_json(m: Methodology) -> str:
    """The canonical JSON text of a validated methodology."""
    return m.canonical_json()


def methodology_hash(m: Methodology) -> str:
    """SHA-256 (hex) of :func:`canonical_json`, computed once per (frozen) model."""
    return m.digest()
