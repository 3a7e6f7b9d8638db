"""Leaf statistics over a reference sample (a bootstrap resample): all ones is the nominal
result exactly; hand-computed resamples."""

from __future__ import annotations

import numpy as np
import pytest

from palmares.steps import (
    count_below,
    grade,
    impute,
    normalise,
    reference_rows,
    reference_sample,
    treat,
)


def data(seed: int = 0, n: int = 60, k: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.exp(rng.normal(size=(n, k)) * np.array([0.3, 1.0, 2.0, 2.5]))
    x[:3, 2] *= 50.0  # a heavy tail: the JRC rule winsorises or logs
    x[5:9, 0] = x[4, 0]  # ties
    mask = rng.random((n, k)) > 0.15
    return np.where(mask, x, np.nan), mask, np.array([1, -1, 1, 1])


ONES = np.ones(60, dtype=np.int64)

NORMALISE = [
    lambda x, m, d, **r: normalise.minmax(x, m, d, 0, 100, **r),
    lambda x, m, d, **r: normalise.zscore(x, m, d, 10, 2, **r),
    lambda x, m, d, **r: normalise.zcdf(x, m, d, 100, **r),
    lambda x, m, d, **r: normalise.percent_of_best(np.abs(x), m, d, 100, **r),
    lambda x, m, d, **r: normalise.rank(x, m, d, **r),
    lambda x, m, d, **r: normalise.percentile_rank(x, m, d, 100, **r),
    lambda x, m, d, **r: normalise.distance_to_target(x, m, d, 2.0, 100, **r),
    lambda x, m, d, **r: normalise.goalposts(x, m, d, 0.0, 3.0, 100, **r),
    lambda x, m, d, **r: normalise.points_by_quantiles(x, m, d, 5, **r),
    lambda x, m, d, **r: normalise.points_by_thresholds(
        x, m, d, np.tile([0.5, 1.0, 2.0], (4, 1)), **r
    ),
]


@pytest.mark.parametrize("function", NORMALISE)
def test_all_ones_is_the_nominal_normalisation(function) -> None:
    x, mask, d = data()
    np.testing.assert_array_equal(function(x, mask, d, reference=ONES), function(x, mask, d))


@pytest.mark.parametrize("method", ["mean", "median", "percentile", "group_mean"])
def test_all_ones_is_the_nominal_imputation(method) -> None:
    x, mask, _ = data(1)
    groups = np.array(["a", "b", None] * 20, dtype=object)
    plain = impute.impute(x, mask, method, q=30.0, groups=groups)  # type: ignore[arg-type]
    same = impute.impute(x, mask, method, q=30.0, groups=groups, reference=ONES)  # type: ignore[arg-type]
    np.testing.assert_array_equal(plain[0], same[0])
    np.testing.assert_array_equal(plain[1], same[1])


@pytest.mark.parametrize("log", ["log_ct", "log_shift1"])
@pytest.mark.parametrize("max_winsorised", [0, 1, 5])
def test_all_ones_is_the_nominal_treatment(log, max_winsorised) -> None:
    x, mask, _ = data(2)
    plain = treat.jrc(x, mask, 2.0, 3.5, max_winsorised, log=log)
    same = treat.jrc(x, mask, 2.0, 3.5, max_winsorised, log=log, reference=ONES)
    assert plain.treated.any()
    for field in ("x", "winsorised", "n_winsorised", "steps", "logged", "treated"):
        np.testing.assert_array_equal(getattr(plain, field), getattr(same, field))


def test_all_ones_is_the_nominal_grading() -> None:
    x, mask, d = data(3)
    np.testing.assert_array_equal(
        grade.median_distance(x, mask, d, reference=ONES), grade.median_distance(x, mask, d)
    )


# -- hand-computed resamples ------------------------------------------------------------------

X = np.array([[0.0], [10.0], [20.0], [40.0]])
M = np.ones((4, 1), dtype=bool)
UP = np.array([1])


def test_reference_sample_repeats_rows() -> None:
    xr, mr = reference_sample(X, M, [0, 2, 1, 0])
    assert mr.all()
    np.testing.assert_array_equal(xr[:, 0], [10.0, 10.0, 20.0])
    np.testing.assert_array_equal(reference_rows(np.array([1.0, 0.0, 2.0, 0.0]), 4), [0, 2, 2])
    with pytest.raises(ValueError, match="non-negative integers"):
        reference_rows([1, -1, 0, 0], 4)
    with pytest.raises(ValueError, match="one multiplicity per row"):
        reference_rows([1, 1], 4)
    below = count_below(X, M, np.array([[10.0], [10.0], [20.0]]), np.ones((3, 1), dtype=bool))
    np.testing.assert_array_equal(below[:, 0], [0, 0, 2, 3])


def test_minmax_over_a_resample_by_hand() -> None:
    """Resample {10, 10, 20}: min 10, max 20; 0 and 40 fall outside [0, 100]."""
    out = normalise.minmax(X, M, UP, 0, 100, reference=[0, 2, 1, 0])
    np.testing.assert_allclose(out[:, 0], [-100.0, 0.0, 100.0, 300.0])
    lower = normalise.minmax(X, M, np.array([-1]), 0, 100, reference=[0, 2, 1, 0])
    np.testing.assert_allclose(lower[:, 0], [200.0, 100.0, 0.0, -200.0])


def test_zscore_rank_and_points_over_a_resample_by_hand() -> None:
    x = np.array([[1.0], [3.0], [5.0], [7.0]])
    # resample {1, 3}: mean 2, sd sqrt(2)
    z = normalise.zscore(x, M, UP, reference=[1, 1, 0, 0])
    np.testing.assert_allclose(z[:, 0], np.array([-1.0, 1.0, 3.0, 5.0]) / np.sqrt(2.0))
    # 1 + the resample's values strictly better: {1, 5} -> 2, 2, 1, 1
    ranks = normalise.rank(x, M, UP, reference=[1, 0, 1, 0])
    np.testing.assert_array_equal(ranks[:, 0], [2.0, 2.0, 1.0, 1.0])
    # {1, 3, 5}, 2 points: floor(r 3 / 3) for r = 0, 1, 2, 3 -> 0, 1, 2, capped 2
    points = normalise.points_by_quantiles(x, M, UP, 2, reference=[1, 1, 1, 0])
    np.testing.assert_array_equal(points[:, 0], [0.0, 1.0, 2.0, 2.0])


def test_imputation_and_grades_over_a_resample_by_hand() -> None:
    x = np.array([[1.0], [np.nan], [3.0], [100.0]])
    m = ~np.isnan(x)
    filled, imputed = impute.impute(x, m, "median", reference=[1, 1, 1, 0])  # {1, 3}: 2
    np.testing.assert_array_equal(filled[:, 0], [1.0, 2.0, 3.0, 100.0])
    np.testing.assert_array_equal(imputed[:, 0], [False, True, False, False])
    # median of {10, 10, 20} is 10: 0 is -100 % (E), 10 C, 20 +100 % (A), 40 A
    grades = grade.median_distance(X, M, UP, reference=[0, 2, 1, 0])
    np.testing.assert_array_equal(grades[:, 0], [4, 2, 0, 0])


def test_treatment_bounds_come_from_the_resample() -> None:
    """A resample without the outlier does not fail the rule: nothing is treated, even the
    outlier; with it, the outlier is winsorised to the next value of the resample."""
    x = np.array([[1.0], [2.0], [2.0], [3.0], [3.0], [4.0], [5.0], [80.0]])
    m = np.ones(x.shape, dtype=bool)
    calm = treat.jrc(x, m, 2.0, 3.5, 5, reference=[1, 1, 1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(calm.x, x)
    assert not calm.treated.any()
    wild = treat.jrc(x, m, 2.0, 3.5, 5, reference=[2, 1, 1, 1, 1, 1, 0, 1])
    assert wild.n_winsorised[0] == 2  # 80 to 4, and 5 (outside the resample) to 4 as well
    np.testing.assert_array_equal(wild.x[:, 0], [1, 2, 2, 3, 3, 4, 4, 4])
