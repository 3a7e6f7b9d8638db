"""``generate(seed)``: the whole demo world as a Dataset, deterministic from the seed."""

from __future__ import annotations

import numpy as np

from palmares.dataset import Dataset
from palmares.demo.systems import SYSTEMS, editions_frame, indicators_frame
from palmares.demo.values import observations_frame, system_blocks
from palmares.demo.world import build_world


def generate(seed: int = 0) -> Dataset:
    """The demo world for ``seed``: same seed, same tables; another seed, another world.

    Each concern draws from its own stream spawned from the seed, so that the world's
    institutions do not change when a system's value model changes.
    """
    world_stream, *system_streams = np.random.SeedSequence(seed).spawn(1 + len(SYSTEMS))
    world = build_world(np.random.default_rng(world_stream))
    blocks = [
        block
        for system, stream in zip(SYSTEMS, system_streams, strict=True)
        for block in system_blocks(world, system, np.random.default_rng(stream))
    ]
    tables = {
        "institutions": world.institutions,
        "aliases": world.aliases,
        "lineage": world.lineage,
        "networks": world.networks,
        "indicators": indicators_frame(),
        "editions": editions_frame(),
        "observations": observations_frame(world.ids, blocks),
    }
    return Dataset(tables)
