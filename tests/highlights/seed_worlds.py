"""The seed world per seed, built once per test session (about 15-30 s each)."""

from __future__ import annotations

from functools import cache

from palmares.dataset import Dataset
from palmares.demo.seeds import generate_seeds
from palmares.highlights import facts
from palmares.highlights.facts import Fact
from palmares.history import EditionSeries


@cache
def seed_world(seed: int) -> Dataset:
    return generate_seeds(seed)


@cache
def series(seed: int, system: str) -> EditionSeries:
    return EditionSeries(seed_world(seed), system)


@cache
def seed_facts(seed: int, institution: str, system: str, edition: int) -> tuple[Fact, ...]:
    return tuple(facts(series(seed, system), institution, edition))
