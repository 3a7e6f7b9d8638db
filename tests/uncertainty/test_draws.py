"""Weight draws keep each sibling group's nominal sum; streams depend on seed and chunk only."""

from __future__ import annotations

import numpy as np

from palmares.uncertainty.draws import WeightModel, all_draws, chunk_bounds, draw_chunk
from palmares.uncertainty.spec import UncertaintySpec

MODEL = WeightModel(
    nodes=("a", "b", "c", "p", "q"),
    group=np.array([0, 0, 0, 1, 1]),
    nominal=np.array([1.0, 2.0, 1.0, 0.7, 0.3]),
    varied=np.array([True, True, True, True, True]),
)


def spec(**weights: object) -> UncertaintySpec:
    return UncertaintySpec.model_validate({"chunk": 100, "weights": weights})


def test_dirichlet_keeps_group_sums_and_centres_on_nominal() -> None:
    draws = all_draws(MODEL, spec(method="dirichlet", concentration=200.0), 0, 4000)
    w = draws.weights
    np.testing.assert_allclose(w[:, :3].sum(axis=1), 4.0)
    np.testing.assert_allclose(w[:, 3:].sum(axis=1), 1.0)
    np.testing.assert_allclose(w.mean(axis=0), MODEL.nominal, atol=0.02)
    assert (w > 0).all()


def test_uniform_spread_bounds_before_renormalising() -> None:
    w = all_draws(MODEL, spec(method="uniform", spread=0.1), 1, 2000).weights
    np.testing.assert_allclose(w[:, 3:].sum(axis=1), 1.0)
    ratio = w / MODEL.nominal
    # renormalising moves a +/-10 % multiplier by at most the group's +/-10 %
    assert (ratio > 0.9 / 1.1 - 1e-12).all() and (ratio < 1.1 / 0.9 + 1e-12).all()


def test_none_and_fixed_groups_keep_nominal_weights() -> None:
    np.testing.assert_array_equal(
        all_draws(MODEL, spec(method="none"), 0, 5).weights, np.tile(MODEL.nominal, (5, 1))
    )
    fixed = WeightModel(MODEL.nodes, MODEL.group, MODEL.nominal, np.array([1, 1, 1, 0, 0], bool))
    w = all_draws(fixed, spec(), 0, 50).weights
    np.testing.assert_array_equal(w[:, 3:], np.tile(MODEL.nominal[3:], (50, 1)))


def test_streams_depend_on_seed_and_chunk_index_only() -> None:
    s = spec()
    whole = all_draws(MODEL, s, 9, 250)
    assert chunk_bounds(250, 100) == [(0, 0, 100), (1, 100, 200), (2, 200, 250)]
    third = draw_chunk(MODEL, s, 9, 2, 200, 50)
    np.testing.assert_array_equal(whole.weights[200:], third.weights)
    child = np.random.SeedSequence(9).spawn(3)[2]
    assert np.random.SeedSequence(9, spawn_key=(2,)).entropy == child.entropy
    assert np.random.SeedSequence(9, spawn_key=(2,)).spawn_key == child.spawn_key
    assert not np.array_equal(all_draws(MODEL, s, 10, 250).weights, whole.weights)
