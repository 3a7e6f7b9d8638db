"""A local Dask cluster (127.0.0.1 only, 2 workers) gives exactly the local results."""

from __future__ import annotations

import numpy as np

from palmares.uncertainty import UncertaintySpec, uncertainty


def test_local_cluster_matches_the_local_run(field, full_method) -> None:
    spec = UncertaintySpec.model_validate({"chunk": 40})
    local = uncertainty(field, full_method, 2024, 200, spec=spec, seed=11, previous_edition=2023)
    seen: list[tuple[int, int]] = []
    remote = uncertainty(
        field,
        full_method,
        2024,
        200,
        spec=spec,
        seed=11,
        previous_edition=2023,
        workers=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    np.testing.assert_array_equal(local.hist, remote.hist)
    assert local.p_move_real is not None and remote.p_move_real is not None
    np.testing.assert_array_equal(local.p_move_real, remote.p_move_real)
    assert local.to_json() == remote.to_json()
    assert seen[-1] == (5, 5)


def test_existing_scheduler_matches_the_local_run(field, full_method) -> None:
    from distributed import LocalCluster

    spec = UncertaintySpec.model_validate({"chunk": 50})
    local = uncertainty(field, full_method, 2024, 120, spec=spec, seed=2)
    with LocalCluster(
        host="127.0.0.1", dashboard_address=":0", n_workers=1, threads_per_worker=2
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        remote = uncertainty(field, full_method, 2024, 120, spec=spec, seed=2, scheduler=address)
    np.testing.assert_array_equal(local.hist, remote.hist)
