"""Dask: the same chunks on a cluster, summed to the same histograms as a local run.

``workers=N`` starts ``LocalCluster(host="127.0.0.1", dashboard_address=":0", n_workers=N)``
(never listening beyond this machine); ``scheduler="tcp://HOST:PORT"`` uses a running one. A
chunk's draws depend only on the seed and the chunk index, and chunk results are integer
counts, so the sum does not depend on which worker ran what.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def map_chunks(
    chunk: Callable[[Any, int, int, int], Any],
    context: Any,
    bounds: Sequence[tuple[int, int, int]],
    add: Callable[[Any], None],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Run ``chunk(context, index, start, end)`` (:func:`~palmares.uncertainty.monte_carlo.
    chunk_counts`) for every chunk on Dask and pass each result to ``add`` as it arrives
    (integer counts: the order does not matter). The caller passes the function, so this
    backend imports nothing of the Monte Carlo module (no cycle)."""
    from distributed import Client, LocalCluster, as_completed

    if (workers is None) == (scheduler is None):
        raise ValueError("give workers or scheduler, not both")
    cluster = None
    if workers is not None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        cluster = LocalCluster(
            host="127.0.0.1",
            dashboard_address=":0",
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        shared = client.scatter(context, broadcast=True)
        futures = [client.submit(chunk, shared, c, s, e, pure=False) for c, s, e in bounds]
        for done, future in enumerate(as_completed(futures), start=1):
            add(future.result())
            future.release()
            if progress is not None:
                progress(done, len(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
