"""The seed world: the press releases' schools in fields where palmares's presets reproduce
every seed claim (``palmares demo --world seeds``; docs/seed-world.md).

The demo world of the same seed gives the fields; the Institut Mines-Télécom schools take the
places of the demo network's, and their observations (plus, where a count or a tie needs it, a
few other schools' observations) are then constructed so that the presets compute the facts the
press releases state. Targets are enforced and checked, never hoped for: a target the
construction misses raises :class:`TargetError`. The bundle holds observations only: no rank,
band, group or grade is stored; palmares computes them.
"""

from __future__ import annotations

from palmares.dataset import Dataset
from palmares.demo.generator import generate
from palmares.demo.seeds import impact, letudiant, multirank
from palmares.demo.seeds.edition import World
from palmares.demo.seeds.identities import (
    ALES,
    ATLANTIQUE,
    BUSINESS_SCHOOL,
    NETWORK,
    SAINT_ETIENNE,
    apply_identities,
)
from palmares.demo.seeds.placing import TargetError


def generate_seeds(seed: int = 0) -> Dataset:
    """The seed world for ``seed`` (deterministic: same seed, same bundle)."""
    world = World(apply_identities(generate(seed).to_frames()))
    letudiant.place(world)
    multirank.place(world)
    impact.place(world)
    return world.finish()


__all__ = [
    "ALES",
    "ATLANTIQUE",
    "BUSINESS_SCHOOL",
    "NETWORK",
    "SAINT_ETIENNE",
    "TargetError",
    "generate_seeds",
]
