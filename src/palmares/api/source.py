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

    def get_answer(self, key: str) -> str | None: ...

    def put_answer(self, key: str, command: str, payload: str) -> None: ...


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

    def get_answer(self, key: str) -> str | None:
        """A kept answer (job results) for the current data; a bundle keeps none on disk."""
        return None

    def put_answer(self, key: str, command: str, payload: str) -> None:
        return None

    def kept_uncertainty(
        self, system: str, edition: int, methodology_hash: str
    ) -> dict[str, Any] | None:
        """The ``--json`` document of the newest uncertainty run a store keeps for an edition
        (``palmares uncertainty --db``); a bundle keeps none."""
        return None


def is_store_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "duckdb://")) or url.endswith(
        (".duckdb", ".db")
    )


def open_source(url: str) -> DataSource:
    """A data source from ``--db URL`` (a DuckDB file or a PostgreSQL URL) or a bundle path."""
    if is_store_url(url):
        return StoreSource(url)
    return BundleSource(Path(url))


class StoreSource(BundleSource):
    """A store (``palmares.store``): read once at start, opened briefly for each write so a
    DuckDB file is never held open; several workers share a PostgreSQL store (each reloads
    when the store's data hash changes under it)."""

    def __init__(self, url: str) -> None:
        from palmares.store import open_store

        self.url = url
        self._lock = threading.Lock()
        with open_store(url) as store:
            self.description = f"{store.backend} store"
            self.backend = store.backend
            self._current = _snapshot(store.dataset())

    def stored_hash(self) -> str | None:
        from palmares.store import open_store

        with open_store(self.url) as store:
            return store.data_hash

    def refresh(self) -> Snapshot:
        """Reload when another worker replaced the data."""
        from palmares.store import open_store

        if self.stored_hash() != self._current.data_hash:
            with open_store(self.url) as store:
                fresh = _snapshot(store.dataset())
            with self._lock:
                self._current = fresh
        return self._current

    def replace(self, dataset: Dataset) -> Snapshot:
        from palmares.store import open_store

        with self._lock:
            with open_store(self.url, write=True) as store:
                store.load(dataset, replace=True)
            self._current = _snapshot(dataset)
        return self._current

    def get_answer(self, key: str) -> str | None:
        from palmares.store import open_store

        with open_store(self.url) as store:
            if store.data_hash != self._current.data_hash:
                return None
            return store.get_answer(key)

    def put_answer(self, key: str, command: str, payload: str) -> None:
        from palmares.store import open_store

        with open_store(self.url, write=True) as store:
            if store.data_hash == self._current.data_hash:
                store.put_answer(key, command, payload)

    def kept_uncertainty(
        self, system: str, edition: int, methodology_hash: str
    ) -> dict[str, Any] | None:
        from palmares.store import parse_url
        from palmares.uncertainty.kept import newest_run

        found = newest_run(parse_url(self.url), system, edition, methodology_hash)
        if found is None or found.document.get("data_hash") != self._current.data_hash:
            return None
        return found.document

    def purge(self) -> int:
        from palmares.store import open_store

        dropped = super().purge()
        with open_store(self.url, write=True) as store:
            dropped += store.clear_cache()
        return dropped
