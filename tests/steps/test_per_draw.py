"""A batch of draws whose children differ per draw (the replay above the leaves) equals each
draw aggregated on its own by the same step."""

from __future__ import annotations

import numpy as np
import pytest

from palmares.steps import aggregate as agg

MEANS = {
    "arithmetic": agg.arithmetic,
    "geometric": agg.geometric,
    "harmonic": agg.harmonic,
    "power 2": agg.power_mean(2.0),
    "power -1": agg.power_mean(-1.0),
}


def _batch(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.5, 9.0, size=(6, 4, 11))
    v[rng.random(v.shape) < 0.2] = np.nan
    w = rng.uniform(0.0, 2.0, size=(6, 4))
    w[0, 1] = 0.0
    return v, w


@pytest.mark.parametrize("name", MEANS)
@pytest.mark.parametrize(("renormalise", "least"), [(True, 1), (False, 1), (True, 3)])
def test_a_batch_equals_draw_by_draw(name: str, renormalise: bool, least: int) -> None:
    mean = MEANS[name]
    v, w = _batch(3)
    batch = mean.per_draw(v, w, renormalise=renormalise, min_children=least)
    for d in range(v.shape[0]):
        x = v[d].T
        one = mean(
            np.nan_to_num(x), ~np.isnan(x), w[d], renormalise=renormalise, min_children=least
        )
        np.testing.assert_allclose(batch[d], one, rtol=1e-12, equal_nan=True)


def test_sums_of_points_per_draw_skip_missing_and_add_bonus_once() -> None:
    v = np.array([[[1.0, np.nan], [2.0, 3.0], [5.0, np.nan]]])  # (1 draw, 3 children, 2)
    w = np.array([[2.0, 1.0, 7.0]])
    out = agg.sum_points_per_draw(v, w, np.array([False, False, True]))
    # 2*1 + 1*2 + bonus 5 = 9; the second institution: 1*3, its bonus missing adds nothing
    np.testing.assert_array_equal(out, [[9.0, 3.0]])
    none = agg.sum_points_per_draw(np.full((1, 3, 1), np.nan), w, np.zeros(3, dtype=bool))
    assert np.isnan(none).all()


def test_a_domain_error_names_the_mean() -> None:
    v, w = _batch(4)
    v[0, 0, 0] = -1.0
    w[0, 0] = 1.0
    with pytest.raises(ValueError, match="geometric mean needs values > 0"):
        agg.geometric.per_draw(v, w)
