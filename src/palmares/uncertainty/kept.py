"""Uncertainty results kept in the store (contracts section 9, table ``uncertainty_results``).

A Monte Carlo run is kept per methodology hash x data hash x system x edition x spec, draws
and seed: ``palmares uncertainty --db`` reads it on a second identical call instead of drawing
again, and the profile's rank interval reads the newest one of an edition. The spec hash
covers everything else the answer depends on: the spec as run (``--top-k`` applied), the
previous edition and its methodology hash.

The payload is JSON: the command's ``--json`` document as computed, and the Parquet file of
``--out`` (table, rank-acceptability counts and the run's metadata) in base64, so a kept run
gives back the same document, the same file and the same intervals.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from palmares.dataset import Dataset
    from palmares.store.backend import StoreUrl
    from palmares.uncertainty.intervals import Intervals
    from palmares.uncertainty.monte_carlo import UncertaintyResult
    from palmares.uncertainty.spec import UncertaintySpec

FORMAT = "palmares-uncertainty/1"


@dataclass(frozen=True)
class RunKey:
    """What a kept run is found by (with its draws and seed)."""

    methodology_hash: str
    system: str
    edition: int
    spec_hash: str


@dataclass(frozen=True)
class KeptRun:
    """A kept run: the ``--json`` document and the ``--out`` Parquet file's bytes."""

    document: dict[str, Any]
    parquet: bytes

    def intervals(self) -> Intervals:
        """The run's rank intervals, as :func:`~palmares.uncertainty.intervals.read_intervals`
        gives them from the file."""
        from palmares.uncertainty.intervals import read_intervals

        with tempfile.TemporaryDirectory(prefix="palmares-kept-") as folder:
            path = Path(folder) / "intervals.parquet"
            path.write_bytes(self.parquet)
            return read_intervals(path)


def run_key(
    dataset: Dataset,
    method: Any,
    edition: int,
    spec: UncertaintySpec,
    previous_edition: int | None = None,
) -> RunKey:
    """The key of a run of ``method`` on ``edition`` (bundle weights applied, as the engine
    runs it) with ``spec`` (``--top-k`` already applied)."""
    from palmares.result_store import resolved_methodology

    methodology, methodology_hash = resolved_methodology(dataset, method, edition)
    previous_hash = None
    if previous_edition is not None:
        _, previous_hash = resolved_methodology(dataset, method, previous_edition)
    described = json.dumps(
        {
            "spec": spec.model_dump(mode="json"),
            "previous_edition": previous_edition,
            "previous_methodology_hash": previous_hash,
        },
        sort_keys=True,
        default=str,
    )
    return RunKey(
        methodology_hash,
        methodology.system,
        int(edition),
        hashlib.sha256(described.encode("utf-8")).hexdigest(),
    )


def read_kept(url: StoreUrl, key: RunKey, *, draws: int, seed: int) -> KeptRun | None:
    """The run kept in the store for ``key``, ``draws`` and ``seed``; None when there is none
    (or it cannot be read: it is then computed again and replaced)."""
    from palmares import __version__
    from palmares.store.store import open_store

    try:
        with open_store(url) as store:
            payload = store.get_uncertainty(
                key.methodology_hash,
                key.system,
                key.edition,
                spec_hash=key.spec_hash,
                draws=draws,
                seed=seed,
            )
    except Exception:  # a store that cannot be read now: compute
        return None
    return _decoded(payload, __version__) if payload is not None else None


def _decoded(payload: bytes, version: str) -> KeptRun | None:
    try:
        stored = json.loads(payload.decode("utf-8"))
        if stored.get("format") != FORMAT or stored.get("palmares_version") != version:
            return None
        return KeptRun(stored["document"], base64.b64decode(stored["parquet"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def run_bytes(done: UncertaintyResult) -> bytes:
    """The bytes ``done.write`` writes (``uncertainty --out``)."""
    with tempfile.TemporaryDirectory(prefix="palmares-kept-") as folder:
        path = Path(folder) / "run.parquet"
        done.write(path)
        return path.read_bytes()


def keep(
    url: StoreUrl,
    key: RunKey,
    *,
    draws: int,
    seed: int,
    document: dict[str, Any],
    parquet: bytes,
) -> bool:
    """Keep a run in the store; False when the store cannot take it now (a busy store: the
    run stands, it is only not kept)."""
    from palmares import __version__
    from palmares.store.store import close_shared, open_store

    payload = json.dumps(
        {
            "format": FORMAT,
            "palmares_version": __version__,
            "document": document,
            "parquet": base64.b64encode(parquet).decode("ascii"),
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")
    try:
        close_shared(url)  # DuckDB: one process opens a file read-only or writable, not both
        with open_store(url, write=True) as writer:
            writer.put_uncertainty(
                key.methodology_hash,
                key.system,
                key.edition,
                payload,
                spec_hash=key.spec_hash,
                draws=draws,
                seed=seed,
            )
    except Exception:
        return False
    return True


def write_kept(run: KeptRun, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a kept run's Parquet file to ``path`` (atomically, as ``--out`` does)."""
    from palmares.io.atomic import atomic_path

    with atomic_path(Path(path), force=force) as temporary:
        Path(temporary).write_bytes(run.parquet)
    return Path(path)


def newest_run(
    url: StoreUrl, system: str, edition: int, methodology_hash: str | None = None
) -> KeptRun | None:
    """The newest run kept for an edition of the store's data (of ``methodology_hash`` when
    given), or None."""
    from palmares import __version__
    from palmares.store.store import open_store

    try:
        with open_store(url) as store:
            payloads = store.uncertainty_payloads(system, edition, methodology_hash)
    except Exception:
        return None
    for payload in payloads:
        run = _decoded(payload, __version__)
        if run is not None:
            return run
    return None


__all__ = [
    "FORMAT",
    "KeptRun",
    "RunKey",
    "keep",
    "newest_run",
    "read_kept",
    "run_bytes",
    "run_key",
    "write_kept",
]
