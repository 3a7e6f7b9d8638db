"""The demo world and its edition series, built once for every chart test."""

from __future__ import annotations

from pathlib import Path

import pytest

from palmares.dataset import Dataset
from palmares.demo import generate
from palmares.history import EditionSeries
from palmares.io import write_dataset


@pytest.fixture(scope="session")
def world() -> Dataset:
    return generate(0)


@pytest.fixture(scope="session")
def impact(world: Dataset) -> EditionSeries:
    # The producer view: these tests draw computed ranks inside bands (the published view's
    # band-only rules are tested in test_trajectory_bands.py and the published-view tests).
    return EditionSeries(world, "the-impact", view="producer")


@pytest.fixture(scope="session")
def umr(world: Dataset) -> EditionSeries:
    return EditionSeries(world, "u-multirank")


@pytest.fixture(scope="session")
def bundle(world: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("charts") / "bundle"
    write_dataset(world, path)
    return path
