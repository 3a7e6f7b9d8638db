"""palmares: build, explain and explore rankings of higher-education institutions."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from palmares.dataset import Dataset, EditionMatrix
from palmares.methodology import Methodology
from palmares.problems import InvalidInput, Problem
from palmares.result import Result

try:
    __version__ = version("palmares")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"


def load(path: str | Path, **options: object) -> Dataset:
    """Read and validate a bundle (CSV folder, Parquet folder, .xlsx, or another layout)."""
    from palmares.io import read_dataset

    return read_dataset(path, **options)


def rank(
    dataset: Dataset, method: str | Path | Methodology, edition: int, *, seed: int = 0
) -> Result:
    """Rank one edition with a methodology (a path, an example id, a preset or a Methodology)."""
    from palmares.engine import run

    return run(dataset, method, edition, seed=seed)


__all__ = [
    "Dataset",
    "EditionMatrix",
    "InvalidInput",
    "Methodology",
    "Problem",
    "Result",
    "__version__",
    "load",
    "rank",
]
