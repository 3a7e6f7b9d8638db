"""palmares: build, explain and explore rankings of higher-education institutions."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from palmares.dataset import Dataset, EditionMatrix
from palmares.problems import InvalidInput, Problem

if TYPE_CHECKING:
    from palmares.methodology import Methodology
    from palmares.result import Result

try:
    __version__ = version("palmares")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"


def load(path: str | Path, **options: object) -> Dataset:
    """Read and validate a bundle (CSV folder, Parquet folder, .xlsx, or another layout).

    A path carrying a ``store_url`` (the command line's ``--db``) reads the whole store.
    """
    store_url = getattr(path, "store_url", None)
    if store_url is not None:
        from palmares.store import open_store

        with open_store(store_url) as store:
            return store.dataset()
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
    "Problem",
    "Result",
    "__version__",
    "load",
    "rank",
]
