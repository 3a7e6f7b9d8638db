"""palmares: build, explain and explore rankings of higher-education institutions."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from palmares.problems import InvalidInput, Problem

if TYPE_CHECKING:
    from palmares.dataset import Dataset, EditionMatrix
    from palmares.methodology import Methodology
    from palmares.result import Result

if TYPE_CHECKING:
    __version__: str


@cache
def _version() -> str:
    # importlib.metadata imports email, zipfile and csv (0.05-0.2 s): read when first asked.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("palmares")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def __getattr__(name: str) -> object:
    # Dataset, Methodology and Result import pandas or pydantic, and the version importlib's
    # metadata: only when asked, so `palmares --help` and answers kept in a store start fast.
    if name == "__version__":
        return _version()
    if name in ("Dataset", "EditionMatrix"):
        from palmares import dataset

        return getattr(dataset, name)
    if name == "Methodology":
        from palmares.methodology import Methodology

        return Methodology
    if name == "Result":
        from palmares.result import Result

        return Result
    raise AttributeError(f"module 'palmares' has no attribute {name!r}")


def load(path: str | Path, **options: object) -> Dataset:
    """Read and validate a bundle (CSV folder, Parquet folder, .xlsx, or another layout).

    A path carrying a ``store_url`` (the command line's ``--db``) reads the store: the whole
    bundle, or one system's observations and published rows (``store_system``) when the store
    holds that system.
    """
    store_url = getattr(path, "store_url", None)
    if store_url is not None:
        from palmares.store.store import reading

        # within a command, the connection the kept tables are then read through
        with reading(store_url) as store:
            system = getattr(path, "store_system", None)
            if system is not None and not store.edition_years(system):
                system = None  # not a system of the store: read everything
            # rank and explain read their --edition's rows only (when the store holds it)
            years = getattr(path, "store_years", None)
            held = set(store.edition_years(system)) if system is not None else set()
            if system is None or not years or not set(years) <= held:
                years = None
            dataset = store.dataset(system, years)
        # The engine keeps and reuses its tables in this store (palmares.result_store).
        dataset.memo("store_url", lambda: store_url)
        return dataset
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
