"""palmares: build, explain and explore rankings of higher-education institutions."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from palmares.dataset import Dataset, EditionMatrix
from palmares.problems import InvalidInput, Problem

try:
    __version__ = version("palmares")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"


def load(path: str | Path, **options: object) -> Dataset:
    """Read and validate a bundle (CSV folder, Parquet folder, .xlsx, or another layout)."""
    from palmares.io import read_dataset

    return read_dataset(path, **options)


__all__ = ["Dataset", "EditionMatrix", "InvalidInput", "Problem", "__version__", "load"]
