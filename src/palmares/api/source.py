"""Where the API reads its data: one small interface, so switching from a bundle to the store
is one place.

A source hands out the current :class:`~palmares.dataset.Dataset`, its data hash, and keeps
computed Results (per system x edition) so that a request never reruns the engine. Replacing
the data (an upload) swaps the whole snapshot at once: readers see the old one or the new one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from palmares.dataset import Dataset


@dataclass
class Snapshot:
    """One immutable dataset with the caches derived from it."""

    dataset: Dataset
    data_hash: str
    series: dict[str, Any] = field(default_factory=dict)  # system -> EditionSeries
    cache: dict[Any, Any] = field(default_factory=dict)  # derived answers (frames, searches)
    lock: threading.RLock = field(default_factory=threading.RLock)


class DataSource(Protocol):
    """What the API needs from its storage."""

    description: str

    def snapshot(self) -> Snapshot: ...

    def replace(self, dataset: Dataset) -> Snapshot: ...

    def purge(self) -> int: ...


def _snapshot(dataset: Dataset) -> Snapshot:
    from palmares.io import data_hash

    return Snapshot(dataset, dataset.memo("data_hash", lambda: data_hash(dataset)))


class BundleSource:
    """A bundle read once at start (``palmares serve --data DIR``); uploads replace it in memory
    only (nothing is written to disk)."""

    def __init__(self, path: str | Path) -> None:
        import palmares

        self.description = f"bundle {path}"
        self._lock = threading.Lock()
        self._current = _snapshot(palmares.load(path))

    @classmethod
    def from_dataset(cls, dataset: Dataset, description: str = "dataset") -> BundleSource:
        source = cls.__new__(cls)
        source.description = description
        source._lock = threading.Lock()
        source._current = _snapshot(dataset)
        return source

    def snapshot(self) -> Snapshot:
        return self._current

    def replace(self, dataset: Dataset) -> Snapshot:
        fresh = _snapshot(dataset)
        with self._lock:
            self._current = fresh
        return fresh

    def purge(self) -> int:
        """Drop every computed answer; returns how many cached entries were dropped."""
        with self._lock:
            old = self._current
            self._current = Snapshot(old.dataset, old.data_hash)
        return len(old.series) + len(old.cache)


def open_source(url: str) -> DataSource:
    """A data source from ``--db URL`` or a bundle path.

    The store (``palmares.store``) serves DuckDB files and PostgreSQL URLs once it is
    available; a bundle folder or workbook is read once into memory.
    """
    path = Path(url)
    if url.startswith(("postgresql://", "postgres://", "duckdb://")) or url.endswith(".duckdb"):
        try:
            from palmares.store import open_store
        except ImportError:
            from palmares.problems import UsageProblem

            raise UsageProblem(f"{url}: this palmares has no store yet; serve --data DIR") from None
        return StoreSource(open_store(url))
    return BundleSource(path)


class StoreSource(BundleSource):
    """A store opened by URL: its dataset is read once, computed results come from it."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.description = f"store {store}"
        self._lock = threading.Lock()
        self._current = _snapshot(store.dataset())
